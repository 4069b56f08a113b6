package surveys

import (
	"errors"
	"testing"

	"github.com/inspraak/inspraak/app/apperr"
)

// FuzzDefinition reads arbitrary text as a stored survey definition: it
// never panics, a refused definition is a validation error, and a valid one
// round-trips through its JSON unchanged and still valid.
func FuzzDefinition(f *testing.F) {
	f.Add(sample().JSON())
	f.Add(`{"sections":[{"key":"s1","questions":[{"key":"q1","type":"single","text":{"da":"Hvad?"},"options":[{"key":"a","text":{"da":"A"}},{"key":"b","text":{"da":"B"}}]}]}]}`)
	f.Add(`{"sections":[{"key":"s1","questions":[{"key":"q","type":"scale","text":{"en":"x"},"scale":{"min":5,"max":1}}]}]}`)
	f.Add(`{"sections":[{"key":"s","show_if":{"question":"nope","any_of":["x"]},"questions":[]}]}`)
	f.Add(`{"sections":null}`)
	f.Add(`[]`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		verr := d.Validate()
		if verr != nil {
			var v *apperr.Validation
			if !errors.As(verr, &v) || len(v.Fields) == 0 {
				t.Fatalf("Validate: %T %v, want a validation error with fields", verr, verr)
			}
			return
		}
		out := d.JSON()
		d2, err := Parse(out)
		if err != nil {
			t.Fatalf("a valid definition does not parse back: %v\n%s", err, out)
		}
		if d2.JSON() != out {
			t.Fatalf("round trip changed the definition:\n%s\n%s", out, d2.JSON())
		}
		if err := d2.Validate(); err != nil {
			t.Fatalf("a valid definition is invalid after a round trip: %v", err)
		}
		for _, q := range d.Questions() {
			if got, ok := d.Question(q.Key); !ok || got.Key != q.Key {
				t.Fatalf("question %q not found by key", q.Key)
			}
		}
	})
}
