package citizens_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/citizens"
	"github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

func TestExportAndDelete(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ideas := &fakeIdeas{}
		e.Srv.Citizens().WithContributions(ideas)
		const email, name = "anna.jensen@example.org", "Anna Jensen"

		// Anna signs in twice (phone and laptop) and gives her name.
		phone, laptop := e.Browser(), e.Browser()
		id := signIn(t, phone, email)
		signIn(t, laptop, email)
		tok := laptop.CSRF("/me")
		if a := laptop.PostForm("/me", url.Values{"_csrf": {tok}, "display_name": {name}, "language": {"da"}, "notify_by_email": {"yes"}}); a.Status != http.StatusSeeOther {
			t.Fatalf("save name: %d", a.Status)
		}
		// One mail of hers was sent, one is still queued; a panel member with
		// her address is not touched.
		if err := e.DB.Model(&models.OutboxMail{}).Where("to_addr = ?", email).Update("status", models.MailSent).Error; err != nil {
			t.Fatal(err)
		}
		requestLink(t, e.Browser(), email, "en", "")
		if n := count(t, e, "mail_outbox", "to_addr = ? AND status = ?", email, models.MailQueued); n != 1 {
			t.Fatalf("%d queued mails", n)
		}

		// Her download holds her account and what the other feature keeps.
		a := laptop.Get("/me/data")
		if a.Status != http.StatusOK || !strings.HasPrefix(a.Header.Get("Content-Disposition"), "attachment") || !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("data: %d %q %q", a.Status, a.Header.Get("Content-Disposition"), a.Header.Get("Content-Type"))
		}
		var data struct {
			Citizen citizens.CitizenJSON
			Fake    []struct{ Title, Citizen string } `json:"fake_feature"`
		}
		if err := json.Unmarshal([]byte(a.Body), &data); err != nil {
			t.Fatalf("data: %v\n%s", err, a.Body)
		}
		if data.Citizen.ID != id || data.Citizen.Email != email || data.Citizen.DisplayName != name || data.Citizen.Language != "da" ||
			len(data.Fake) != 1 || data.Fake[0].Title != "More bike parking at the station" || data.Fake[0].Citizen != id {
			t.Fatalf("data: %s", a.Body)
		}

		// Deleting takes a second step, with the choice to delete the posts.
		webtest.Contains(t, laptop.Get("/me/delete?lang=en"), "Delete your account?", email, `name="delete_posts"`, "Also delete my ideas and comments")
		tok = laptop.CSRF("/me/delete")
		if a := laptop.PostForm("/me/delete", url.Values{"_csrf": {"forged"}, "delete_posts": {"yes"}}); a.Status != http.StatusForbidden {
			t.Fatalf("forged delete: %d", a.Status)
		}
		if count(t, e, "citizens", "id = ?", id) != 1 {
			t.Fatal("a forged request deleted the account")
		}
		a = laptop.PostForm("/me/delete", url.Values{"_csrf": {tok}, "delete_posts": {"yes"}})
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/" {
			t.Fatalf("delete: %d", a.Status)
		}
		webtest.Contains(t, laptop.Get("/?lang=en"), "Your account has been deleted.")
		if len(ideas.forgot) != 1 || ideas.forgot[0] != "delete:"+id {
			t.Fatalf("the feature was told %v", ideas.forgot)
		}
		// Both devices are signed out.
		for _, b := range []*webtest.Browser{phone, laptop} {
			if a := b.Get("/me"); a.Status != http.StatusSeeOther {
				t.Fatalf("still signed in after deletion: %d", a.Status)
			}
		}
		// No table of the account holds her address or name any more.
		for _, table := range []string{"citizens", "citizen_sign_ins", "sessions", "mail_outbox"} {
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
					if strings.Contains(strings.ToLower(s), email) || strings.Contains(s, name) || strings.Contains(s, id) {
						t.Errorf("%s.%s still holds %q", table, col, s)
					}
				}
			}
		}
		// The sent mail is still counted, emptied.
		if n := count(t, e, "mail_outbox", "status = ? AND to_addr = '' AND text_body = ''", models.MailSent); n == 0 {
			t.Fatal("the sent mail is gone instead of emptied")
		}
	})
}

// TestDeleteIsOneTransaction: when a feature cannot forget the citizen,
// nothing is deleted.
func TestDeleteIsOneTransaction(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		b := e.Browser()
		id := signIn(t, b, "anna@example.org")
		st := citizens.NewStore(citizens.Deps{DB: e.DB, Outbox: mail.NewOutbox(e.DB, nil)}).WithContributions(&fakeIdeas{}, &fakeIdeas{fail: true})
		if err := st.Delete(context.Background(), id, false); err == nil {
			t.Fatal("a failing feature did not stop the deletion")
		}
		if count(t, e, "citizens", "id = ?", id) != 1 || count(t, e, "sessions", "citizen_id = ?", id) != 1 || count(t, e, "mail_outbox", "to_addr = ?", "anna@example.org") != 1 {
			t.Fatal("part of the citizen was deleted")
		}
		if a := b.Get("/me"); a.Status != http.StatusOK {
			t.Fatalf("signed out by a failed deletion: %d", a.Status)
		}
	})
}
