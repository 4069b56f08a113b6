package panels_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	mailer "github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/mail/mailtest"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

func TestSignUpConfirmManageLeave(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *webtest.Env, smtp *mailtest.Server) {
		staff := e.APIClient("staff@example.org", "staff")
		id := createPanel(t, staff)
		c := e.Browser()

		// The sign-up page explains, in the visitor's language, what is kept and how to leave.
		page := c.Get("/panels/" + id + "/join?lang=nl")
		webtest.Contains(t, page, "Burgerpanel &lt;Amsterdam&gt;", "Wat we bewaren", "Hoe u opzegt", "Leeftijd", "18-34 jaar", "Zeg ik liever niet")
		tok := c.CSRF("/panels/" + id + "/join")
		a := c.PostForm("/panels/"+id+"/join", url.Values{"_csrf": {tok}, "email": {" Anna@Example.org "}, "language": {"nl"},
			"profile.age": {"young"}, "profile.gender": {"woman"}, "profile.district": {""}, "consent": {"yes"}})
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/panels/"+id+"/join/sent" {
			t.Fatalf("sign-up: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, c.Get(a.Header.Get("Location")), "Kijk in uw e-mail")
		var m models.PanelMember
		if err := e.DB.Where("panel_id = ? AND email = ?", id, "anna@example.org").Take(&m).Error; err != nil {
			t.Fatal(err)
		}
		if m.Status != models.MemberPending {
			t.Fatalf("member is %s before confirming", m.Status)
		}

		// The confirmation mail arrives, in Dutch, with the link; the name is escaped in HTML.
		if n := runWorker(t, e); n != 1 {
			t.Fatalf("worker sent %d mails, want 1", n)
		}
		mails := smtp.Wait(t, 1)
		got := mails[0]
		if len(got.To) != 1 || got.To[0] != "anna@example.org" || got.From != "panel@inspraak.example" {
			t.Fatalf("mail from %s to %v", got.From, got.To)
		}
		if got.Subject != "Bevestig dat u lid wilt worden van Burgerpanel <Amsterdam>" || got.Language != "nl" {
			t.Fatalf("subject %q, language %q", got.Subject, got.Language)
		}
		if !strings.Contains(got.HTML, "Burgerpanel &lt;Amsterdam&gt;") || strings.Contains(got.HTML, "<Amsterdam>") {
			t.Errorf("the panel name is not escaped in the HTML part:\n%s", got.HTML)
		}
		memberPath := link(t, memberLinkRe, got)

		// A second sign-up with the same address gets the same answer, and
		// no second mail within ten minutes.
		same := e.Browser().PostJSON("/api/v1/panels/"+id+"/members", `{"email": "anna@example.org", "language": "nl", "consent": true}`)
		fresh := e.Browser().PostJSON("/api/v1/panels/"+id+"/members", `{"email": "bo@example.org", "language": "da", "profile": {"age": "old"}, "consent": true}`)
		if same.Status != http.StatusAccepted || same.Body != fresh.Body {
			t.Fatalf("known address %d %s, new address %d %s", same.Status, same.Body, fresh.Status, fresh.Body)
		}
		runWorker(t, e)
		if n := len(smtp.To("anna@example.org")); n != 1 {
			t.Fatalf("anna got %d mails", n)
		}
		if n := len(smtp.To("bo@example.org")); n != 1 {
			t.Fatalf("bo got %d mails", n)
		}

		// Following the link asks to confirm (nothing changes on GET); confirming activates.
		b := e.Browser()
		webtest.Contains(t, b.Get(memberPath+"?lang=nl"), "Bevestig uw lidmaatschap")
		if count(e, "panel_members", "id = ? AND status = 'active'", m.ID) != 0 {
			t.Fatal("a GET activated the member")
		}
		ctok := b.CSRF(memberPath)
		if a := b.PostForm(memberPath+"/confirm", url.Values{"_csrf": {"forged"}}); a.Status != http.StatusForbidden {
			t.Fatalf("forged CSRF: %d", a.Status)
		}
		if a := b.PostForm(memberPath+"/confirm", url.Values{"_csrf": {ctok}}); a.Status != http.StatusSeeOther {
			t.Fatalf("confirm: %d %s", a.Status, a.Body)
		}
		if count(e, "panel_members", "id = ? AND status = 'active'", m.ID) != 1 {
			t.Fatal("confirming did not activate the member")
		}
		webtest.Contains(t, b.Get(memberPath+"?lang=en"), "Welcome! You are now a member", "anna@example.org", "Leave the panel")

		// An already active member who signs up again gets their link by mail.
		e.Clock.Add(11 * time.Minute)
		e.Browser().PostJSON("/api/v1/panels/"+id+"/members", `{"email": "anna@example.org", "language": "nl", "consent": true}`)
		runWorker(t, e)
		if ms := smtp.To("anna@example.org"); len(ms) != 2 || !strings.Contains(ms[1].Subject, "Uw lidmaatschap") {
			t.Fatalf("second mail to a member: %d", len(ms))
		}

		// Unknown profile values are refused with a localized message; nothing changes.
		tok = b.CSRF(memberPath)
		a = b.PostForm(memberPath+"?lang=en", url.Values{"_csrf": {tok}, "language": {"en"}, "profile.age": {"ancient"}})
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("unknown choice: %d", a.Status)
		}
		webtest.Contains(t, a, "Choose one of the answers offered.")
		a = b.PostForm(memberPath, url.Values{"_csrf": {tok}, "language": {"en"}, "profile.age": {"middle"}, "profile.district": {"noord"}})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("save profile: %d %s", a.Status, a.Body)
		}
		if count(e, "panel_member_profiles", "member_id = ? AND ((field = 'age' AND value = 'middle') OR (field = 'district' AND value = 'noord'))", m.ID) != 2 ||
			count(e, "panel_members", "id = ? AND language = 'en'", m.ID) != 1 {
			t.Fatal("profile not saved")
		}

		// She is invited to a survey; her data, with that invitation, is hers to download.
		sv := openSurvey(t, staff, true)
		staff.PostJSON("/api/v1/panels/"+id+"/invitations", `{"survey_id": "`+sv+`"}`)
		runWorker(t, e)
		webtest.Contains(t, b.Get(memberPath+"?lang=en"), `href="`+memberPath+`/data"`, "Download my data")
		a = b.Get(memberPath + "/data?lang=en")
		if a.Status != http.StatusOK || !strings.HasPrefix(a.Header.Get("Content-Disposition"), "attachment") || !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("data: %d %q %q", a.Status, a.Header.Get("Content-Disposition"), a.Header.Get("Content-Type"))
		}
		var data struct {
			Email, Language string
			Profile         []struct {
				Field      string
				FieldLabel string `json:"field_label"`
				Value      string
				ValueLabel string `json:"value_label"`
			}
			CreatedAt   time.Time  `json:"created_at"`
			ConfirmedAt *time.Time `json:"confirmed_at"`
			Invitations []struct {
				Survey    string
				MailedAt  *time.Time `json:"mailed_at"`
				Reminders int
				Used      bool
			}
		}
		if err := json.Unmarshal([]byte(a.Body), &data); err != nil {
			t.Fatalf("data: %v\n%s", err, a.Body)
		}
		if data.Email != "anna@example.org" || data.Language != "en" || data.CreatedAt.IsZero() || data.ConfirmedAt == nil || len(data.Profile) != 2 ||
			data.Profile[0].Field != "age" || data.Profile[0].FieldLabel != "Age" || data.Profile[0].ValueLabel != "35-64 years" ||
			len(data.Invitations) != 1 || data.Invitations[0].Survey != "Social media" || data.Invitations[0].MailedAt == nil || data.Invitations[0].Used {
			t.Fatalf("data: %s", a.Body)
		}

		// She signs up for another panel too, with the same address.
		other := createPanel(t, staff)
		e.Browser().PostJSON("/api/v1/panels/"+other+"/members", `{"email": "anna@example.org", "language": "nl", "consent": true}`)

		// Leaving takes a confirmation (a GET changes nothing), then deletes
		// the address and the profile; the link stops working.
		a = b.Get(memberPath + "/leave?lang=en")
		webtest.Contains(t, a, "Do you want to leave the panel?", "cannot be undone", "Yes, delete my membership", `action="`+memberPath+`/leave"`)
		if count(e, "panel_members", "id = ?", m.ID) != 1 {
			t.Fatal("the confirmation page deleted the member")
		}
		tok = b.CSRF(memberPath + "/leave")
		a = b.PostForm(memberPath+"/leave?lang=da", url.Values{"_csrf": {tok}})
		webtest.Contains(t, a, "Du er meldt ud af panelet")
		if count(e, "panel_members", "panel_id = ? AND email = ?", id, "anna@example.org") != 0 || count(e, "panel_member_profiles", "member_id = ?", m.ID) != 0 ||
			count(e, "mail_outbox", "member_id = ? AND (to_addr <> '' OR text_body <> '' OR status <> 'sent')", m.ID) != 0 {
			t.Fatal("leaving left the address or profile behind")
		}
		// ... but not her mail from the other panel.
		if count(e, "mail_outbox", "to_addr = ? AND status = 'queued'", "anna@example.org") != 1 {
			t.Fatal("leaving one panel dropped the mail of another")
		}
		if a := b.Get(memberPath + "?lang=en"); a.Status != http.StatusNotFound || !strings.Contains(a.Body, "This link is not valid") {
			t.Fatalf("link after leaving: %d", a.Status)
		}
	})
}

func TestConfirmationLinkExpiresAndIsPurged(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *webtest.Env, smtp *mailtest.Server) {
		id := createPanel(t, e.APIClient("staff@example.org", "staff"))
		if a := e.Browser().PostJSON("/api/v1/panels/"+id+"/members?lang=en", `{"email": "late@example.org", "language": "en", "consent": true}`); a.Status != http.StatusAccepted {
			t.Fatalf("sign-up: %d %s", a.Status, a.Body)
		}
		runWorker(t, e)
		ms := smtp.Wait(t, 1)
		if !strings.Contains(ms[0].Text, "The link works until") {
			t.Errorf("the mail does not say when the link expires:\n%s", ms[0].Text)
		}
		memberPath := link(t, memberLinkRe, ms[0])
		e.Clock.Add(7*24*time.Hour + time.Minute)
		b := e.Browser()
		a := b.Get(memberPath + "?lang=en")
		if a.Status != http.StatusGone {
			t.Fatalf("expired link: %d", a.Status)
		}
		webtest.Contains(t, a, "This confirmation link has expired", "Sign up again")
		if count(e, "panel_members", "status = 'active'") != 0 {
			t.Fatal("an expired sign-up became active")
		}
		// A mail still queued for the sign-up goes with it.
		var m models.PanelMember
		e.DB.Where("email = ?", "late@example.org").Take(&m)
		if _, err := e.Srv.MailWorker().Outbox().Enqueue(t.Context(), nil, mailer.Mail{DedupeKey: "late", MemberID: m.ID, To: m.Email, Subject: "s", Text: "t"}); err != nil {
			t.Fatal(err)
		}
		n, err := e.Srv.Panels().Purge(t.Context())
		if err != nil || n != 1 || count(e, "panel_members", "email = ?", "late@example.org") != 0 {
			t.Fatalf("purge: %d %v", n, err)
		}
		if count(e, "mail_outbox", "member_id = ? AND (status <> 'sent' OR to_addr <> '' OR text_body <> '')", m.ID) != 0 {
			t.Fatal("the purge left the sign-up's mail behind")
		}
	})
}

func TestSignUpBadInput(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *webtest.Env, smtp *mailtest.Server) {
		id := createPanel(t, e.APIClient("staff@example.org", "staff"))
		c := e.Browser()
		path := "/api/v1/panels/" + id + "/members?lang=da"
		for _, bad := range []struct{ body, field, msg string }{
			{`{"email": "not-an-address", "language": "da", "consent": true}`, "email", "Skriv en e-mailadresse"},
			{`{"email": "<script>@x.org", "language": "da", "consent": true}`, "email", ""},
			{`{"email": "a@example.org", "language": "da", "consent": false}`, "consent", "Sæt kryds"},
			{`{"email": "a@example.org", "language": "de", "consent": true}`, "language", ""},
			{`{"email": "a@example.org", "language": "da", "profile": {"age": "ancient"}, "consent": true}`, "profile.age", "Vælg et af de viste svar."},
			{`{"email": "a@example.org", "language": "da", "profile": {"income": "high"}, "consent": true}`, "profile.income", ""},
			{`{"email": "` + strings.Repeat("a", 300) + `@example.org", "language": "da", "consent": true}`, "email", ""},
		} {
			a := c.PostJSON(path, bad.body)
			code, fields := webtest.ErrorCode(t, a)
			if a.Status != http.StatusUnprocessableEntity || code != "validation_failed" || fields[bad.field] == "" || !strings.Contains(fields[bad.field], bad.msg) {
				t.Errorf("%s: %d %s", bad.body, a.Status, a.Body)
			}
		}
		if a := c.PostJSON("/api/v1/panels/nosuchpanel/members", `{"email": "a@example.org", "language": "da", "consent": true}`); a.Status != http.StatusNotFound {
			t.Errorf("unknown panel: %d", a.Status)
		}
		if a := c.Do(http.MethodPost, path, strings.NewReader(`{"email": "a\u0000@x.org"}`), "application/json"); a.Status != http.StatusBadRequest {
			t.Errorf("NUL: %d", a.Status)
		}
		if count(e, "panel_members", "1 = 1") != 0 || count(e, "mail_outbox", "1 = 1") != 0 {
			t.Fatal("bad input stored something")
		}
		// Citizens cannot create panels or read their figures.
		if a := c.PostJSON("/api/v1/panels", panelJSON); a.Status != http.StatusUnauthorized {
			t.Errorf("anonymous create: %d", a.Status)
		}
		if a := e.APIClient("mod@example.org", "moderator").Get("/api/v1/panels/" + id + "/stats"); a.Status != http.StatusForbidden {
			t.Errorf("moderator stats: %d", a.Status)
		}
		// Sign-ups are limited per client address.
		limited := 0
		for i := range 12 {
			a := c.PostJSON(path, `{"email": "p`+string(rune('a'+i))+`@example.org", "language": "da", "consent": true}`)
			if a.Status == http.StatusTooManyRequests {
				limited++
			}
		}
		if limited != 2 {
			t.Errorf("%d of 12 sign-ups were refused, want 2", limited)
		}
	})
}

// Guesses of unknown links are throttled per client address; working
// links from the same address (people behind one shared NAT) never are.
func TestOnlyUnknownLinksAreThrottled(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *webtest.Env, _ *mailtest.Server) {
		staff := e.APIClient("staff@example.org", "staff")
		id := createPanel(t, staff)
		m := addMembers(t, e, id, 1, func(int) string { return "en" }, func(int) map[string]string { return nil })[0]
		sv := openSurvey(t, staff, true)
		staff.PostJSON("/api/v1/panels/"+id+"/invitations", `{"survey_id": "`+sv+`"}`)
		good := "/panels/member/" + e.Srv.Panels().MemberToken(m)
		c := e.Browser()
		for range 30 {
			if a := c.Get(good); a.Status != http.StatusOK {
				t.Fatalf("a working link: %d", a.Status)
			}
		}
		limited := 0
		for i := range 25 {
			if a := c.Get("/panels/member/guess" + string(rune('a'+i))); a.Status == http.StatusTooManyRequests {
				limited++
			}
		}
		if limited == 0 {
			t.Fatal("guesses are not throttled")
		}
		if a := e.Browser().Get(good); a.Status != http.StatusOK {
			t.Fatalf("a working link after others' guesses: %d", a.Status)
		}
		if a := e.Browser().Get("/i/" + invitationToken(t, e, sv, m)); a.Status != http.StatusSeeOther {
			t.Fatalf("a working invitation link after others' guesses: %d", a.Status)
		}
	})
}
