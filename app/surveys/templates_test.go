package surveys

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/models"
)

func TestTemplatesValidate(t *testing.T) {
	if len(Templates()) == 0 {
		t.Fatal("no templates")
	}
	keys := map[string]bool{}
	for _, tp := range Templates() {
		if keys[tp.Key] {
			t.Errorf("template key %q twice", tp.Key)
		}
		keys[tp.Key] = true
		if err := tp.Definition.Validate(); err != nil {
			t.Errorf("%s: definition: %v", tp.Key, err)
		}
		if err := tp.Meta.validate(); err != nil {
			t.Errorf("%s: meta: %v", tp.Key, err)
		}
		got, ok := TemplateByKey(tp.Key)
		if !ok || got.Definition.JSON() != tp.Definition.JSON() {
			t.Errorf("TemplateByKey(%q) = %v", tp.Key, ok)
		}
	}
	if _, ok := TemplateByKey("nope"); ok {
		t.Error("TemplateByKey found an unknown key")
	}
	// Callers get their own copy.
	a, _ := TemplateByKey(SocialMediaTemplate)
	a.Meta.Title["en"] = "changed"
	a.Definition.Sections[0].Questions[0].Options[0].Key = "changed"
	b, _ := TemplateByKey(SocialMediaTemplate)
	if b.Meta.Title["en"] == "changed" || b.Definition.Sections[0].Questions[0].Options[0].Key == "changed" {
		t.Error("a change to one template value shows in the next")
	}
}

func TestSocialMediaTemplateShape(t *testing.T) {
	tp, ok := TemplateByKey(SocialMediaTemplate)
	if !ok {
		t.Fatal("social media template missing")
	}
	if !tp.Meta.Anonymous || strings.Join(tp.Meta.Languages, ",") != "da,nl,en" {
		t.Errorf("meta: anonymous %v, languages %v", tp.Meta.Anonymous, tp.Meta.Languages)
	}
	if len(tp.Definition.Sections) < 3 {
		t.Errorf("%d sections, want several pages", len(tp.Definition.Sections))
	}
	want := map[string]string{
		"respondent_type":  "resident,entrepreneur,visitor,works_in_city",
		"uses_platforms":   "facebook,x,instagram,linkedin,youtube,tiktok,none",
		"wants_to":         "find_information,ask_question,leave_remark,report_problem,transactions",
		"should_be_active": "yes,no,no_opinion",
		"platforms":        "facebook,x,instagram,linkedin,youtube,tiktok",
		"topics":           "crises,road_works,events,public_space_reports,news,consultations",
		"answer_time":      "within_hour,same_day,one_two_working_days,within_week",
		"know_who_answers": "",
		"remarks":          "",
	}
	for key, opts := range want {
		q, ok := tp.Definition.Question(key)
		if !ok {
			t.Errorf("question %s missing", key)
			continue
		}
		var got []string
		for _, o := range q.Options {
			got = append(got, o.Key)
		}
		if strings.Join(got, ",") != opts {
			t.Errorf("%s options = %v, want %s", key, got, opts)
		}
	}
	for _, key := range []string{"platforms", "topics"} {
		q, _ := tp.Definition.Question(key)
		if q.ShowIf == nil || q.ShowIf.Question != "should_be_active" || strings.Join(q.ShowIf.AnyOf, ",") != "yes" {
			t.Errorf("%s show_if = %+v", key, q.ShowIf)
		}
	}
	if q, _ := tp.Definition.Question("know_who_answers"); q.Type != Scale || q.Scale == nil || q.Scale.Min != 1 || q.Scale.Max != 5 {
		t.Errorf("know_who_answers = %+v", q)
	}
	if q, _ := tp.Definition.Question("remarks"); q.Type != LongText || q.Required {
		t.Errorf("remarks = %+v", q)
	}
	// Hidden unless the answer is yes.
	_, vis := tp.Definition.Visible(Answers{"should_be_active": "no"})
	if vis["platforms"] || vis["topics"] {
		t.Error("platforms or topics visible after no")
	}
	_, vis = tp.Definition.Visible(Answers{"should_be_active": "yes"})
	if !vis["platforms"] || !vis["topics"] {
		t.Error("platforms or topics hidden after yes")
	}
}

// eachText calls fn on every text of a template with a label.
func eachText(tp Template, fn func(label string, t models.Text)) {
	fn("title", tp.Meta.Title)
	fn("description", tp.Meta.Description)
	fn("thanks", tp.Meta.Thanks)
	for _, s := range tp.Definition.Sections {
		fn("section "+s.Key, s.Title)
		for _, q := range s.Questions {
			fn(q.Key, q.Text)
			if q.Help != nil {
				fn(q.Key+" help", q.Help)
			}
			for _, o := range append(append([]Option{}, q.Options...), q.Rows...) {
				fn(q.Key+": "+o.Key, o.Text)
			}
			if q.Scale != nil {
				fn(q.Key+" min label", q.Scale.MinLabel)
				fn(q.Key+" max label", q.Scale.MaxLabel)
			}
		}
	}
}

func TestTemplatesTranslated(t *testing.T) {
	for _, tp := range Templates() {
		sv := &models.Survey{Title: tp.Meta.Title, Description: tp.Meta.Description, Thanks: tp.Meta.Thanks, Languages: strings.Join(tp.Meta.Languages, ",")}
		if miss := Missing(sv, tp.Definition); len(miss) > 0 {
			t.Errorf("%s: missing texts %v", tp.Key, miss)
		}
		eachText(tp, func(label string, text models.Text) {
			for _, lang := range []string{"da", "nl", "en"} {
				if strings.TrimSpace(text[lang]) == "" {
					t.Errorf("%s: %s has no %s text", tp.Key, label, lang)
				}
			}
			if utf8.RuneCountInString(text["en"]) <= 12 {
				return // names such as "Facebook" or "X (Twitter)" stay as they are
			}
			for _, lang := range []string{"da", "nl"} {
				if text[lang] == text["en"] {
					t.Errorf("%s: %s is English in %s: %q", tp.Key, label, lang, text[lang])
				}
			}
		})
	}
}

// shares counts, per option of a question, the responses that chose it, as
// a percentage of all responses (or of those that answered the question).
func shares(t *testing.T, gdb *gorm.DB, surveyID, question string, ofAnswered bool) map[string]float64 {
	t.Helper()
	var rows []struct {
		OptionKey string
		N         int64
	}
	err := gdb.Raw(`SELECT a.option_key AS option_key, COUNT(DISTINCT a.response_id) AS n
		FROM response_answers a JOIN responses r ON r.id = a.response_id
		WHERE r.survey_id = ? AND a.question_key = ? GROUP BY a.option_key`, surveyID, question).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	var base int64
	q := `SELECT COUNT(*) FROM responses WHERE survey_id = ?`
	if ofAnswered {
		q = `SELECT COUNT(DISTINCT a.response_id) FROM response_answers a JOIN responses r ON r.id = a.response_id
			WHERE r.survey_id = ? AND a.question_key = '` + question + `'`
	}
	if err := gdb.Raw(q, surveyID).Scan(&base).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, r := range rows {
		out[r.OptionKey] = 100 * float64(r.N) / float64(base)
	}
	return out
}

func TestSeedDemo(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		began := time.Now()
		sv, n, err := SeedDemo(ctx, gdb, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seeded %d responses in %v", n, time.Since(began).Round(time.Millisecond))
		if n != DemoResponses || sv.Status != models.SurveyOpen || sv.TemplateKey != SocialMediaTemplate || !strings.HasSuffix(sv.Title["en"], DemoTitleMarker) {
			t.Fatalf("SeedDemo = %d responses, status %s, template %q, title %q", n, sv.Status, sv.TemplateKey, sv.Title["en"])
		}
		store := NewStore(gdb)
		if c, err := store.ResponseCount(ctx, sv.ID); err != nil || c != DemoResponses {
			t.Fatalf("stored %d responses (%v)", c, err)
		}

		within := func(what string, got, want float64) {
			t.Helper()
			t.Logf("%s: %.2f%% (want %.0f%%)", what, got, want)
			if math.Abs(got-want) > 0.5 {
				t.Errorf("%s = %.2f%%, want %.0f%% ± 0.5", what, got, want)
			}
		}
		wants := shares(t, gdb, sv.ID, "wants_to", false)
		within("wants_to find_information", wants["find_information"], 76)
		within("wants_to ask_question", wants["ask_question"], 51)
		within("wants_to leave_remark", wants["leave_remark"], 33)
		within("should_be_active yes", shares(t, gdb, sv.ID, "should_be_active", false)["yes"], 60)
		platforms := shares(t, gdb, sv.ID, "platforms", true)
		within("platforms facebook (of those answering)", platforms["facebook"], 76)
		within("platforms x (of those answering)", platforms["x"], 65)
		if wants["transactions"] >= 50 {
			t.Errorf("most want transactions: %.1f%%", wants["transactions"])
		}
		if types := shares(t, gdb, sv.ID, "respondent_type", false); types["resident"] < 50 {
			t.Errorf("residents %.1f%%, want most", types["resident"])
		}

		var count int64
		scalar := func(q string, args ...any) int64 {
			t.Helper()
			if err := gdb.Raw(q, args...).Scan(&count).Error; err != nil {
				t.Fatal(err)
			}
			return count
		}
		if c := scalar(`SELECT COUNT(*) FROM response_answers a JOIN responses r ON r.id = a.response_id
			WHERE r.survey_id = ? AND a.question_key IN ('platforms', 'topics') AND NOT EXISTS (
				SELECT 1 FROM response_answers b WHERE b.response_id = a.response_id AND b.question_key = 'should_be_active' AND b.option_key = 'yes')`, sv.ID); c != 0 {
			t.Errorf("%d answers to platforms or topics without should_be_active = yes", c)
		}
		if c := scalar(`SELECT COUNT(*) FROM response_answers a JOIN responses r ON r.id = a.response_id
			WHERE r.survey_id = ? AND a.question_key = 'uses_platforms' AND a.option_key <> 'none' AND EXISTS (
				SELECT 1 FROM response_answers b WHERE b.response_id = a.response_id AND b.question_key = 'uses_platforms' AND b.option_key = 'none')`, sv.ID); c != 0 {
			t.Errorf("%d platforms chosen beside none", c)
		}
		for _, q := range []string{"respondent_type", "uses_platforms", "should_be_active", "answer_time"} {
			if c := scalar(`SELECT COUNT(*) FROM responses r WHERE r.survey_id = ? AND NOT EXISTS (
				SELECT 1 FROM response_answers a WHERE a.response_id = r.id AND a.question_key = ?)`, sv.ID, q); c != 0 {
				t.Errorf("%d responses without required %s", c, q)
			}
		}
		if c := scalar(`SELECT COUNT(*) FROM responses WHERE survey_id = ? AND (participant_id IS NOT NULL OR submitted_at IS NOT NULL)`, sv.ID); c != 0 {
			t.Errorf("%d anonymous responses with a participant or a time", c)
		}
		first := time.Now().UTC().AddDate(0, 0, -28).Format("2006-01-02")
		last := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
		if c := scalar(`SELECT COUNT(*) FROM responses WHERE survey_id = ? AND (submitted_on < ? OR submitted_on > ?)`, sv.ID, first, last); c != 0 {
			t.Errorf("%d responses dated outside the last four weeks", c)
		}
		if c := scalar(`SELECT COUNT(DISTINCT submitted_on) FROM responses WHERE survey_id = ?`, sv.ID); c < 14 {
			t.Errorf("responses spread over %d days only", c)
		}
		var channels []struct {
			Channel string
			N       int64
		}
		if err := gdb.Raw(`SELECT channel, COUNT(*) AS n FROM responses WHERE survey_id = ? GROUP BY channel ORDER BY n DESC, channel`, sv.ID).Scan(&channels).Error; err != nil {
			t.Fatal(err)
		}
		if len(channels) != 7 || channels[0].Channel != "panel" {
			t.Errorf("channels = %+v, want seven with the panel first", channels)
		}

		// The stored answers, read back, pass Check again.
		def, err := Parse(sv.Definition)
		if err != nil {
			t.Fatal(err)
		}
		var stored []models.Answer
		if err := gdb.Where("response_id IN (SELECT id FROM responses WHERE survey_id = ?)", sv.ID).Order("response_id, question_key, seq").Find(&stored).Error; err != nil {
			t.Fatal(err)
		}
		byResponse := map[string]Answers{}
		for _, a := range stored {
			if byResponse[a.ResponseID] == nil {
				byResponse[a.ResponseID] = Answers{}
			}
			q, _ := def.Question(a.QuestionKey)
			switch q.Type {
			case Multiple:
				list, _ := byResponse[a.ResponseID][q.Key].([]any)
				byResponse[a.ResponseID][q.Key] = append(list, a.OptionKey)
			case Single:
				byResponse[a.ResponseID][q.Key] = a.OptionKey
			case Scale:
				byResponse[a.ResponseID][q.Key] = *a.Number
			default:
				byResponse[a.ResponseID][q.Key] = a.Text
			}
		}
		if len(byResponse) != DemoResponses {
			t.Errorf("answers for %d responses", len(byResponse))
		}
		for id, answers := range byResponse {
			if _, err := def.Check(answers); err != nil {
				t.Fatalf("stored response %s: %v", id, err)
			}
		}

		again, n, err := SeedDemo(ctx, gdb, nil)
		if err != nil || n != 0 || again.ID != sv.ID {
			t.Fatalf("second SeedDemo = %v, %d, %v", again, n, err)
		}
		if c, _ := store.ResponseCount(ctx, sv.ID); c != DemoResponses {
			t.Errorf("after a second run %d responses", c)
		}
		if c := scalar(`SELECT COUNT(*) FROM surveys WHERE template_key = ?`, SocialMediaTemplate); c != 1 {
			t.Errorf("%d demo surveys after a second run", c)
		}
	})
}

func TestSimulateDemoDeterministic(t *testing.T) {
	tp, _ := TemplateByKey(SocialMediaTemplate)
	now := time.Date(2014, 3, 1, 12, 0, 0, 0, time.UTC)
	// What a simulation holds, without the random ids.
	strip := func(resps []models.Response, rows []models.Answer) string {
		idx := map[string]string{}
		var b strings.Builder
		for i, r := range resps {
			idx[r.ID] = strconv.Itoa(i)
			b.WriteString(r.Channel + " " + r.SubmittedOn + "\n")
		}
		for _, a := range rows {
			b.WriteString(strings.Join([]string{idx[a.ResponseID], a.QuestionKey, a.OptionKey, a.Text}, "|") + "\n")
		}
		return b.String()
	}
	r1, a1, err := simulateDemo(tp.Definition, "s", now)
	if err != nil {
		t.Fatal(err)
	}
	r2, a2, _ := simulateDemo(tp.Definition, "s", now)
	if strip(r1, a1) != strip(r2, a2) {
		t.Error("two simulations differ")
	}
	for _, r := range r1 {
		if r.SubmittedOn < "2014-02-02" || r.SubmittedOn > "2014-03-01" {
			t.Fatalf("date %s outside the four weeks up to 2014-03-01", r.SubmittedOn)
		}
	}
}
