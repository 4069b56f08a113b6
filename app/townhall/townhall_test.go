package townhall_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/townhall"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
	"gorm.io/gorm"
)

// setup makes staff, a moderator, a politician and a live town hall.
func setup(t *testing.T, e *webtest.Env, moderation string) (staff, mod, pol *webtest.Browser, id string) {
	t.Helper()
	staff = e.APIClient("staff@example.dk", "staff")
	mod = e.APIClient("mod@example.dk", "moderator")
	pol = e.APIClient("mayor@example.dk", "politician")
	start := time.Now().Add(-10 * time.Minute).UTC().Format(time.RFC3339)
	end := time.Now().Add(50 * time.Minute).UTC().Format(time.RFC3339)
	a := staff.PostJSON("/api/v1/townhalls", fmt.Sprintf(`{"title":{"da":"Spørgetime med borgmesteren","en":"Question hour with the mayor"},
		"starts_at":%q,"ends_at":%q,"moderation":%q,"politicians":["mayor@example.dk"],"politician_roles":{"mayor@example.dk":"Borgmester"}}`, start, end, moderation))
	if a.Status != 201 {
		t.Fatalf("create: %d %s", a.Status, a.Body)
	}
	var out struct{ ID string }
	_ = json.Unmarshal([]byte(a.Body), &out)
	return staff, mod, pol, out.ID
}

func idOf(t *testing.T, a webtest.Answer) string {
	t.Helper()
	var out struct{ ID string }
	if err := json.Unmarshal([]byte(a.Body), &out); err != nil || out.ID == "" {
		t.Fatalf("no id in %d %s", a.Status, a.Body)
	}
	return out.ID
}

func TestAskModerateVoteAnswer(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, mod, pol, id := setup(t, e, "pre")
		citizen := e.Browser()
		a := citizen.PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"<script>alert(1)</script> Hvornår kommer cykelstien?","display_name":"Karen"}`)
		if a.Status != 201 || !strings.Contains(a.Body, `"pending"`) {
			t.Fatalf("ask: %d %s", a.Status, a.Body)
		}
		qid := idOf(t, a)
		// Pending: not public, cannot be voted for, not answerable.
		if g := citizen.Get("/api/v1/townhalls/" + id); strings.Contains(g.Body, qid) {
			t.Fatal("a pending question is public")
		}
		if v := citizen.PostJSON("/api/v1/questions/"+qid+"/votes", `{}`); v.Status != 404 {
			t.Fatalf("vote on pending: %d", v.Status)
		}
		// A citizen cannot moderate; a politician cannot either.
		if m := citizen.PostJSON("/api/v1/questions/"+qid+"/moderation", `{"action":"approve"}`); m.Status != 403 {
			t.Fatalf("citizen moderation: %d %s", m.Status, m.Body)
		}
		if m := pol.PostJSON("/api/v1/questions/"+qid+"/moderation", `{"action":"approve"}`); m.Status != 403 {
			t.Fatalf("politician moderation: %d", m.Status)
		}
		if m := mod.PostJSON("/api/v1/questions/"+qid+"/moderation", `{"action":"approve"}`); m.Status != 200 {
			t.Fatalf("approve: %d %s", m.Status, m.Body)
		}
		// Votes: one per participant; a second changes nothing; withdraw.
		v := citizen.PostJSON("/api/v1/questions/"+qid+"/votes", `{}`)
		if v.Status != 200 || !strings.Contains(v.Body, `"votes":1`) {
			t.Fatalf("vote: %d %s", v.Status, v.Body)
		}
		if v = citizen.PostJSON("/api/v1/questions/"+qid+"/votes", `{}`); v.Status != 200 || !strings.Contains(v.Body, `"votes":1`) {
			t.Fatalf("second vote: %d %s", v.Status, v.Body)
		}
		other := e.Browser()
		if v = other.PostJSON("/api/v1/questions/"+qid+"/votes", `{}`); !strings.Contains(v.Body, `"votes":2`) {
			t.Fatalf("other vote: %s", v.Body)
		}
		if v = other.Do("DELETE", "/api/v1/questions/"+qid+"/votes", strings.NewReader("{}"), "application/json"); !strings.Contains(v.Body, `"votes":1`) {
			t.Fatalf("withdraw: %s", v.Body)
		}
		// The answer; a politician of another town hall is refused.
		stranger := e.APIClient("other@example.dk", "politician")
		if r := stranger.PostJSON("/api/v1/questions/"+qid+"/answers", `{"text":"Jeg svarer"}`); r.Status != 403 {
			t.Fatalf("stranger answer: %d", r.Status)
		}
		if r := pol.PostJSON("/api/v1/questions/"+qid+"/answers", `{"text":"Til foråret. <b>Lovet</b>."}`); r.Status != 201 || !strings.Contains(r.Body, "Borgmester") {
			t.Fatalf("answer: %d %s", r.Status, r.Body)
		}
		g := citizen.Get("/api/v1/townhalls/" + id)
		webtest.Contains(t, g, `"status":"answered"`, `"politician":"Test politician"`, `"role":"Borgmester"`, `\u003cscript\u003e`)
		// The page shows the HTML as text.
		p := citizen.Get("/townhalls/" + id + "?lang=da")
		webtest.Contains(t, p, "&lt;script&gt;alert(1)&lt;/script&gt; Hvornår kommer cykelstien?", "Til foråret. &lt;b&gt;Lovet&lt;/b&gt;.", "Borgmester", "Besvaret")
		if strings.Contains(p.Body, "<script>alert(1)") {
			t.Fatal("question rendered as HTML")
		}
		// Hide with a reason from the house rules; then voting is 404.
		if m := mod.PostJSON("/api/v1/questions/"+qid+"/moderation", `{"action":"hide","reason":"nonsense"}`); m.Status != 422 {
			t.Fatalf("unknown rule: %d", m.Status)
		}
		if m := mod.PostJSON("/api/v1/questions/"+qid+"/moderation", `{"action":"hide","reason":"no_campaigning","note":"valgkamp"}`); m.Status != 200 {
			t.Fatalf("hide: %d %s", m.Status, m.Body)
		}
		if v := other.PostJSON("/api/v1/questions/"+qid+"/votes", `{}`); v.Status != 404 {
			t.Fatalf("vote on hidden: %d", v.Status)
		}
		var n int64
		e.DB.Model(&models.ModerationLogEntry{}).Where("target_id = ? AND rule_key = ? AND actor_name = ?", qid, "no_campaigning", "Test moderator").Count(&n)
		if n != 1 {
			t.Fatalf("log entries for hide: %d", n)
		}
		st := citizen.Get("/api/v1/townhalls/" + id + "/stats")
		webtest.Contains(t, st, `"questions_asked":1`, `"questions_approved":1`, `"participants":1`, `"answers":1`, `"median_seconds_to_answer":`)
	})
}

func TestBadInput(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, _, _, id := setup(t, e, "post")
		c := e.Browser()
		if a := c.PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"   "}`); a.Status != 422 {
			t.Fatalf("empty: %d", a.Status)
		}
		if a := c.PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"`+strings.Repeat("å", townhall.MaxQuestion+1)+`"}`); a.Status != 422 {
			t.Fatalf("too long: %d", a.Status)
		}
		var last webtest.Answer
		for i := 0; i <= townhall.FloodLimit; i++ {
			last = c.PostJSON("/api/v1/townhalls/"+id+"/questions?lang=en", fmt.Sprintf(`{"text":"Question number %d"}`, i))
		}
		if last.Status != 429 {
			t.Fatalf("flood: %d %s", last.Status, last.Body)
		}
		webtest.Contains(t, last, "wait ten minutes")
		// The form shows the same message on the page.
		tok := c.CSRF("/townhalls/" + id)
		p := c.PostForm("/townhalls/"+id+"/questions?lang=da", url.Values{"_csrf": {tok}, "text": {"Endnu et"}})
		if p.Status != 429 {
			t.Fatalf("flood form: %d", p.Status)
		}
		webtest.Contains(t, p, "Vent ti minutter")
		// After the end: 409.
		e.DB.Model(&models.TownHall{}).Where("id = ?", id).Updates(map[string]any{"starts_at": time.Now().Add(-2 * time.Hour), "ends_at": time.Now().Add(-time.Hour)})
		if a := e.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Too late"}`); a.Status != 409 {
			t.Fatalf("after end: %d", a.Status)
		}
		// The archive shows the figures.
		webtest.Contains(t, e.Browser().Get("/townhalls/"+id+"?lang=en"), "In figures", "Questions asked")
		// A calendar file with CRLF lines.
		ics := e.Browser().Get("/townhalls/" + id + ".ics")
		if ics.Status != 200 || !strings.Contains(ics.Body, "BEGIN:VEVENT\r\n") || !strings.Contains(ics.Header.Get("Content-Type"), "text/calendar") {
			t.Fatalf("ics: %d %q", ics.Status, ics.Body)
		}
		// A change raises SEQUENCE, so calendars take the new times.
		var th models.TownHall
		e.DB.Where("id = ?", id).Take(&th)
		e.DB.Model(&th).Updates(map[string]any{"created_at": th.CreatedAt.Add(-time.Hour), "updated_at": th.UpdatedAt.Add(-time.Hour)})
		e.DB.Where("id = ?", id).Take(&th)
		ics = e.Browser().Get("/townhalls/" + id + ".ics")
		webtest.Contains(t, ics, "SEQUENCE:", "LAST-MODIFIED:"+th.UpdatedAt.UTC().Format("20060102T150405Z"))
		seq := func(body string) int {
			var n int
			i := strings.Index(body, "SEQUENCE:")
			fmt.Sscan(body[i+len("SEQUENCE:"):], &n)
			return n
		}
		if err := e.Srv.TownHalls().SetTimes(t.Context(), id, th.StartsAt.Add(-time.Hour), th.EndsAt.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if a, b := seq(ics.Body), seq(e.Browser().Get("/townhalls/"+id+".ics").Body); b <= a {
			t.Fatalf("SEQUENCE %d after a change, was %d", b, a)
		}
	})
}

func TestMergeCountsVotersOnce(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, mod, _, id := setup(t, e, "post")
		a, b, c := e.Browser(), e.Browser(), e.Browser()
		keep := idOf(t, a.PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Hvad med parkering?"}`))
		dup := idOf(t, b.PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Parkering??"}`))
		a.PostJSON("/api/v1/questions/"+keep+"/votes", `{}`)
		b.PostJSON("/api/v1/questions/"+keep+"/votes", `{}`)
		b.PostJSON("/api/v1/questions/"+dup+"/votes", `{}`)
		c.PostJSON("/api/v1/questions/"+dup+"/votes", `{}`)
		m := mod.PostJSON("/api/v1/questions/"+dup+"/moderation", `{"action":"merge","into":"`+keep+`"}`)
		if m.Status != 200 {
			t.Fatalf("merge: %d %s", m.Status, m.Body)
		}
		var q models.TownHallQuestion
		e.DB.Where("id = ?", keep).Take(&q)
		if q.Votes != 3 {
			t.Fatalf("kept question has %d votes, want 3 (a, b once, c)", q.Votes)
		}
		if g := a.Get("/api/v1/townhalls/" + id); strings.Contains(g.Body, dup) {
			t.Fatal("the duplicate is still listed")
		}
	})
}

// sse reads a stream over real HTTP.
type sse struct {
	resp *http.Response
	ch   chan event
}

type event struct{ ID, Type, Data string }

func openSSE(t *testing.T, base, path string, h http.Header) *sse {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sse{resp: resp, ch: make(chan event, 100)}
	go func() {
		defer close(s.ch)
		r := bufio.NewReader(resp.Body)
		var ev event
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if ev.Type != "" {
					s.ch <- ev
				}
				ev = event{}
			case strings.HasPrefix(line, ": ping"):
				s.ch <- event{Type: "ping"}
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Type = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.Data = line[6:]
			}
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return s
}

func (s *sse) next(t *testing.T, typ string, within time.Duration) event {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev, ok := <-s.ch:
			if !ok {
				t.Fatalf("stream ended waiting for %s", typ)
			}
			if ev.Type == typ {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s within %s", typ, within)
		}
	}
}

func serve(t *testing.T, e *webtest.Env) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.Srv.App().Listener(ln) }()
	t.Cleanup(func() {
		e.Srv.Hub().Close()
		_ = e.Srv.App().ShutdownWithTimeout(5 * time.Second)
	})
	return "http://" + ln.Addr().String()
}

func TestEventStreamReplayAndHeartbeat(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		e := webtest.NewEnv(t, gdb, func(c *config.Config) { c.LiveHeartbeat = 200 * time.Millisecond })
		_, mod, pol, id := setup(t, e, "pre")
		base := serve(t, e)
		s := openSSE(t, base, "/api/v1/townhalls/"+id+"/events", nil)
		citizen := e.Browser()
		qid := idOf(t, citizen.PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Må jeg spørge om <img src=x onerror=alert(1)>?"}`))
		mod.PostJSON("/api/v1/questions/"+qid+"/moderation", `{"action":"approve"}`)
		ev := s.next(t, "question.approved", 2*time.Second)
		if !strings.Contains(ev.Data, `\u003cimg src=x`) || strings.Contains(ev.Data, "<img") {
			t.Fatalf("payload not JSON-escaped: %s", ev.Data)
		}
		first := ev.ID
		citizen.PostJSON("/api/v1/questions/"+qid+"/votes", `{}`)
		if v := s.next(t, "question.voted", 2*time.Second); !strings.Contains(v.Data, `"votes":1`) {
			t.Fatalf("voted: %s", v.Data)
		}
		pol.PostJSON("/api/v1/questions/"+qid+"/answering", `{}`)
		s.next(t, "question.answering", 2*time.Second)
		pol.PostJSON("/api/v1/questions/"+qid+"/answers", `{"text":"Ja."}`)
		s.next(t, "question.answered", 2*time.Second)
		s.next(t, "ping", time.Second)
		// A client that reconnects with Last-Event-ID gets what it missed, in order.
		r := openSSE(t, base, "/api/v1/townhalls/"+id+"/events", http.Header{"Last-Event-ID": {first}})
		want := []string{"question.voted", "question.answering", "question.answered"}
		for _, w := range want {
			select {
			case got := <-r.ch:
				if got.Type != w {
					t.Fatalf("replay: got %s, want %s", got.Type, w)
				}
			case <-time.After(2 * time.Second):
				t.Fatalf("replay: no %s", w)
			}
		}
		// A dead client is noticed at the next heartbeat and unsubscribed.
		before := e.Srv.Hub().Subscribers(townhall.Stream(id))
		r.resp.Body.Close()
		s.resp.Body.Close()
		deadline := time.Now().Add(3 * time.Second)
		for e.Srv.Hub().Subscribers(townhall.Stream(id)) != 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := e.Srv.Hub().Subscribers(townhall.Stream(id)); n != 0 {
			t.Fatalf("subscribers after the clients left: %d (before %d)", n, before)
		}
	})
}

// TestEventIDsInOrderUnderConcurrency: many writers at once; every event
// reaches the stream once and in increasing id order (no id skipped by a
// transaction that committed late).
func TestEventIDsInOrderUnderConcurrency(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, _, _, id := setup(t, e, "post")
		base := serve(t, e)
		s := openSSE(t, base, "/api/v1/townhalls/"+id+"/events", nil)
		const n = 40
		var wg sync.WaitGroup
		th, err := e.Srv.TownHalls().Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.Srv.TownHalls().Ask(t.Context(), th, townhall.Participant{Key: "p:" + models.NewID()}, fmt.Sprintf("Spørgsmål %d", i), ""); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		var last int64
		seen := map[string]bool{}
		for range n {
			ev := s.next(t, "question.approved", 3*time.Second)
			var id int64
			fmt.Sscan(ev.ID, &id)
			if id <= last {
				t.Fatalf("event %d after %d", id, last)
			}
			last = id
			seen[ev.Data] = true
		}
		if len(seen) != n {
			t.Fatalf("distinct questions seen: %d, want %d", len(seen), n)
		}
	})
}

// TestAcrossInstances: two instances on one PostgreSQL schema; a question
// approved through one appears on a stream opened on the other within a
// second, also after the LISTEN connection was cut.
func TestAcrossInstances(t *testing.T) {
	dsn, _ := db.TestSchemaURL(t)
	open := func() *gorm.DB {
		gdb := db.OpenTestURL(t, dsn)
		return gdb
	}
	gdb1 := open()
	gdb2 := open()
	e1 := webtest.NewEnv(t, gdb1)
	e2 := webtest.NewEnv(t, gdb2)
	for _, e := range []*webtest.Env{e1, e2} {
		ctx, cancel := contextWithCancel(t)
		done := make(chan struct{})
		go func() { defer close(done); e.Srv.RunLive(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	_, mod, _, id := setup(t, e1, "pre")
	base2 := serve(t, e2)
	waitListening(t, e2)
	s := openSSE(t, base2, "/api/v1/townhalls/"+id+"/events", nil)
	approve := func(text string) {
		qid := idOf(t, e1.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"`+text+`"}`))
		start := time.Now()
		mod.PostJSON("/api/v1/questions/"+qid+"/moderation", `{"action":"approve"}`)
		ev := s.next(t, "question.approved", time.Second)
		if !strings.Contains(ev.Data, text) {
			t.Fatalf("wrong event: %s", ev.Data)
		}
		t.Logf("%s arrived on the other instance after %s", text, time.Since(start))
	}
	approve("Første spørgsmål")
	// Cut instance 2's LISTEN connection: it reconnects and catches up.
	pid := e2.Srv.Hub().ListenerPID()
	if err := gdb1.Exec("SELECT pg_terminate_backend(?)", pid).Error; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for (e2.Srv.Hub().ListenerPID() == pid || e2.Srv.Hub().ListenerPID() == 0) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	approve("Andet spørgsmål")
}

func waitListening(t *testing.T, e *webtest.Env) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.Srv.Hub().ListenerPID() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the hub does not listen")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// TestPagesWithoutJavaScript: staff schedule through the form, a citizen
// asks and votes with forms, the moderator approves from the queue page and
// the politician answers from the console; every page renders.
func TestPagesWithoutJavaScript(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("staff@example.dk", "staff")
		e.Account("mod@example.dk", "moderator")
		e.Account("mayor@example.dk", "politician")
		staff := e.Browser()
		staff.Login("staff@example.dk", webtest.Password)
		tok := staff.CSRF("/staff/townhalls")
		start := time.Now().Add(-time.Minute).In(time.FixedZone("CET", 3600))
		_ = start
		a := staff.PostForm("/staff/townhalls", url.Values{"_csrf": {tok}, "title_da": {"Spørgetime"}, "starts_at": {time.Now().Add(-time.Hour).Format("2006-01-02T15:04")},
			"ends_at": {time.Now().Add(48 * time.Hour).Format("2006-01-02T15:04")}, "moderation": {"pre"}, "participation": {"anyone"}, "names": {"optional"},
			"politicians": {"mayor@example.dk; Borgmester"}})
		if a.Status != 303 {
			t.Fatalf("create: %d %s", a.Status, a.Body)
		}
		id := strings.TrimPrefix(a.Header.Get("Location"), "/staff/townhalls/")
		webtest.Contains(t, staff.Get("/staff/townhalls/"+id+"?lang=en"), "Settings", "mayor@example.dk; Borgmester")
		citizen := e.Browser()
		tok = citizen.CSRF("/townhalls/" + id)
		if a := citizen.PostForm("/townhalls/"+id+"/questions", url.Values{"_csrf": {tok}, "text": {"Hvornår åbner biblioteket om søndagen?"}, "display_name": {"Ole"}}); a.Status != 303 {
			t.Fatalf("ask: %d", a.Status)
		}
		webtest.Contains(t, citizen.Get("/townhalls/"+id+"?lang=da"), "Venter på en moderator")
		mod := e.Browser()
		mod.Login("mod@example.dk", webtest.Password)
		q := mod.Get("/moderate/townhalls/" + id + "?lang=en")
		webtest.Contains(t, q, "Hvornår åbner biblioteket om søndagen?", "No campaigning")
		var qid string
		e.DB.Model(&models.TownHallQuestion{}).Where("townhall_id = ?", id).Select("id").Scan(&qid)
		tok = mod.CSRF("/moderate/townhalls/" + id)
		if a := mod.PostForm("/moderate/questions/"+qid, url.Values{"_csrf": {tok}, "action": {"approve"}}); a.Status != 303 {
			t.Fatalf("approve: %d %s", a.Status, a.Body)
		}
		tok = citizen.CSRF("/townhalls/" + id)
		if a := citizen.PostForm("/townhalls/"+id+"/questions/"+qid+"/vote", url.Values{"_csrf": {tok}, "withdraw": {"0"}}); a.Status != 303 {
			t.Fatalf("vote: %d", a.Status)
		}
		// The redirected page shows the count in the count element and the
		// button pressed; the API shows the count right away too.
		after := citizen.Get("/townhalls/" + id + "?lang=en")
		webtest.Contains(t, after, `class="q-votes">1 vote<`, `aria-pressed="true"`)
		if g := citizen.Get("/api/v1/townhalls/" + id); !strings.Contains(g.Body, `"votes":1,`) {
			t.Fatalf("the API does not show the vote: %s", g.Body)
		}
		pol := e.Browser()
		pol.Login("mayor@example.dk", webtest.Password)
		tok = pol.CSRF("/politician/townhalls/" + id)
		if a := pol.PostForm("/politician/questions/"+qid+"/answers", url.Values{"_csrf": {tok}, "text": {"Fra 1. marts."}}); a.Status != 303 {
			t.Fatalf("answer: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, citizen.Get("/townhalls/"+id+"?lang=da"), "Fra 1. marts.", "Borgmester", "Besvaret")
		webtest.Contains(t, mod.Get("/moderate/townhalls/"+id+"?lang=en"), "Approved", "Test moderator")
		if a := citizen.Get("/moderate/townhalls/" + id); a.Status != 303 {
			t.Fatalf("citizen on the queue page: %d", a.Status)
		}
		webtest.Contains(t, e.Browser().Get("/house-rules?lang=nl"), "Geen campagne")
		webtest.Contains(t, e.Browser().Get("/?lang=en"), "Spørgetime")
	})
}

// TestVoteCountsRightAtOnce: a vote through the API moves the count that the
// town hall's JSON and page show at once, not after a batch.
func TestVoteCountsRightAtOnce(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, _, _, id := setup(t, e, "post")
		c := e.Browser()
		qid := idOf(t, c.PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Hvad med svømmehallen?"}`))
		if v := c.PostJSON("/api/v1/questions/"+qid+"/votes", `{}`); v.Status != 200 || !strings.Contains(v.Body, `"votes":1`) {
			t.Fatalf("vote: %d %s", v.Status, v.Body)
		}
		if g := e.Browser().Get("/api/v1/townhalls/" + id); !strings.Contains(g.Body, `"votes":1,`) {
			t.Fatalf("votes right after the vote: %s", g.Body)
		}
		webtest.Contains(t, c.Get("/townhalls/"+id+"?lang=en"), `class="q-votes">1 vote<`, `aria-pressed="true"`)
		// Close sends the gathered count at once (shutdown).
		e.Srv.TownHalls().Close()
		var n int64
		e.DB.Model(&models.LiveEvent{}).Where("stream = ? AND type = ? AND subject_id = ?", townhall.Stream(id), townhall.EventVoted, qid).Count(&n)
		if n != 1 {
			t.Fatalf("question.voted events after Close: %d", n)
		}
		if v := c.Do("DELETE", "/api/v1/questions/"+qid+"/votes", strings.NewReader("{}"), "application/json"); !strings.Contains(v.Body, `"votes":0`) {
			t.Fatalf("withdraw: %s", v.Body)
		}
		if g := e.Browser().Get("/api/v1/townhalls/" + id); !strings.Contains(g.Body, `"votes":0,`) {
			t.Fatalf("votes right after the withdrawal: %s", g.Body)
		}
	})
}

// TestVotesDuringMerge: 60 participants vote for a duplicate while it is
// merged into another question. Every acknowledged vote (200) is counted
// exactly once on the kept question; the others are refused with 404.
func TestVotesDuringMerge(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, mod, _, id := setup(t, e, "post")
		keep := idOf(t, e.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Hvad med parkering?"}`))
		dup := idOf(t, e.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Parkering??"}`))
		const n = 60
		voters := make([]*webtest.Browser, n)
		for i := range voters {
			voters[i] = e.Browser()
			voters[i].Get("/townhalls/" + id) // a session, as a browser has
		}
		var mu sync.Mutex
		statuses := map[int]int{}
		// The votes come spread over about 180 ms; the merge comes in the middle.
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i) * 3 * time.Millisecond)
				st := voters[i].PostJSON("/api/v1/questions/"+dup+"/votes", `{}`).Status
				mu.Lock()
				statuses[st]++
				mu.Unlock()
			}()
		}
		time.Sleep(70 * time.Millisecond)
		m := mod.PostJSON("/api/v1/questions/"+dup+"/moderation", `{"action":"merge","into":"`+keep+`"}`)
		if m.Status != 200 {
			t.Fatalf("merge: %d %s", m.Status, m.Body)
		}
		wg.Wait()
		if statuses[200]+statuses[404] != n {
			t.Fatalf("statuses: %v", statuses)
		}
		var q models.TownHallQuestion
		e.DB.Where("id = ?", keep).Take(&q)
		var rows, dupRows int64
		e.DB.Model(&models.TownHallVote{}).Where("question_id = ?", keep).Count(&rows)
		e.DB.Model(&models.TownHallVote{}).Where("question_id = ?", dup).Count(&dupRows)
		if q.Votes != statuses[200] || rows != int64(statuses[200]) || dupRows != 0 {
			t.Fatalf("kept question: %d votes, %d rows; duplicate %d rows; acknowledged %d (statuses %v)", q.Votes, rows, dupRows, statuses[200], statuses)
		}
		t.Logf("statuses %v", statuses)
	})
}

// TestMergeRefusesAnsweredDuplicate: answers stay with their question.
func TestMergeRefusesAnsweredDuplicate(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, mod, pol, id := setup(t, e, "post")
		keep := idOf(t, e.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Hvad med parkering?"}`))
		dup := idOf(t, e.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Parkering??"}`))
		pol.PostJSON("/api/v1/questions/"+dup+"/answers", `{"text":"Vi bygger et p-hus."}`)
		m := mod.PostJSON("/api/v1/questions/"+dup+"/moderation?lang=en", `{"action":"merge","into":"`+keep+`"}`)
		if m.Status != 409 || !strings.Contains(m.Body, "already been answered") {
			t.Fatalf("merge of an answered question: %d %s", m.Status, m.Body)
		}
		// The duplicate being answered now loses the mark when merged.
		dup2 := idOf(t, e.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"P-pladser?"}`))
		pol.PostJSON("/api/v1/questions/"+dup2+"/answering", `{}`)
		if m := mod.PostJSON("/api/v1/questions/"+dup2+"/moderation", `{"action":"merge","into":"`+keep+`"}`); m.Status != 200 {
			t.Fatalf("merge: %d %s", m.Status, m.Body)
		}
		var th models.TownHall
		e.DB.Where("id = ?", id).Take(&th)
		if th.AnsweringID != nil {
			t.Fatalf("answering_id still points at the merged question: %v", *th.AnsweringID)
		}
	})
}

// TestConcurrentModeration: approve and hide at the same moment leave the
// stream consistent with the question; answer and hide at the same moment
// do not deadlock.
func TestConcurrentModeration(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, mod, pol, id := setup(t, e, "pre")
		mod2 := e.APIClient("mod2@example.dk", "moderator")
		for i := range 8 {
			qid := idOf(t, e.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions", fmt.Sprintf(`{"text":"Spørgsmål %d"}`, i)))
			var wg sync.WaitGroup
			var a1, a2 webtest.Answer
			wg.Add(2)
			go func() {
				defer wg.Done()
				a1 = mod.PostJSON("/api/v1/questions/"+qid+"/moderation", `{"action":"approve"}`)
			}()
			go func() {
				defer wg.Done()
				a2 = mod2.PostJSON("/api/v1/questions/"+qid+"/moderation", `{"action":"hide","reason":"no_spam"}`)
			}()
			wg.Wait()
			if a1.Status != 200 || a2.Status != 200 {
				t.Fatalf("approve %d %s; hide %d %s", a1.Status, a1.Body, a2.Status, a2.Body)
			}
			var q models.TownHallQuestion
			e.DB.Where("id = ?", qid).Take(&q)
			var evs []models.LiveEvent
			e.DB.Where("stream = ? AND subject_id = ?", townhall.Stream(id), qid).Order("id").Find(&evs)
			last := ""
			if len(evs) > 0 {
				last = evs[len(evs)-1].Type
			}
			switch {
			case q.Status == models.QuestionApproved && last != townhall.EventApproved,
				q.Status != models.QuestionApproved && last == townhall.EventApproved:
				t.Fatalf("question %s, last event %q", q.Status, last)
			}
		}
		// Answer and hide at once, on approved questions.
		for i := range 8 {
			qid := idOf(t, e.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions", fmt.Sprintf(`{"text":"Andet spørgsmål %d"}`, i)))
			mod.PostJSON("/api/v1/questions/"+qid+"/moderation", `{"action":"approve"}`)
			pol.PostJSON("/api/v1/questions/"+qid+"/answering", `{}`)
			var wg sync.WaitGroup
			var a1, a2 webtest.Answer
			wg.Add(2)
			go func() { defer wg.Done(); a1 = pol.PostJSON("/api/v1/questions/"+qid+"/answers", `{"text":"Svar"}`) }()
			go func() {
				defer wg.Done()
				a2 = mod.PostJSON("/api/v1/questions/"+qid+"/moderation", `{"action":"hide","reason":"no_spam"}`)
			}()
			wg.Wait()
			if (a1.Status != 201 && a1.Status != 404) || a2.Status != 200 {
				t.Fatalf("answer %d %s; hide %d %s", a1.Status, a1.Body, a2.Status, a2.Body)
			}
		}
	})
}

// replayed reads what a stream replays until it is quiet.
func replayed(s *sse, quiet time.Duration) []event {
	var out []event
	for {
		select {
		case ev, ok := <-s.ch:
			if !ok {
				return out
			}
			if ev.Type != "ping" {
				out = append(out, ev)
			}
		case <-time.After(quiet):
			return out
		}
	}
}

// TestHiddenNotReplayed: after a hide, a replay from the start carries no
// text of the hidden question or its answer; a client too far behind gets
// a reset instead of a replay.
func TestHiddenNotReplayed(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, mod, pol, id := setup(t, e, "post")
		base := serve(t, e)
		c := e.Browser()
		qid := idOf(t, c.PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Hemmelig tekst om naboen"}`))
		c.PostJSON("/api/v1/questions/"+qid+"/votes", `{}`)
		pol.PostJSON("/api/v1/questions/"+qid+"/answering", `{}`)
		pol.PostJSON("/api/v1/questions/"+qid+"/answers", `{"text":"Svar om naboen"}`)
		kept := idOf(t, c.PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Et helt almindeligt spørgsmål"}`))
		e.Srv.TownHalls().Close() // the vote count goes out now
		if m := mod.PostJSON("/api/v1/questions/"+qid+"/moderation", `{"action":"hide","reason":"privacy"}`); m.Status != 200 {
			t.Fatalf("hide: %d %s", m.Status, m.Body)
		}
		evs := replayed(openSSE(t, base, "/api/v1/townhalls/"+id+"/events?last_event_id=0", nil), 700*time.Millisecond)
		types := map[string]bool{}
		for _, ev := range evs {
			types[ev.Type] = true
			if strings.Contains(ev.Data, "naboen") {
				t.Fatalf("replay carries hidden text: %s %s", ev.Type, ev.Data)
			}
		}
		all := fmt.Sprint(evs)
		if !types[townhall.EventHidden] || !strings.Contains(all, kept) || !strings.Contains(all, `"redacted":true`) {
			t.Fatalf("replay: %v", evs)
		}
		// Too far behind: a reset with the id where the live part starts.
		e.Srv.Hub().MaxReplay = 2
		evs = replayed(openSSE(t, base, "/api/v1/townhalls/"+id+"/events?last_event_id=0", nil), 500*time.Millisecond)
		last, _ := e.Srv.Hub().LastID(t.Context(), townhall.Stream(id))
		if len(evs) != 1 || evs[0].Type != "reset" || evs[0].ID != fmt.Sprint(last) {
			t.Fatalf("far behind: %v (last id %d)", evs, last)
		}
	})
}

// TestReplayErrorEndsStream: when the replay cannot be read, the response
// ends (EventSource reconnects from the same id) instead of skipping on.
func TestReplayErrorEndsStream(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, _, _, id := setup(t, e, "post")
		base := serve(t, e)
		e.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Et spørgsmål"}`)
		openSSE(t, base, "/api/v1/townhalls/"+id+"/events", nil) // the stream is open on this instance
		if err := e.DB.Exec("ALTER TABLE live_events RENAME TO live_events_away").Error; err != nil {
			t.Fatal(err)
		}
		defer e.DB.Exec("ALTER TABLE live_events_away RENAME TO live_events")
		r := openSSE(t, base, "/api/v1/townhalls/"+id+"/events?last_event_id=0", nil)
		deadline := time.After(3 * time.Second)
		for {
			select {
			case ev, ok := <-r.ch:
				if !ok {
					return // ended
				}
				if ev.Type != "ping" {
					t.Fatalf("event during a failed replay: %v", ev)
				}
			case <-deadline:
				t.Fatal("the stream goes on after a failed replay")
			}
		}
	})
}

// TestParticipantKeysAndPublicTimes: no raw session id is stored; the same
// browser has unrelated keys in two town halls; public times are to the minute.
func TestParticipantKeysAndPublicTimes(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff, _, _, id := setup(t, e, "post")
		a := staff.PostJSON("/api/v1/townhalls", fmt.Sprintf(`{"title":{"da":"Andet møde"},"starts_at":%q,"ends_at":%q,"moderation":"post","politicians":["mayor@example.dk"]}`,
			time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))
		id2 := idOf(t, a)
		c := e.Browser()
		q1 := idOf(t, c.PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Første"}`))
		idOf(t, c.PostJSON("/api/v1/townhalls/"+id2+"/questions", `{"text":"Andet"}`))
		c.PostJSON("/api/v1/questions/"+q1+"/votes", `{}`)
		var keys []string
		e.DB.Model(&models.TownHallQuestion{}).Order("townhall_id").Pluck("participant", &keys)
		var vkeys []string
		e.DB.Model(&models.TownHallVote{}).Pluck("participant", &vkeys)
		if len(keys) != 2 || keys[0] == keys[1] || len(vkeys) != 1 {
			t.Fatalf("keys %v votes %v", keys, vkeys)
		}
		for _, k := range append(keys, vkeys...) {
			if len(k) != 64 || strings.ContainsAny(k, ":ghijklmnopqrstuvwxyz") {
				t.Fatalf("participant key %q is not an HMAC", k)
			}
		}
		// Public created_at: to the minute, in the API and in the events.
		var out struct {
			Questions []struct {
				CreatedAt time.Time `json:"created_at"`
			} `json:"questions"`
		}
		_ = json.Unmarshal([]byte(c.Get("/api/v1/townhalls/"+id).Body), &out)
		if len(out.Questions) != 1 || out.Questions[0].CreatedAt.Second() != 0 || out.Questions[0].CreatedAt.Nanosecond() != 0 {
			t.Fatalf("created_at: %+v", out)
		}
		var payload string
		e.DB.Model(&models.LiveEvent{}).Where("subject_id = ? AND type = ?", q1, townhall.EventApproved).Select("payload").Scan(&payload)
		var ev struct {
			CreatedAt time.Time `json:"created_at"`
		}
		if err := json.Unmarshal([]byte(payload), &ev); err != nil || ev.CreatedAt.Second() != 0 || ev.CreatedAt.Nanosecond() != 0 {
			t.Fatalf("event created_at: %s", payload)
		}
	})
}

// TestFormsShowErrorsInPlace: the moderators' page links its error summary
// to the control of the question concerned and logs rules by title; the
// console keeps a politician's typed answer after an error.
func TestFormsShowErrorsInPlace(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, _, _, id := setup(t, e, "post")
		qid := idOf(t, e.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Hvad med havnen?"}`))
		mod := e.Browser()
		mod.Login("mod@example.dk", webtest.Password)
		tok := mod.CSRF("/moderate/townhalls/" + id)
		a := mod.PostForm("/moderate/questions/"+qid+"?lang=en", url.Values{"_csrf": {tok}, "action": {"hide"}})
		if a.Status != 422 {
			t.Fatalf("hide without a rule: %d", a.Status)
		}
		webtest.Contains(t, a, `<a href="#reason-`+qid+`">`, `id="reason-`+qid+`-error"`, `id="reason-`+qid+`" name="reason" required aria-invalid="true" aria-describedby="reason-`+qid+`-error"`)
		// A conflict shows on the page with its own status.
		a = mod.PostForm("/moderate/questions/"+qid+"?lang=en", url.Values{"_csrf": {tok}, "action": {"merge"}, "into": {qid}})
		if a.Status != 422 {
			t.Fatalf("merge into itself: %d", a.Status)
		}
		webtest.Contains(t, a, `<a href="#into-`+qid+`">`)
		if a := mod.PostForm("/moderate/questions/"+qid, url.Values{"_csrf": {tok}, "action": {"hide"}, "reason": {"no_campaigning"}, "note": {"valgkamp"}}); a.Status != 303 {
			t.Fatalf("hide: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, mod.Get("/moderate/townhalls/"+id+"?lang=en"), "<td>No campaigning – valgkamp</td>")
		// The console keeps the typed answer after an error.
		q2 := idOf(t, e.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Og stranden?"}`))
		pol := e.Browser()
		pol.Login("mayor@example.dk", webtest.Password)
		tok = pol.CSRF("/politician/townhalls/" + id)
		long := strings.Repeat("Lang tekst. ", townhall.MaxAnswer/10)
		a = pol.PostForm("/politician/questions/"+q2+"/answers", url.Values{"_csrf": {tok}, "text": {long}})
		if a.Status != 422 {
			t.Fatalf("long answer: %d", a.Status)
		}
		webtest.Contains(t, a, `<a href="#text-`+q2+`">`, `id="text-`+q2+`-error"`, `aria-invalid="true" aria-describedby="text-`+q2+`-error">`+strings.TrimSpace(long)[:40])
		// The vote button says its state once, and names its question.
		webtest.Contains(t, e.Browser().Get("/townhalls/"+id), `aria-pressed="false" aria-describedby="qt-`+q2+`"`, `id="qt-`+q2+`"`)
	})
}

// TestFloodLimitAtomic: parallel questions of one participant cannot all
// pass the limit; callers without a cookie are limited per address.
func TestFloodLimitAtomic(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		e := webtest.NewEnv(t, gdb, func(c *config.Config) { c.TownHallIPRate = 20 })
		_, _, _, id := setup(t, e, "post")
		th, err := e.Srv.TownHalls().Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		p := townhall.Participant{Key: e.Srv.TownHalls().ParticipantKey(id, "p", "flooder")}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := range 3 * townhall.FloodLimit {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.Srv.TownHalls().Ask(t.Context(), th, p, fmt.Sprintf("Spørgsmål nummer %d", i), ""); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if ok != townhall.FloodLimit {
			t.Fatalf("%d questions got through, want %d", ok, townhall.FloodLimit)
		}
		// Without a cookie every call is a new participant: the address's
		// allowance (20 a minute; a new participant costs 4, a question 1)
		// runs out after four.
		var last webtest.Answer
		for i := range 5 {
			last = e.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions?lang=en", fmt.Sprintf(`{"text":"Uden cookie %d"}`, i))
			if i < 4 && last.Status != 201 {
				t.Fatalf("question %d: %d %s", i, last.Status, last.Body)
			}
		}
		if last.Status != 429 || !strings.Contains(last.Body, "wait ten minutes") {
			t.Fatalf("fifth question without a cookie: %d %s", last.Status, last.Body)
		}
	})
}

// TestPanelParticipation: only panel members who opened their link take
// part, and only while they are members; an anonymous participant of
// another town hall does not get the form.
func TestPanelParticipation(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff, _, _, open := setup(t, e, "post")
		now := time.Now().UTC()
		panel := models.Panel{ID: models.NewID(), Name: models.Text{"da": "Borgerpanel"}, Description: models.Text{}, Fields: "[]", CreatedAt: now, UpdatedAt: now}
		if err := e.DB.Create(&panel).Error; err != nil {
			t.Fatal(err)
		}
		mid := models.NewID()
		token := e.Srv.Panels().MemberToken(mid)
		sum := sha256.Sum256([]byte(token))
		if err := e.DB.Create(&models.PanelMember{ID: mid, PanelID: panel.ID, Email: "m@example.org", Language: "da", Status: models.MemberActive,
			TokenHash: hex.EncodeToString(sum[:]), Source: "import", ConfirmExpiresAt: now, CreatedAt: now, ConfirmedAt: &now}).Error; err != nil {
			t.Fatal(err)
		}
		a := staff.PostJSON("/api/v1/townhalls", fmt.Sprintf(`{"title":{"da":"Panelmøde"},"starts_at":%q,"ends_at":%q,"participation":"panel","panel_id":%q,"politicians":["mayor@example.dk"]}`,
			now.Add(-time.Minute).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339), panel.ID))
		id := idOf(t, a)
		form := `action="/townhalls/` + id + `/questions"`
		// An anonymous participant (of another town hall) gets no form.
		anon := e.Browser()
		idOf(t, anon.PostJSON("/api/v1/townhalls/"+open+"/questions", `{"text":"Et spørgsmål"}`))
		if p := anon.Get("/townhalls/" + id); strings.Contains(p.Body, form) {
			t.Fatal("an anonymous participant gets the form of a panel town hall")
		}
		if a := anon.PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Må jeg?"}`); a.Status != 403 {
			t.Fatalf("anonymous question: %d", a.Status)
		}
		m := e.Browser()
		if a := m.Get("/townhalls/" + id + "/panel/" + token); a.Status != 303 {
			t.Fatalf("panel link: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, m.Get("/townhalls/"+id), form)
		if a := m.PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Som medlem"}`); a.Status != 201 {
			t.Fatalf("member question: %d %s", a.Status, a.Body)
		}
		// No longer a member: refused, though the browser still has the link's mark.
		e.DB.Where("id = ?", mid).Delete(&models.PanelMember{})
		if a := m.PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Igen"}`); a.Status != 403 {
			t.Fatalf("question after leaving: %d %s", a.Status, a.Body)
		}
	})
}

// TestPurgeEvents: a town hall's stored events go a week after it ended.
func TestPurgeEvents(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, _, _, old := setup(t, e, "post")
		_, _, _, live := setup2(t, e)
		for _, id := range []string{old, live} {
			e.Browser().PostJSON("/api/v1/townhalls/"+id+"/questions", `{"text":"Et spørgsmål"}`)
		}
		now := e.Srv.TownHalls().Now()
		e.DB.Model(&models.TownHall{}).Where("id = ?", old).Updates(map[string]any{"starts_at": now.Add(-8 * 24 * time.Hour), "ends_at": now.Add(-8*24*time.Hour + time.Hour)})
		n, err := e.Srv.TownHalls().PurgeEvents(t.Context())
		if err != nil || n != 1 {
			t.Fatalf("purged %d events (%v), want 1", n, err)
		}
		var left int64
		e.DB.Model(&models.LiveEvent{}).Where("stream = ?", townhall.Stream(live)).Count(&left)
		if left != 1 {
			t.Fatalf("events of the live town hall: %d", left)
		}
	})
}

// setup2 makes a second live town hall with the accounts of setup.
func setup2(t *testing.T, e *webtest.Env) (staff, mod, pol *webtest.Browser, id string) {
	t.Helper()
	staff = e.APIClient("staff2@example.dk", "staff")
	a := staff.PostJSON("/api/v1/townhalls", fmt.Sprintf(`{"title":{"da":"Andet"},"starts_at":%q,"ends_at":%q,"moderation":"post","politicians":["mayor@example.dk"]}`,
		time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))
	return staff, nil, nil, idOf(t, a)
}
