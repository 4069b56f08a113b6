package townhall_test

import (
	"bufio"
	"context"
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
		webtest.Contains(t, citizen.Get("/townhalls/"+id+"?lang=en"), "1 vote", "Withdraw my vote")
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
