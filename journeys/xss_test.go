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
	dialogs := c.watchDialogs()
	c.selfCheckDialogs(dialogs)
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
		c.mustOpen(p)
		c.noInjectedMarkup(dialogs)
	}
	c.mustOpen(idea)
	c.wantText("h1", title)

	// Staff and moderators see it on their pages.
	st := newBrowser(t, "staff")
	staffDialogs := st.watchDialogs()
	st.signIn(staffEmail)
	for _, p := range []string{"/staff" + idea, "/staff/consultations/" + app.consultationID, "/staff"} {
		st.mustOpen(p)
		st.noInjectedMarkup(staffDialogs)
	}
	m := newBrowser(t, "moderator")
	modDialogs := m.watchDialogs()
	m.signIn(modEmail)
	m.mustOpen("/moderate" + cons)
	m.noInjectedMarkup(modDialogs)

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
	c.mustOpen(th)
	c.noInjectedMarkup(dialogs)
	c.fill("#text", question)
	c.fill("#display_name", "Karen "+xssName)
	c.submit(`form[action="` + th + `/questions"] button[type=submit]`)
	c.wantText(".my-questions", question)

	m.mustOpen("/moderate" + th)
	m.noInjectedMarkup(modDialogs)
	qid := cardWith(t, m, question)
	m.submit(fmt.Sprintf(`#%s form:has(input[name=action][value=approve]) button[type=submit]`, qid))
	c.waitText("#"+qid+" .question-text", question, 15*time.Second)
	c.noInjectedMarkup(dialogs)

	p := newBrowser(t, "mayor")
	mayorDialogs := p.watchDialogs()
	p.signIn(mayorEmail)
	p.mustOpen("/politician" + th)
	p.noInjectedMarkup(mayorDialogs)
	p.fill("#text-"+qid[len("q-"):], answer)
	p.submit(fmt.Sprintf(`#%s form[action$="/answers"] button[type=submit]`, qid))
	c.waitText("#"+qid+" .answers", answer, 15*time.Second)
	c.noInjectedMarkup(dialogs)
	c.mustOpen(th)
	c.wantText("#"+qid+" .answers", answer)
	c.noInjectedMarkup(dialogs)
}

// watchDialogs counts the JavaScript dialogs (alert, confirm, prompt) the
// tab opens from now on, and dismisses each.
func (b *tab) watchDialogs() *atomic.Int32 {
	b.t.Helper()
	var n atomic.Int32
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
	return &n
}

// selfCheckDialogs opens one dialog on purpose and waits until it is
// counted, so that "no dialog" below means something.
func (b *tab) selfCheckDialogs(n *atomic.Int32) {
	b.t.Helper()
	b.mustOpen("/")
	eval[bool](b, `setTimeout(function () { alert("self-check"); }, 0), true`)
	deadline := time.Now().Add(10 * time.Second)
	for n.Load() == 0 {
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: a dialog opened on purpose was not seen", b.name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.Store(0)
}

// noInjectedMarkup checks the page now shown: no dialog has opened, no
// element of xssProbe exists, and where the probe shows it is text.
func (b *tab) noInjectedMarkup(dialogs *atomic.Int32) {
	b.t.Helper()
	time.Sleep(300 * time.Millisecond) // give an onerror/onload time to fire
	if n := dialogs.Load(); n > 0 {
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
