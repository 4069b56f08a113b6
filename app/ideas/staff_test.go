package ideas_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// stLocal is the platform's default zone, the one the staff form uses.
func stLocal(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// stStaff signs a staff member in and returns their browser.
func stStaff(t *testing.T, e *webtest.Env) *webtest.Browser {
	t.Helper()
	e.Account("comms@example.dk", "staff")
	b := e.Browser()
	if a := b.Login("comms@example.dk", webtest.Password); a.Status != 303 {
		t.Fatalf("login: %d", a.Status)
	}
	return b
}

// stForm is a valid new-consultation form: open from an hour ago (local
// time) for 30 days, two categories (one key made from the Danish label),
// pre-moderated, for signed-in citizens only.
func stForm(tok string, opens time.Time, loc *time.Location) url.Values {
	return url.Values{"_csrf": {tok},
		"title_da": {"Cykelstrategi for Valby"}, "title_en": {"Cycling strategy for Valby"},
		"description_da": {"Hvor skal der cykelstier?"}, "background_nl": {"Achtergrond in het Nederlands."},
		"cat_0_key": {""}, "cat_0_da": {"Sikre ruter"}, "cat_0_nl": {""}, "cat_0_en": {"Safe routes"},
		"cat_1_key": {"parkering"}, "cat_1_da": {"Cykelparkering"}, "cat_1_nl": {"Fietsparkeren"}, "cat_1_en": {""},
		"cat_2_key": {""}, "cat_2_da": {""}, "cat_2_nl": {""}, "cat_2_en": {""},
		"opens_at":   {opens.In(loc).Format("2006-01-02T15:04")},
		"closes_at":  {opens.Add(30 * 24 * time.Hour).In(loc).Format("2006-01-02T15:04")},
		"moderation": {"pre"}, "anonymous": {"no"}}
}

func stCount(t *testing.T, e *webtest.Env, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	q := e.DB.Model(model)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStaffCreatesConsultationThroughForm(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		loc := stLocal(t)
		staff := stStaff(t, e)
		webtest.Contains(t, staff.Get("/staff?lang=en"), `href="/staff/consultations"`)
		empty := staff.Get("/staff/consultations?lang=en")
		webtest.Contains(t, empty, "Manage consultations", "There are no consultations yet.", `href="/staff/consultations/new"`)
		page := staff.Get("/staff/consultations/new?lang=en")
		webtest.Contains(t, page, `name="title_nl"`, `name="background_en"`, `name="cat_4_key"`, `type="datetime-local"`, "(Europe/Copenhagen)", `id="moderation-post" name="moderation" value="post" checked`)
		opens := time.Now().Add(-time.Hour).Truncate(time.Minute)
		a := staff.PostForm("/staff/consultations", stForm(staff.CSRF("/staff/consultations/new"), opens, loc))
		if a.Status != 303 {
			t.Fatalf("create: %d %s", a.Status, a.Body)
		}
		id := strings.TrimPrefix(a.Header.Get("Location"), "/staff/consultations/")
		var c models.Consultation
		if err := e.DB.Where("id = ?", id).Take(&c).Error; err != nil {
			t.Fatal(err)
		}
		if c.Title["da"] != "Cykelstrategi for Valby" || c.Title["en"] != "Cycling strategy for Valby" || c.Title["nl"] != "" ||
			c.Description["da"] != "Hvor skal der cykelstier?" || c.Background["nl"] != "Achtergrond in het Nederlands." {
			t.Fatalf("texts: %+v %+v %+v", c.Title, c.Description, c.Background)
		}
		if len(c.Categories) != 2 || c.Categories[0].Key != "sikre-ruter" || c.Categories[0].Label["en"] != "Safe routes" ||
			c.Categories[1].Key != "parkering" || c.Categories[1].Label["nl"] != "Fietsparkeren" {
			t.Fatalf("categories: %+v", c.Categories)
		}
		// The times were typed in Copenhagen time.
		if !c.OpensAt.Equal(opens) || !c.ClosesAt.Equal(opens.Add(30*24*time.Hour)) {
			t.Fatalf("times: %s – %s, want %s", c.OpensAt, c.ClosesAt, opens)
		}
		if c.Moderation != models.ModerationPre || c.Anonymous || c.CreatedBy == nil {
			t.Fatalf("settings: %q anonymous %v by %v", c.Moderation, c.Anonymous, c.CreatedBy)
		}
		show := staff.Get("/staff/consultations/" + id + "?lang=en")
		webtest.Contains(t, show, "The consultation has been created.", "Cycling strategy for Valby", "Open for ideas", "Safe routes, Cykelparkering",
			`href="/consultations/`+id+`"`, `href="/moderate/consultations/`+id+`"`, `href="/staff/consultations/`+id+`/edit"`, "No ideas yet.")
		webtest.Contains(t, staff.Get("/staff/consultations?lang=da"), "Cykelstrategi for Valby", "Åben for idéer")
		// Open now: on the public home page, linked to its page.
		home := e.Browser().Get("/?lang=en")
		webtest.Contains(t, home, `<a href="/consultations/`+id+`">Cycling strategy for Valby</a>`, "Send your ideas until")

		// The settings form shows what is stored; saving changes it.
		edit := staff.Get("/staff/consultations/" + id + "/edit?lang=en")
		webtest.Contains(t, edit, `value="sikre-ruter"`, `value="Fietsparkeren"`, `value="`+opens.In(loc).Format("2006-01-02T15:04")+`"`,
			`id="anonymous-no" name="anonymous" value="no" checked`, `name="cat_4_da"`)
		f := stForm(staff.CSRF("/staff/consultations/"+id+"/edit"), opens, loc)
		f.Set("title_nl", "Fietsstrategie voor Valby")
		f.Set("cat_0_key", "sikre-ruter")
		f.Set("cat_1_da", "")
		f.Set("cat_1_nl", "")
		f.Set("cat_1_key", "")
		f.Set("anonymous", "yes")
		if a := staff.PostForm("/staff/consultations/"+id, f); a.Status != 303 {
			t.Fatalf("save: %d %s", a.Status, a.Body)
		}
		_ = e.DB.Where("id = ?", id).Take(&c).Error
		if c.Title["nl"] != "Fietsstrategie voor Valby" || len(c.Categories) != 1 || !c.Anonymous {
			t.Fatalf("after saving: %+v %+v anonymous %v", c.Title, c.Categories, c.Anonymous)
		}
		// Closed: no longer on the home page.
		e.Clock.Add(31 * 24 * time.Hour)
		if a := e.Browser().Get("/?lang=en"); strings.Contains(a.Body, "/consultations/"+id) {
			t.Fatal("a closed consultation is listed as open")
		}
		staff = e.Browser()
		staff.Login("comms@example.dk", webtest.Password)
		webtest.Contains(t, staff.Get("/staff/consultations?lang=en"), "Closed")
	})
}

func TestStaffConsultationFormErrors(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		loc := stLocal(t)
		staff := stStaff(t, e)
		tok := staff.CSRF("/staff/consultations/new")
		opens := time.Now().Add(24 * time.Hour)
		cases := []struct {
			name  string
			edit  func(url.Values)
			wants []string
		}{
			{"closes before opens", func(f url.Values) { f.Set("closes_at", opens.Add(-time.Hour).In(loc).Format("2006-01-02T15:04")) },
				[]string{`<a href="#closes_at">`, `id="closes_at-error"`, `aria-invalid="true"`}},
			{"no title", func(f url.Values) { f.Set("title_da", ""); f.Set("title_en", " ") },
				[]string{`<a href="#title">`, `id="title_da-error"`}},
			{"bad category key", func(f url.Values) { f.Set("cat_1_key", "cykel parkering!") },
				[]string{`<a href="#categories">`, `id="categories-error"`, `value="cykel parkering!"`}},
			{"category without a name", func(f url.Values) { f.Set("cat_2_key", "vinter") },
				[]string{`<a href="#categories">`}},
			{"unreadable date", func(f url.Values) { f.Set("opens_at", "next monday") },
				[]string{`<a href="#opens_at">`, "Enter a date and time, for example"}},
		}
		for _, tc := range cases {
			f := stForm(tok, opens, loc)
			tc.edit(f)
			a := staff.PostForm("/staff/consultations?lang=en", f)
			if a.Status != 422 {
				t.Fatalf("%s: %d", tc.name, a.Status)
			}
			// The page keeps what was typed and says what is wrong.
			webtest.Contains(t, a, append(tc.wants, `class="error-summary"`, `value="Fietsparkeren"`, `name="cat_2_key"`)...)
			if n := stCount(t, e, &models.Consultation{}, ""); n != 0 {
				t.Fatalf("%s: %d consultations stored", tc.name, n)
			}
		}
		// The message is the store's, in the page's language.
		a := staff.PostForm("/staff/consultations?lang=da", func() url.Values {
			f := stForm(tok, opens, loc)
			f.Set("closes_at", opens.Add(-time.Hour).In(loc).Format("2006-01-02T15:04"))
			return f
		}())
		if a.Status != 422 || strings.Contains(a.Body, "ideas.closes_before_opens") {
			t.Fatalf("closes before opens in Danish: %d, message id shown: %v", a.Status, strings.Contains(a.Body, "ideas.closes_before_opens"))
		}
		// Editing: the same checks, and nothing changes.
		good := staff.PostForm("/staff/consultations", stForm(tok, opens, loc))
		id := strings.TrimPrefix(good.Header.Get("Location"), "/staff/consultations/")
		f := stForm(tok, opens, loc)
		f.Set("title_da", "")
		f.Set("title_en", "")
		if a := staff.PostForm("/staff/consultations/"+id+"?lang=en", f); a.Status != 422 {
			t.Fatalf("save without title: %d", a.Status)
		}
		var c models.Consultation
		_ = e.DB.Where("id = ?", id).Take(&c).Error
		if c.Title["da"] != "Cykelstrategi for Valby" {
			t.Fatalf("title after a refused save: %+v", c.Title)
		}
		if a := staff.Get("/staff/consultations/nosuchconsultation"); a.Status != 404 {
			t.Fatalf("unknown consultation: %d", a.Status)
		}
	})
}

func TestStaffConsultationPagesNeedStaff(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := stStaff(t, e)
		opens := time.Now()
		a := staff.PostForm("/staff/consultations", stForm(staff.CSRF("/staff/consultations/new"), opens, stLocal(t)))
		id := strings.TrimPrefix(a.Header.Get("Location"), "/staff/consultations/")
		pages := []string{"/staff/consultations", "/staff/consultations/new", "/staff/consultations/" + id, "/staff/consultations/" + id + "/edit"}
		visitor := e.Browser()
		for _, p := range pages {
			if a := visitor.Get(p); a.Status/100 != 3 || !strings.HasPrefix(a.Header.Get("Location"), "/login") {
				t.Fatalf("visitor on %s: %d %s", p, a.Status, a.Header.Get("Location"))
			}
		}
		tok := visitor.CSRF("/login")
		if a := visitor.PostForm("/staff/consultations", stForm(tok, opens, stLocal(t))); a.Status/100 != 3 {
			t.Fatalf("visitor creates: %d", a.Status)
		}
		e.Account("mod@example.dk", "moderator")
		mod := e.Browser()
		mod.Login("mod@example.dk", webtest.Password)
		for _, p := range pages {
			if a := mod.Get(p); a.Status != 403 {
				t.Fatalf("moderator on %s: %d", p, a.Status)
			}
		}
		tok = mod.CSRF("/account")
		if a := mod.PostForm("/staff/consultations", stForm(tok, opens, stLocal(t))); a.Status != 403 {
			t.Fatalf("moderator creates: %d", a.Status)
		}
		f := stForm(tok, opens, stLocal(t))
		f.Set("title_da", "Overtaget")
		if a := mod.PostForm("/staff/consultations/"+id, f); a.Status != 403 {
			t.Fatalf("moderator saves: %d", a.Status)
		}
		if n := stCount(t, e, &models.Consultation{}, ""); n != 1 {
			t.Fatalf("%d consultations", n)
		}
		if n := stCount(t, e, &models.Consultation{}, "title LIKE ?", "%Overtaget%"); n != 0 {
			t.Fatal("a moderator changed the consultation")
		}
		webtest.Contains(t, mod.Get("/staff?lang=en"), `href="/moderate/consultations"`)
		if strings.Contains(mod.Get("/staff").Body, `href="/staff/consultations"`) {
			t.Fatal("the moderator's dashboard links to the staff pages")
		}
	})
}

func TestDemoConsultation(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := t.Context()
		c, err := ideas.SeedDemo(ctx, e.DB, nil, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if c.ID != ideas.DemoConsultationID || c.Phase(time.Now()) != models.ConsultationOpen || c.ClosesAt.Sub(c.OpensAt) != 6*7*24*time.Hour ||
			c.Title["da"] != "Cykelstrategi 2030" || c.Title["nl"] != "Fietsstrategie 2030" || c.Title["en"] != "Cycling strategy 2030" || len(c.Categories) < 5 {
			t.Fatalf("demo consultation: %+v", c)
		}
		counts := func() [6]int64 {
			return [6]int64{stCount(t, e, &models.Consultation{}, ""), stCount(t, e, &models.Idea{}, ""), stCount(t, e, &models.IdeaSupport{}, ""),
				stCount(t, e, &models.IdeaComment{}, ""), stCount(t, e, &models.IdeaComment{}, "parent_id IS NOT NULL"), stCount(t, e, &models.IdeaStatusChange{}, "")}
		}
		before := counts()
		if before[1] < 35 || before[1] > 45 || before[2] != ideas.DemoSupports || before[3] < 200 || before[4] < 20 {
			t.Fatalf("demo rows (consultations, ideas, supports, comments, replies, status changes): %v", before)
		}
		// Every count on an idea is the rows it counts.
		var off int64
		if err := e.DB.Raw(`SELECT COUNT(*) FROM ideas i WHERE i.consultation_id = ? AND (
			i.supports <> (SELECT COUNT(*) FROM idea_supports s WHERE s.idea_id = i.id) OR
			i.comments <> (SELECT COUNT(*) FROM idea_comments c WHERE c.idea_id = i.id AND c.visibility = 'published'))`, c.ID).Scan(&off).Error; err != nil {
			t.Fatal(err)
		}
		if off != 0 {
			t.Fatalf("%d demo ideas with counts that are not their rows", off)
		}
		// Replies answer a top-level comment of the same idea.
		var badReplies int64
		_ = e.DB.Raw(`SELECT COUNT(*) FROM idea_comments r JOIN idea_comments p ON p.id = r.parent_id WHERE p.idea_id <> r.idea_id OR p.parent_id IS NOT NULL OR p.created_at > r.created_at`).Scan(&badReplies).Error
		if badReplies != 0 {
			t.Fatalf("%d replies that do not answer a comment of their idea", badReplies)
		}
		// Supports are uneven: a few ideas have most of them.
		var top []int
		_ = e.DB.Model(&models.Idea{}).Where("consultation_id = ?", c.ID).Order("supports DESC").Limit(3).Pluck("supports", &top).Error
		if len(top) != 3 || top[0]+top[1]+top[2] < ideas.DemoSupports/3 {
			t.Fatalf("top supports %v", top)
		}
		var answered []models.Idea
		_ = e.DB.Where("consultation_id = ? AND status <> ''", c.ID).Find(&answered).Error
		statuses := map[string]bool{}
		for _, i := range answered {
			statuses[i.Status] = true
			if i.Explanation["da"] == "" || i.Explanation["nl"] == "" || i.Explanation["en"] == "" || i.StatusAt == nil || i.FirstStatusAt == nil || i.StatusAt.Before(i.CreatedAt) {
				t.Fatalf("answer of %q: %+v", i.Title, i)
			}
		}
		if len(answered) < 8 || len(statuses) != len(models.IdeaStatuses) {
			t.Fatalf("%d ideas answered, statuses %v", len(answered), statuses)
		}
		n, err := ideas.NewStore(e.DB, nil, []byte("k"), nil).Stats(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if n.Supports != ideas.DemoSupports || n.ShareClicks != ideas.DemoShareClicks || n.Comments != before[3] {
			t.Fatalf("stats %+v", n)
		}
		// A second run changes nothing.
		if _, err := ideas.SeedDemo(ctx, e.DB, nil, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if after := counts(); after != before {
			t.Fatalf("second demo run: %v, first %v", after, before)
		}
		// Staff see it with its figures; the public home page lists it.
		staff := stStaff(t, e)
		show := staff.Get("/staff/consultations/" + c.ID + "?lang=en")
		webtest.Contains(t, show, "Cycling strategy 2030", "1,700", "Grøn bølge på Nørrebrogade", "Partly adopted", "Published",
			`href="/staff/ideas/demoidea000000000000"`, `href="/ideas/demoidea000000000039"`, "Bike parking")
		webtest.Contains(t, staff.Get("/staff/consultations?lang=da"), "Cykelstrategi 2030", "1.700")
		webtest.Contains(t, e.Browser().Get("/?lang=nl"), "Fietsstrategie 2030", `href="/consultations/`+c.ID+`"`)
	})
}
