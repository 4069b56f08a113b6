package web_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// TestIdempotentSurveyResponses: a survey response sent with an
// Idempotency-Key is stored once however often, and however concurrently,
// it is sent; the only trace of the key is a commit row written with the
// response, which holds its id and its day and nothing else.
func TestIdempotentSurveyResponses(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		open := func() string {
			sid := jsonID(t, staff.PostJSON("/api/v1/surveys", `{"title":{"da":"Trafik"},"languages":["da"],"allow_multiple":true,"anonymous":true,
				"questions":[{"key":"mode","type":"single","text":{"da":"Hvordan?"},"options":[{"key":"bike","text":{"da":"Cykel"}},{"key":"car","text":{"da":"Bil"}}]}]}`), http.StatusCreated)
			if a := staff.PostJSON("/api/v1/surveys/"+sid+"/open", `{}`); a.Status != http.StatusOK {
				t.Fatalf("open: %d %s", a.Status, a.Body)
			}
			return sid
		}
		sid, other := open(), open()
		responses := func(survey string) int64 {
			var n int64
			e.DB.Model(&models.Response{}).Where("survey_id = ?", survey).Count(&n)
			return n
		}
		r := e.Browser()
		r.Get("/surveys/" + sid)
		// attempt posts as b would, from a copy of b: attempts may run at
		// once. The cookies the answer sets go back to b when keep is set.
		attempt := func(b *webtest.Browser, survey, key string, keep bool) webtest.Answer {
			req := e.Browser()
			for k, v := range b.Cookies {
				req.Cookies[k] = v
			}
			req.Header.Set("Idempotency-Key", key)
			a := req.PostJSON("/api/v1/surveys/"+survey+"/responses", `{"answers":{"mode":"bike"}}`)
			if keep {
				b.Cookies = req.Cookies
			}
			return a
		}
		send := func(b *webtest.Browser, survey, key string) webtest.Answer { return attempt(b, survey, key, true) }

		// The first request comes without a participant cookie (the survey
		// page sets none); the retries bring the one its answer set.
		first := send(r, sid, "key-1")
		firstID := jsonID(t, first, http.StatusCreated)
		again := send(r, sid, "key-1")
		if jsonID(t, again, http.StatusCreated) != firstID || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %s %v", again.Body, again.Header)
		}
		if n := responses(sid); n != 1 {
			t.Fatalf("%d responses after a retry", n)
		}
		// The same key for another survey is another request.
		if id := jsonID(t, send(r, other, "key-1"), http.StatusCreated); id == firstID || responses(other) != 1 {
			t.Fatalf("same key, other survey: %s", id)
		}

		// Many attempts at once (a client retrying while its first attempt
		// runs): one response, and every attempt gets its id.
		c := e.Browser()
		c.Get("/surveys/" + sid)
		ids := make([]string, 32)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				a := attempt(c, sid, "key-concurrent", false)
				if a.Status == http.StatusCreated {
					ids[i] = a.Body
				} else {
					t.Errorf("concurrent attempt: %d %s", a.Status, a.Body)
				}
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("concurrent attempts got different answers: %q", ids)
			}
		}
		if n := responses(sid); n != 2 {
			t.Fatalf("%d responses after the concurrent attempts, want 2", n)
		}

		// No key row, no key as sent; the commit rows hold the response's day.
		var keys int64
		e.DB.Model(&models.IdempotencyKey{}).Count(&keys)
		if keys != 0 {
			t.Fatalf("%d key rows for survey responses", keys)
		}
		if all := allRowsText(t, e); strings.Contains(all, "key-1") || strings.Contains(all, "key-concurrent") {
			t.Fatal("a key is stored as sent")
		}
		var commits []models.IdempotencyCommit
		e.DB.Find(&commits)
		if len(commits) != 3 {
			t.Fatalf("%d commit rows, want 3", len(commits))
		}
		for _, cm := range commits {
			var resp models.Response
			if err := e.DB.Where("id = ?", cm.ResourceID).Take(&resp).Error; err != nil || resp.SubmittedOn != cm.CreatedOn {
				t.Fatalf("commit row %+v, response %+v %v", cm, resp, err)
			}
		}
	})
}

// TestIdempotencyKeyOfAKilledAttempt: for the other POSTs a key row holds
// the key while the first attempt runs. After an attempt that died before
// recording its answer, a retry waits (409) while the attempt's lease runs,
// and then takes the key over.
func TestIdempotencyKeyOfAKilledAttempt(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		c := e.APIClient("anne@example.org", "staff")
		c.Header.Set("Idempotency-Key", "token-1")
		first := c.PostJSON("/api/v1/tokens", `{"name":"nightly export"}`)
		jsonID(t, first, http.StatusCreated)
		dead := func(leaseUntil time.Time) {
			t.Helper()
			if err := e.DB.Model(&models.IdempotencyKey{}).Where("1 = 1").
				Updates(map[string]any{"status": 0, "body": "", "content_type": "", "lease_until": leaseUntil}).Error; err != nil {
				t.Fatal(err)
			}
		}
		dead(time.Now().Add(time.Minute))
		if a := c.PostJSON("/api/v1/tokens", `{"name":"nightly export"}`); a.Status != http.StatusConflict {
			t.Fatalf("retry during the lease: %d %s", a.Status, a.Body)
		}
		dead(time.Now().Add(-time.Second))
		taken := c.PostJSON("/api/v1/tokens", `{"name":"nightly export"}`)
		if jsonID(t, taken, http.StatusCreated); taken.Header.Get("Idempotent-Replayed") != "" || taken.Body == first.Body {
			t.Fatalf("retry after the lease: %s %v", taken.Body, taken.Header)
		}
		if a := c.PostJSON("/api/v1/tokens", `{"name":"nightly export"}`); a.Body != taken.Body || a.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry after the takeover: %d %s", a.Status, a.Body)
		}
	})
}
