package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// TestIdempotencyAfterAKilledAttempt puts the database in the states a
// process killed in the middle of a keyed submission leaves behind, and
// checks what the client's retry with the same Idempotency-Key gets.
func TestIdempotencyAfterAKilledAttempt(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		sid := jsonID(t, staff.PostJSON("/api/v1/surveys", `{"title":{"da":"Trafik"},"languages":["da"],"allow_multiple":true,
			"questions":[{"key":"mode","type":"single","text":{"da":"Hvordan?"},"options":[{"key":"bike","text":{"da":"Cykel"}},{"key":"car","text":{"da":"Bil"}}]}]}`), http.StatusCreated)
		if a := staff.PostJSON("/api/v1/surveys/"+sid+"/open", `{}`); a.Status != http.StatusOK {
			t.Fatalf("open: %d %s", a.Status, a.Body)
		}
		r := e.Browser()
		r.Get("/surveys/" + sid)
		send := func(key string) webtest.Answer {
			r.Header.Set("Idempotency-Key", key)
			defer r.Header.Del("Idempotency-Key")
			return r.PostJSON("/api/v1/surveys/"+sid+"/responses", `{"answers":{"mode":"bike"}}`)
		}
		responses := func() int64 {
			var n int64
			e.DB.Model(&models.Response{}).Where("survey_id = ?", sid).Count(&n)
			return n
		}
		// The keys' rows as an attempt leaves them when it dies before
		// recording its answer.
		unanswered := func(leaseUntil time.Time) {
			t.Helper()
			if err := e.DB.Model(&models.IdempotencyKey{}).Where("1 = 1").
				Updates(map[string]any{"status": 0, "body": "", "content_type": "", "lease_until": leaseUntil}).Error; err != nil {
				t.Fatal(err)
			}
		}

		// The first request comes without a participant cookie (the survey
		// page sets none); the retries bring the one its answer set.
		first := send("key-committed")
		firstID := jsonID(t, first, http.StatusCreated)

		// Killed after its response committed: while the lease runs a retry
		// waits (409); after it, the retry gets the first answer, and no
		// second response is stored.
		unanswered(time.Now().Add(time.Minute))
		if a := send("key-committed"); a.Status != http.StatusConflict {
			t.Fatalf("retry during the lease: %d %s", a.Status, a.Body)
		}
		unanswered(time.Now().Add(-time.Second))
		again := send("key-committed")
		if jsonID(t, again, http.StatusCreated) != firstID || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry after the lease: %s %v", again.Body, again.Header)
		}
		if n := responses(); n != 1 {
			t.Fatalf("%d responses after the retry", n)
		}
		// That answer is now stored: the next retry is a plain replay.
		if a := send("key-committed"); a.Status != http.StatusCreated || a.Body != first.Body {
			t.Fatalf("second retry: %d %s", a.Status, a.Body)
		}

		// Killed before its response committed: the retry runs for real.
		jsonID(t, send("key-lost"), http.StatusCreated)
		if err := e.DB.Exec("DELETE FROM idempotency_commits WHERE resource_id IN (SELECT id FROM responses WHERE survey_id = ? AND id <> ?)", sid, firstID).Error; err != nil {
			t.Fatal(err)
		}
		e.DB.Exec("DELETE FROM response_answers WHERE survey_id = ? AND response_id <> ?", sid, firstID)
		e.DB.Exec("DELETE FROM responses WHERE survey_id = ? AND id <> ?", sid, firstID)
		unanswered(time.Now().Add(-time.Second))
		retried := send("key-lost")
		if id := jsonID(t, retried, http.StatusCreated); id == firstID || retried.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("retry of a lost attempt: %s %v", retried.Body, retried.Header)
		}
		if n := responses(); n != 2 {
			t.Fatalf("%d responses, want 2", n)
		}
		if a := send("key-lost"); a.Status != http.StatusCreated || a.Body != retried.Body {
			t.Fatalf("retry after the retry: %d %s", a.Status, a.Body)
		}

		// Neither table holds the key as sent, and the commit rows (written
		// with the responses) hold only the day.
		if all := allRowsText(t, e); strings.Contains(all, "key-committed") || strings.Contains(all, "key-lost") {
			t.Fatal("a key is stored as sent")
		}
		var commits []models.IdempotencyCommit
		e.DB.Find(&commits)
		if len(commits) != 2 {
			t.Fatalf("%d commit rows", len(commits))
		}
		for _, c := range commits {
			if _, err := time.Parse(time.DateOnly, c.CreatedOn); err != nil {
				t.Fatalf("commit row time %q", c.CreatedOn)
			}
		}
	})
}
