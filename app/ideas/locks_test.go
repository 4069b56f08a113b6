package ideas_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// These tests hold a lock in a transaction of their own, start the code
// under test so that it has to wait, and then let go, to check what
// happens when two transactions meet.

func pgEnv(t *testing.T) *webtest.Env {
	t.Helper()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("needs PostgreSQL (TEST_DATABASE_URL)")
	}
	return webtest.NewEnv(t, db.OpenTest(t, db.Postgres))
}

// backendPID is the PostgreSQL backend of an open transaction.
func backendPID(t *testing.T, tx *gorm.DB) int {
	t.Helper()
	var pid int
	if err := tx.Raw("SELECT pg_backend_pid()").Scan(&pid).Error; err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitBlockedBy waits until a backend waits for a lock that backend pid
// holds, and returns the waiting backend's pid.
func waitBlockedBy(t *testing.T, e *webtest.Env, pid int) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		var waiting []int
		if err := e.DB.Raw("SELECT pid FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))", pid).Scan(&waiting).Error; err != nil {
			t.Fatal(err)
		}
		if len(waiting) > 0 {
			return waiting[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("nothing waits for backend %d", pid)
	return 0
}

// seedCitizenComment opens a consultation with an idea by someone and a
// comment on it by a citizen.
func seedCitizenComment(t *testing.T, e *webtest.Env) (cons *models.Consultation, ideaID, citizenID, commentID string) {
	t.Helper()
	ctx := context.Background()
	st := e.Srv.Ideas()
	cons = fbConsultation(t, e)
	citizenID = models.NewID()
	if err := e.DB.Create(&models.Citizen{ID: citizenID, Email: "c@example.org", DisplayName: "C", CreatedAt: time.Now()}).Error; err != nil {
		t.Fatal(err)
	}
	idea := fbSubmit(t, e, cons, fbAnon(e, cons, "author"), "Cykelsti langs åen")
	cm, err := st.Comment(ctx, cons, idea.ID, fbCitizen(e, cons, citizenID, "C"), ideas.CommentInput{Body: "by the citizen"})
	if err != nil {
		t.Fatal(err)
	}
	return cons, idea.ID, citizenID, cm.ID
}

func publishedComments(t *testing.T, e *webtest.Env, ideaID string) (counted int, rows int64) {
	t.Helper()
	if err := e.DB.Raw("SELECT comments FROM ideas WHERE id = ?", ideaID).Scan(&counted).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Model(&models.IdeaComment{}).Where("idea_id = ? AND visibility = ?", ideaID, models.PostPublished).Count(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return counted, rows
}

// A citizen deletes their account with their posts while someone comments
// on an idea they commented on: the recount must see the new comment.
func TestForgetWaitsForACommentBeingWritten(t *testing.T) {
	e := pgEnv(t)
	cons, ideaID, citizenID, _ := seedCitizenComment(t, e)

	// What Store.Comment does, held open: lock the idea, insert, recount.
	a := e.DB.Begin()
	defer a.Rollback()
	if err := a.Exec("SELECT id FROM ideas WHERE id = ? FOR UPDATE", ideaID).Error; err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := a.Create(&models.IdeaComment{ID: models.NewID(), IdeaID: ideaID, ConsultationID: cons.ID, Participant: "other",
		Body: "written meanwhile", Visibility: models.PostPublished, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	if err := a.Exec(`UPDATE ideas SET comments = (SELECT COUNT(*) FROM idea_comments WHERE idea_id = ? AND visibility = 'published') WHERE id = ?`, ideaID, ideaID).Error; err != nil {
		t.Fatal(err)
	}
	pid := backendPID(t, a)

	var wg sync.WaitGroup
	var derr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		derr = e.Srv.Citizens().Delete(context.Background(), citizenID, true)
	}()
	waitBlockedBy(t, e, pid)
	if err := a.Commit().Error; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if derr != nil {
		t.Fatal(derr)
	}
	if counted, rows := publishedComments(t, e, ideaID); int64(counted) != rows || rows != 1 {
		t.Fatalf("the idea counts %d comments, %d are published (want 1)", counted, rows)
	}
}

// A moderator hides a comment while someone replies to it: the reply holds
// the idea and needs a key share of the comment; the moderator must not
// hold the comment while waiting for the idea.
func TestHidingACommentWhileSomeoneRepliesDoesNotDeadlock(t *testing.T) {
	e := pgEnv(t)
	ctx := context.Background()
	st := e.Srv.Ideas()
	cons, ideaID, _, commentID := seedCitizenComment(t, e)
	replier := fbAnon(e, cons, "replier")

	// Hold the replier's flood-limit lock, so that their reply stops after
	// locking the idea and before inserting.
	x := e.DB.Begin()
	defer x.Rollback()
	if err := x.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", "idea-post:"+cons.ID+":"+replier.Key).Error; err != nil {
		t.Fatal(err)
	}
	xpid := backendPID(t, x)

	var wg sync.WaitGroup
	var rerr, merr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		parent := commentID
		_, rerr = st.Comment(ctx, cons, ideaID, replier, ideas.CommentInput{Body: "a reply", ParentID: &parent})
	}()
	replyPID := waitBlockedBy(t, e, xpid) // the reply holds the idea
	go func() {
		defer wg.Done()
		_, merr = st.Moderate(ctx, models.TargetComment, commentID, nil, ideas.Action{Action: ideas.ActHide, Reason: "no_campaigning"})
	}()
	waitBlockedBy(t, e, replyPID) // the moderator waits for the idea
	if err := x.Commit().Error; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if rerr != nil || merr != nil {
		t.Fatalf("reply: %v; hide: %v", rerr, merr)
	}
	var cm models.IdeaComment
	e.DB.Where("id = ?", commentID).Take(&cm)
	if counted, rows := publishedComments(t, e, ideaID); cm.Visibility != models.PostHidden || int64(counted) != rows || rows != 1 {
		t.Fatalf("comment %s; the idea counts %d comments, %d are published (want 1)", cm.Visibility, counted, rows)
	}
}

// A citizen deletes their account with their posts while someone replies
// to their comment: Forget must take the idea before the comment, as the
// reply does.
func TestForgetWhileSomeoneRepliesDoesNotDeadlock(t *testing.T) {
	e := pgEnv(t)
	ctx := context.Background()
	st := e.Srv.Ideas()
	cons, ideaID, citizenID, commentID := seedCitizenComment(t, e)
	replier := fbAnon(e, cons, "replier")

	x := e.DB.Begin()
	defer x.Rollback()
	if err := x.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", "idea-post:"+cons.ID+":"+replier.Key).Error; err != nil {
		t.Fatal(err)
	}
	xpid := backendPID(t, x)
	var wg sync.WaitGroup
	var rerr, derr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		parent := commentID
		_, rerr = st.Comment(ctx, cons, ideaID, replier, ideas.CommentInput{Body: "a reply", ParentID: &parent})
	}()
	replyPID := waitBlockedBy(t, e, xpid)
	go func() {
		defer wg.Done()
		derr = e.Srv.Citizens().Delete(ctx, citizenID, true)
	}()
	waitBlockedBy(t, e, replyPID)
	if err := x.Commit().Error; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if rerr != nil || derr != nil {
		t.Fatalf("reply: %v; delete: %v", rerr, derr)
	}
	// The reply went with the comment it answered.
	if counted, rows := publishedComments(t, e, ideaID); int64(counted) != rows || rows != 0 {
		t.Fatalf("the idea counts %d comments, %d are published (want 0)", counted, rows)
	}
}

// Saving a consultation changes what staff wrote, not the share clicks
// counted while the form was open.
func TestSavingAConsultationKeepsShareClicks(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		st := e.Srv.Ideas()
		cons := fbConsultation(t, e)

		// A share click counted in a transaction that is still open.
		x := e.DB.Begin()
		defer x.Rollback()
		if err := x.Exec("UPDATE consultations SET share_clicks = share_clicks + 1 WHERE id = ?", cons.ID).Error; err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var uerr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := ideas.ConsultationInput{Title: models.Text{"da": "Ny titel"}, OpensAt: &cons.OpensAt, ClosesAt: &cons.ClosesAt}
			uerr = st.UpdateConsultation(ctx, cons.ID, in)
		}()
		if db.Dialect(e.DB) == db.Postgres {
			waitBlockedBy(t, e, backendPID(t, x))
		} else {
			time.Sleep(300 * time.Millisecond) // the update has read the row and waits for the write lock
		}
		if err := x.Commit().Error; err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if uerr != nil {
			t.Fatal(uerr)
		}
		got, err := st.Consultation(ctx, cons.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Title["da"] != "Ny titel" || got.ShareClicks != 1 {
			t.Fatalf("title %q, share clicks %d (want 1)", got.Title["da"], got.ShareClicks)
		}
	})
}
