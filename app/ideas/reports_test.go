package ideas_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// Deleting a citizen with their posts deletes the reports about those
// posts, cascaded replies and comments included, so the moderators' counts
// match what their queue can show; reports whose post is gone are not
// counted anyway.
func TestReportsOfDeletedPostsGoWithThem(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		st := e.Srv.Ideas()
		cons := fbConsultation(t, e)
		other := fbSubmit(t, e, cons, fbAnon(e, cons, "s1"), "Cykelbro over havnen")
		doraID := models.NewID()
		if err := e.DB.Create(&models.Citizen{ID: doraID, Email: "dora@example.org", DisplayName: "Dora", CreatedAt: time.Now()}).Error; err != nil {
			t.Fatal(err)
		}
		dp := fbCitizen(e, cons, doraID, "Dora")
		hers := fbSubmit(t, e, cons, dp, "Doras idé")
		onHers, err := st.Comment(ctx, cons, hers.ID, fbAnon(e, cons, "s2"), ideas.CommentInput{Body: "På Doras idé"})
		if err != nil {
			t.Fatal(err)
		}
		herComment, err := st.Comment(ctx, cons, other.ID, dp, ideas.CommentInput{Body: "Doras kommentar"})
		if err != nil {
			t.Fatal(err)
		}
		parent := herComment.ID
		reply, err := st.Comment(ctx, cons, other.ID, fbAnon(e, cons, "s3"), ideas.CommentInput{Body: "Svar til Dora", ParentID: &parent})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct{ typ, id string }{{"idea", hers.ID}, {"comment", onHers.ID}, {"comment", herComment.ID}, {"comment", reply.ID}} {
			if a := report(e.Browser(), r.typ, r.id, "Upassende"); a.Status != http.StatusCreated {
				t.Fatalf("report %s: %d %s", r.typ, a.Status, a.Body)
			}
		}
		mod := e.Browser()
		e.Account("mod@example.dk", "moderator")
		mod.Login("mod@example.dk", webtest.Password)
		webtest.Contains(t, mod.Get("/moderate/consultations?lang=en"), "4 reported posts")

		if err := e.Srv.Citizens().Delete(ctx, doraID, true); err != nil {
			t.Fatal(err)
		}
		if n := fbCount(t, e, "reports", "1 = 1"); n != 0 {
			t.Fatalf("%d reports of deleted posts remain", n)
		}
		counts, err := st.QueueCounts(ctx, []string{cons.ID})
		if err != nil {
			t.Fatal(err)
		}
		if counts[cons.ID].Reported != 0 {
			t.Fatalf("reported posts: %d", counts[cons.ID].Reported)
		}
		if p := mod.Get("/moderate/consultations?lang=en"); !strings.Contains(p.Body, "0 reported posts") {
			t.Fatal("the list counts reported posts that are gone")
		}
	})
}

// A report whose post is gone (left from before reports went with their
// posts) is not counted for the moderators.
func TestReportCountsLeaveOutPostsThatAreGone(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		st := e.Srv.Ideas()
		cons := fbConsultation(t, e)
		other := fbSubmit(t, e, cons, fbAnon(e, cons, "s1"), "Cykelbro over havnen")
		if err := e.DB.Create(&models.Report{ID: models.NewID(), Scope: ideas.Scope(cons.ID), TargetType: models.TargetComment,
			TargetID: "gone", Participant: "p", Reason: "x", CreatedAt: time.Now()}).Error; err != nil {
			t.Fatal(err)
		}
		if a := report(e.Browser(), "idea", other.ID, "Reklame"); a.Status != http.StatusCreated {
			t.Fatalf("report: %d", a.Status)
		}
		counts, err := st.QueueCounts(ctx, []string{cons.ID})
		if err != nil {
			t.Fatal(err)
		}
		if counts[cons.ID].Reported != 1 {
			t.Fatalf("reported posts: %d, want 1 (the report of a post that is gone is not counted)", counts[cons.ID].Reported)
		}
	})
}

// The reports a signed-in citizen filed are in their data download, and
// go when they are forgotten.
func TestCitizensReportsAreExportedAndForgotten(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		st := e.Srv.Ideas()
		cons, cons2 := fbConsultation(t, e), fbConsultation(t, e)
		idea := fbSubmit(t, e, cons, fbAnon(e, cons, "s1"), "Cykelbro over havnen")
		idea2 := fbSubmit(t, e, cons2, fbAnon(e, cons2, "s1"), "Cykelsti")
		dora := e.Browser()
		doraID := fbSignIn(t, dora, "dora@example.org", "en")
		for _, id := range []string{idea.ID, idea2.ID} {
			if a := report(dora, "idea", id, "Doras begrundelse "+id); a.Status != http.StatusCreated {
				t.Fatalf("report: %d %s", a.Status, a.Body)
			}
		}
		if a := report(e.Browser(), "idea", idea.ID, "En andens begrundelse"); a.Status != http.StatusCreated {
			t.Fatalf("report: %d", a.Status)
		}
		exp, err := st.Export(ctx, doraID)
		if err != nil {
			t.Fatal(err)
		}
		data := exp["idea_collection"].(ideas.ExportData)
		reasons := map[string]string{}
		for _, r := range data.Reports {
			reasons[r.TargetID] = r.Reason
		}
		if len(data.Reports) != 2 || reasons[idea.ID] != "Doras begrundelse "+idea.ID || reasons[idea2.ID] != "Doras begrundelse "+idea2.ID {
			t.Fatalf("exported reports: %+v", data.Reports)
		}
		if a := dora.Get("/me/data"); !strings.Contains(a.Body, "Doras begrundelse") {
			t.Fatalf("the download lacks the reports: %d", a.Status)
		}
		if err := e.DB.Transaction(func(tx *gorm.DB) error { return st.Forget(tx, doraID, false) }); err != nil {
			t.Fatal(err)
		}
		if n := fbCount(t, e, "reports", "reason LIKE 'Doras%'"); n != 0 {
			t.Fatalf("%d of Dora's reports remain", n)
		}
		if n := fbCount(t, e, "reports", "1 = 1"); n != 1 {
			t.Fatalf("someone else's report went too (%d left)", n)
		}
	})
}
