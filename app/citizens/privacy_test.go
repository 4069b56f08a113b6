package citizens_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/citizens"
	"github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/web"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// liveTownHall opens a town hall (questions published at once) and returns its id.
func liveTownHall(t *testing.T, e *webtest.Env) string {
	t.Helper()
	e.Account("mayor@example.dk", "politician")
	staff := e.APIClient("staff@example.dk", "staff")
	now := e.Clock.Now()
	a := staff.PostJSON("/api/v1/townhalls", fmt.Sprintf(`{"title":{"da":"Spørgetime"},"starts_at":%q,"ends_at":%q,"moderation":"post","politicians":["mayor@example.dk"]}`,
		now.Add(-10*time.Minute).UTC().Format(time.RFC3339), now.Add(time.Hour).UTC().Format(time.RFC3339)))
	return idIn(t, a, http.StatusCreated)
}

// idIn is the id in a JSON answer with status want.
func idIn(t *testing.T, a webtest.Answer, want int) string {
	t.Helper()
	var out struct{ ID string }
	if err := json.Unmarshal([]byte(a.Body), &out); err != nil || a.Status != want || out.ID == "" {
		t.Fatalf("want %d with an id, got %d %s", want, a.Status, a.Body)
	}
	return out.ID
}

// sessionRowsHold fails the test when a row of the sessions table holds
// the participant key or any of the ids, read with the store's codecs.
func sessionRowsHold(t *testing.T, e *webtest.Env, ids ...string) {
	t.Helper()
	var rows []models.Session
	if err := e.DB.Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no session rows to check")
	}
	for _, r := range rows {
		vals, err := e.Srv.Sessions().DecodeRow(web.SessionCookie, r.Data)
		if err != nil {
			t.Fatalf("decode session row: %v", err)
		}
		for k, v := range vals {
			if k == auth.KeyParticipant {
				t.Errorf("a session row holds a participant id: %v", vals)
			}
			for _, id := range ids {
				if id != "" && (fmt.Sprint(v) == id || strings.Contains(r.Data, id)) {
					t.Errorf("a session row holds the participant id %q under %v", id, k)
				}
			}
		}
	}
}

// TestSignedInSessionsNeverHoldTheParticipant: a signed-in session lives
// in the database; its row must not hold the anonymous participant id,
// from which the participant keys of anonymous questions, votes, ideas,
// supports and survey markers can be recomputed. Signing in and out gives
// a fresh participant, so that neither side links to the other.
func TestSignedInSessionsNeverHoldTheParticipant(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		th := liveTownHall(t, e)
		b := e.Browser()

		// Anonymously: a question and a vote.
		q1 := idIn(t, b.PostJSON("/api/v1/townhalls/"+th+"/questions", `{"text":"Hvornår kommer cykelstien?"}`), http.StatusCreated)
		if a := b.PostJSON("/api/v1/questions/"+q1+"/votes", `{}`); a.Status != http.StatusOK {
			t.Fatalf("anonymous vote: %d %s", a.Status, a.Body)
		}
		anon := participant(t, b)
		if anon == "" {
			t.Fatal("no participant cookie after taking part")
		}

		// Signed in: a new participant; a question, a vote and a page with a form.
		signIn(t, b, "anna@example.org")
		mine := participant(t, b)
		if mine == "" || mine == anon {
			t.Fatalf("participant before signing in %q, after %q", anon, mine)
		}
		q2 := idIn(t, b.PostJSON("/api/v1/townhalls/"+th+"/questions", `{"text":"Og cykelparkeringen?"}`), http.StatusCreated)
		if a := b.PostJSON("/api/v1/questions/"+q2+"/votes", `{}`); a.Status != http.StatusOK {
			t.Fatalf("signed-in vote: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, b.Get("/me?lang=en"), "You are signed in as anna@example.org.")
		if participant(t, b) != mine {
			t.Fatal("the participant changed while signed in")
		}
		if _, ok := sessionValues(t, b)[auth.KeyCitizen]; !ok {
			t.Fatal("the session does not name the citizen")
		}
		sessionRowsHold(t, e, anon, mine)

		// Signing out: yet another participant.
		tok := b.CSRF("/me")
		if a := b.PostForm("/signout", url.Values{"_csrf": {tok}}); a.Status != http.StatusSeeOther {
			t.Fatalf("sign out: %d", a.Status)
		}
		if p := participant(t, b); p == "" || p == mine || p == anon {
			t.Fatalf("participant after signing out: %q", p)
		}
	})
}

// TestCitizenSessionTimeouts: a citizen's session ends after
// CITIZEN_IDLE_TIMEOUT without a visit and CITIZEN_ABSOLUTE_TIMEOUT after
// signing in; its row expires with it, so that purging removes it.
func TestCitizenSessionTimeouts(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		day := 24 * time.Hour
		// Idle: 31 days without a visit.
		idle := e.Browser()
		idleID := signIn(t, idle, "idle@example.org")
		var row models.Session
		if err := e.DB.Where("citizen_id = ?", idleID).Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		if d := row.ExpiresAt.Sub(row.UpdatedAt); d != 30*day {
			t.Fatalf("the session row expires after %s, not the idle timeout", d)
		}
		active := e.Browser()
		activeID := signIn(t, active, "active@example.org")
		// Active: a visit every 29 days keeps the session until 90 days.
		for i := 1; i <= 3; i++ {
			e.Clock.Add(29 * day)
			if a := active.Get("/me"); a.Status != http.StatusOK {
				t.Fatalf("visit after %d days: %d", 29*i, a.Status)
			}
		}
		a := idle.Get("/me")
		if a.Status != http.StatusSeeOther || !strings.HasPrefix(a.Header.Get("Location"), "/signin") {
			t.Fatalf("idle for 87 days: %d %q", a.Status, a.Header.Get("Location"))
		}
		webtest.Contains(t, idle.Get("/?lang=en"), "Your session has ended. Please sign in again.")
		if count(t, e, "sessions", "citizen_id = ?", idleID) != 0 {
			t.Fatal("the idle session's row is left")
		}
		e.Clock.Add(4 * day) // 91 days after signing in
		if a := active.Get("/me"); a.Status != http.StatusSeeOther {
			t.Fatalf("91 days after signing in: %d", a.Status)
		}
		if count(t, e, "sessions", "citizen_id = ?", activeID) != 0 {
			t.Fatal("the expired session's row is left")
		}
		// A second browser idle for 31 days only.
		b := e.Browser()
		signIn(t, b, "anna@example.org")
		e.Clock.Add(31 * day)
		if a := b.Get("/api/v1/me/citizen"); a.Status != http.StatusUnauthorized {
			t.Fatalf("API after 31 idle days: %d", a.Status)
		}
	})
}

// TestDataAndDeletionNeedARecentSignIn: an hour after signing in, the
// download and the deletion ask for a new emailed link first.
func TestDataAndDeletionNeedARecentSignIn(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()
		id := signIn(t, b, "anna@example.org")
		if a := b.Get("/me/data"); a.Status != http.StatusOK {
			t.Fatalf("data right after signing in: %d", a.Status)
		}
		e.Clock.Add(citizens.FreshSignIn + time.Minute)
		// The pages say why and offer a new link to the citizen's address.
		for _, p := range []string{"/me/data", "/me/delete"} {
			a := b.Get(p + "?lang=en")
			if a.Status != http.StatusForbidden || strings.Contains(a.Body, `"citizen":`) {
				t.Fatalf("%s an hour later: %d", p, a.Status)
			}
			webtest.Contains(t, a, "Sign in again to continue", "need a sign-in from the last hour", "anna@example.org",
				`action="/signin"`, `name="email" value="anna@example.org"`, "Email me a new sign-in link")
		}
		webtest.Contains(t, b.Get("/me/data?lang=da"), "Log ind igen for at fortsætte", "inden for den seneste time")
		webtest.Contains(t, b.Get("/me/data?lang=nl"), "Log opnieuw in om verder te gaan", "in het afgelopen uur")
		tok := b.CSRF("/me")
		if a := b.PostForm("/me/delete", url.Values{"_csrf": {tok}, "delete_posts": {"yes"}}); a.Status != http.StatusForbidden {
			t.Fatalf("delete an hour later: %d", a.Status)
		}
		for _, a := range []webtest.Answer{
			b.Get("/api/v1/me/data?lang=en"),
			b.Do(http.MethodDelete, "/api/v1/me/citizen?lang=en", strings.NewReader(`{"delete_posts":true}`), "application/json"),
		} {
			if a.Status != http.StatusForbidden {
				t.Fatalf("API an hour later: %d %s", a.Status, a.Body)
			}
			webtest.Contains(t, a, "For your safety, this needs a sign-in from the last hour.")
		}
		if count(t, e, "citizens", "id = ?", id) != 1 {
			t.Fatal("a stale session deleted the account")
		}
		// Other pages still work; the form's new link signs in afresh.
		if a := b.Get("/me"); a.Status != http.StatusOK {
			t.Fatalf("/me an hour later: %d", a.Status)
		}
		page := b.Get("/me/delete?lang=en")
		form := url.Values{"_csrf": {b.CSRF("/me")}, "email": {"anna@example.org"}, "next": {"/me/delete"}}
		if !strings.Contains(page.Body, `name="next" value="/me/delete"`) {
			t.Fatal("the form does not lead back to the deletion")
		}
		if a := b.PostForm("/signin", form); a.Status != http.StatusSeeOther {
			t.Fatalf("ask for a new link: %d", a.Status)
		}
		a := useLink(t, b, newestLink(t, e, "anna@example.org"))
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/me/delete" {
			t.Fatalf("new link: %d %q", a.Status, a.Header.Get("Location"))
		}
		webtest.Contains(t, b.Get("/me/delete?lang=en"), "Delete your account?")
		if a := b.Get("/api/v1/me/data"); a.Status != http.StatusOK || !strings.Contains(a.Body, `"email":"anna@example.org"`) {
			t.Fatalf("API data after a new sign-in: %d %s", a.Status, a.Body)
		}
	})
}

// TestCitizenAPI: what a citizen does on the pages, through the API.
func TestCitizenAPI(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()
		// Asking for a link: the same answer for a new and a known address.
		ask := func(c *webtest.Browser, email string) webtest.Answer {
			e.Clock.Add(time.Second)
			return c.PostJSON("/api/v1/signin?lang=nl", fmt.Sprintf(`{"email":%q,"next":"/me"}`, email))
		}
		signIn(t, e.Browser(), "known@example.org")
		known, unknown := ask(b, "known@example.org"), ask(b, "anna@example.org")
		if known.Status != http.StatusAccepted || known.Status != unknown.Status || known.Body != unknown.Body {
			t.Fatalf("known %d %s, unknown %d %s", known.Status, known.Body, unknown.Status, unknown.Body)
		}
		ms := mails(t, e, "anna@example.org")
		if len(ms) != 1 || ms[0].Language != "nl" {
			t.Fatalf("mails to anna: %+v", ms)
		}
		var link models.CitizenSignIn
		if err := e.DB.Where("email = ?", "anna@example.org").Take(&link).Error; err != nil || link.NextPath != "/me" {
			t.Fatalf("link: %+v %v", link, err)
		}
		if a := b.PostJSON("/api/v1/signin?lang=en", `{"email":"not an address"}`); a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad address: %d", a.Status)
		} else if code, fields := webtest.ErrorCode(t, a); code != "validation_failed" || fields["email"] == "" {
			t.Fatalf("bad address: %s", a.Body)
		}
		if a := b.Do(http.MethodPost, "/api/v1/signin", strings.NewReader(`email=anna@example.org`), "application/x-www-form-urlencoded"); a.Status != http.StatusUnsupportedMediaType {
			t.Fatalf("form body: %d", a.Status)
		}
		ask(b, "anna@example.org")
		ask(b, "anna@example.org")
		if a := ask(b, "anna@example.org"); a.Status != http.StatusTooManyRequests {
			t.Fatalf("4th link in 15 minutes: %d", a.Status)
		} else if code, _ := webtest.ErrorCode(t, a); code != "rate_limited" {
			t.Fatalf("code %q", code)
		}

		// Not signed in: 401.
		for _, a := range []webtest.Answer{
			b.Do(http.MethodPatch, "/api/v1/me/citizen", strings.NewReader(`{"display_name":"x"}`), "application/json"),
			b.Get("/api/v1/me/data"),
			b.Do(http.MethodDelete, "/api/v1/me/citizen", strings.NewReader(`{"delete_posts":false}`), "application/json"),
		} {
			if a.Status != http.StatusUnauthorized {
				t.Fatalf("not signed in: %d %s", a.Status, a.Body)
			}
		}

		e.Clock.Add(citizens.LinkLife)
		id := signIn(t, b, "anna@example.org")
		patch := func(body string) webtest.Answer {
			return b.Do(http.MethodPatch, "/api/v1/me/citizen?lang=en", strings.NewReader(body), "application/json")
		}
		var got citizens.CitizenJSON
		a := patch(`{"display_name":"  Anna Jensen  "}`)
		if err := json.Unmarshal([]byte(a.Body), &got); err != nil || a.Status != http.StatusOK || got.DisplayName != "Anna Jensen" || got.Language != "en" || !got.NotifyByEmail {
			t.Fatalf("patch name: %d %s", a.Status, a.Body)
		}
		a = patch(`{"language":"da","notify_by_email":false}`)
		if err := json.Unmarshal([]byte(a.Body), &got); err != nil || got.DisplayName != "Anna Jensen" || got.Language != "da" || got.NotifyByEmail {
			t.Fatalf("patch language: %d %s", a.Status, a.Body)
		}
		a = patch(`{"language":"xx","display_name":"` + strings.Repeat("å", 61) + `"}`)
		if code, fields := webtest.ErrorCode(t, a); a.Status != http.StatusUnprocessableEntity || code != "validation_failed" || fields["language"] == "" || fields["display_name"] == "" {
			t.Fatalf("bad patch: %d %s", a.Status, a.Body)
		}
		if a := patch(`{"notify_by_email":"yes"}`); a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong type: %d", a.Status)
		}
		var c models.Citizen
		if err := e.DB.Where("id = ?", id).Take(&c).Error; err != nil || c.DisplayName != "Anna Jensen" || c.Language != "da" || c.NotifyByEmail {
			t.Fatalf("stored: %+v", c)
		}

		// Data, then deletion (the choice about posts is required).
		a = b.Get("/api/v1/me/data")
		var data struct{ Citizen citizens.CitizenJSON }
		if err := json.Unmarshal([]byte(a.Body), &data); err != nil || a.Status != http.StatusOK || data.Citizen.ID != id || a.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("data: %d %s", a.Status, a.Body)
		}
		del := func(body string) webtest.Answer {
			return b.Do(http.MethodDelete, "/api/v1/me/citizen?lang=en", strings.NewReader(body), "application/json")
		}
		if a := del(`{}`); a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("delete without the choice: %d", a.Status)
		}
		if a := del(`{"delete_posts":false}`); a.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", a.Status, a.Body)
		}
		if count(t, e, "citizens", "id = ?", id) != 0 || count(t, e, "sessions", "citizen_id = ?", id) != 0 {
			t.Fatal("the account is left")
		}
		if a := b.Get("/api/v1/me/citizen"); a.Status != http.StatusUnauthorized {
			t.Fatalf("after deletion: %d", a.Status)
		}
	})
}

// TestDeletionLeavesNoStoredAPIAnswers: API answers kept for retries
// (Idempotency-Key) may hold the citizen's name. They are sealed with the
// browser's participant id and the deleting browser's are deleted: after
// the deletion no table holds the address or the name.
func TestDeletionLeavesNoStoredAPIAnswers(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		const email, name = "anna.jensen@example.org", "Anna Jensen"
		staff := e.APIClient("staff@example.dk", "staff")
		now := e.Clock.Now()
		a := staff.PostJSON("/api/v1/consultations", fmt.Sprintf(`{"title":{"da":"Cykelstrategi"},"description":{"da":"Hvordan?"},
			"opens_at":%q,"closes_at":%q,"moderation":"post","anonymous":false}`,
			now.Add(-time.Hour).UTC().Format(time.RFC3339), now.Add(30*24*time.Hour).UTC().Format(time.RFC3339)))
		cons := idIn(t, a, http.StatusCreated)

		phone, laptop := e.Browser(), e.Browser()
		signIn(t, phone, email)
		signIn(t, laptop, email)
		if a := laptop.Do(http.MethodPatch, "/api/v1/me/citizen", strings.NewReader(`{"display_name":"`+name+`"}`), "application/json"); a.Status != http.StatusOK {
			t.Fatalf("name: %d", a.Status)
		}
		submit := func(b *webtest.Browser, key, title string) webtest.Answer {
			b.Header.Set("Idempotency-Key", key)
			defer b.Header.Del("Idempotency-Key")
			return b.PostJSON("/api/v1/consultations/"+cons+"/ideas", fmt.Sprintf(`{"title":%q,"body":"Flere cykelstativer ved stationen, tak.","display_name":%q}`, title, name))
		}
		first := submit(phone, "idea-1", "Cykelparkering ved stationen")
		if first.Status != http.StatusCreated || !strings.Contains(first.Body, name) {
			t.Fatalf("idea from the phone: %d %s", first.Status, first.Body)
		}
		if a := submit(laptop, "idea-2", "Sikker rute til skolen"); a.Status != http.StatusCreated {
			t.Fatalf("idea from the laptop: %d %s", a.Status, a.Body)
		}
		// A retry is answered from the stored (sealed) answer.
		again := submit(phone, "idea-1", "Cykelparkering ved stationen")
		if again.Status != http.StatusCreated || again.Body != first.Body || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %d %s", again.Status, again.Body)
		}
		if n := count(t, e, "idempotency_keys", "1 = 1"); n != 2 {
			t.Fatalf("%d stored answers", n)
		}

		if a := laptop.Do(http.MethodDelete, "/api/v1/me/citizen", strings.NewReader(`{"delete_posts":true}`), "application/json"); a.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", a.Status, a.Body)
		}
		// The deleting browser's stored answers are gone; the phone's stay
		// sealed until they are purged.
		if n := count(t, e, "idempotency_keys", "1 = 1"); n != 1 {
			t.Fatalf("%d stored answers after the deletion", n)
		}
		for _, table := range allTables(t, e) {
			var rows []map[string]any
			if err := e.DB.Table(table).Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				for col, v := range r {
					s := fmt.Sprint(v)
					if b, ok := v.([]byte); ok {
						s = string(b)
					}
					if strings.Contains(strings.ToLower(s), email) || strings.Contains(s, name) {
						t.Errorf("%s.%s still holds %q", table, col, s)
					}
				}
			}
		}
	})
}

// allTables lists the tables of the test database.
func allTables(t *testing.T, e *webtest.Env) []string {
	t.Helper()
	var names []string
	q := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if e.DB.Dialector.Name() == "postgres" {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	if err := e.DB.Raw(q).Scan(&names).Error; err != nil || len(names) < 10 {
		t.Fatalf("tables: %v %v", names, err)
	}
	return names
}

// TestDeleteWaitsForAMailBeingQueued: a feature that mails a citizen reads
// their row FOR SHARE in the transaction that queues the mail (as the
// idea status mails do). Delete locks the row first, so a mail queued at
// the same moment is either queued before, and dropped by the deletion, or
// finds no citizen: no mail keeps the address.
func TestDeleteWaitsForAMailBeingQueued(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		const email = "anna@example.org"
		id := signIn(t, e.Browser(), email)
		if err := e.DB.Where("to_addr = ?", email).Delete(&models.OutboxMail{}).Error; err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()

		// The status mail's transaction has read the citizen...
		tx := e.DB.Begin()
		defer tx.Rollback()
		var c models.Citizen
		if err := tx.Clauses(clause.Locking{Strength: "SHARE"}).Where("id = ?", id).Take(&c).Error; err != nil {
			t.Fatal(err)
		}
		var pid int
		if e.DB.Dialector.Name() == "postgres" {
			tx.Raw("SELECT pg_backend_pid()").Scan(&pid)
		}
		// ... when the citizen deletes their account.
		done := make(chan error, 1)
		go func() { done <- e.Srv.Citizens().Delete(ctx, id, false) }()
		if pid != 0 {
			waitBlockedBy(t, e, pid)
		} else {
			time.Sleep(200 * time.Millisecond) // SQLite: Delete waits for the write lock at BEGIN
		}
		// The mail is queued and committed while Delete waits.
		if _, err := mail.NewOutbox(e.DB, nil).Enqueue(ctx, tx, mail.Mail{DedupeKey: "idea_status:test:" + id, CitizenID: c.ID, To: c.Email,
			Language: "en", Subject: "Your idea has a new status", Text: "Hello"}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit().Error; err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Delete did not finish")
		}
		if n := count(t, e, "mail_outbox", "to_addr = ? OR citizen_id = ?", email, id); n != 0 {
			t.Fatalf("%d mails keep the deleted citizen's address", n)
		}
	})
}

// waitBlockedBy waits until a PostgreSQL backend waits for a lock that the
// backend pid holds.
func waitBlockedBy(t *testing.T, e *webtest.Env, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int64
		if err := e.DB.Raw("SELECT count(*) FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))", pid).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("Delete never waited for the citizen's row")
}
