package journeys

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestIdeaToFeedback is journey 7: on the demo consultation a citizen
// submits an idea, another supports it and comments on it, staff give it a
// status with an explanation at /staff/ideas/{id}, and the "you said, we
// did" page shows it with the explanation.
func TestIdeaToFeedback(t *testing.T) {
	needApp(t)
	title := unique("Overdækket cykelparkering ved Hovedbanegården")
	body := "Der mangler tørre pladser til cykler ved stationen, især om vinteren."
	comment := unique("Enig, og gerne med plads til ladcykler.")
	explanation := unique("Vi bygger 400 overdækkede pladser i 2027.")
	cons := "/consultations/" + app.consultationID

	// The author finds the consultation and submits an idea.
	a := newBrowser(t, "author")
	a.speaks("da")
	a.mustOpen("/consultations")
	a.submit(`main a[href="` + cons + `"]`)
	a.wantPath(cons)
	a.submit(`a[href="` + cons + `/ideas/new"]`)
	a.fill("#title", title)
	a.fill("#body", body)
	if a.has("#category") {
		a.choose("#category", run(a, chromedp.AttributeValue(chromedp.CSS("#category option:nth-child(2)"), "value")).Value)
	}
	a.fill("#place", "Hovedbanegården")
	a.fill("#display_name", "Ida")
	a.submit(`form[action="` + cons + `/ideas"] button[type=submit]`)
	a.wantPath(`/ideas/\w+`)
	idea := a.path()
	a.wantText("h1", title)

	// Another citizen supports it and comments.
	s := newBrowser(t, "supporter")
	s.speaks("da")
	s.mustOpen(idea)
	s.submit(`.support-form button[type=submit]`)
	if got := run(s, chromedp.AttributeValue(chromedp.CSS(".support-form button"), "aria-pressed")).Value; got != "true" {
		t.Fatalf("after supporting, the support button is aria-pressed=%q", got)
	}
	s.wantText(".idea-counts", "1 ")
	s.fill(`form[aria-labelledby="comment-form-heading"] #body`, comment)
	s.submit(`form[aria-labelledby="comment-form-heading"] button[type=submit]`)
	s.wantText("#comments", comment)

	// Staff set its status.
	st := newBrowser(t, "staff")
	st.speaks("da")
	st.signIn(staffEmail)
	st.mustOpen("/staff" + idea)
	st.wantText("#idea-title", title)
	st.choose("#status", "adopted")
	st.fill("#explanation_da", explanation)
	st.fill("#explanation_en", "We will build 400 covered places in 2027.")
	st.submit(`form[action="/staff` + idea + `"] button[type=submit]`)
	st.wantText("#current-heading + p", "Vedtaget")

	// "You said, we did" shows it, with the explanation.
	a.mustOpen(cons + "/feedback")
	a.wantText("main", title)
	a.wantText("main", explanation)
	a.mustOpen(cons + "/feedback?lang=en")
	a.wantText("main", "We will build 400 covered places in 2027.")
}
