package journeys

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestStaffBuildSurvey is journey 4: staff sign in, build a new survey with
// a single-choice question, a rating scale and a long text in the builder,
// open it, and a citizen finds the three questions on its page.
func TestStaffBuildSurvey(t *testing.T) {
	needApp(t)
	title := unique("Cykelparkering ved stationen")
	s := newBrowser(t, "staff")
	s.speaks("da")
	s.signIn(staffEmail)
	s.wantText("h1", "Søren Kommunikation")
	s.mustOpen("/staff/surveys")
	s.submit(`main a[href="/staff/surveys/new"]`)
	s.wantPath("/staff/surveys/new")
	for _, l := range []string{"da", "nl", "en"} {
		if !eval[bool](s, `document.getElementById("lang-`+l+`").checked`) {
			s.check("lang-" + l)
		}
	}
	s.fill(byID("title.da"), title)
	s.fill(byID("title.nl"), title+" (nl)")
	s.fill(byID("title.en"), title+" (en)")
	s.fill(byID("description.da"), "Hvor skal de nye cykelstativer stå?")
	s.submit(`form[action="/staff/surveys"] button[type=submit]`)
	s.wantPath(`/staff/surveys/\w+`)
	builder := s.path()
	id := strings.TrimPrefix(builder, "/staff/surveys/")
	s.wantText("h1", title)

	// Three question types, each through the "add question" form of page 1.
	add := func(typ, key string, fill func()) {
		t.Helper()
		s.mustOpen(builder)
		s.choose(".add-question select", typ)
		s.submit(".add-question button[type=submit]")
		s.wantPath(builder + "/questions/new")
		s.fill("#key", key)
		fill()
		s.submit(`form[action="` + builder + `/questions"] button[type=submit]`)
		if !strings.HasPrefix(s.path(), builder) || s.has(".error-summary") {
			t.Fatalf("saving the %s question failed at %s: %s", typ, s.path(), s.text("main"))
		}
	}
	add("single", "where", func() {
		s.fill(byID("text.da"), "Hvor parkerer du din cykel?")
		s.fill(byID("text.nl"), "Waar parkeert u uw fiets?")
		s.fill(byID("text.en"), "Where do you park your bike?")
		s.check("required")
		for i, o := range [][3]string{{"Ved perronen", "Bij het perron", "By the platform"}, {"I kælderen", "In de kelder", "In the basement"}} {
			for j, l := range []string{"da", "nl", "en"} {
				s.fill(`input[name="opt.`+string(rune('0'+i))+`.text.`+l+`"]`, o[j])
			}
		}
	})
	add("scale", "satisfied", func() {
		s.fill(byID("text.da"), "Hvor tilfreds er du med parkeringen i dag?")
		s.fill(byID("text.nl"), "Hoe tevreden bent u met het parkeren nu?")
		s.fill(byID("text.en"), "How satisfied are you with parking today?")
		s.fill("#scale_min", "1")
		s.fill("#scale_max", "5")
	})
	add("longtext", "ideas", func() {
		s.fill(byID("text.da"), "Har du andre forslag?")
		s.fill(byID("text.nl"), "Heeft u andere ideeën?")
		s.fill(byID("text.en"), "Any other ideas?")
	})
	s.mustOpen(builder)
	for _, q := range []string{"Hvor parkerer du din cykel?", "Hvor tilfreds er du med parkeringen i dag?", "Har du andre forslag?"} {
		s.wantText(".builder", q)
	}

	// Open it.
	s.submit(`form[action="` + builder + `/open"] button[type=submit]`)
	s.wantText("main .lead", "Åben")

	// A citizen (in Dutch, this time) answers page 1 and sees all three.
	c := newBrowser(t, "citizen")
	c.mustOpen("/surveys/" + id + "?lang=nl")
	c.wantText("h1", title+" (nl)")
	c.submit("a.button-large")
	c.wantPath("/surveys/" + id + "/s/1")
	c.wantText(byID("question-where"), "Waar parkeert u uw fiets?")
	c.wantText(byID("question-where"), "In de kelder")
	c.wantText(byID("question-satisfied"), "Hoe tevreden bent u met het parkeren nu?")
	if n := eval[int](c, `document.querySelectorAll('[name="q.satisfied"][type=radio]').length`); n != 5 {
		t.Fatalf("the scale has %d points, want 5", n)
	}
	c.wantText(byID("question-ideas"), "Heeft u andere ideeën?")
	c.check("q.where-" + run(c, chromedp.AttributeValue(chromedp.CSS(`[name="q.where"]`), "value")).Value)
	c.check("q.satisfied-4")
	c.fill("#q-ideas", "Meer overdekte rekken.")
	c.submit(`button[name=action][value=next]`)
	c.wantPath("/surveys/" + id + "/thanks")
	if n := count(t, `SELECT count(*) FROM responses WHERE survey_id = $1`, id); n != 1 {
		t.Fatalf("%d responses stored for the new survey, want 1", n)
	}
}
