package seed_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/bench/seed"
	"github.com/inspraak/inspraak/models"
)

func TestSurvey(t *testing.T) {
	if err := seed.Definition().Validate(); err != nil {
		t.Fatalf("the benchmark questionnaire is invalid: %v", err)
	}
	if n := len(seed.Definition().Questions()); n != 20 {
		t.Fatalf("%d questions, want 20", n)
	}
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		id, err := seed.Survey(context.Background(), gdb, 1200) // more than one batch on SQLite's 500
		if err != nil {
			t.Fatal(err)
		}
		var responses, answers, attrs, keys int64
		gdb.Model(&models.Response{}).Where("survey_id = ?", id).Count(&responses)
		gdb.Model(&models.Answer{}).Where("survey_id = ?", id).Count(&answers)
		gdb.Table("response_attributes").Count(&attrs)
		gdb.Model(&models.Answer{}).Where("survey_id = ?", id).Distinct("question_key").Count(&keys)
		if responses != 1200 {
			t.Errorf("%d responses, want 1200", responses)
		}
		if answers < 20*1200 || keys != 20 {
			t.Errorf("%d answer rows over %d questions", answers, keys)
		}
		if attrs == 0 {
			t.Error("no profile values")
		}
		var sv models.Survey
		gdb.Where("id = ?", id).Take(&sv)
		if sv.Status != models.SurveyOpen {
			t.Errorf("status %q", sv.Status)
		}
	})
}
