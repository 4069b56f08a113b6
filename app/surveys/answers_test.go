package surveys

import (
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/models"
)

func tx(en string) models.Text { return models.Text{"en": en, "da": "da " + en} }

// sample is a small questionnaire with every type and a condition.
func sample() Definition {
	lo, hi := 0.0, 120.0
	return Definition{Sections: []Section{
		{Key: "s1", Questions: []Question{
			{Key: "who", Type: Single, Text: tx("Who are you?"), Required: true, AllowOther: true,
				Options: []Option{{"resident", tx("Resident")}, {"visitor", tx("Visitor")}}},
			{Key: "use", Type: Multiple, Text: tx("Which do you use?"), MaxSelections: 2,
				Options: []Option{{"facebook", tx("Facebook")}, {"x", tx("X")}, {"instagram", tx("Instagram")}}},
			{Key: "why", Type: Text, Text: tx("Why Facebook?"), Required: true, ShowIf: &Condition{Question: "use", AnyOf: []string{"facebook"}}},
		}},
		{Key: "s2", ShowIf: &Condition{Question: "who", AnyOf: []string{"resident"}}, Questions: []Question{
			{Key: "age", Type: Number, Text: tx("Age"), Min: &lo, Max: &hi},
			{Key: "sat", Type: Scale, Text: tx("Satisfied?"), Required: true, Scale: &ScaleSpec{Min: 1, Max: 5}},
			{Key: "grid", Type: Matrix, Text: tx("Rate"), Options: []Option{{"good", tx("Good")}, {"bad", tx("Bad")}},
				Rows: []Option{{"web", tx("Website")}, {"phone", tx("Phone")}}},
			{Key: "rank", Type: Ranking, Text: tx("Order"), Options: []Option{{"a", tx("A")}, {"b", tx("B")}}},
			{Key: "more", Type: LongText, Text: tx("More")},
		}},
	}}
}

func fields(err error) map[string]string {
	var v *apperr.Validation
	if errors.As(err, &v) {
		return v.Fields
	}
	return nil
}

func TestDefinitionValidates(t *testing.T) {
	if err := sample().Validate(); err != nil {
		t.Fatalf("sample: %v", fields(err))
	}
	bad := sample()
	bad.Sections[0].Questions[0].Key = "Who Are"
	bad.Sections[0].Questions[1].Options = bad.Sections[0].Questions[1].Options[:1]
	bad.Sections[0].Questions[2].ShowIf = &Condition{Question: "later", AnyOf: []string{"x"}}
	bad.Sections[1].Questions[1].Scale = &ScaleSpec{Min: 5, Max: 1}
	bad.Sections[1].Questions[0].Type = "essay"
	bad.Sections[1].Questions[4].Text = models.Text{"en": "a\x00b"}
	got := fields(bad.Validate())
	for f, id := range map[string]string{
		"questions.Who Are.key": "survey.key_invalid", "questions.use.options": "survey.options_count",
		"questions.why.show_if": "survey.condition_invalid", "questions.sat.scale": "survey.scale_invalid",
		"questions.age.type": "survey.type_invalid", "questions.more.text": "validation.invalid_text",
	} {
		if got[f] != id {
			t.Errorf("%s: %q, want %q (all: %v)", f, got[f], id, got)
		}
	}
}

func TestCheckAnswers(t *testing.T) {
	d := sample()
	good := Answers{"who": "resident", "use": []any{"facebook"}, "why": "<b>news</b>", "age": 42.0, "sat": 4.0,
		"grid": map[string]any{"web": "good"}, "rank": []any{"b", "a"}, "more": "line 1\nline 2"}
	rows, err := d.Check(good)
	if err != nil {
		t.Fatalf("valid answers refused: %v", fields(err))
	}
	count := map[string]int{}
	for _, r := range rows {
		count[r.QuestionKey]++
		if r.QuestionKey == "why" && r.Text != "<b>news</b>" {
			t.Errorf("text altered: %q", r.Text)
		}
		if r.QuestionKey == "rank" && r.OptionKey == "b" && r.Rank != 1 {
			t.Errorf("rank of b = %d", r.Rank)
		}
	}
	if count["use"] != 1 || count["rank"] != 2 || count["grid"] != 1 || len(rows) != 9 {
		t.Fatalf("rows %v", count)
	}
	cases := []struct {
		name    string
		change  func(Answers)
		field   string
		message string
	}{
		{"unknown question", func(a Answers) { a["nope"] = "x" }, "nope", "survey.unknown_question"},
		{"unknown option", func(a Answers) { a["who"] = "mayor" }, "who", "survey.unknown_option"},
		{"wrong type", func(a Answers) { a["age"] = "forty" }, "age", "validation.wrong_type"},
		{"list for single", func(a Answers) { a["who"] = []any{"resident"} }, "who", "validation.wrong_type"},
		{"missing required", func(a Answers) { delete(a, "sat") }, "sat", "validation.required"},
		{"hidden question answered", func(a Answers) { a["use"] = []any{"x"} }, "why", "survey.hidden_answered"},
		{"hidden page answered", func(a Answers) { a["who"] = "visitor" }, "age", "survey.hidden_answered"},
		{"too many choices", func(a Answers) { a["use"] = []any{"facebook", "x", "instagram"} }, "use", "survey.too_many_choices"},
		{"duplicate choice", func(a Answers) { a["use"] = []any{"facebook", "facebook"} }, "use", "survey.unknown_option"},
		{"scale out of range", func(a Answers) { a["sat"] = 6.0 }, "sat", "survey.out_of_range"},
		{"scale not whole", func(a Answers) { a["sat"] = 2.5 }, "sat", "survey.out_of_range"},
		{"number below min", func(a Answers) { a["age"] = -1.0 }, "age", "survey.out_of_range"},
		{"text too long", func(a Answers) { a["why"] = strings.Repeat("é", MaxShortAnswer+1) }, "why", "validation.too_long"},
		{"newline in short text", func(a Answers) { a["why"] = "a\nb" }, "why", "validation.invalid_text"},
		{"invalid UTF-8", func(a Answers) { a["more"] = "a\xffb" }, "more", "validation.invalid_text"},
		{"partial ranking", func(a Answers) { a["rank"] = []any{"a"} }, "rank", "survey.ranking_invalid"},
		{"unknown matrix row", func(a Answers) { a["grid"] = map[string]any{"fax": "good"} }, "grid", "survey.unknown_option"},
		{"other without text", func(a Answers) { a["who"] = "other" }, "who.other", "validation.required"},
		{"other text without other", func(a Answers) { a["use.other"] = "x" }, "use.other", "survey.unknown_question"},
	}
	for _, c := range cases {
		a := Answers{}
		for k, v := range good {
			a[k] = v
		}
		c.change(a)
		_, err := d.Check(a)
		if got := fields(err)[c.field]; got != c.message {
			t.Errorf("%s: %s = %q, want %q (all: %v)", c.name, c.field, got, c.message, fields(err))
		}
	}
}

func TestFormAnswersAndPrune(t *testing.T) {
	d := sample()
	form := url.Values{"q.who": {"other"}, "q.who.other": {"Commuter"}, "q.use": {"facebook", "x"}, "q.why": {"news"}}
	a := FromForm(d.Sections[0], form)
	if a["who"] != "other" || a["who.other"] != "Commuter" || len(a["use"].([]any)) != 2 || a["why"] != "news" {
		t.Fatalf("form answers %v", a)
	}
	form2 := url.Values{"q.age": {"41,5"}, "q.sat": {"3"}, "q.grid.web": {"bad"}, "q.rank.a": {"2"}, "q.rank.b": {"1"}}
	b := FromForm(d.Sections[1], form2)
	if b["age"] != 41.5 || b["sat"] != 3.0 || b["grid"].(map[string]any)["web"] != "bad" || b["rank"].([]any)[0] != "b" {
		t.Fatalf("form answers %v", b)
	}
	// A shared rank is not silently accepted.
	tie := FromForm(d.Sections[1], url.Values{"q.rank.a": {"1"}, "q.rank.b": {"1"}})
	if _, err := d.Check(Answers{"who": "visitor", "rank": tie["rank"]}); err == nil {
		// rank is on the hidden page for visitors; check it on the page itself
	}
	if err := d.CheckSection(1, Answers{"who": "resident", "sat": 3.0, "rank": tie["rank"]}); fields(err)["rank"] != "survey.ranking_invalid" {
		t.Fatalf("tied ranks: %v", fields(err))
	}
	// Changing the first answer prunes what is no longer asked.
	all := Merge(Merge(Answers{}, a, d.Sections[0]), b, d.Sections[1])
	all["who"], all["use"] = "visitor", []any{"x"}
	pruned := d.Prune(all)
	for _, k := range []string{"why", "age", "sat", "grid", "rank", "who.other"} {
		if _, ok := pruned[k]; ok {
			t.Errorf("%s survived pruning", k)
		}
	}
}

func TestBreakingChanges(t *testing.T) {
	old := sample()
	next := old.clone()
	next.Sections[0].Questions[0].Text = tx("Who are you, really?")
	next, _ = next.PutQuestion("s2", "", Question{Key: "extra", Type: Text, Text: tx("Extra")})
	if msg := breaking(old, next); msg != "" {
		t.Fatalf("text edit and addition refused: %s", msg)
	}
	rm, _ := old.DeleteQuestion("more")
	if breaking(old, rm) != "survey.locked_remove_question" {
		t.Error("removing a question allowed")
	}
	opt := old.clone()
	opt.Sections[0].Questions[1].Options = opt.Sections[0].Questions[1].Options[:2]
	if breaking(old, opt) != "survey.locked_remove_option" {
		t.Error("removing an option allowed")
	}
	typ := old.clone()
	typ.Sections[1].Questions[4].Type = Text
	if breaking(old, typ) != "survey.locked_change_type" {
		t.Error("changing a type allowed")
	}
	if _, err := old.DeleteQuestion("use"); !errors.Is(err, apperr.ErrConflict) {
		t.Error("deleted a question a condition depends on")
	}
}

func TestBuilderEdits(t *testing.T) {
	d := sample()
	d2, key, err := d.DuplicateQuestion("who")
	if err != nil || key != "who_copy1" || d2.Sections[0].Questions[1].Key != key {
		t.Fatalf("duplicate: %v %s", err, key)
	}
	d3, _ := d2.MoveQuestion(key, true)
	if d3.Sections[0].Questions[0].Key != key {
		t.Fatal("move up")
	}
	d4, _ := d.MoveQuestion("why", false) // last on page 1 moves to the top of page 2
	if d4.Sections[1].Questions[0].Key != "why" || len(d4.Sections[0].Questions) != 2 {
		t.Fatal("move across pages")
	}
	d5, sec := d.AddSection()
	if d5.Sections[2].Key != sec {
		t.Fatal("add section")
	}
	if _, err := d5.DeleteSection("s1"); !errors.Is(err, apperr.ErrConflict) {
		t.Fatal("deleted a page with questions")
	}
	if d6, err := d5.DeleteSection(sec); err != nil || len(d6.Sections) != 2 {
		t.Fatal("delete empty page")
	}
	if len(d.Sections[0].Questions) != 3 {
		t.Fatal("an edit changed the original definition")
	}
}

func TestNonFiniteNumbersAreRefused(t *testing.T) {
	d := sample()
	for _, in := range []string{"NaN", "inf", "-Infinity"} {
		a := FromForm(d.Sections[1], url.Values{"q.age": {in}, "q.sat": {"3"}})
		if err := d.CheckSection(1, Merge(Answers{"who": "resident"}, a, d.Sections[1])); fields(err)["age"] != "validation.wrong_type" {
			t.Errorf("%s: %v", in, fields(err))
		}
		if _, err := json.Marshal(a); err != nil {
			t.Errorf("%s cannot be kept in a draft: %v", in, err)
		}
	}
	inf := math.Inf(1)
	bad := sample()
	bad.Sections[1].Questions[0].Max = &inf
	if fields(bad.Validate())["questions.age.max"] == "" {
		t.Error("an infinite bound was accepted")
	}
}

func TestEditingKeepsTextsOfHiddenLanguages(t *testing.T) {
	old := Question{Key: "q", Type: Single, Text: models.Text{"da": "Hvem?", "nl": "Wie?"},
		Options: []Option{{"a", models.Text{"da": "A", "nl": "A-nl"}}, {"b", models.Text{"da": "B", "nl": "B-nl"}}}}
	next := Question{Key: "q", Type: Single, Text: models.Text{"da": "Hvem er du?"},
		Options: []Option{{"a", models.Text{"da": "A"}}, {"b", models.Text{"da": "B2"}}}}
	keepOtherLanguages(&old, &next, []string{"da"})
	if next.Text["nl"] != "Wie?" || next.Text["da"] != "Hvem er du?" || next.Options[1].Text["nl"] != "B-nl" || next.Options[1].Text["da"] != "B2" {
		t.Fatalf("after edit: %+v", next)
	}
}
