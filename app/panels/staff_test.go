package panels_test

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/mail/mailtest"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

func TestImportReportAndSafeExport(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *webtest.Env, smtp *mailtest.Server) {
		id := createPanel(t, e.APIClient("api@example.org", "staff"))
		e.Account("staff@example.org", "staff")
		b := e.Browser()
		b.Login("staff@example.org", webtest.Password)
		csv := "email,language,age,district\n" +
			"jens@example.org,da,young,centrum\n" +
			"=cmd@example.org,nl,old,noord\n" +
			"not-an-address,en,young,\n" +
			"jens@example.org,da,old,\n" +
			"lise@example.org,de,ancient,noord\n" +
			"-2+3@example.org,en,,\n"
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("_csrf", b.CSRF("/staff/panels/"+id))
		fw, _ := mw.CreateFormFile("file", "members.csv")
		fw.Write([]byte(csv))
		mw.Close()
		a := b.Do(http.MethodPost, "/staff/panels/"+id+"/import?lang=en", &body, mw.FormDataContentType())
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("import: %d", a.Status)
		}
		webtest.Contains(t, a, "Rows read: 6. Added and asked to confirm: 3.", "Enter an email address like", "This email address appears on an earlier row.",
			"Choose one of the answers offered.", "Choose one of the options.")
		if n := count(e, "panel_members", "panel_id = ? AND status = 'pending' AND source = 'import'", id); n != 3 {
			t.Fatalf("%d imported members", n)
		}
		// Imported members confirm like anyone else.
		runWorker(t, e)
		if ms := smtp.Wait(t, 3); !strings.Contains(smtp.To("jens@example.org")[0].Subject, "Bekræft") {
			t.Fatalf("mails: %+v", ms)
		}
		a = b.Get("/staff/panels/" + id + "/members.csv")
		if a.Status != http.StatusOK || !strings.HasPrefix(a.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export: %d", a.Status)
		}
		if !strings.Contains(a.Body, "'=cmd@example.org,nl,pending,import") || !strings.Contains(a.Body, "'-2+3@example.org") || strings.Contains(a.Body, "\n=") {
			t.Fatalf("export not safe:\n%s", a.Body)
		}
		// Staff define a field with targets through the form; bad targets are refused.
		tok := b.CSRF("/staff/panels/" + id)
		a = b.PostForm("/staff/panels/"+id+"/fields?lang=en", url.Values{"_csrf": {tok}, "key": {"role"}, "label_en": {"You are"},
			"choices": {"resident; Borger; Inwoner; Resident; 80\nvisitor; Besøgende; Bezoeker; Visitor; 30"}})
		if a.Status != http.StatusUnprocessableEntity || !strings.Contains(a.Body, "must add up to 100") {
			t.Fatalf("bad targets: %d", a.Status)
		}
		// A target on some choices only: those without would never be invited.
		a = b.PostForm("/staff/panels/"+id+"/fields?lang=en", url.Values{"_csrf": {tok}, "key": {"role"}, "label_en": {"You are"},
			"choices": {"resident; Borger; Inwoner; Resident; 100\nvisitor; Besøgende; Bezoeker; Visitor"}})
		if a.Status != http.StatusUnprocessableEntity || !strings.Contains(a.Body, "or to none") {
			t.Fatalf("targets on some choices only: %d", a.Status)
		}
		a = b.PostForm("/staff/panels/"+id+"/fields", url.Values{"_csrf": {tok}, "key": {"role"}, "label_en": {"You are"},
			"choices": {"resident; Borger; Inwoner; Resident; 80\nvisitor; Besøgende; Bezoeker; Visitor; 20"}})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("save field: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, b.Get("/staff/panels/"+id+"?lang=nl"), "Inwoner", "Bezoeker")
		// A target that is no number (NaN, Inf) is refused and erases nothing.
		for _, bad := range []string{"NaN", "Inf", "-inf", "1e999"} {
			a = b.PostForm("/staff/panels/"+id+"/fields?lang=en", url.Values{"_csrf": {tok}, "key": {"role"}, "label_en": {"You are"},
				"choices": {"resident; Borger; Inwoner; Resident; " + bad + "\nvisitor; Besøgende; Bezoeker; Visitor; 20"}})
			if a.Status != http.StatusUnprocessableEntity || !strings.Contains(a.Body, "A target share is a number from 0 to 100.") {
				t.Fatalf("target %s: %d", bad, a.Status)
			}
			summaryLinksResolve(t, a.Body)
			webtest.Contains(t, a, `id="choices-error"`, `aria-describedby="choices-error"`)
		}
		// A missing label and a bad key: each error is announced at its control.
		a = b.PostForm("/staff/panels/"+id+"/fields?lang=en", url.Values{"_csrf": {tok}, "key": {"Bad Key"}, "choices": {"a; A; A; A"}})
		summaryLinksResolve(t, a.Body)
		webtest.Contains(t, a, `id="label_da-error"`, `aria-describedby="key-error"`)
		var p models.Panel
		e.DB.Where("id = ?", id).Take(&p)
		if !strings.Contains(p.Fields, `"resident"`) || !strings.Contains(p.Fields, `"district"`) {
			t.Fatalf("fields after refused targets: %s", p.Fields)
		}
		webtest.Contains(t, e.Browser().Get("/panels/"+id+"/join?lang=da"), "Besøgende")
	})
}

func TestAdminReadsMailWithoutSMTP(t *testing.T) {
	e := webtest.NewEnv(t, db.OpenTest(t, db.SQLite)) // no SMTP_URL: mail goes to the log
	id := createPanel(t, e.APIClient("api@example.org", "staff"))
	e.Browser().PostJSON("/api/v1/panels/"+id+"/members", `{"email": "kim@example.org", "language": "en", "consent": true}`)
	if n := runWorker(t, e); n != 1 {
		t.Fatalf("delivered %d", n)
	}
	e.Account("admin@example.org", "admin")
	admin := e.Browser()
	admin.Login("admin@example.org", webtest.Password)
	list := admin.Get("/admin/mail?lang=en")
	webtest.Contains(t, list, "No mail server is set", "kim@example.org", "Confirm that you want to join The citizen panel", "Sent")
	i := strings.Index(list.Body, `href="/admin/mail/`)
	path := list.Body[i+6 : i+6+strings.Index(list.Body[i+6:], `"`)]
	webtest.Contains(t, admin.Get(path+"?lang=en"), "/panels/member/", "The link works until")
	e.Account("staff@example.org", "staff")
	staff := e.Browser()
	staff.Login("staff@example.org", webtest.Password)
	if a := staff.Get("/admin/mail"); a.Status != http.StatusForbidden {
		t.Fatalf("staff on the mail page: %d", a.Status)
	}
}

// After the link key changed (a new SESSION_SECRET) the stored hashes no
// longer match: a mail with a dead link is not sent but listed as given up,
// with the reason, on the admin mail page.
func TestDeadLinksAreNotMailed(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *webtest.Env, smtp *mailtest.Server) {
		staff := e.APIClient("staff@example.org", "staff")
		id := createPanel(t, staff)
		members := addMembers(t, e, id, 2, func(int) string { return "en" }, func(int) map[string]string { return nil })
		sv := openSurvey(t, staff, true)
		staff.PostJSON("/api/v1/panels/"+id+"/invitations", `{"survey_id": "`+sv+`"}`)
		// Member 0's invitation was made with another key.
		e.DB.Model(&models.PanelInvitation{}).Where("member_id = ?", members[0]).Update("token_hash", sha("made with the old key"))
		if n := runWorker(t, e); n != 1 {
			t.Fatalf("sent %d", n)
		}
		var m0 models.PanelMember
		e.DB.Where("id = ?", members[0]).Take(&m0)
		if got := smtp.Wait(t, 1); len(got) != 1 || len(smtp.To(m0.Email)) != 0 {
			t.Fatalf("%d mails, %d to the member with the dead link", len(got), len(smtp.To(m0.Email)))
		}
		if n := count(e, "mail_outbox", "member_id = ? AND status = 'failed' AND last_error LIKE ? AND text_body = ''", members[0], "%would not work%"); n != 1 {
			t.Fatal("the dead-link mail is not recorded as given up")
		}
		e.Account("admin@example.org", "admin")
		admin := e.Browser()
		admin.Login("admin@example.org", webtest.Password)
		list := admin.Get("/admin/mail?lang=en")
		webtest.Contains(t, list, "Given up", "its personal link would not work")
		if strings.Contains(list.Body, "/retry") {
			t.Error("a mail that must not be sent has a retry button")
		}

		// A member link made with another key: the mail with it is not sent either.
		e.DB.Model(&models.PanelMember{}).Where("id = ?", members[1]).Update("token_hash", sha("old"))
		e.Clock.Add(11 * time.Minute)
		var m1 models.PanelMember
		e.DB.Where("id = ?", members[1]).Take(&m1)
		e.Browser().PostJSON("/api/v1/panels/"+id+"/members", `{"email": "`+m1.Email+`", "language": "en", "consent": true}`)
		runWorker(t, e)
		if len(smtp.To(m1.Email)) != 1 { // only the invitation from before
			t.Fatalf("%d mails to the member with a dead member link", len(smtp.To(m1.Email)))
		}
		if n := count(e, "mail_outbox", "member_id = ? AND dedupe_key LIKE 'already_member:%' AND status = 'failed'", members[1]); n != 1 {
			t.Fatal("the already-member mail with a dead link is not recorded as given up")
		}
	})
}

// The admin retries a mail that was given up: POST with CSRF only.
func TestAdminRetriesFailedMail(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *webtest.Env, smtp *mailtest.Server) {
		id := createPanel(t, e.APIClient("api@example.org", "staff"))
		smtp.RejectCode = 550
		smtp.Reject = func(string) error { return errors.New("mailbox unavailable") }
		e.Browser().PostJSON("/api/v1/panels/"+id+"/members", `{"email": "kim@example.org", "language": "en", "consent": true}`)
		runWorker(t, e)
		var m models.OutboxMail
		e.DB.Where("to_addr = ?", "kim@example.org").Take(&m)
		if m.Status != models.MailFailed {
			t.Fatalf("after a 550: %s", m.Status)
		}
		e.Account("admin@example.org", "admin")
		admin := e.Browser()
		admin.Login("admin@example.org", webtest.Password)
		list := admin.Get("/admin/mail?lang=en")
		webtest.Contains(t, list, "mailbox unavailable", `action="/admin/mail/`+m.ID+`/retry"`, "Try again")
		if a := admin.PostForm("/admin/mail/"+m.ID+"/retry", url.Values{"_csrf": {"forged"}}); a.Status != http.StatusForbidden {
			t.Fatalf("forged CSRF: %d", a.Status)
		}
		smtp.Reject = nil
		if a := admin.PostForm("/admin/mail/"+m.ID+"/retry", url.Values{"_csrf": {admin.CSRF("/admin/mail")}}); a.Status != http.StatusSeeOther {
			t.Fatalf("retry: %d %s", a.Status, a.Body)
		}
		runWorker(t, e)
		if len(smtp.Wait(t, 1)) != 1 {
			t.Fatal("the retried mail did not arrive")
		}
	})
}

var summaryLinkRe = regexp.MustCompile(`<div class="error-summary"[\s\S]*?</div>`)
var hrefRe = regexp.MustCompile(`href="#([^"]+)"`)

// summaryLinksResolve checks that every link of a page's error summary
// points at an element of the page.
func summaryLinksResolve(t *testing.T, body string) {
	t.Helper()
	sum := summaryLinkRe.FindString(body)
	if sum == "" {
		t.Fatal("no error summary")
	}
	for _, m := range hrefRe.FindAllStringSubmatch(sum, -1) {
		if !strings.Contains(body, `id="`+m[1]+`"`) {
			t.Errorf("the error summary links to #%s, which is not on the page", m[1])
		}
	}
}
