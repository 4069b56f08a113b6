package journeys

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// wcagTags are axe-core's tags for the WCAG 2.0 and 2.1 A and AA rules.
var wcagTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// languages are the platform's languages (app/config.Languages).
var languages = []string{"da", "nl", "en"}

// narrowest is the width every page must fit without scrolling sideways
// (WCAG 1.4.10 Reflow: 320 CSS pixels).
const narrowest = 320

// Who looks at a page: each has a browser context of its own.
const (
	visitor    = "visitor"    // not signed in; has a saved survey draft, an idea, a comment
	citizen    = "citizen"    // signed in through an emailed link
	admin      = "admin"      // the demo administrator, allowed on every staff page
	politician = "politician" // the demo mayor, who answers in the live town hall
)

// pageCheck is one page of the list.
type pageCheck struct {
	who, path string
	status    int // the expected status: 200 unless set
}

// TestEveryPageAccessible runs axe-core's WCAG 2.1 A and AA rules on every
// page the platform serves (every GET page route of app/web/routes.go,
// with ids from the demo content and a few things made here), in Danish,
// Dutch and English, and checks that each fits 320 px without horizontal
// scrolling. JSON, CSV, XLSX, ICS, QR code and event-stream routes are not
// pages, nor are the routes that only redirect (resume, panel entry,
// share links).
func TestEveryPageAccessible(t *testing.T) {
	needApp(t)
	roots, own := setupPeople(t)
	pages := pageList(t, own)

	// A few tabs per person, each with axe-core injected into every page
	// it loads (through CDP, which the Content-Security-Policy does not
	// govern); the pages are checked in parallel.
	pools := map[string]chan *tab{}
	for who, root := range roots {
		pools[who] = make(chan *tab, 3)
		for i := 0; i < cap(pools[who]); i++ {
			tb := root
			if i > 0 {
				tb = root.sibling(fmt.Sprintf("%s tab %d", who, i+1))
			}
			tb.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: app.axe})
				return err
			}))
			pools[who] <- tb
		}
	}
	t.Logf("checking %d pages in %d languages", len(pages), len(languages))
	t.Run("pages", func(t *testing.T) {
		for _, lang := range languages {
			for _, p := range pages {
				t.Run(lang+p.path, func(t *testing.T) {
					t.Parallel()
					pooled := <-pools[p.who]
					defer func() { pools[p.who] <- pooled }()
					checkPage(t, &tab{t: t, ctx: pooled.ctx, name: p.who}, p, lang)
				})
			}
		}
	})
}

// visitorsOwn is what the visitor made: pages only its author may see.
type visitorsOwn struct {
	idea, comment string // /ideas/{id}, /comments/{id}
}

// setupPeople opens the browser contexts and makes what some pages need:
// a visitor with a saved survey draft, an idea and a comment of their own;
// a panel member and a pending sign-up; a signed-in citizen and a fresh
// sign-in link; a signed-in administrator.
func setupPeople(t *testing.T) (map[string]*tab, visitorsOwn) {
	v := newBrowser(t, visitor)
	sv := "/surveys/" + app.surveyID
	v.mustOpen(sv + "/s/1?lang=da")
	v.check("q.respondent_type-visitor")
	v.check("q.uses_platforms-youtube")
	v.submit(`button[name=action][value=save]`)
	v.wantPath(sv + "/saved")

	cons := "/consultations/" + app.consultationID
	v.mustOpen(cons + "/ideas/new")
	v.do(chromedp.SetValue(chromedp.CSS("#title"), "Flere cykelpumper"), chromedp.SetValue(chromedp.CSS("#body"), "Ved skoler og biblioteker."))
	if v.has("#category") {
		v.choose("#category", run(v, chromedp.AttributeValue(chromedp.CSS("#category option:nth-child(2)"), "value")).Value)
	}
	v.submit(`form[action="` + cons + `/ideas"] button[type=submit]`)
	v.wantPath(`/ideas/\w+`)
	own := visitorsOwn{idea: v.path()}
	v.do(chromedp.SetValue(chromedp.CSS(`form[aria-labelledby="comment-form-heading"] #body`), "Og ved stationen."))
	v.submit(`form[aria-labelledby="comment-form-heading"] button[type=submit]`)
	own.comment = strings.TrimSuffix(run(v, chromedp.AttributeValue(chromedp.CSS(`#comments a[href^="/comments/"][href$="/delete"]`), "href")).Value, "/delete")
	if !strings.HasPrefix(own.comment, "/comments/") {
		t.Fatalf("no link to delete the visitor's own comment on %s", own.idea)
	}

	c := newBrowser(t, citizen)
	mail := strings.ReplaceAll(unique("citizen"), " ", "-") + "@borger.example"
	c.mustOpen("/signin")
	c.fill("#email", mail)
	c.submit(`form[action="/signin"] button[type=submit]`)
	c.mustOpen(linkIn(t, mailTo(t, mail, 1), "/signin/"))
	c.submit(`main form button[type=submit]`)
	if c.has(`form[action="/signin"]`) {
		t.Fatalf("the citizen is not signed in at %s", c.path())
	}

	a := newBrowser(t, admin)
	a.signIn(adminEmail)
	p := newBrowser(t, politician)
	p.signIn(mayorEmail)
	return map[string]*tab{visitor: v, citizen: c, admin: a, politician: p}, own
}

// pageList is every page, with the ids filled in.
func pageList(t *testing.T, own visitorsOwn) []pageCheck {
	id := func(sql string, args ...any) string {
		t.Helper()
		var s string
		if err := app.db.QueryRow(context.Background(), sql, args...).Scan(&s); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return s
	}
	sv, pn, cons, pol := app.surveyID, app.panelID, app.consultationID, app.policyID
	live, archive := app.liveTownHallID, app.archiveTownHallID

	// A panel member and a pending sign-up, through the public API.
	member := joinPanel(t, true)
	pending := joinPanel(t, false)
	// A citizen sign-in link that is not used.
	linkMail := strings.ReplaceAll(unique("link"), " ", "-") + "@borger.example"
	if st := api(t, "", http.MethodPost, "/api/v1/signin", map[string]string{"email": linkMail}, nil); st >= 300 {
		t.Fatalf("asking for a sign-in link answered %d", st)
	}
	signInLink := linkIn(t, mailTo(t, linkMail, 1), "/signin/")

	// A town hall that has not begun (countdown, calendar file).
	var scheduled struct {
		ID string `json:"id"`
	}
	starts := time.Now().Add(24 * time.Hour).UTC()
	if st := api(t, app.token, http.MethodPost, "/api/v1/townhalls", map[string]any{
		"title":     map[string]string{"da": "Spørgetime om budgettet", "nl": "Vragenuur over de begroting", "en": "Question hour on the budget"},
		"starts_at": starts, "ends_at": starts.Add(time.Hour), "politicians": []string{mayorEmail},
	}, &scheduled); st != http.StatusCreated {
		t.Fatalf("creating a scheduled town hall answered %d", st)
	}

	statusIdea := id(`SELECT id FROM ideas WHERE consultation_id = $1 AND status <> '' AND visibility = 'published' ORDER BY id LIMIT 1`, cons)
	decision := id(`SELECT id FROM policy_decisions WHERE policy_id = $1 ORDER BY position LIMIT 1`, pol)
	account := id(`SELECT id FROM accounts WHERE email = $1`, staffEmail)
	mailID := id(`SELECT id FROM mail_outbox ORDER BY created_at DESC LIMIT 1`)

	pages := []pageCheck{
		{visitor, "/", 0},
		{visitor, "/login", 0},
		{visitor, "/signin", 0},
		{visitor, "/signin/sent", 0},
		{visitor, signInLink, 0},
		{visitor, "/surveys/" + sv, 0},
		{visitor, "/surveys/" + sv + "/s/1", 0},
		{visitor, "/surveys/" + sv + "/saved", 0},
		{visitor, "/surveys/" + sv + "/thanks", 0},
		{visitor, "/surveys/" + sv + "/results", 0},
		{visitor, "/method", 0},
		{visitor, "/panels/" + pn + "/join", 0},
		{visitor, "/panels/" + pn + "/join/sent", 0},
		{visitor, pending, 0},
		{visitor, member, 0},
		{visitor, member + "/leave", 0},
		{visitor, "/i/no-such-invitation", http.StatusNotFound},
		{visitor, "/townhalls", 0},
		{visitor, "/townhalls/" + live, 0},
		{visitor, "/townhalls/" + archive, 0},
		{visitor, "/townhalls/" + scheduled.ID, 0},
		{visitor, "/house-rules", 0},
		{visitor, "/consultations", 0},
		{visitor, "/consultations/" + cons, 0},
		{visitor, "/consultations/" + cons + "/ideas/new", 0},
		{visitor, "/consultations/" + cons + "/feedback", 0},
		{visitor, "/ideas/" + statusIdea, 0},
		{visitor, own.idea, 0},
		{visitor, own.idea + "/delete", 0},
		{visitor, own.comment + "/delete", 0},
		{visitor, "/policies", 0},
		{visitor, "/policies/" + pol, 0},
		{visitor, "/no-such-page", http.StatusNotFound},

		{citizen, "/me", 0},
		{citizen, "/me/delete", 0},
		{citizen, "/me/ideas", 0},

		{admin, "/staff", 0},
		{admin, "/account", 0},
		{admin, "/staff/surveys", 0},
		{admin, "/staff/surveys/new", 0},
		{admin, "/staff/surveys/" + sv, 0},
		{admin, "/staff/surveys/" + sv + "/preview", 0},
		{admin, "/staff/surveys/" + sv + "/questions/new?section=about_you&type=single", 0},
		{admin, "/staff/surveys/" + sv + "/questions/respondent_type", 0},
		{admin, "/staff/surveys/" + sv + "/sections/about_you", 0},
		{admin, "/staff/surveys/" + sv + "/results", 0},
		{admin, "/staff/surveys/" + sv + "/results/texts/remarks", 0},
		{admin, "/staff/surveys/" + sv + "/results/crosstab?rows=respondent_type&cols=should_be_active", 0},
		{admin, "/staff/surveys/" + sv + "/report", 0},
		{admin, "/staff/surveys/" + sv + "/weighting", 0},
		{admin, "/staff/panels", 0},
		{admin, "/staff/panels/" + pn, 0},
		{admin, "/staff/house-rules", 0},
		{admin, "/staff/townhalls", 0},
		{admin, "/staff/townhalls/" + live, 0},
		{admin, "/moderate/townhalls", 0},
		{admin, "/moderate/townhalls/" + live, 0},
		{politician, "/politician/townhalls", 0},
		{politician, "/politician/townhalls/" + live, 0},
		{admin, "/staff/consultations", 0},
		{admin, "/staff/consultations/new", 0},
		{admin, "/staff/consultations/" + cons, 0},
		{admin, "/staff/consultations/" + cons + "/edit", 0},
		{admin, "/staff/ideas/" + statusIdea, 0},
		{admin, "/moderate/consultations", 0},
		{admin, "/moderate/consultations/" + cons, 0},
		{admin, "/staff/policies", 0},
		{admin, "/staff/policies/new", 0},
		{admin, "/staff/policies/" + pol, 0},
		{admin, "/staff/policies/" + pol + "/decisions/new", 0},
		{admin, "/staff/policies/" + pol + "/decisions/" + decision, 0},
		{admin, "/staff/calendar", 0},
		{admin, "/staff/measurements", 0},
		{admin, "/admin/accounts", 0},
		{admin, "/admin/accounts/new", 0},
		{admin, "/admin/accounts/" + account, 0},
		{admin, "/admin/mail", 0},
		{admin, "/admin/mail/" + mailID, 0},
	}
	return pages
}

// joinPanel signs an address up for the demo panel through the API and
// returns the member link from the mail; confirmed makes it a member.
func joinPanel(t *testing.T, confirmed bool) string {
	t.Helper()
	email := strings.ReplaceAll(unique("member"), " ", "-") + "@borger.example"
	if st := api(t, "", http.MethodPost, "/api/v1/panels/"+app.panelID+"/members", map[string]any{"email": email, "language": "da", "consent": true}, nil); st != http.StatusAccepted {
		t.Fatalf("joining the panel answered %d", st)
	}
	link := linkIn(t, mailTo(t, email, 1), "/panels/member/")
	if confirmed {
		b := newBrowser(t, "new member")
		b.mustOpen(link)
		b.submit(`form[action$="/confirm"] button[type=submit]`)
		b.wantPath(link)
	}
	return link
}

// axeViolation is what axe-core reports for a broken rule.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// checkPage loads the page in the language, runs axe-core on it at 1280 px
// and then measures it at 320 px.
func checkPage(t *testing.T, b *tab, p pageCheck, lang string) {
	want := p.status
	if want == 0 {
		want = http.StatusOK
	}
	sep := "?"
	if strings.Contains(p.path, "?") {
		sep = "&"
	}
	b.viewport(1280)
	if st := b.open(p.path + sep + "lang=" + lang); st != want {
		t.Fatalf("GET %s answered %d, want %d", p.path, st, want)
	}
	path, _, _ := strings.Cut(p.path, "?")
	if got, _, _ := strings.Cut(b.path(), "?"); got != path {
		t.Fatalf("GET %s ended at %s", p.path, got)
	}
	b.wantLang(lang)

	tags, _ := json.Marshal(wcagTags)
	vs := run(b, chromedp.Evaluate[[]axeViolation](`axe.run(document, {runOnly: {type: "tag", values: `+string(tags)+`}, resultTypes: ["violations"]})
		.then(function (r) { return r.violations; })`, chromedp.EvalAwaitPromise))
	report(t, p, lang, vs)

	// Reflow: at 320 px nothing sticks out to the right.
	b.viewport(narrowest)
	type width struct {
		Scroll int      `json:"scroll"`
		Client int      `json:"client"`
		Wide   []string `json:"wide"`
	}
	w := run(b, chromedp.Evaluate[width](`new Promise(function (done) {
		requestAnimationFrame(function () { requestAnimationFrame(function () {
			var de = document.documentElement, out = {scroll: de.scrollWidth, client: de.clientWidth, wide: []};
			if (out.scroll > out.client) {
				var all = Array.prototype.filter.call(document.querySelectorAll("body *"), function (el) {
					return el.getBoundingClientRect().right > out.client + 0.5;
				});
				// The innermost offenders, leaving out what scrolls inside a box
				// of its own (a wide table in its .table-wrap), unless it is
				// placed absolutely and so escapes that box.
				var clipped = function (el) {
					if (getComputedStyle(el).position === "absolute") { return false; }
					for (var a = el.parentElement; a && a !== document.body; a = a.parentElement) {
						if (getComputedStyle(a).overflowX !== "visible") { return true; }
					}
					return false;
				};
				all.filter(function (el) { return !clipped(el) && !all.some(function (o) { return o !== el && el.contains(o) && !clipped(o); }); })
					.slice(0, 5).forEach(function (el) {
						var d = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
							(el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
						out.wide.push(d + " (to " + Math.round(el.getBoundingClientRect().right) + " px)");
					});
			}
			done(out);
		}); });
	})`, chromedp.EvalAwaitPromise))
	if w.Scroll > w.Client {
		t.Errorf("320px: %s (%s) is %d px wide in a %d px window: %s", p.path, lang, w.Scroll, w.Client, strings.Join(w.Wide, ", "))
	}
	// What scrolls sideways at this width (wide tables in their box) must
	// be reachable with the keyboard too.
	vs = run(b, chromedp.Evaluate[[]axeViolation](`axe.run(document, {runOnly: {type: "rule", values: ["scrollable-region-focusable"]}, resultTypes: ["violations"]})
		.then(function (r) { return r.violations; })`, chromedp.EvalAwaitPromise))
	report(t, p, lang+", 320 px", vs)
}

// report turns axe-core's violations into test errors: page, language,
// rule, targets, help text.
func report(t *testing.T, p pageCheck, where string, vs []axeViolation) {
	t.Helper()
	for _, v := range vs {
		var targets []string
		for i, n := range v.Nodes {
			if i == 5 {
				targets = append(targets, fmt.Sprintf("and %d more", len(v.Nodes)-5))
				break
			}
			targets = append(targets, fmt.Sprint(n.Target...))
		}
		summary := ""
		if len(v.Nodes) > 0 {
			summary = strings.Join(strings.Fields(v.Nodes[0].Summary), " ")
		}
		t.Errorf("axe: %s (%s): %s [%s] on %s: %s (%s)", p.path, where, v.ID, v.Impact, strings.Join(targets, ", "), v.Help, summary)
	}
}
