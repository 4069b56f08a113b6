package policy_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/townhall"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// The demo's channel policy is published on the demo survey's results, the
// demo town hall and the demo consultation; loading it again adds nothing.
func TestDemoPublishesAChannelPolicy(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		sv, _, err := surveys.SeedDemo(ctx, e.DB, nil)
		if err != nil {
			t.Fatal(err)
		}
		// A policy cites public figures only (the demo loader publishes the
		// demo survey's results too).
		if err := surveys.NewStore(e.DB).SetPublishResults(ctx, sv.ID, true); err != nil {
			t.Fatal(err)
		}
		mayor := e.Account("mayor@example.dk", "politician")
		if err := townhall.SeedDemo(ctx, e.DB, mayor, "Borgmester", e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		cons, err := ideas.SeedDemo(ctx, e.DB, nil, e.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		refs := policy.DemoRefs{SurveyID: sv.ID, TownHallID: townhall.DemoArchiveID, ConsultationID: cons.ID}
		st := e.Srv.Policy()
		p, added, err := policy.SeedDemo(ctx, st, refs, nil)
		if err != nil || !added || p.Version != 1 {
			t.Fatalf("demo policy: %+v added %v (%v)", p, added, err)
		}

		// Facebook's promise and its live figures, in Dutch.
		fig, err := st.Figure(ctx, policy.KindSurveyOption, sv.ID+":platforms:facebook", "nl")
		if err != nil || fig.Base < 1000 {
			t.Fatalf("the cited Facebook figure: %+v (%v)", fig, err)
		}
		page := e.Browser().Get("/policies/" + p.ID + "?lang=nl")
		if page.Status != http.StatusOK {
			t.Fatalf("public page: %d", page.Status)
		}
		webtest.Contains(t, page, "Kanaalbeleid", `id="ch-facebook"`, "Antwoord binnen 2 werkdagen", "Kommunikation",
			"Onze Facebookpagina is het belangrijkste sociale medium van de gemeente",
			"Op welke social media moet de gemeente actief zijn?", strings.Replace(strconv.FormatFloat(fig.Percent, 'f', 1, 64), ".", ",", 1)+"%",
			"Als u de gemeente via social media een bericht stuurt, hoe snel verwacht u dan een reactie?",
			`id="ch-instagram"`, `id="ch-townhall"`, "Digitaal vragenuur met de burgemeester", `id="ch-ideas"`, "Fietsstrategie 2030",
			"Antwoord binnen 10 werkdagen")

		// Every cited figure got its baseline; Facebook has six months of
		// recorded answer times, one of them over the promise.
		ds, err := st.Decisions(ctx, p.ID)
		if err != nil || len(ds) != 6 {
			t.Fatalf("%d decisions (%v)", len(ds), err)
		}
		cited := 0
		for _, d := range ds {
			for _, ev := range d.Evidence {
				cited++
				if ev.Baseline == nil {
					t.Errorf("%s cites %s without a baseline", d.Channel, ev.Ref)
				}
			}
		}
		if cited != 5 {
			t.Errorf("%d cited figures, want 5", cited)
		}
		ms, err := st.Measurements(ctx, "facebook")
		if err != nil || len(ms) != 6 {
			t.Fatalf("%d Facebook figures (%v)", len(ms), err)
		}
		over := 0
		for _, m := range ms {
			if m.MedianHours > 16 {
				over++
			}
		}
		if over != 1 {
			t.Errorf("%d months over the promise, want 1", over)
		}

		// A second run adds nothing.
		counts := func() [5]int64 {
			var out [5]int64
			for i, m := range []any{&models.Policy{}, &models.PolicyDecision{}, &models.PolicyEvidence{}, &models.PolicyVersion{}, &models.ChannelMeasurement{}} {
				if err := e.DB.Model(m).Count(&out[i]).Error; err != nil {
					t.Fatal(err)
				}
			}
			return out
		}
		before := counts()
		again, added, err := policy.SeedDemo(ctx, st, refs, nil)
		if err != nil || added || again.ID != p.ID || again.Version != 1 || !again.UpdatedAt.Equal(p.UpdatedAt) {
			t.Fatalf("second run: %+v added %v (%v)", again, added, err)
		}
		if after := counts(); after != before {
			t.Fatalf("the second run changed the rows: %v, then %v", before, after)
		}
	})
}
