package ideas_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// A notice about an idea that is hidden is not shown, so it is not marked
// seen either: it is shown once the idea is published again.
func TestNoticesOfHiddenIdeasWaitUntilShown(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		st := e.Srv.Ideas()
		cons := fbConsultation(t, e)
		shown := fbSubmit(t, e, cons, fbAnon(e, cons, "a1"), "Cykelbro over havnen")
		later := fbSubmit(t, e, cons, fbAnon(e, cons, "a2"), "Grøn bølge på Nørrebrogade")
		anon := e.Browser()
		fbSupportForm(t, anon, cons.ID, shown.ID)
		fbSupportForm(t, anon, cons.ID, later.ID)
		for _, id := range []string{shown.ID, later.ID} {
			if _, err := st.SetStatus(ctx, id, nil, models.IdeaUnderReview, models.Text{"en": "We look into it."}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.Moderate(ctx, models.TargetIdea, later.ID, nil, ideas.Action{Action: ideas.ActHide, Reason: "no_campaigning"}); err != nil {
			t.Fatal(err)
		}
		p := anon.Get("/consultations/" + cons.ID + "?lang=en")
		webtest.Contains(t, p, "Cykelbro over havnen", "Read the explanation")
		if strings.Contains(p.Body, "Grøn bølge") {
			t.Fatal("a notice about a hidden idea is shown")
		}
		// (The authors, anonymous participants who do not visit, have unseen notices too.)
		if n := fbCount(t, e, "notifications", "idea_id = ? AND seen_at IS NOT NULL", later.ID); n != 0 {
			t.Fatal("the notice about the hidden idea was marked seen without being shown")
		}
		if n := fbCount(t, e, "notifications", "idea_id = ? AND seen_at IS NOT NULL", shown.ID); n != 1 {
			t.Fatal("the notice shown is not marked seen")
		}
		if _, err := st.Moderate(ctx, models.TargetIdea, later.ID, nil, ideas.Action{Action: ideas.ActRestore}); err != nil {
			t.Fatal(err)
		}
		p = anon.Get("/consultations/" + cons.ID + "?lang=en")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "“Grøn bølge på Nørrebrogade”") || strings.Contains(p.Body, "“Cykelbro over havnen”") {
			t.Fatalf("after the idea is shown again: %d", p.Status)
		}
	})
}
