package journeys

import (
	"context"
	"fmt"
	"testing"
)

// TestScreenshots writes full-page screenshots of the key pages, at a
// desktop's 1280 px and a phone's 375 px, in Danish, to artifacts/
// (<page>-1280.png, <page>-375.png).
func TestScreenshots(t *testing.T) {
	needApp(t)
	var idea string
	if err := app.db.QueryRow(context.Background(),
		`SELECT id FROM ideas WHERE consultation_id = $1 AND status <> '' AND visibility = 'published' ORDER BY id LIMIT 1`,
		app.consultationID).Scan(&idea); err != nil {
		t.Fatal(err)
	}
	shots := []struct{ name, path string }{
		{"home", "/"},
		{"survey", "/surveys/" + app.surveyID + "/s/1"},
		{"results", "/surveys/" + app.surveyID + "/results"},
		{"townhall", "/townhalls/" + app.liveTownHallID},
		{"consultation", "/consultations/" + app.consultationID},
		{"idea", "/ideas/" + idea},
		{"feedback", "/consultations/" + app.consultationID + "/feedback"},
		{"policy", "/policies/" + app.policyID},
		{"staff-dashboard", "/staff"},
	}
	v := newBrowser(t, "visitor")
	v.speaks("da")
	s := newBrowser(t, "staff")
	s.speaks("da")
	s.signIn(staffEmail)
	for _, width := range []int64{1280, 375} {
		v.viewport(width)
		s.viewport(width)
		for _, sh := range shots {
			b := v
			if sh.name == "staff-dashboard" {
				b = s
			}
			b.mustOpen(sh.path + "?lang=da")
			b.screenshot(fmt.Sprintf("%s-%d", sh.name, width))
		}
	}
}
