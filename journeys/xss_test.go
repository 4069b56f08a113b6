package journeys

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// xssProbe is markup that would add an element of class xss-probe and
// open a dialog, were it ever put into a page as HTML.
const xssProbe = `<img src=x class=xss-probe onerror=alert(1)><svg class=xss-probe onload=alert(2)><script>alert(3)</script>`

// xssName is a probe short enough for a display name (60 characters).
const xssName = `<img src=x class=xss-probe onerror=alert(1)>`

// TestScriptPayloadsNeverRun sends markup through the forms citizens,
// moderators and politicians use (an idea, a comment, a display name, a
// town hall question and its answer) and opens every page that shows it,
// including the live town hall page that adds questions and answers from
// the event stream with JavaScript. In a real browser: no dialog opens,
// no element of the markup exists, and the text is shown as it was typed.
func TestScriptPayloadsNeverRun(t *testing.T) {
	needApp(t)
	cons := "/consultations/" + app.consultationID

	// The citizen submits an idea and a comment through the forms.
	c := newBrowser(t, "citizen")
	c.speaks("da")
	c.watchDialogs()
	c.selfCheckDialogs()
	title := unique("Cykelsti " + xssProbe)
	c.mustOpen(cons + "/ideas/new")
	c.fill("#title", title)
	c.fill("#body", "En sikker cykelsti langs havnen, tak. "+xssProbe)
	if c.has("#category") {
		c.choose("#category", run(c, chromedp.AttributeValue(chromedp.CSS("#category option:nth-child(2)"), "value")).Value)
	}
	c.fill("#display_name", "Ida "+xssName)
	c.submit(`form[action="` + cons + `/ideas"] button[type=submit]`)
	c.wantPath(`/ideas/\w+`)
	idea := c.path()
	c.fill(`form[aria-labelledby="comment-form-heading"] #body`, "Enig! "+xssProbe)
	c.submit(`form[aria-labelledby="comment-form-heading"] button[type=submit]`)
	c.wantText("#comments", "Enig! "+xssProbe)
	for _, p := range []string{idea, cons, cons + "?sort=new"} {
		c.openClean(p)
	}
	c.mustOpen(idea)
	c.wantText("h1", title)

	// Staff and moderators see it on their pages.
	st := watchedSignIn(t, "staff", staffEmail)
	for _, p := range []string{"/staff" + idea, "/staff/consultations/" + app.consultationID, "/staff"} {
		st.openClean(p)
	}
	m := watchedSignIn(t, "moderator", modEmail)
	m.openClean("/moderate" + cons)

	// A live town hall: the question and the answer reach the citizen's
	// open page through the event stream.
	var created struct {
		ID string `json:"id"`
	}
	now := time.Now().UTC()
	if st := api(t, app.token, http.MethodPost, "/api/v1/townhalls", map[string]any{
		"title":       map[string]string{"da": unique("Spørgetime " + xssProbe)},
		"starts_at":   now.Add(-time.Minute),
		"ends_at":     now.Add(time.Hour),
		"moderation":  "pre",
		"names":       "optional",
		"politicians": []string{mayorEmail},
	}, &created); st != http.StatusCreated {
		t.Fatalf("creating the town hall answered %d", st)
	}
	th := "/townhalls/" + created.ID
	question := unique("Hvornår? " + xssProbe)
	answer := unique("Til foråret. " + xssProbe)
	c.openClean(th)
	c.fill("#text", question)
	c.fill("#display_name", "Karen "+xssName)
	c.submit(`form[action="` + th + `/questions"] button[type=submit]`)
	c.wantText(".my-questions", question)

	m.openClean("/moderate" + th)
	qid := cardWith(t, m, question)
	m.submit(fmt.Sprintf(`#%s form:has(input[name=action][value=approve]) button[type=submit]`, qid))
	c.waitText("#"+qid+" .question-text", question, 15*time.Second)
	c.noInjectedMarkup()

	p := watchedSignIn(t, "mayor", mayorEmail)
	p.openClean("/politician" + th)
	p.fill("#text-"+qid[len("q-"):], answer)
	p.submit(fmt.Sprintf(`#%s form[action$="/answers"] button[type=submit]`, qid))
	c.waitText("#"+qid+" .answers", answer, 15*time.Second)
	c.noInjectedMarkup()
	c.openClean(th)
	c.wantText("#"+qid+" .answers", answer)
}

// watchedSignIn is a new browser, watched for dialogs, signed in as email.
func watchedSignIn(t *testing.T, name, email string) *tab {
	b := newBrowser(t, name)
	b.watchDialogs()
	b.signIn(email)
	return b
}

// watchDialogs counts the JavaScript dialogs (alert, confirm, prompt) the
// tab opens from now on, and dismisses each.
func (b *tab) watchDialogs() {
	b.t.Helper()
	n := &atomic.Int32{}
	err := chromedp.Listen(b.ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			n.Add(1)
			// Commands may not run inside the listener.
			go chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := cdp.Call(ctx, t, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
				return err
			}))
		}
	})
	if err != nil {
		b.t.Fatalf("%s: listen for dialogs: %v", b.name, err)
	}
	b.dialogs = n
}

// selfCheckDialogs opens one dialog on purpose and waits until it is
// counted, so that "no dialog" below means something.
func (b *tab) selfCheckDialogs() {
	b.t.Helper()
	b.mustOpen("/")
	eval[bool](b, `setTimeout(function () { alert("self-check"); }, 0), true`)
	deadline := time.Now().Add(10 * time.Second)
	for b.dialogs.Load() == 0 {
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: a dialog opened on purpose was not seen", b.name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.dialogs.Store(0)
}

// openClean loads a page that must answer 200 and hold no injected markup.
func (b *tab) openClean(path string) {
	b.t.Helper()
	b.mustOpen(path)
	b.noInjectedMarkup()
}

// noInjectedMarkup checks the page now shown: no dialog has opened, no
// element of xssProbe exists, and where the probe shows it is text.
func (b *tab) noInjectedMarkup() {
	b.t.Helper()
	if b.dialogs == nil {
		b.t.Fatalf("%s: watchDialogs first", b.name)
	}
	time.Sleep(300 * time.Millisecond) // give an onerror/onload time to fire
	if n := b.dialogs.Load(); n > 0 {
		b.t.Fatalf("%s at %s: %d dialogs opened", b.name, b.url(), n)
	}
	injected := eval[int](b, `document.querySelectorAll(".xss-probe, [onerror], [onload], iframe, script:not([src])").length`)
	if injected > 0 {
		b.t.Fatalf("%s at %s: %d elements of the markup are in the page", b.name, b.url(), injected)
	}
	body := eval[string](b, `document.body.innerText`)
	if strings.Contains(body, "xss-probe") && !strings.Contains(body, xssName) {
		b.t.Fatalf("%s at %s: the markup is shown altered", b.name, b.url())
	}
}
