package panels_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/mail/mailtest"
	"github.com/inspraak/inspraak/app/webtest"
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
		a = b.PostForm("/staff/panels/"+id+"/fields", url.Values{"_csrf": {tok}, "key": {"role"}, "label_en": {"You are"},
			"choices": {"resident; Borger; Inwoner; Resident; 80\nvisitor; Besøgende; Bezoeker; Visitor; 20"}})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("save field: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, b.Get("/staff/panels/"+id+"?lang=nl"), "Inwoner", "Bezoeker")
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
