package surveys

import (
	"encoding/json"
	"errors"
	"net/url"
	"testing"

	"github.com/inspraak/inspraak/app/apperr"
)

// checkTyped fails the test unless err is nil or a validation error.
func checkTyped(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var v *apperr.Validation
	if !errors.As(err, &v) || len(v.Fields) == 0 {
		t.Fatalf("%T %v, want a validation error with fields", err, err)
	}
}

// FuzzAnswers checks arbitrary JSON answers (as the API decodes them)
// against the sample questionnaire: no panic, refusals are validation
// errors, and accepted answers give rows for known questions only and are
// accepted again, with the same rows, after a JSON round trip.
func FuzzAnswers(f *testing.F) {
	f.Add(`{"who":"resident","use":["facebook"],"why":"Because","sat":4,"grid":{"web":"good"},"rank":["b","a"],"age":40}`)
	f.Add(`{"who":"visitor"}`)
	f.Add(`{"who":"other","who.other":"Tourist"}`)
	f.Add(`{"who":"resident","sat":9}`)
	f.Add(`{"who":["resident"],"use":"x","sat":"4"}`)
	f.Add(`{"who":"resident","sat":3,"rank":["a","a"]}`)
	f.Add(`{"who":"resident","sat":3,"age":1e400}`)
	f.Add(`{"who":"resident","sat":3,"grid":{"web":["good"]}}`)
	f.Add(`{"unknown":1}`)
	f.Add(`{"why":"hidden"}`)
	d := sample()
	f.Fuzz(func(t *testing.T, s string) {
		var a Answers
		if json.Unmarshal([]byte(s), &a) != nil {
			return
		}
		rows, err := d.Check(a)
		checkTyped(t, err)
		for i := range d.Sections {
			checkTyped(t, d.CheckSection(i, a))
		}
		if err != nil {
			return
		}
		for _, r := range rows {
			if _, ok := d.Question(r.QuestionKey); !ok {
				t.Fatalf("a row for unknown question %q", r.QuestionKey)
			}
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var again Answers
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatal(err)
		}
		rows2, err := d.Check(again)
		if err != nil {
			t.Fatalf("accepted answers refused after a round trip: %v", err)
		}
		if len(rows2) != len(rows) {
			t.Fatalf("round trip changed the rows: %d != %d", len(rows2), len(rows))
		}
	})
}

// FuzzAnswerForm reads arbitrary form posts section by section, as the
// survey pages do: no panic and refusals are validation errors.
func FuzzAnswerForm(f *testing.F) {
	f.Add("who=resident&use=facebook&use=x&why=Because")
	f.Add("who=other&who.other=Tourist")
	f.Add("sat=3&age=41&grid.web=good&grid.phone=bad&rank=b&rank=a&more=text")
	f.Add("sat=x&age=-1e9&grid.web=nope&rank=a")
	f.Add("%zz=1&who=")
	d := sample()
	f.Fuzz(func(t *testing.T, s string) {
		form, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		a := Answers{}
		for i, sec := range d.Sections {
			a = Merge(a, FromForm(sec, form), sec)
			checkTyped(t, d.CheckSection(i, a))
		}
		_, err = d.Check(d.Prune(a))
		checkTyped(t, err)
	})
}
