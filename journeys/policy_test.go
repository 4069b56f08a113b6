package journeys

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPolicyPublishedReadInDutch is journey 8: staff write a channel
// policy at /staff/policies with one decision backed by a survey figure,
// publish it, and a citizen reads it in Dutch.
func TestPolicyPublishedReadInDutch(t *testing.T) {
	needApp(t)
	titleNL := unique("Kanaalbeleid voor de wijkteams")
	textNL := "We beantwoorden vragen via Facebook binnen twee werkdagen."
	s := newBrowser(t, "staff")
	s.speaks("da")
	s.signIn(staffEmail)
	s.mustOpen("/staff/policies")
	s.submit(`main a[href="/staff/policies/new"]`)
	s.fill("#title_da", titleNL+" (da)")
	s.fill("#title_nl", titleNL)
	s.fill("#title_en", titleNL+" (en)")
	s.fill("#intro_nl", "Zo gebruiken de wijkteams social media.")
	year := time.Now().Year() + 1
	// Date fields take their value as the browser's date picker sets it.
	s.do(chromedp.SetValue(chromedp.CSS("#period_from"), time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)),
		chromedp.SetValue(chromedp.CSS("#period_to"), time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)))
	s.submit(`form[action="/staff/policies"] button[type=submit]`)
	s.wantPath(`/staff/policies/\w+`)
	pol := s.path()

	// One decision: a channel, what it is for, how fast, backed by the
	// share of survey respondents who want the municipality on social media.
	s.submit(`a[href="` + pol + `/decisions/new"]`)
	s.choose("#channel", run(s, chromedp.AttributeValue(chromedp.CSS("#channel option:nth-child(2)"), "value")).Value)
	s.check("purpose-questions")
	s.check("handling-handled")
	s.fill("#target_value", "2")
	s.choose("#target_unit", "days")
	s.fill("#owner", "Kommunikation")
	s.fill("#text_nl", textNL)
	s.fill("#text_da", "Vi besvarer spørgsmål på Facebook inden for to arbejdsdage.")
	s.choose("#evidence_0_kind", "survey_option")
	s.fill("#evidence_0_ref", app.surveyID+":should_be_active:yes")
	s.submit(`form[action="` + pol + `/decisions"] button[type=submit]`)
	if s.has(".error-summary") {
		t.Fatalf("the decision was refused: %s", s.text(".error-summary"))
	}
	s.mustOpen(pol)
	s.submit(`form[action="` + pol + `/publish"] button[type=submit]`)
	if s.has(".error-summary, #publish .field-error") {
		t.Fatalf("publishing was refused: %s", s.text("main"))
	}

	// A citizen reads it in Dutch.
	c := newBrowser(t, "citizen")
	c.mustOpen("/policies/" + pol[len("/staff/policies/"):] + "?lang=nl")
	c.wantLang("nl")
	c.wantText("h1", titleNL)
	c.wantText("main", textNL)
	c.wantText("main", "Zo gebruiken de wijkteams social media.")
	// The list of published policies names it too.
	c.mustOpen("/policies")
	c.wantText("main", titleNL)
}
