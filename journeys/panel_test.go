package journeys

import (
	"strings"
	"testing"
)

// TestPanelSignUp is journey 5: a citizen joins the demo panel, the
// confirmation mail arrives at the SMTP server, the link in it opens the
// confirmation page, and after "confirm" the member page says they are a
// member.
func TestPanelSignUp(t *testing.T) {
	needApp(t)
	email := strings.ReplaceAll(unique("panel"), " ", "-") + "@borger.example"
	c := newBrowser(t, "citizen joining the panel")
	c.speaks("da")
	c.mustOpen("/panels/" + app.panelID + "/join")
	c.wantLang("da")
	c.wantText("h1", "Borgerpanel")
	c.fill("#email", email)
	c.check("consent")
	c.submit(`form[action="/panels/` + app.panelID + `/join"] button[type=submit]`)
	c.wantPath("/panels/" + app.panelID + "/join/sent")

	m := mailTo(t, email, 1)
	if m.Language != "" && m.Language != "da" {
		t.Errorf("the confirmation mail is in %q, want da", m.Language)
	}
	link := linkIn(t, m, "/panels/member/")

	// Opening the link shows a button: a mail scanner that fetches links
	// does not confirm anyone.
	c.mustOpen(link)
	c.wantText("h1", "Bekræft dit medlemskab")
	if n := count(t, `SELECT count(*) FROM panel_members WHERE panel_id = $1 AND status = 'active' AND lower(email) = lower($2)`, app.panelID, email); n != 0 {
		t.Fatal("opening the link alone made the person a member")
	}
	c.submit(`form[action$="/confirm"] button[type=submit]`)
	c.wantPath(link)
	c.wantText(".flash", "Velkommen! Du er nu medlem af panelet.")
	c.wantText("h1", "Dit medlemskab af panelet")
	c.wantText("main .lead", email)
	if n := count(t, `SELECT count(*) FROM panel_members WHERE panel_id = $1 AND status = 'active' AND lower(email) = lower($2)`, app.panelID, email); n != 1 {
		t.Fatalf("%d active members with the address, want 1", n)
	}
}
