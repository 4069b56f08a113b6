package journeys

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The demo survey is the built-in template "social-media-expectations"
// (app/surveys/templates.go). Its pages: 1 about you, 2 contact, 3 presence
// ("should the municipality be active on social media?"), 4 where and what,
// shown only after "yes" on page 3, 5 service, 6 finally.
const (
	pagePresenceDA = "Kommunen på sociale medier"
	pageWhereDA    = "Hvor og om hvad"
	pageServiceDA  = "Svar og service"
	thanksDA       = "Tak for din deltagelse"
)

// TestSurveyDanishPhoneSaveAndResume is journey 1: a citizen answers the
// social-media survey in Danish on a 375 px wide phone, sees the follow-up
// page appear only after answering "yes", leaves with "save and continue
// later", comes back through the personal link in another browser and
// finishes.
func TestSurveyDanishPhoneSaveAndResume(t *testing.T) {
	needApp(t)
	answerSurvey(t, false)
}

// TestSurveyWithoutJavaScript is journey 2: the same, with JavaScript off.
func TestSurveyWithoutJavaScript(t *testing.T) {
	needApp(t)
	answerSurvey(t, true)
}

func answerSurvey(t *testing.T, noJS bool) {
	remark := unique("Svar fra rejsen med telefon")
	who := "citizen on a phone"
	if noJS {
		remark = unique("Svar fra rejsen uden JavaScript")
		who = "citizen without JavaScript"
	}
	sv := "/surveys/" + app.surveyID
	b := newBrowser(t, who)
	b.speaks("da")
	b.viewport(375)
	if noJS {
		b.noScript()
	}
	// The citizen finds the survey on the home page.
	b.mustOpen("/")
	b.wantLang("da")
	b.submit(`main a[href="` + sv + `"]`)
	b.wantPath(sv)
	b.wantText("h1", "Hvad forventer du af kommunen på sociale medier?")
	b.submit("a.button-large")
	b.wantPath(sv + "/s/1")
	b.wantText("h1", "Om dig")

	// Page 1: who you are and what you use.
	b.check("q.respondent_type-resident")
	b.check("q.uses_platforms-facebook")
	b.check("q.uses_platforms-instagram")
	b.submit(`button[name=action][value=next]`)
	// Page 2: what you want to do (optional).
	b.wantText("h1", "Kontakt med kommunen")
	b.check("q.wants_to-ask_question")
	b.submit(`button[name=action][value=next]`)

	// Page 3, the condition: "no" skips the follow-up page ...
	b.wantText("h1", pagePresenceDA)
	b.check("q.should_be_active-no")
	b.submit(`button[name=action][value=next]`)
	b.wantText("h1", pageServiceDA)
	if b.has(`[name="q.platforms"]`) {
		t.Fatal("the follow-up questions showed although the answer was no")
	}
	b.submit(`button[name=action][value=back]`)
	b.wantText("h1", pagePresenceDA)
	// ... and "yes" brings it.
	b.check("q.should_be_active-yes")
	b.submit(`button[name=action][value=next]`)
	b.wantText("h1", pageWhereDA)
	b.wantText(byID("question-platforms"), "På hvilke sociale medier bør kommunen være aktiv?")
	b.check("q.platforms-facebook")
	b.check("q.topics-road_works")

	// Leave: save and continue later.
	b.submit(`button[name=action][value=save]`)
	b.wantPath(sv + "/saved")
	b.wantText("h1", "gemt")
	resume := run(b, chromedp.AttributeValue(chromedp.CSS("#resume-url"), "value")).Value
	resumePath := strings.TrimPrefix(resume, app.base)
	if resumePath == resume || !strings.HasPrefix(resumePath, sv+"/resume/") {
		t.Fatalf("resume link %q is not a link to %s/resume/… on %s", resume, sv, app.base)
	}

	// Come back later, in another browser, through the personal link.
	r := newBrowser(t, who+" (resumed)")
	r.speaks("da")
	r.viewport(375)
	if noJS {
		r.noScript()
	}
	if st := r.open(resumePath); st != http.StatusOK {
		t.Fatalf("the resume link answered %d", st)
	}
	r.wantPath(sv + `/s/\d+`)
	r.wantText("h1", pageWhereDA)
	for _, id := range []string{"q.platforms-facebook", "q.topics-road_works"} {
		if _, ok := run(r, chromedp.Attributes(chromedp.CSS(byID(id))))["checked"]; !ok {
			t.Fatalf("after resuming, %s is no longer chosen", id)
		}
	}
	r.submit(`button[name=action][value=next]`)
	r.wantText("h1", pageServiceDA)
	r.check("q.answer_time-one_two_working_days")
	r.check("q.know_who_answers-4")
	r.submit(`button[name=action][value=next]`)
	r.wantText("h1", "Til sidst")
	r.fill("#q-remarks", remark)
	r.submit(`button[name=action][value=next]`)
	r.wantPath(sv + "/thanks")
	r.wantText("main", thanksDA)

	// The response is stored, with the answer given before leaving.
	if n := count(t, `SELECT count(*) FROM responses r
		JOIN response_answers a ON a.response_id = r.id AND a.question_key = 'remarks' AND a.text = $2
		JOIN response_answers p ON p.response_id = r.id AND p.question_key = 'platforms' AND p.option_key = 'facebook'
		JOIN response_answers s ON s.response_id = r.id AND s.question_key = 'should_be_active' AND s.option_key = 'yes'
		WHERE r.survey_id = $1`, app.surveyID, remark); n != 1 {
		t.Fatalf("%d responses stored with the journey's answers, want 1", n)
	}
}

// TestSurveyKeyboardOnly is journey 3: the survey answered with the
// keyboard alone (Tab, Space, arrows and Enter; no clicks).
func TestSurveyKeyboardOnly(t *testing.T) {
	needApp(t)
	remark := unique("Kun tastatur")
	sv := "/surveys/" + app.surveyID
	b := newBrowser(t, "keyboard user")
	b.mustOpen(sv + "?lang=da")

	// The first Tab reaches the skip link, which moves the focus to the
	// content.
	b.key("\t")
	if got := eval[string](b, `document.activeElement.className`); got != "skip-link" {
		t.Fatalf("the first Tab focused %q, want the skip link", got)
	}
	b.tabTo("a.button-large")
	b.loads(chromedp.KeyEvent("\r"))
	b.wantPath(sv + "/s/1")

	space := func(id string) {
		t.Helper()
		b.tabTo(byID(id))
		b.key(" ")
		if !eval[bool](b, `document.activeElement.checked`) {
			t.Fatalf("Space did not choose %s", id)
		}
	}
	next := func() {
		t.Helper()
		b.tabTo(`button[name=action][value=next]`)
		b.loads(chromedp.KeyEvent("\r"))
	}
	space("q.respondent_type-resident")
	space("q.uses_platforms-facebook")
	next()
	b.wantText("h1", "Kontakt med kommunen")
	space("q.wants_to-find_information")
	next()
	b.wantText("h1", pagePresenceDA)
	space("q.should_be_active-yes")
	next()
	b.wantText("h1", pageWhereDA)
	space("q.topics-crises")
	next()
	b.wantText("h1", pageServiceDA)
	space("q.answer_time-within_hour")
	// Arrow keys move the choice along a scale, as in any radio group.
	space("q.know_who_answers-1")
	b.key(kb.ArrowRight)
	b.key(kb.ArrowRight)
	if !eval[bool](b, `document.getElementById("q.know_who_answers-3").checked`) {
		t.Fatal("two presses of the right arrow did not move the scale from 1 to 3")
	}
	next()
	b.wantText("h1", "Til sidst")
	b.tabTo("#q-remarks")
	b.key(remark)
	next()
	b.wantPath(sv + "/thanks")
	b.wantText("main", thanksDA)
	if n := count(t, `SELECT count(*) FROM responses r
		JOIN response_answers a ON a.response_id = r.id AND a.question_key = 'remarks' AND a.text = $2
		JOIN response_answers k ON k.response_id = r.id AND k.question_key = 'know_who_answers' AND k.number = 3
		WHERE r.survey_id = $1`, app.surveyID, remark); n != 1 {
		t.Fatalf("%d responses stored with the keyboard user's answers, want 1", n)
	}
}
