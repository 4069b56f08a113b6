package panels

import (
	"testing"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/config"
)

// The demo panel's fields are ones staff could have entered: valid keys,
// labels in every language, targets that add up to 100.
func TestDemoFieldsAreValid(t *testing.T) {
	v := &apperr.Validation{}
	fs := DemoPanelFields()
	validateFields(v, fs)
	if err := v.Err(); err != nil {
		t.Fatalf("demo fields: %v", err)
	}
	for _, f := range fs {
		if !f.HasTargets() {
			t.Errorf("field %s has no targets", f.Key)
		}
		for _, c := range f.Choices {
			for _, l := range config.Languages {
				if c.Label[l] == "" || f.Label[l] == "" {
					t.Errorf("%s/%s lacks a label in %s", f.Key, c.Key, l)
				}
			}
		}
	}
}
