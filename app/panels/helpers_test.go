package panels_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/mail/mailtest"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// forEachDB runs fn on each test database with an in-process SMTP server
// the application sends its mail to.
func forEachDB(t *testing.T, fn func(t *testing.T, e *webtest.Env, smtp *mailtest.Server)) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		smtp := mailtest.Start(t)
		e := webtest.NewEnv(t, gdb, func(c *config.Config) { c.SMTPURL = smtp.URL; c.MailFrom = "Inspraak <panel@inspraak.example>" })
		fn(t, e, smtp)
	})
}

// panelJSON is a panel like Amsterdam's: age band (with targets), gender
// and district. The Dutch name holds markup that must come out escaped.
const panelJSON = `{
  "name": {"da": "Borgerpanelet", "nl": "Burgerpanel <Amsterdam>", "en": "The citizen panel"},
  "description": {"da": "Vi spørger jævnligt panelet.", "nl": "We vragen het panel regelmatig.", "en": "We ask the panel regularly."},
  "profile_fields": [
    {"key": "age", "label": {"da": "Alder", "nl": "Leeftijd", "en": "Age"}, "choices": [
      {"key": "young", "label": {"da": "18-34 år", "nl": "18-34 jaar", "en": "18-34 years"}, "target": 50},
      {"key": "middle", "label": {"da": "35-64 år", "nl": "35-64 jaar", "en": "35-64 years"}, "target": 30},
      {"key": "old", "label": {"da": "65 år og derover", "nl": "65 jaar en ouder", "en": "65 and over"}, "target": 20}]},
    {"key": "gender", "label": {"da": "Køn", "nl": "Geslacht", "en": "Gender"}, "choices": [
      {"key": "woman", "label": {"da": "Kvinde", "nl": "Vrouw", "en": "Woman"}},
      {"key": "man", "label": {"da": "Mand", "nl": "Man", "en": "Man"}},
      {"key": "other", "label": {"da": "Andet", "nl": "Anders", "en": "Other"}}]},
    {"key": "district", "label": {"da": "Bydel", "nl": "Stadsdeel", "en": "District"}, "choices": [
      {"key": "centrum", "label": {"da": "Centrum", "nl": "Centrum", "en": "Centre"}},
      {"key": "noord", "label": {"da": "Nord", "nl": "Noord", "en": "North"}}]}
  ]}`

func createPanel(t *testing.T, staff *webtest.Browser) string {
	t.Helper()
	a := staff.PostJSON("/api/v1/panels", panelJSON)
	if a.Status != http.StatusCreated {
		t.Fatalf("create panel: %d %s", a.Status, a.Body)
	}
	var out struct{ ID string }
	_ = json.Unmarshal([]byte(a.Body), &out)
	return out.ID
}

// surveyJSON is a one-page survey.
const surveyJSON = `{"title": {"da": "Sociale medier", "nl": "Sociale media", "en": "Social media"}, "languages": ["da", "nl", "en"],
 "anonymous": %t, "allow_multiple": false,
 "questions": [{"key": "active", "type": "single", "required": true, "text": {"da": "Skal kommunen være aktiv?", "nl": "Moet de gemeente actief zijn?", "en": "Should the city be active?"},
   "options": [{"key": "yes", "text": {"da": "Ja", "nl": "Ja", "en": "Yes"}}, {"key": "no", "text": {"da": "Nej", "nl": "Nee", "en": "No"}}]}]}`

func openSurvey(t *testing.T, staff *webtest.Browser, anonymous bool) string {
	t.Helper()
	a := staff.PostJSON("/api/v1/surveys", fmt.Sprintf(surveyJSON, anonymous))
	if a.Status != http.StatusCreated {
		t.Fatalf("create survey: %d %s", a.Status, a.Body)
	}
	var sv struct{ ID string }
	_ = json.Unmarshal([]byte(a.Body), &sv)
	if o := staff.PostJSON("/api/v1/surveys/"+sv.ID+"/open", `{}`); o.Status != http.StatusOK {
		t.Fatalf("open survey: %d %s", o.Status, o.Body)
	}
	return sv.ID
}

// addMembers puts n active members on a panel directly, with profiles
// from profile(i) and language lang(i).
func addMembers(t *testing.T, e *webtest.Env, panelID string, n int, lang func(int) string, profile func(int) map[string]string) []string {
	t.Helper()
	now := time.Now().UTC()
	ids := make([]string, n)
	ms := make([]models.PanelMember, n)
	var rows []models.PanelMemberProfile
	for i := range n {
		id := models.NewID()
		ids[i] = id
		ms[i] = models.PanelMember{ID: id, PanelID: panelID, Email: fmt.Sprintf("member%d-%s@example.org", i, id[:4]), Language: lang(i), Status: models.MemberActive,
			TokenHash: sha(e.Srv.Panels().MemberToken(id)), Source: "import", ConfirmExpiresAt: now, CreatedAt: now, ConfirmedAt: &now}
		for f, v := range profile(i) {
			rows = append(rows, models.PanelMemberProfile{MemberID: id, PanelID: panelID, Field: f, Value: v})
		}
	}
	if err := e.DB.CreateInBatches(&ms, 200).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) > 0 {
		if err := e.DB.CreateInBatches(&rows, 500).Error; err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// runWorker runs one round of the mail worker.
func runWorker(t *testing.T, e *webtest.Env) int {
	t.Helper()
	n, err := e.Srv.MailWorker().RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var memberLinkRe = regexp.MustCompile(`http://localhost:8080(/panels/member/[A-Za-z0-9_-]+)`)
var inviteLinkRe = regexp.MustCompile(`http://localhost:8080(/i/[A-Za-z0-9_-]+)`)

func link(t *testing.T, re *regexp.Regexp, m mailtest.Message) string {
	t.Helper()
	x := re.FindStringSubmatch(m.Text)
	if x == nil {
		t.Fatalf("no link in mail %q:\n%s", m.Subject, m.Text)
	}
	if !strings.Contains(m.HTML, x[0]) {
		t.Errorf("the HTML part lacks the link %s", x[0])
	}
	return x[1]
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// usesOf counts the use rows of the invitations to a survey (anonymous
// surveys record uses there, not in the invitation).
func usesOf(e *webtest.Env, surveyID string) int64 {
	return count(e, "panel_invitation_uses", "survey_id = ?", surveyID)
}

func count(e *webtest.Env, table, where string, args ...any) int64 {
	var n int64
	e.DB.Table(table).Where(where, args...).Count(&n)
	return n
}
