package ideas_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/assets"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// fbConsultation opens a post-moderated consultation through the store.
func fbConsultation(t *testing.T, e *webtest.Env) *models.Consultation {
	t.Helper()
	now := e.Clock.Now()
	opens, closes := now.Add(-time.Hour), now.Add(30*24*time.Hour)
	c, err := e.Srv.Ideas().CreateConsultation(context.Background(), ideas.ConsultationInput{
		Title:       models.Text{"da": "Cykelstrategi 2030", "en": "Cycling strategy 2030"},
		Description: models.Text{"da": "Hvordan bliver byen bedre at cykle i?", "en": "How can the city become better to cycle in?"},
		OpensAt:     &opens, ClosesAt: &closes,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fbAnon is an anonymous participant of c with a made-up session id.
func fbAnon(e *webtest.Env, c *models.Consultation, session string) ideas.Participant {
	return ideas.Participant{Key: e.Srv.Ideas().ParticipantKey(c.ID, "p", session)}
}

// fbCitizen is a signed-in citizen's participant of c.
func fbCitizen(e *webtest.Env, c *models.Consultation, id, name string) ideas.Participant {
	return ideas.Participant{Key: e.Srv.Ideas().ParticipantKey(c.ID, "c", id), CitizenID: &id, Name: name}
}

func fbSubmit(t *testing.T, e *webtest.Env, c *models.Consultation, p ideas.Participant, title string) *models.Idea {
	t.Helper()
	i, err := e.Srv.Ideas().Submit(context.Background(), c, p, ideas.IdeaInput{Title: title, Body: "Beskrivelse af idéen."})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func fbSupport(t *testing.T, e *webtest.Env, c *models.Consultation, ideaID string, p ideas.Participant) {
	t.Helper()
	if _, err := e.Srv.Ideas().Support(context.Background(), c, ideaID, p); err != nil {
		t.Fatal(err)
	}
}

var fbLinkRe = regexp.MustCompile(`http://localhost:8080(/signin/[A-Za-z0-9_-]+)`)
var fbCSRFRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// fbSignIn signs b in as the citizen with email through the emailed link,
// sets their language and returns their id.
func fbSignIn(t *testing.T, b *webtest.Browser, email, lang string) string {
	t.Helper()
	tok := b.CSRF("/signin")
	if a := b.PostForm("/signin", url.Values{"_csrf": {tok}, "email": {email}}); a.Status != http.StatusSeeOther {
		t.Fatalf("request link: %d %s", a.Status, a.Body)
	}
	var m models.OutboxMail
	if err := b.E.DB.Where("to_addr = ?", email).Order("created_at DESC, id").First(&m).Error; err != nil {
		t.Fatal(err)
	}
	x := fbLinkRe.FindStringSubmatch(m.TextBody)
	if x == nil {
		t.Fatalf("no sign-in link in %q", m.TextBody)
	}
	p := b.Get(x[1])
	f := fbCSRFRe.FindStringSubmatch(p.Body)
	if f == nil {
		t.Fatalf("no form on the link page (%d)", p.Status)
	}
	if a := b.PostForm(x[1], url.Values{"_csrf": {f[1]}}); a.Status != http.StatusSeeOther {
		t.Fatalf("use link: %d %s", a.Status, a.Body)
	}
	var c models.Citizen
	if err := b.E.DB.Where("email = ?", email).Take(&c).Error; err != nil {
		t.Fatal(err)
	}
	if err := b.E.DB.Model(&c).Updates(map[string]any{"language": lang, "notify_by_email": true}).Error; err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func fbCount(t *testing.T, e *webtest.Env, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.DB.Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func fbStatusMails(t *testing.T, e *webtest.Env, citizenID string) []models.OutboxMail {
	t.Helper()
	var out []models.OutboxMail
	if err := e.DB.Where("citizen_id = ? AND dedupe_key LIKE 'idea_status:%'", citizenID).Order("created_at, id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// fbSupportForm supports an idea from the consultation page as b (an
// anonymous visitor).
func fbSupportForm(t *testing.T, b *webtest.Browser, consID, ideaID string) {
	t.Helper()
	tok := b.CSRF("/consultations/" + consID)
	if a := b.PostForm("/ideas/"+ideaID+"/support", url.Values{"_csrf": {tok}}); a.Status != http.StatusSeeOther {
		t.Fatalf("support: %d %s", a.Status, a.Body)
	}
}

func TestStatusIsShownMailedAndNoticed(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		cons := fbConsultation(t, e)
		anna, bo, anon := e.Browser(), e.Browser(), e.Browser()
		annaID := fbSignIn(t, anna, "anna@example.org", "da")
		boID := fbSignIn(t, bo, "bo@example.org", "en")
		// A citizen who wants no mail is noticed on the site only.
		carlID := fbSignIn(t, e.Browser(), "carl@example.org", "en")
		if err := e.DB.Model(&models.Citizen{}).Where("id = ?", carlID).Update("notify_by_email", false).Error; err != nil {
			t.Fatal(err)
		}
		idea := fbSubmit(t, e, cons, fbCitizen(e, cons, annaID, "Anna"), "Cykelsti på <script>alert(1)</script> Åboulevarden")
		fbSupport(t, e, cons, idea.ID, fbCitizen(e, cons, boID, "Bo"))
		fbSupport(t, e, cons, idea.ID, fbCitizen(e, cons, carlID, "Carl"))
		fbSupportForm(t, anon, cons.ID, idea.ID)
		if n := fbCount(t, e, "idea_supports", "idea_id = ?", idea.ID); n != 3 {
			t.Fatalf("%d supports", n)
		}
		if p := anon.Get("/consultations/" + cons.ID + "?lang=en"); strings.Contains(p.Body, "Read the explanation") {
			t.Fatal("a notice before any status")
		}

		// Only staff give a status: citizens (signed in or not) and moderators get 403.
		body := `{"status":"adopted","explanation":{"da":"Vi bygger stien i 2026.","en":"We build the path in 2026."}}`
		for name, b := range map[string]*webtest.Browser{"citizen": bo, "anonymous": anon, "moderator": e.APIClient("mod@example.dk", "moderator")} {
			if a := b.PostJSON("/api/v1/ideas/"+idea.ID+"/status", body); a.Status != http.StatusForbidden {
				t.Fatalf("%s: %d %s", name, a.Status, a.Body)
			}
		}
		staff := e.APIClient("staff@example.dk", "staff")
		a := staff.PostJSON("/api/v1/ideas/"+idea.ID+"/status", `{"status":"maybe","explanation":{"en":"Perhaps."}}`)
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("invalid status: %d %s", a.Status, a.Body)
		}
		if code, fields := webtest.ErrorCode(t, a); code != "validation_failed" || fields["status"] == "" {
			t.Fatalf("invalid status: %s %v", code, fields)
		}
		if a := staff.PostJSON("/api/v1/ideas/"+idea.ID+"/status", `{"status":"adopted","explanation":{"en":"  "}}`); a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("no explanation: %d %s", a.Status, a.Body)
		}
		if a := staff.PostJSON("/api/v1/ideas/nope/status", body); a.Status != http.StatusNotFound {
			t.Fatalf("unknown idea: %d", a.Status)
		}
		if fbCount(t, e, "notifications", "1 = 1") != 0 || fbCount(t, e, "idea_status_changes", "1 = 1") != 0 {
			t.Fatal("a refused status left rows")
		}

		a = staff.PostJSON("/api/v1/ideas/"+idea.ID+"/status", body)
		if a.Status != http.StatusOK || !strings.Contains(a.Body, `"status":"adopted"`) {
			t.Fatalf("set status: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, anna.Get("/ideas/"+idea.ID+"?lang=da"), "Vedtaget", "Vi bygger stien i 2026.")
		webtest.Contains(t, e.Browser().Get("/ideas/"+idea.ID+"?lang=en"), "Adopted", "We build the path in 2026.")

		// One notice per person: Anna (author and follower), Bo, Carl and the anonymous supporter.
		if n := fbCount(t, e, "notifications", "idea_id = ? AND kind = 'status' AND status = 'adopted'", idea.ID); n != 4 {
			t.Fatalf("%d notifications", n)
		}
		// One mail each to Anna (in Danish) and Bo (in English), none to Carl.
		am, bm := fbStatusMails(t, e, annaID), fbStatusMails(t, e, boID)
		if len(am) != 1 || len(bm) != 1 || len(fbStatusMails(t, e, carlID)) != 0 {
			t.Fatalf("mails: anna %d, bo %d", len(am), len(bm))
		}
		if am[0].ToAddr != "anna@example.org" || am[0].Language != "da" || !strings.Contains(am[0].Subject, "Vedtaget") ||
			!strings.Contains(am[0].TextBody, "Vi bygger stien i 2026.") || !strings.Contains(am[0].TextBody, "http://localhost:8080/ideas/"+idea.ID) {
			t.Fatalf("Anna's mail: %+v", am[0])
		}
		if bm[0].Language != "en" || !strings.Contains(bm[0].Subject, "Adopted") || !strings.Contains(bm[0].HTMLBody, "We build the path in 2026.") {
			t.Fatalf("Bo's mail: %+v", bm[0])
		}
		for _, m := range []models.OutboxMail{am[0], bm[0]} {
			if strings.Contains(m.HTMLBody, "<script>") || !strings.Contains(m.HTMLBody, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Fatalf("the title is not escaped in the HTML mail:\n%s", m.HTMLBody)
			}
			if !strings.Contains(m.HTMLBody, `href="http://localhost:8080/ideas/`+idea.ID) {
				t.Fatalf("no link to the idea:\n%s", m.HTMLBody)
			}
		}

		// The anonymous supporter sees a notice on the next visit, once.
		p := anon.Get("/consultations/" + cons.ID + "?lang=en")
		webtest.Contains(t, p, `role="status"`, "Adopted", "Read the explanation", `href="/ideas/`+idea.ID+`"`, "&lt;script&gt;")
		if strings.Contains(p.Body, "<script>alert") {
			t.Fatal("the title is not escaped in the notice")
		}
		if p := anon.Get("/consultations/" + cons.ID + "?lang=en"); strings.Contains(p.Body, "Read the explanation") {
			t.Fatal("the notice is shown twice")
		}
		// Bo, signed in, sees his on any consultation page.
		webtest.Contains(t, bo.Get("/consultations/"+cons.ID+"?lang=en"), "Read the explanation")

		// A second status from the staff page: the history keeps both, the
		// first answer's time stays, and everyone hears again.
		first := ideaRowFB(t, e, idea.ID)
		e.Clock.Add(48 * time.Hour)
		e.Account("editor@example.dk", "staff")
		editor := e.Browser()
		if a := editor.Login("editor@example.dk", webtest.Password); a.Status != http.StatusSeeOther {
			t.Fatalf("login: %d", a.Status)
		}
		tok := editor.CSRF("/staff/ideas/" + idea.ID)
		if a := editor.PostForm("/staff/ideas/"+idea.ID, url.Values{"_csrf": {tok}, "status": {"maybe"}, "explanation_en": {"x"}}); a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("staff form, bad status: %d", a.Status)
		}
		a = editor.PostForm("/staff/ideas/"+idea.ID, url.Values{"_csrf": {tok}, "status": {"implemented"}, "explanation_da": {""}, "explanation_en": {"The path is open."}})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("staff form: %d %s", a.Status, a.Body)
		}
		second := ideaRowFB(t, e, idea.ID)
		if second.Status != models.IdeaImplemented || !second.FirstStatusAt.Equal(*first.FirstStatusAt) || !second.StatusAt.After(*first.StatusAt) {
			t.Fatalf("times: first %v/%v, second %v/%v", first.FirstStatusAt, first.StatusAt, second.FirstStatusAt, second.StatusAt)
		}
		webtest.Contains(t, editor.Get("/staff/ideas/"+idea.ID+"?lang=en"), "Implemented", "Adopted", "The path is open.", "We build the path in 2026.")
		// The Danish reader gets the English explanation (the only one), and the history.
		webtest.Contains(t, e.Browser().Get("/ideas/"+idea.ID+"?lang=da"), "Gennemført", "The path is open.", "Vedtaget", "Vi bygger stien i 2026.")
		if len(fbStatusMails(t, e, annaID)) != 2 || len(fbStatusMails(t, e, boID)) != 2 {
			t.Fatal("no mail about the second status")
		}
		webtest.Contains(t, anon.Get("/consultations/"+cons.ID+"?lang=en"), "Implemented", "Read the explanation")

		// A hidden idea takes no status.
		if err := e.DB.Model(&models.Idea{}).Where("id = ?", idea.ID).Update("visibility", models.PostHidden).Error; err != nil {
			t.Fatal(err)
		}
		if a := staff.PostJSON("/api/v1/ideas/"+idea.ID+"/status", body); a.Status != http.StatusNotFound {
			t.Fatalf("hidden idea: %d", a.Status)
		}
	})
}

func ideaRowFB(t *testing.T, e *webtest.Env, id string) models.Idea {
	t.Helper()
	var i models.Idea
	if err := e.DB.Where("id = ?", id).Take(&i).Error; err != nil {
		t.Fatal(err)
	}
	return i
}

func TestFeedbackPageAndSharing(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		st := e.Srv.Ideas()
		cons := fbConsultation(t, e)
		a1 := fbSubmit(t, e, cons, fbAnon(e, cons, "s1"), "Flere cykelparkeringer ved stationen")
		a2 := fbSubmit(t, e, cons, fbAnon(e, cons, "s2"), "Grøn bølge på Nørrebrogade")
		no := fbSubmit(t, e, cons, fbAnon(e, cons, "s3"), "Cykelbro over havnen")
		fbSubmit(t, e, cons, fbAnon(e, cons, "s4"), "Bedre belysning")
		fbSupport(t, e, cons, a2.ID, fbAnon(e, cons, "s9"))
		for _, x := range []struct {
			id, status string
			text       models.Text
		}{
			{a1.ID, models.IdeaAdopted, models.Text{"da": "Vi sætter 200 stativer op."}},
			{a2.ID, models.IdeaAdopted, models.Text{"da": "Signalerne bliver justeret.", "en": "The signals will be adjusted."}},
			{no.ID, models.IdeaNotAdopted, models.Text{"en": "Too expensive for now."}},
		} {
			if _, err := st.SetStatus(ctx, x.id, nil, x.status, x.text); err != nil {
				t.Fatal(err)
			}
		}
		b := e.Browser()
		p := b.Get("/consultations/" + cons.ID + "/feedback?lang=en")
		if p.Status != http.StatusOK {
			t.Fatalf("feedback page: %d %s", p.Status, p.Body)
		}
		webtest.Contains(t, p, "You said, we did", "Answered: 3 of 4 published ideas.",
			`Adopted</a></th><td>2</td>`, `Not adopted</a></th><td>1</td>`, `Under review</th><td>0</td>`, `No answer yet</th><td>1</td>`,
			// Explanations in English, else in the first language there is.
			"The signals will be adjusted.", "Vi sætter 200 stativer op.", "Too expensive for now.")
		if i, j := strings.Index(p.Body, "Grøn bølge"), strings.Index(p.Body, "Flere cykelparkeringer"); i < 0 || j < i {
			t.Fatal("the most supported adopted idea is not first")
		}
		if strings.Contains(p.Body, "Bedre belysning") {
			t.Fatal("an idea without status is listed")
		}
		webtest.Contains(t, b.Get("/consultations/"+cons.ID+"/feedback?lang=da"), "I sagde, vi gjorde", "Signalerne bliver justeret.", "Ikke vedtaget")

		var api struct {
			Counts map[string]int
			Ideas  []struct {
				ID, Title, Status string
				Explanation       map[string]string
				Supports          int
			}
		}
		a := b.Get("/api/v1/consultations/" + cons.ID + "/feedback")
		if err := json.Unmarshal([]byte(a.Body), &api); err != nil || a.Status != http.StatusOK {
			t.Fatalf("API: %d %s", a.Status, a.Body)
		}
		if api.Counts["adopted"] != 2 || api.Counts["not_adopted"] != 1 || api.Counts["none"] != 1 || api.Counts["under_review"] != 0 || len(api.Counts) != 6 {
			t.Fatalf("counts: %v", api.Counts)
		}
		if len(api.Ideas) != 3 || api.Ideas[0].ID != a2.ID || api.Ideas[0].Supports != 1 || api.Ideas[0].Explanation["en"] != "The signals will be adjusted." ||
			api.Ideas[2].Status != "not_adopted" {
			t.Fatalf("ideas: %+v", api.Ideas)
		}
		if a := b.Get("/api/v1/consultations/nope/feedback"); a.Status != http.StatusNotFound {
			t.Fatalf("unknown consultation: %d", a.Status)
		}

		// The idea page's share links go through the counting redirect.
		webtest.Contains(t, b.Get("/ideas/"+a1.ID+"?lang=en"), `href="/ideas/`+a1.ID+`/share/facebook?lang=en"`, `og:title`)
		r := b.Get("/ideas/" + a1.ID + "/share/facebook")
		if r.Status != http.StatusFound || r.Header.Get("Cache-Control") != "no-store" ||
			r.Header.Get("Location") != "https://www.facebook.com/sharer/sharer.php?u="+url.QueryEscape("http://localhost:8080/ideas/"+a1.ID+"?channel=facebook") {
			t.Fatalf("share: %d %v", r.Status, r.Header)
		}
		if i := ideaRowFB(t, e, a1.ID); i.ShareClicks != 1 {
			t.Fatalf("%d share clicks", i.ShareClicks)
		}
		if r := b.Get("/ideas/" + a1.ID + "/share/myspace"); r.Status != http.StatusNotFound {
			t.Fatalf("unknown network: %d", r.Status)
		}
		if i := ideaRowFB(t, e, a1.ID); i.ShareClicks != 1 {
			t.Fatalf("an unknown network counted: %d", i.ShareClicks)
		}
		if err := e.DB.Model(&models.Idea{}).Where("id = ?", no.ID).Update("visibility", models.PostHidden).Error; err != nil {
			t.Fatal(err)
		}
		if r := b.Get("/ideas/" + no.ID + "/share/x"); r.Status != http.StatusNotFound {
			t.Fatalf("hidden idea: %d", r.Status)
		}
		r = b.Get("/consultations/" + cons.ID + "/share/linkedin")
		if r.Status != http.StatusFound || !strings.HasPrefix(r.Header.Get("Location"), "https://www.linkedin.com/sharing/share-offsite/?url=") {
			t.Fatalf("share consultation: %d %v", r.Status, r.Header)
		}
		if fbCount(t, e, "consultations", "id = ? AND share_clicks = 1", cons.ID) != 1 {
			t.Fatal("the consultation's share was not counted")
		}
		if r := b.Get("/consultations/" + cons.ID + "/share/email"); r.Status != http.StatusFound || !strings.HasPrefix(r.Header.Get("Location"), "mailto:?subject=") {
			t.Fatalf("share by email: %d %v", r.Status, r.Header)
		}
	})
}

func TestFollowMyIdeasExportAndForget(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := context.Background()
		st := e.Srv.Ideas()
		cons := fbConsultation(t, e)
		other := fbSubmit(t, e, cons, fbAnon(e, cons, "s1"), "Cykelbro over havnen")

		if a := e.Browser().Get("/me/ideas"); a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/signin?next=/me/ideas" {
			t.Fatalf("not signed in: %d %s", a.Status, a.Header.Get("Location"))
		}
		if a := e.Browser().PostForm("/ideas/"+other.ID+"/follow", url.Values{}); a.Status != http.StatusForbidden {
			t.Fatalf("follow without CSRF: %d", a.Status)
		}

		dora := e.Browser()
		doraID := fbSignIn(t, dora, "dora@example.org", "en")
		tok := dora.CSRF("/ideas/" + other.ID)
		if a := dora.PostForm("/ideas/"+other.ID+"/follow", url.Values{"_csrf": {tok}}); a.Status != http.StatusSeeOther {
			t.Fatalf("follow: %d %s", a.Status, a.Body)
		}
		if fbCount(t, e, "idea_follows", "citizen_id = ? AND idea_id = ?", doraID, other.ID) != 1 {
			t.Fatal("not following")
		}
		webtest.Contains(t, dora.Get("/ideas/"+other.ID+"?lang=en"), "You follow this idea.", "Stop following")
		if _, err := st.SetStatus(ctx, other.ID, nil, models.IdeaUnderReview, models.Text{"en": "We are looking into it."}); err != nil {
			t.Fatal(err)
		}

		// Dora's own idea (hidden by a moderator), a comment and a support.
		dp := fbCitizen(e, cons, doraID, "Dora")
		mine := fbSubmit(t, e, cons, dp, "Gratis cykelhjelme")
		cm, err := st.Comment(ctx, cons, other.ID, dp, ideas.CommentInput{Body: "Godt forslag!"})
		if err != nil {
			t.Fatal(err)
		}
		fbSupport(t, e, cons, other.ID, dp)
		if err := e.DB.Create(&models.HouseRule{Key: "no_ads", Title: models.Text{"en": "No advertising"}, Body: models.Text{"en": "No ads."}, UpdatedAt: time.Now()}).Error; err != nil {
			t.Fatal(err)
		}
		if err := e.DB.Model(&models.Idea{}).Where("id = ?", mine.ID).Updates(map[string]any{"visibility": models.PostHidden, "rule_key": "no_ads"}).Error; err != nil {
			t.Fatal(err)
		}
		p := dora.Get("/me/ideas?lang=en")
		webtest.Contains(t, p, "My ideas", "Gratis cykelhjelme", "Hidden by a moderator", "No advertising", "Godt forslag!",
			"Cykelbro over havnen", "Under review", "New:", "Read the explanation")
		if p := dora.Get("/me/ideas?lang=en"); strings.Contains(p.Body, "New:") {
			t.Fatal("notices stay new after the page showed them")
		}

		// Unfollow.
		tok = dora.CSRF("/me/ideas")
		if a := dora.PostForm("/ideas/"+other.ID+"/follow", url.Values{"_csrf": {tok}, "withdraw": {"1"}, "back": {"/me/ideas"}}); a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/me/ideas" {
			t.Fatalf("unfollow: %d %s", a.Status, a.Header.Get("Location"))
		}
		if fbCount(t, e, "idea_follows", "citizen_id = ? AND idea_id = ?", doraID, other.ID) != 0 {
			t.Fatal("still following")
		}

		// Export.
		exp, err := st.Export(ctx, doraID)
		if err != nil {
			t.Fatal(err)
		}
		data := exp["idea_collection"].(ideas.ExportData)
		if len(data.Ideas) != 1 || data.Ideas[0].Title != "Gratis cykelhjelme" || len(data.Comments) != 1 || data.Comments[0].Body != "Godt forslag!" ||
			len(data.Supports) != 1 || data.Supports[0] != other.ID || len(data.Follows) != 1 || data.Follows[0] != mine.ID || len(data.Notifications) != 1 {
			t.Fatalf("export: %+v", data)
		}
		// The citizen's download holds it too.
		if a := dora.Get("/me/data"); a.Status != http.StatusOK || !strings.Contains(a.Body, `"idea_collection"`) || !strings.Contains(a.Body, "Gratis cykelhjelme") {
			t.Fatalf("download lacks the idea: %s", a.Body)
		}

		// Forget without deleting posts: the posts stay, without name or citizen.
		eve := "eve-citizen"
		if err := e.DB.Create(&models.Citizen{ID: eve, Email: "eve@example.org", DisplayName: "Eve", CreatedAt: time.Now()}).Error; err != nil {
			t.Fatal(err)
		}
		ep := fbCitizen(e, cons, eve, "Eve")
		eIdea := fbSubmit(t, e, cons, ep, "Cykelsti til skolen")
		if _, err := st.Comment(ctx, cons, other.ID, ep, ideas.CommentInput{Body: "Enig."}); err != nil {
			t.Fatal(err)
		}
		fbSupport(t, e, cons, other.ID, ep)
		if err := e.DB.Transaction(func(tx *gorm.DB) error { return st.Forget(tx, eve, false) }); err != nil {
			t.Fatal(err)
		}
		if fbCount(t, e, "ideas", "id = ? AND citizen_id IS NULL AND display_name = ''", eIdea.ID) != 1 ||
			fbCount(t, e, "idea_comments", "body = 'Enig.' AND citizen_id IS NULL AND display_name = ''") != 1 ||
			fbCount(t, e, "idea_supports", "citizen_id = ?", eve) != 0 || fbCount(t, e, "idea_follows", "citizen_id = ?", eve) != 0 {
			t.Fatal("Eve's posts are not unlinked")
		}
		if i := ideaRowFB(t, e, other.ID); i.Comments != 2 || i.Supports != 2 {
			t.Fatalf("counts after unlinking: %d comments, %d supports", i.Comments, i.Supports)
		}

		// Deleting Dora with her posts: no idea or comment of hers remains,
		// the idea she commented on is recounted, her support stays counted.
		if err := e.Srv.Citizens().Delete(ctx, doraID, true); err != nil {
			t.Fatal(err)
		}
		if fbCount(t, e, "ideas", "id = ?", mine.ID) != 0 || fbCount(t, e, "idea_comments", "id = ?", cm.ID) != 0 ||
			fbCount(t, e, "ideas", "citizen_id = ?", doraID) != 0 || fbCount(t, e, "idea_comments", "citizen_id = ?", doraID) != 0 ||
			fbCount(t, e, "notifications", "recipient = ?", "c:"+doraID) != 0 || fbCount(t, e, "idea_supports", "citizen_id = ?", doraID) != 0 {
			t.Fatal("Dora's data remains")
		}
		if i := ideaRowFB(t, e, other.ID); i.Comments != 1 || i.Supports != 2 {
			t.Fatalf("after deleting Dora: %d comments, %d supports", i.Comments, i.Supports)
		}
	})
}

// TestFeedbackMessagesExist checks the message ids built at run time (the
// locale coverage test finds only literal ids) in every language.
func TestFeedbackMessagesExist(t *testing.T) {
	a, err := assets.FromRepo()
	if err != nil {
		t.Fatal(err)
	}
	b, err := i18n.Load(a.Locales, config.Languages, "da", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{ideas.StatusName(""), ideas.StatusName(ideas.StatusNone), "ideas_feedback.status_saved", "ideas_feedback.followed", "ideas_feedback.unfollowed"}
	for _, s := range models.IdeaStatuses {
		ids = append(ids, ideas.StatusName(s))
	}
	for _, v := range []string{models.PostPending, models.PostPublished, models.PostRejected, models.PostHidden} {
		ids = append(ids, "ideas_feedback.visibility_"+v)
	}
	for _, lang := range config.Languages {
		l := b.For(lang)
		for _, id := range ids {
			if l.T(id) == id {
				t.Errorf("%s lacks %s", lang, id)
			}
		}
	}
}
