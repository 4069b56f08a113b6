package policy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/models"
)

// figures is a fake world of evidence: a survey option whose share the
// test moves.
type figures struct{ share float64 }

func (f *figures) resolve(_ context.Context, kind, ref, lang string) (*policy.Figure, error) {
	if kind == policy.KindSurveyOption && ref == "s1:channels:facebook" {
		return &policy.Figure{Kind: kind, Ref: ref, Label: "Facebook (" + lang + ")", Percent: f.share, Low: f.share - 3, High: f.share + 3, Base: 1104}, nil
	}
	return nil, apperr.ErrNotFound
}

func hours(h float64) *float64 { return &h }

func TestPolicyDecisionsEvidenceAndVersions(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		f := &figures{share: 61.2}
		s := policy.NewStore(gdb, time.UTC, nil).WithEvidence(f.resolve)
		p, err := s.CreatePolicy(ctx, policy.PolicyInput{Title: models.Text{"da": "Kanalstrategi 2027"}, Period: "2027-01-01/2027-12-31"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		bad := []struct {
			in    policy.DecisionInput
			field string
		}{
			{policy.DecisionInput{Channel: "myspace", Purposes: []string{"information"}, ResponseTargetHours: hours(16)}, "channel"},
			{policy.DecisionInput{Channel: "facebook", Purposes: []string{"information"}, ResponseTargetHours: hours(0)}, "response_target_hours"},
			{policy.DecisionInput{Channel: "facebook", Purposes: []string{"information"}, ResponseTargetHours: hours(-8)}, "response_target_hours"},
			{policy.DecisionInput{Channel: "facebook", Purposes: []string{"gossip"}, ResponseTargetHours: hours(16)}, "purposes"},
			{policy.DecisionInput{Channel: "custom-podcast", Purposes: []string{"information"}, ResponseTargetHours: hours(16)}, "channel_name"},
			{policy.DecisionInput{Channel: "facebook", Purposes: []string{"information"}, ResponseTargetHours: hours(16),
				Evidence: []policy.EvidenceInput{{Kind: policy.KindSurveyOption, Ref: "s1:channels:tiktok"}}}, "evidence.0.ref"},
			{policy.DecisionInput{Channel: "facebook", Purposes: []string{"information"}, ResponseTargetHours: hours(16),
				Evidence: []policy.EvidenceInput{{Kind: "rumour", Ref: "x"}}}, "evidence.0.kind"},
		}
		for _, b := range bad {
			_, err := s.SaveDecision(ctx, p.ID, b.in)
			var v *apperr.Validation
			if !errors.As(err, &v) || v.Fields[b.field] == "" {
				t.Errorf("%+v: %v, want a validation error on %s", b.in, err, b.field)
			}
		}
		if _, err := s.Publish(ctx, p.ID, nil); err == nil {
			t.Fatal("a policy without decisions was published")
		}
		fb := policy.DecisionInput{Channel: "facebook", Purposes: []string{"information", "questions"}, Handling: "handled",
			ResponseTargetHours: hours(16), Text: models.Text{"da": "Vi svarer på enkle spørgsmål."},
			Evidence: []policy.EvidenceInput{{Kind: policy.KindSurveyOption, Ref: "s1:channels:facebook"}}}
		if _, err := s.SaveDecision(ctx, p.ID, fb); err != nil {
			t.Fatal(err)
		}
		v1, err := s.Publish(ctx, p.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if v1.Version != 1 || len(v1.Decisions) != 1 || v1.Decisions[0].Evidence[0].Percent != 61.2 || v1.Decisions[0].Evidence[0].Label["nl"] != "Facebook (nl)" {
			t.Fatalf("version 1: %+v", v1)
		}
		// A draft change is not public until it is published again.
		fb.ResponseTargetHours = hours(8)
		if _, err := s.SaveDecision(ctx, p.ID, fb); err != nil {
			t.Fatal(err)
		}
		if latest, _ := s.Version(ctx, p.ID, 0); *latest.Decisions[0].ResponseTargetHours != 16 {
			t.Fatal("a draft change reached the published version")
		}
		f.share = 48.0
		v2, err := s.Publish(ctx, p.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		old, err := s.Version(ctx, p.ID, 1)
		if err != nil || v2.Version != 2 || *old.Decisions[0].ResponseTargetHours != 16 || *v2.Decisions[0].ResponseTargetHours != 8 {
			t.Fatalf("versions: v1 %+v v2 %+v (%v)", old, v2, err)
		}
		if vs, _ := s.Versions(ctx, p.ID); len(vs) != 2 {
			t.Fatalf("%d versions kept", len(vs))
		}
		// The evidence's baseline is the figure at the last publication.
		ds, _ := s.Decisions(ctx, p.ID)
		base := ds[0].Evidence[0].Baseline
		f.share = 55.5
		now, _ := f.resolve(ctx, policy.KindSurveyOption, "s1:channels:facebook", "da")
		if base == nil || *base != 48.0 || !policy.Moved(base, now, 5) || policy.Moved(base, now, 10) {
			t.Fatalf("baseline %v, moved by 7.5 points", base)
		}
		if _, err := s.Version(ctx, "nope", 0); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("unknown policy: %v", err)
		}
	})
}
