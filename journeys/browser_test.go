package journeys

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/inspraak/inspraak/app/mail/mailtest"
)

// stepTimeout bounds one step of a journey (a navigation, a click and the
// page it loads, a wait for an element).
const stepTimeout = 30 * time.Second

// tab is one browser tab driven by a test.
type tab struct {
	t       testing.TB
	ctx     context.Context
	name    string
	dialogs *atomic.Int32 // JavaScript dialogs opened, once watchDialogs ran
}

// newBrowser opens a tab in a browser context of its own: its own cookies,
// as another person on another device would have.
func newBrowser(t testing.TB, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(app.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: open a browser context: %v", name, err)
	}
	return &tab{t: t, ctx: ctx, name: name}
}

// sibling opens another tab in the same browser context (same cookies).
func (b *tab) sibling(name string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("%s: open a tab: %v", name, err)
	}
	return &tab{t: b.t, ctx: ctx, name: name}
}

// run runs one action on the tab and returns its value; a failure ends the
// test with the tab's address.
func run[T any](b *tab, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s at %s: %v", b.name, b.url(), err)
	}
	return v
}

// try is run that returns the error instead of ending the test.
func try[T any](b *tab, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	return chromedp.Run(ctx, a)
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	run(b, chromedp.Steps(actions...))
}

// url is the tab's address (for messages).
func (b *tab) url() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return u
}

// path is the tab's address without the base.
func (b *tab) path() string { return strings.TrimPrefix(b.url(), app.base) }

// open loads a page of the platform and returns its HTTP status.
func (b *tab) open(path string) int {
	b.t.Helper()
	resp := run(b, chromedp.NavigateResponse(app.base+path))
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// mustOpen loads a page that must answer 200.
func (b *tab) mustOpen(path string) {
	b.t.Helper()
	if st := b.open(path); st != http.StatusOK {
		b.t.Fatalf("%s: GET %s answered %d", b.name, path, st)
	}
}

// loads runs a step that makes the browser load a page (a click on a link
// or a submit button, a key press) and waits until that page has loaded.
func (b *tab) loads(step chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	run(b, chromedp.WaitEvent(page.LoadEventFired, nil, step))
}

// submit clicks the element sel (a button or link) and waits for the page
// it loads.
func (b *tab) submit(sel string) {
	b.t.Helper()
	b.loads(chromedp.Click(chromedp.CSS(sel)))
}

// click clicks an element that does not load a page (a radio, a box).
func (b *tab) click(sel string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)))
}

// check clicks the radio or box with the id (ids here may hold dots).
func (b *tab) check(id string) {
	b.t.Helper()
	b.click(byID(id))
}

// byID is a selector for an id that may hold dots.
func byID(id string) string { return `[id="` + id + `"]` }

// fill types text into the field sel, after clearing it.
func (b *tab) fill(sel, text string) {
	b.t.Helper()
	// Clear fails on an empty textarea (it has no text node): nothing to clear.
	_, _ = try(b, chromedp.Clear(chromedp.CSS(sel)))
	b.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// choose picks the option with the value in the select sel.
func (b *tab) choose(sel, value string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS(sel), value))
}

// text is the visible text of the first element sel.
func (b *tab) text(sel string) string {
	b.t.Helper()
	return run(b, chromedp.Text(chromedp.CSS(sel)))
}

// has tells whether an element sel is in the page now.
func (b *tab) has(sel string) bool {
	b.t.Helper()
	return eval[bool](b, fmt.Sprintf(`document.querySelector(%q) !== null`, sel))
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	return run(b, chromedp.Evaluate[T](expr))
}

// waitText waits until the element sel holds the text want.
func (b *tab) waitText(sel, want string, within time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, _ := try(b, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||""`, sel)))
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s at %s: %q did not come to hold %q within %s (it holds %q)", b.name, b.url(), sel, want, within, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wantText checks that the element sel holds the text want.
func (b *tab) wantText(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); !strings.Contains(got, want) {
		b.t.Fatalf("%s at %s: %s holds %q, want %q", b.name, b.url(), sel, got, want)
	}
}

// wantPath checks the address the browser is at, without the query.
func (b *tab) wantPath(re string) {
	b.t.Helper()
	p := b.path()
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if !regexp.MustCompile(`^` + re + `$`).MatchString(p) {
		b.t.Fatalf("%s: at %s, want a page matching %s", b.name, p, re)
	}
}

// wantLang checks the language of the page.
func (b *tab) wantLang(lang string) {
	b.t.Helper()
	if got := run(b, chromedp.AttributeValue(chromedp.CSS("html"), "lang")); got.Value != lang {
		b.t.Fatalf("%s at %s: the page is in %q, want %q", b.name, b.url(), got.Value, lang)
	}
}

// viewport makes the tab a screen of the width: a phone (with mobile
// layout rules, meta viewport and all) below 800 px, a desktop above.
func (b *tab) viewport(width int64) {
	b.t.Helper()
	height := int64(900)
	mobile := width < 800
	if mobile {
		height = 800
	}
	b.do(chromedp.EmulateViewport(width, height, func(p *emulation.SetDeviceMetricsOverrideParams, _ *emulation.SetTouchEmulationEnabledParams) {
		p.Mobile = mobile
	}))
}

// noScript turns JavaScript off in the tab, for the pages it loads next.
func (b *tab) noScript() {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
}

// speaks makes the browser ask for pages in the language (Accept-Language),
// as a browser set up in that language does.
func (b *tab) speaks(lang string) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}})
		return err
	}))
}

// key sends key presses (chromedp's notation: "\t" Tab, " " Space, "\r"
// Enter, kb.ArrowRight, ...) to whatever has the focus.
func (b *tab) key(keys string, opts ...chromedp.KeyOption) {
	b.t.Helper()
	b.do(chromedp.KeyEvent(keys, opts...))
}

// tabTo presses Tab until the element sel has the focus, as a keyboard
// user moves through the page; it fails when the element is not reached
// within the page's focusable elements.
func (b *tab) tabTo(sel string) {
	b.t.Helper()
	for i := 0; i < 120; i++ {
		b.key("\t")
		if eval[bool](b, fmt.Sprintf(`document.activeElement !== null && document.activeElement.matches(%q)`, sel)) {
			return
		}
	}
	b.t.Fatalf("%s at %s: Tab never reached %s", b.name, b.url(), sel)
}

// signIn signs a demo account in through the login form.
func (b *tab) signIn(email string) {
	b.t.Helper()
	b.mustOpen("/login")
	b.fill("#email", email)
	b.fill("#password", demoPassword)
	b.submit(`form[action="/login"] button[type=submit]`)
	if strings.HasPrefix(b.path(), "/login") {
		b.t.Fatalf("%s: signing in as %s failed", b.name, email)
	}
}

// screenshot saves a full-page screenshot as artifacts/<name>.png.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	img := run(b, chromedp.FullScreenshot(100)) // 100: PNG
	if err := os.WriteFile(filepath.Join(artifactsDir, name+".png"), img, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// mailTo waits until at least n mails arrived for the address and returns
// the last one.
func mailTo(t testing.TB, addr string, n int) mailtest.Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ms := app.smtp.To(addr)
		if len(ms) >= n {
			return ms[len(ms)-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails arrived for %s within 30 s, want %d", len(ms), addr, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// linkIn returns the first link in the mail's text to a path with the prefix.
func linkIn(t testing.TB, m mailtest.Message, prefix string) string {
	t.Helper()
	for _, u := range regexp.MustCompile(`https?://[^\s"<>]+`).FindAllString(m.Text, -1) {
		if p := strings.TrimPrefix(u, app.base); p != u && strings.HasPrefix(p, prefix) {
			return p
		}
	}
	t.Fatalf("no link to %s… in the mail %q:\n%s", prefix, m.Subject, m.Text)
	return ""
}

// api calls the JSON API with the demo staff account's token (or none
// when token is empty) and decodes the answer into out.
func api(t testing.TB, token, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, app.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	if resp.StatusCode >= 400 {
		t.Logf("%s %s answered %d: %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// count runs a COUNT query on the platform's database.
func count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := app.db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// unique makes a text no other run or journey has.
func unique(prefix string) string {
	return fmt.Sprintf("%s %d", prefix, time.Now().UnixNano()%1_000_000_000)
}
