package ideas_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// consultation opens a consultation through the API and returns its id.
func consultation(t *testing.T, staff *webtest.Browser, moderation string, anonymous bool, opens, closes time.Time) string {
	t.Helper()
	a := staff.PostJSON("/api/v1/consultations", fmt.Sprintf(`{
		"title": {"da": "Cykelstrategi 2030", "en": "Cycling strategy 2030"},
		"description": {"da": "Hvordan bliver byen bedre at cykle i?", "en": "How can the city become better to cycle in?"},
		"categories": [{"key": "routes", "label": {"da": "Sikre ruter", "en": "Safe routes"}},
		               {"label": {"da": "Cykelparkering", "en": "Bike parking"}}],
		"opens_at": %q, "closes_at": %q, "moderation": %q, "anonymous": %t}`,
		opens.UTC().Format(time.RFC3339), closes.UTC().Format(time.RFC3339), moderation, anonymous))
	if a.Status != 201 {
		t.Fatalf("create consultation: %d %s", a.Status, a.Body)
	}
	var out struct {
		ID         string
		Categories []struct{ Key string }
	}
	if err := json.Unmarshal([]byte(a.Body), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Categories) != 2 || out.Categories[1].Key != "cykelparkering" {
		t.Fatalf("categories: %+v (a key is made from the Danish label)", out.Categories)
	}
	return out.ID
}

func openConsultation(t *testing.T, e *webtest.Env, moderation string) (staff *webtest.Browser, id string) {
	staff = e.APIClient("staff@example.dk", "staff")
	now := e.Clock.Now()
	return staff, consultation(t, staff, moderation, true, now.Add(-time.Hour), now.Add(30*24*time.Hour))
}

// submit posts an idea through the page form and returns its id.
func submit(t *testing.T, b *webtest.Browser, consID string, form url.Values) string {
	t.Helper()
	form.Set("_csrf", b.CSRF("/consultations/"+consID+"/ideas/new"))
	a := b.PostForm("/consultations/"+consID+"/ideas", form)
	if a.Status != 303 || !strings.HasPrefix(a.Header.Get("Location"), "/ideas/") {
		t.Fatalf("submit: %d %s %s", a.Status, a.Header.Get("Location"), a.Body)
	}
	return strings.TrimPrefix(a.Header.Get("Location"), "/ideas/")
}

func ideaRow(t *testing.T, e *webtest.Env, id string) models.Idea {
	t.Helper()
	var i models.Idea
	if err := e.DB.Where("id = ?", id).Take(&i).Error; err != nil {
		t.Fatal(err)
	}
	return i
}

func TestCitizenSharesSupportsAndDiscussesAnIdea(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, cons := openConsultation(t, e, "post")
		anna := e.Browser()
		id := submit(t, anna, cons, url.Values{
			"title": {`Cykelsti på <script>alert(1)</script> Åboulevarden`}, "body": {"Der mangler en sikker cykelsti.\n\nIsær om morgenen."},
			"category": {"routes"}, "place": {"Åboulevarden / Rosenørns Allé"}, "lat": {"55,6841"}, "lng": {"12.5518"},
			"display_name": {"Anna"},
		})
		i := ideaRow(t, e, id)
		if i.Visibility != models.PostPublished || i.Lat == nil || *i.Lat != 55.6841 || i.PlaceLabel != "Åboulevarden / Rosenørns Allé" {
			t.Fatalf("stored idea: %+v", i)
		}
		page := anna.Get("/ideas/" + id + "?lang=da")
		webtest.Contains(t, page, "Tak. Din idé er offentliggjort.", "Cykelsti på &lt;script&gt;alert(1)&lt;/script&gt; Åboulevarden", "Sikre ruter", "Anna", "Især om morgenen.")
		if strings.Contains(page.Body, "<script>alert(1)") {
			t.Fatal("the title is not escaped")
		}

		// Supports: once per participant, withdrawn, and again.
		bo := e.Browser()
		tok := bo.CSRF("/ideas/" + id)
		for range 2 {
			if a := bo.PostForm("/ideas/"+id+"/support", url.Values{"_csrf": {tok}}); a.Status != 303 {
				t.Fatalf("support: %d %s", a.Status, a.Body)
			}
		}
		if n := ideaRow(t, e, id).Supports; n != 1 {
			t.Fatalf("after two supports by one person: %d, want 1", n)
		}
		webtest.Contains(t, bo.Get("/ideas/"+id+"?lang=en"), "1 support", `aria-pressed="true"`)
		a := bo.PostJSON("/api/v1/ideas/"+id+"/supports", `{}`)
		if a.Status != 200 || !strings.Contains(a.Body, `"supports":1`) {
			t.Fatalf("second support over the API: %d %s", a.Status, a.Body)
		}
		bo.PostForm("/ideas/"+id+"/support", url.Values{"_csrf": {tok}, "withdraw": {"1"}})
		if n := ideaRow(t, e, id).Supports; n != 0 {
			t.Fatalf("after withdrawing: %d", n)
		}

		// Comments with one level of replies.
		tok = bo.CSRF("/ideas/" + id)
		a = bo.PostForm("/ideas/"+id+"/comments", url.Values{"_csrf": {tok}, "body": {"Enig! <b>Farligt</b> kryds."}, "display_name": {"Bo"}})
		if a.Status != 303 {
			t.Fatalf("comment: %d %s", a.Status, a.Body)
		}
		var top models.IdeaComment
		e.DB.Where("idea_id = ?", id).Take(&top)
		a = anna.PostJSON("/api/v1/ideas/"+id+"/comments", fmt.Sprintf(`{"body": "Tak, Bo.", "parent_id": %q}`, top.ID))
		if a.Status != 201 {
			t.Fatalf("reply: %d %s", a.Status, a.Body)
		}
		var reply struct{ ID string }
		_ = json.Unmarshal([]byte(a.Body), &reply)
		a = anna.PostJSON("/api/v1/ideas/"+id+"/comments", fmt.Sprintf(`{"body": "Svar på svar", "parent_id": %q}`, reply.ID))
		if code, fields := webtest.ErrorCode(t, a); a.Status != 422 || code != "validation_failed" || fields["parent_id"] == "" {
			t.Fatalf("reply to a reply: %d %s", a.Status, a.Body)
		}
		if n := ideaRow(t, e, id).Comments; n != 2 {
			t.Fatalf("comments: %d, want 2", n)
		}
		thread := anna.Get("/api/v1/ideas/" + id + "/comments")
		var th struct {
			Comments []struct {
				Body    string
				Replies []struct{ Body string }
			}
		}
		_ = json.Unmarshal([]byte(thread.Body), &th)
		if len(th.Comments) != 1 || len(th.Comments[0].Replies) != 1 || th.Comments[0].Replies[0].Body != "Tak, Bo." {
			t.Fatalf("thread: %s", thread.Body)
		}
		webtest.Contains(t, anna.Get("/ideas/"+id+"?lang=nl"), "Enig! &lt;b&gt;Farligt&lt;/b&gt; kryds.", "Tak, Bo.", "2 reacties")
	})
}

func TestIdeaListsSortFilterSearchAndPage(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, cons := openConsultation(t, e, "post")
		author := e.APIClient("author@example.dk", "staff") // staff may post too; no flood limit in the way
		var ids []string
		for n := range 25 {
			cat := "routes"
			if n%5 == 0 {
				cat = "cykelparkering"
			}
			title := fmt.Sprintf("Idé nummer %02d", n)
			if n == 7 {
				title = "100% sikre skoleveje"
			}
			a := author.PostJSON("/api/v1/consultations/"+cons+"/ideas", fmt.Sprintf(`{"title": %q, "body": "Tekst", "category": %q}`, title, cat))
			if a.Status == 429 {
				e.Clock.Add(11 * time.Minute)
				a = author.PostJSON("/api/v1/consultations/"+cons+"/ideas", fmt.Sprintf(`{"title": %q, "body": "Tekst", "category": %q}`, title, cat))
			}
			if a.Status != 201 {
				t.Fatalf("idea %d: %d %s", n, a.Status, a.Body)
			}
			var out struct{ ID string }
			_ = json.Unmarshal([]byte(a.Body), &out)
			ids = append(ids, out.ID)
			e.Clock.Add(time.Second)
			// Supports as the n-th idea's number (ties at 0 for the first ones).
			e.DB.Exec("UPDATE ideas SET supports = ?, comments = ? WHERE id = ?", n/2, 25-n, out.ID)
		}
		type page struct {
			Ideas []struct {
				ID       string
				Supports int
				Comments int
				Title    string
			}
			Next *string
		}
		get := func(q string) page {
			t.Helper()
			a := e.Browser().Get("/api/v1/consultations/" + cons + "/ideas?" + q)
			if a.Status != 200 {
				t.Fatalf("%s: %d %s", q, a.Status, a.Body)
			}
			var p page
			if err := json.Unmarshal([]byte(a.Body), &p); err != nil {
				t.Fatal(err)
			}
			return p
		}
		// All pages by supports: every idea once, in order.
		seen := map[string]bool{}
		last := 1 << 30
		q := "sort=supports&limit=7"
		pages := 0
		for {
			p := get(q)
			pages++
			for _, i := range p.Ideas {
				if seen[i.ID] {
					t.Fatalf("idea %s on two pages", i.ID)
				}
				if i.Supports > last {
					t.Fatalf("not sorted by supports: %d after %d", i.Supports, last)
				}
				seen[i.ID], last = true, i.Supports
			}
			if p.Next == nil {
				break
			}
			q = "sort=supports&limit=7&cursor=" + url.QueryEscape(*p.Next)
		}
		if len(seen) != 25 || pages != 4 {
			t.Fatalf("paged through %d ideas on %d pages, want 25 on 4", len(seen), pages)
		}
		if p := get("sort=comments&limit=1"); p.Ideas[0].Comments != 25 {
			t.Fatalf("most discussed first: %+v", p.Ideas)
		}
		if p := get("sort=new&limit=1"); p.Ideas[0].ID != ids[24] {
			t.Fatalf("newest first: %+v", p.Ideas)
		}
		if p := get("category=cykelparkering&limit=100"); len(p.Ideas) != 5 {
			t.Fatalf("category filter: %d ideas", len(p.Ideas))
		}
		if p := get("q=" + url.QueryEscape("100%")); len(p.Ideas) != 1 || p.Ideas[0].Title != "100% sikre skoleveje" {
			t.Fatalf("search for a literal %%: %+v", p.Ideas)
		}
		if p := get("q=" + url.QueryEscape("_")); len(p.Ideas) != 0 {
			t.Fatalf("search for a literal _ found %d", len(p.Ideas))
		}
		if p := get("status=none&limit=100"); len(p.Ideas) != 25 {
			t.Fatalf("ideas without a status: %d", len(p.Ideas))
		}
		for _, bad := range []url.Values{{"sort": {"votes"}}, {"sort": {"supports;DROP TABLE ideas"}}, {"status": {"done"}},
			{"category": {"x' OR '1'='1"}}, {"cursor": {"abc"}}, {"limit": {"1000"}}, {"limit": {"x"}}, {"q": {strings.Repeat("x", 101)}}} {
			a := e.Browser().Get("/api/v1/consultations/" + cons + "/ideas?" + bad.Encode())
			if code, _ := webtest.ErrorCode(t, a); a.Status != 400 || code != "bad_query" {
				t.Errorf("%s: %d %s", bad, a.Status, a.Body)
			}
		}
		// The page: the same list, filters by a GET form, a link to the next page.
		p := e.Browser().Get("/consultations/" + cons + "?lang=da&sort=new")
		webtest.Contains(t, p, "Cykelstrategi 2030", "Idé nummer 24", `rel="next"`, "Mest debatterede", "100% sikre skoleveje")
		if a := e.Browser().Get("/consultations/" + cons + "?sort=evil"); a.Status != 400 {
			t.Fatalf("bad sort on the page: %d", a.Status)
		}
	})
}

func TestBadIdeasChangeNothing(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff, cons := openConsultation(t, e, "post")
		b := e.Browser()
		b.CSRF("/consultations/" + cons + "/ideas/new") // a session
		cases := []struct {
			body, field string
		}{
			{`{"title": "", "body": "x", "category": "routes"}`, "title"},
			{`{"title": "   ", "body": "x", "category": "routes"}`, "title"},
			{fmt.Sprintf(`{"title": "t", "body": %q, "category": "routes"}`, strings.Repeat("å", 5001)), "body"},
			{`{"title": "t", "body": "x"}`, "category"},
			{`{"title": "t", "body": "x", "category": "nope"}`, "category"},
			{`{"title": "t", "body": "x", "category": "routes", "location": {"lat": 91, "lng": 12}}`, "location.lat"},
			{`{"title": "t", "body": "x", "category": "routes", "location": {"lat": 55}}`, "location"},
		}
		for _, c := range cases {
			a := b.PostJSON("/api/v1/consultations/"+cons+"/ideas", c.body)
			if code, fields := webtest.ErrorCode(t, a); a.Status != 422 || code != "validation_failed" || fields[c.field] == "" {
				t.Errorf("%.60s: %d %s", c.body, a.Status, a.Body)
			}
		}
		if a := b.PostJSON("/api/v1/consultations/"+cons+"/ideas", `{"title": 5}`); a.Status != 400 && a.Status != 422 {
			t.Errorf("wrong type: %d %s", a.Status, a.Body)
		}
		if a := b.PostJSON("/api/v1/consultations/"+cons+"/ideas", `{"title": "t\u0000", "body": "x", "category": "routes"}`); a.Status != 400 {
			t.Errorf("NUL in a title: %d %s", a.Status, a.Body)
		}
		// The form shows the errors in Danish and keeps what was typed.
		tok := b.CSRF("/consultations/" + cons + "/ideas/new")
		a := b.PostForm("/consultations/"+cons+"/ideas?lang=da", url.Values{"_csrf": {tok}, "title": {""}, "body": {"<i>min tekst</i>"}, "category": {"routes"}, "lat": {"nord"}})
		if a.Status != 422 {
			t.Fatalf("bad form: %d", a.Status)
		}
		webtest.Contains(t, a, "Udfyld dette felt.", "Skriv en breddegrad mellem -90 og 90", "&lt;i&gt;min tekst&lt;/i&gt;")
		var n int64
		e.DB.Model(&models.Idea{}).Count(&n)
		if n != 0 {
			t.Fatalf("%d ideas stored from bad input", n)
		}
		// Forged CSRF.
		if a := b.PostForm("/consultations/"+cons+"/ideas", url.Values{"_csrf": {"forged"}, "title": {"t"}, "body": {"b"}, "category": {"routes"}}); a.Status != 403 {
			t.Fatalf("forged CSRF: %d", a.Status)
		}
		// A flood of ideas: the sixth within ten minutes is refused.
		for n := range 6 {
			a := b.PostJSON("/api/v1/consultations/"+cons+"/ideas", fmt.Sprintf(`{"title": "Idé %d", "body": "x", "category": "routes"}`, n))
			want := 201
			if n == 5 {
				want = 429
			}
			if a.Status != want {
				t.Fatalf("idea %d: %d %s", n, a.Status, a.Body)
			}
		}
		// A hidden idea takes no comments and no supports: 404.
		var hidden models.Idea
		e.DB.Where("consultation_id = ?", cons).Order("created_at").Take(&hidden)
		e.DB.Model(&hidden).Updates(map[string]any{"visibility": models.PostHidden, "rule_key": "respect"})
		c := e.Browser()
		if a := c.PostJSON("/api/v1/ideas/"+hidden.ID+"/comments", `{"body": "hej"}`); a.Status != 404 {
			t.Fatalf("comment on a hidden idea: %d %s", a.Status, a.Body)
		}
		if a := c.PostJSON("/api/v1/ideas/"+hidden.ID+"/supports", `{}`); a.Status != 404 {
			t.Fatalf("support of a hidden idea: %d %s", a.Status, a.Body)
		}
		tok = c.CSRF("/consultations/" + cons + "/ideas/new")
		if a := c.PostForm("/ideas/"+hidden.ID+"/comments", url.Values{"_csrf": {tok}, "body": {"hej"}}); a.Status != 404 {
			t.Fatalf("comment form on a hidden idea: %d", a.Status)
		}
		// The public sees that a moderator hid it, and under which rule.
		webtest.Contains(t, c.Get("/ideas/"+hidden.ID+"?lang=en"), "A moderator hid this idea under the house rule “Show respect”.")
		if strings.Contains(c.Get("/ideas/"+hidden.ID).Body, "Idé 0") {
			t.Fatal("the hidden idea's text is shown")
		}
		// A closed consultation takes nothing more.
		now := e.Clock.Now()
		closed := consultation(t, staff, "post", true, now.Add(-48*time.Hour), now.Add(-time.Hour))
		if a := c.PostJSON("/api/v1/consultations/"+closed+"/ideas", `{"title": "t", "body": "x", "category": "routes"}`); a.Status != 409 {
			t.Fatalf("idea in a closed consultation: %d %s", a.Status, a.Body)
		}
		// Without anonymous participation, a visitor must sign in.
		signed := consultation(t, staff, "post", false, now.Add(-time.Hour), now.Add(time.Hour))
		if a := c.PostJSON("/api/v1/consultations/"+signed+"/ideas", `{"title": "t", "body": "x", "category": "routes"}`); a.Status != 403 {
			t.Fatalf("anonymous idea where sign-in is required: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, c.Get("/consultations/"+signed+"/ideas/new?lang=da"), "Log ind for at deltage", "/signin?next=")
		// Citizens cannot open consultations.
		if a := c.PostJSON("/api/v1/consultations", `{}`); a.Status != 401 && a.Status != 403 {
			t.Fatalf("citizen opens a consultation: %d", a.Status)
		}
	})
}

func TestPreModeratedIdeasWaitUnseen(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, cons := openConsultation(t, e, "pre")
		anna := e.Browser()
		id := submit(t, anna, cons, url.Values{"title": {"Flere cykelstativer ved Nørreport"}, "body": {"Der er aldrig plads."}, "category": {"cykelparkering"}})
		webtest.Contains(t, anna.Get("/ideas/"+id+"?lang=en"), "Your idea waits for a moderator.", "Flere cykelstativer ved Nørreport")
		if a := e.Browser().Get("/ideas/" + id); a.Status != 404 {
			t.Fatalf("someone else sees a pending idea: %d", a.Status)
		}
		if a := e.Browser().Get("/api/v1/ideas/" + id); a.Status != 404 {
			t.Fatalf("the API shows a pending idea: %d", a.Status)
		}
		if p := e.Browser().Get("/consultations/" + cons); strings.Contains(p.Body, "Nørreport") {
			t.Fatal("a pending idea is listed")
		}
	})
}

func TestParallelSupportsCountOnce(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, cons := openConsultation(t, e, "post")
		id := submit(t, e.Browser(), cons, url.Values{"title": {"Grøn bølge på Nørrebrogade"}, "body": {"x"}, "category": {"routes"}})
		people := make([]*webtest.Browser, 12)
		for i := range people {
			people[i] = e.Browser()
			people[i].CSRF("/ideas/" + id)
		}
		var wg sync.WaitGroup
		for _, p := range people {
			for range 3 { // each person three times at once, from one cookie
				q := &webtest.Browser{E: e, Cookies: maps.Clone(p.Cookies), Header: p.Header.Clone()}
				wg.Add(1)
				go func() {
					defer wg.Done()
					q.Do("POST", "/api/v1/ideas/"+id+"/supports", strings.NewReader("{}"), "application/json")
				}()
			}
		}
		wg.Wait()
		var rows int64
		e.DB.Model(&models.IdeaSupport{}).Where("idea_id = ?", id).Count(&rows)
		if n := ideaRow(t, e, id).Supports; n != 12 || rows != 12 {
			t.Fatalf("supports %d, rows %d; want 12 and 12", n, rows)
		}
	})
}
