package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// guard is who a route lets through its role check.
type guard int

const (
	public      guard = iota // everyone; the handler itself checks ownership
	citizenOnly              // a signed-in citizen
	anyAccount               // any staff account, whatever its role
	staffOnly                // communications staff (and admins)
	modsOnly                 // moderators, staff (and admins)
	polsOnly                 // politicians (and admins)
	adminOnly                // admins
)

// accessTable is every route of routes.go with its guard. A route added
// without an entry here fails TestAccessControlTable.
var accessTable = map[string]guard{
	"GET /healthz":                                     public,
	"GET /readyz":                                      public,
	"GET /favicon.ico":                                 public,
	"GET /":                                            public,
	"GET /login":                                       public,
	"POST /login":                                      public,
	"POST /logout":                                     public,
	"GET /signin":                                      public,
	"POST /signin":                                     public,
	"GET /signin/sent":                                 public,
	"GET /signin/:token":                               public,
	"POST /signin/:token":                              public,
	"POST /signout":                                    public,
	"GET /surveys/:id":                                 public,
	"GET /surveys/:id/s/:n":                            public,
	"POST /surveys/:id/s/:n":                           public,
	"GET /surveys/:id/saved":                           public,
	"GET /surveys/:id/resume/:token":                   public,
	"GET /surveys/:id/thanks":                          public,
	"GET /panels/:id/join":                             public,
	"POST /panels/:id/join":                            public,
	"GET /panels/:id/join/sent":                        public,
	"GET /panels/member/:token":                        public,
	"POST /panels/member/:token":                       public,
	"POST /panels/member/:token/confirm":               public,
	"GET /panels/member/:token/leave":                  public,
	"POST /panels/member/:token/leave":                 public,
	"GET /panels/member/:token/data":                   public,
	"GET /i/:token":                                    public,
	"GET /method":                                      public,
	"GET /surveys/:id/results":                         public,
	"GET /townhalls":                                   public,
	"GET /townhalls/:id.ics":                           public,
	"GET /townhalls/:id":                               public,
	"POST /townhalls/:id/questions":                    public,
	"POST /townhalls/:id/questions/:qid/vote":          public,
	"GET /townhalls/:id/panel/:token":                  public,
	"GET /townhalls/:id/events":                        public,
	"GET /house-rules":                                 public,
	"GET /consultations":                               public,
	"GET /consultations/:id":                           public,
	"GET /consultations/:id/ideas/new":                 public,
	"POST /consultations/:id/ideas":                    public,
	"GET /ideas/:id":                                   public,
	"POST /ideas/:id/support":                          public,
	"POST /ideas/:id/comments":                         public,
	"GET /ideas/:id/delete":                            public,
	"POST /ideas/:id/delete":                           public,
	"GET /comments/:id/delete":                         public,
	"POST /comments/:id/delete":                        public,
	"GET /consultations/:id/feedback":                  public,
	"GET /consultations/:id/share/:network":            public,
	"GET /ideas/:id/share/:network":                    public,
	"POST /ideas/:id/follow":                           public,
	"GET /me/ideas":                                    public,
	"POST /reports":                                    public,
	"GET /api/v1/openapi.json":                         public,
	"POST /api/v1/signin":                              public,
	"GET /api/v1/surveys/:id":                          public,
	"POST /api/v1/surveys/:id/responses":               public,
	"GET /api/v1/surveys/:id/results":                  public,
	"POST /api/v1/panels/:id/members":                  public,
	"GET /api/v1/house-rules":                          public,
	"GET /api/v1/townhalls/:id":                        public,
	"GET /api/v1/townhalls/:id/stats":                  public,
	"GET /api/v1/townhalls/:id/events":                 public,
	"POST /api/v1/townhalls/:id/questions":             public,
	"POST /api/v1/questions/:id/votes":                 public,
	"DELETE /api/v1/questions/:id/votes":               public,
	"GET /api/v1/consultations":                        public,
	"GET /api/v1/consultations/:id":                    public,
	"GET /api/v1/consultations/:id/ideas":              public,
	"POST /api/v1/consultations/:id/ideas":             public,
	"GET /api/v1/ideas/:id":                            public,
	"POST /api/v1/ideas/:id/supports":                  public,
	"DELETE /api/v1/ideas/:id/supports":                public,
	"GET /api/v1/ideas/:id/comments":                   public,
	"POST /api/v1/ideas/:id/comments":                  public,
	"DELETE /api/v1/ideas/:id":                         public,
	"DELETE /api/v1/comments/:id":                      public,
	"POST /api/v1/ideas/:id/follow":                    public,
	"DELETE /api/v1/ideas/:id/follow":                  public,
	"GET /api/v1/consultations/:id/feedback":           public,
	"POST /api/v1/reports":                             public,
	"GET /policies":                                    public,
	"GET /policies/:id":                                public,
	"GET /api/v1/policies":                             public,
	"GET /api/v1/policies/:id":                         public,
	"GET /api/v1/policies/:id/compliance":              public,
	"GET /me":                                          citizenOnly,
	"POST /me":                                         citizenOnly,
	"GET /me/data":                                     citizenOnly,
	"GET /me/delete":                                   citizenOnly,
	"POST /me/delete":                                  citizenOnly,
	"GET /api/v1/me/citizen":                           citizenOnly,
	"PATCH /api/v1/me/citizen":                         citizenOnly,
	"DELETE /api/v1/me/citizen":                        citizenOnly,
	"GET /api/v1/me/data":                              citizenOnly,
	"GET /staff":                                       anyAccount,
	"GET /account":                                     anyAccount,
	"POST /account/password":                           anyAccount,
	"POST /account/tokens":                             anyAccount,
	"POST /account/tokens/:token/revoke":               anyAccount,
	"GET /api/v1/me":                                   anyAccount,
	"GET /api/v1/tokens":                               anyAccount,
	"POST /api/v1/tokens":                              anyAccount,
	"DELETE /api/v1/tokens/:id":                        anyAccount,
	"GET /staff/surveys":                               staffOnly,
	"GET /staff/surveys/new":                           staffOnly,
	"POST /staff/surveys":                              staffOnly,
	"POST /staff/surveys/from-template/:key":           staffOnly,
	"GET /staff/surveys/:id":                           staffOnly,
	"POST /staff/surveys/:id/settings":                 staffOnly,
	"POST /staff/surveys/:id/open":                     staffOnly,
	"POST /staff/surveys/:id/close":                    staffOnly,
	"GET /staff/surveys/:id/preview":                   staffOnly,
	"GET /staff/surveys/:id/qr.:format":                staffOnly,
	"GET /staff/surveys/:id/questions/new":             staffOnly,
	"POST /staff/surveys/:id/questions":                staffOnly,
	"GET /staff/surveys/:id/questions/:key":            staffOnly,
	"POST /staff/surveys/:id/questions/:key":           staffOnly,
	"POST /staff/surveys/:id/questions/:key/move":      staffOnly,
	"POST /staff/surveys/:id/questions/:key/duplicate": staffOnly,
	"POST /staff/surveys/:id/questions/:key/delete":    staffOnly,
	"POST /staff/surveys/:id/sections":                 staffOnly,
	"GET /staff/surveys/:id/sections/:key":             staffOnly,
	"POST /staff/surveys/:id/sections/:key":            staffOnly,
	"POST /staff/surveys/:id/sections/:key/move":       staffOnly,
	"POST /staff/surveys/:id/sections/:key/delete":     staffOnly,
	"GET /staff/surveys/:id/results":                   staffOnly,
	"GET /staff/surveys/:id/results/texts/:key":        staffOnly,
	"GET /staff/surveys/:id/results/crosstab":          staffOnly,
	"POST /staff/surveys/:id/results/publish":          staffOnly,
	"GET /staff/surveys/:id/report":                    staffOnly,
	"GET /staff/surveys/:id/weighting":                 staffOnly,
	"POST /staff/surveys/:id/weighting":                staffOnly,
	"POST /staff/surveys/:id/weighting/delete":         staffOnly,
	"GET /staff/surveys/:id/export.csv":                staffOnly,
	"GET /staff/surveys/:id/export.xlsx":               staffOnly,
	"GET /api/v1/surveys/:id/export.csv":               staffOnly,
	"GET /api/v1/surveys/:id/export.xlsx":              staffOnly,
	"GET /staff/panels":                                staffOnly,
	"POST /staff/panels":                               staffOnly,
	"GET /staff/panels/:id":                            staffOnly,
	"POST /staff/panels/:id/fields":                    staffOnly,
	"POST /staff/panels/:id/invitations":               staffOnly,
	"POST /staff/panels/:id/import":                    staffOnly,
	"GET /staff/panels/:id/members.csv":                staffOnly,
	"GET /staff/house-rules":                           staffOnly,
	"POST /staff/house-rules":                          staffOnly,
	"POST /staff/house-rules/:key/delete":              staffOnly,
	"GET /staff/townhalls":                             staffOnly,
	"POST /staff/townhalls":                            staffOnly,
	"GET /staff/townhalls/:id":                         staffOnly,
	"POST /staff/townhalls/:id":                        staffOnly,
	"POST /staff/townhalls/:id/start":                  staffOnly,
	"POST /staff/townhalls/:id/end":                    staffOnly,
	"GET /staff/ideas/:id":                             staffOnly,
	"POST /staff/ideas/:id":                            staffOnly,
	"GET /staff/consultations":                         staffOnly,
	"GET /staff/consultations/new":                     staffOnly,
	"POST /staff/consultations":                        staffOnly,
	"GET /staff/consultations/:id":                     staffOnly,
	"GET /staff/consultations/:id/edit":                staffOnly,
	"POST /staff/consultations/:id":                    staffOnly,
	"GET /staff/policies":                              staffOnly,
	"GET /staff/policies/new":                          staffOnly,
	"POST /staff/policies":                             staffOnly,
	"GET /staff/policies/:id":                          staffOnly,
	"POST /staff/policies/:id":                         staffOnly,
	"POST /staff/policies/:id/publish":                 staffOnly,
	"GET /staff/policies/:id/decisions/new":            staffOnly,
	"POST /staff/policies/:id/decisions":               staffOnly,
	"GET /staff/policies/:id/decisions/:did":           staffOnly,
	"POST /staff/policies/:id/decisions/:did/delete":   staffOnly,
	"GET /staff/calendar":                              staffOnly,
	"POST /staff/calendar":                             staffOnly,
	"GET /staff/measurements":                          staffOnly,
	"POST /staff/measurements":                         staffOnly,
	"POST /staff/measurements/import":                  staffOnly,
	"POST /api/v1/surveys":                             staffOnly,
	"POST /api/v1/surveys/:id/open":                    staffOnly,
	"POST /api/v1/surveys/:id/close":                   staffOnly,
	"GET /api/v1/surveys/:id/weighting":                staffOnly,
	"PUT /api/v1/surveys/:id/weighting":                staffOnly,
	"DELETE /api/v1/surveys/:id/weighting":             staffOnly,
	"GET /api/v1/templates":                            staffOnly,
	"POST /api/v1/templates/:key/surveys":              staffOnly,
	"POST /api/v1/panels":                              staffOnly,
	"POST /api/v1/panels/:id/invitations":              staffOnly,
	"GET /api/v1/panels/:id/stats":                     staffOnly,
	"POST /api/v1/townhalls":                           staffOnly,
	"POST /api/v1/consultations":                       staffOnly,
	"PUT /api/v1/consultations/:id":                    staffOnly,
	"POST /api/v1/ideas/:id/status":                    staffOnly,
	"POST /api/v1/policies":                            staffOnly,
	"PUT /api/v1/policies/:id":                         staffOnly,
	"POST /api/v1/policies/:id/decisions":              staffOnly,
	"DELETE /api/v1/policies/:id/decisions/:did":       staffOnly,
	"POST /api/v1/policies/:id/publish":                staffOnly,
	"GET /api/v1/calendar":                             staffOnly,
	"PUT /api/v1/calendar":                             staffOnly,
	"GET /api/v1/measurements":                         staffOnly,
	"POST /api/v1/measurements":                        staffOnly,
	"POST /api/v1/measurements/import":                 staffOnly,
	"GET /moderate/townhalls":                          modsOnly,
	"GET /moderate/townhalls/:id":                      modsOnly,
	"POST /moderate/questions/:qid":                    modsOnly,
	"GET /moderate/consultations":                      modsOnly,
	"GET /moderate/consultations/:id":                  modsOnly,
	"POST /moderate/ideas/:id":                         modsOnly,
	"POST /moderate/comments/:id":                      modsOnly,
	"GET /api/v1/townhalls/:id/moderation":             modsOnly,
	"POST /api/v1/questions/:id/moderation":            modsOnly,
	"GET /api/v1/consultations/:id/moderation":         modsOnly,
	"POST /api/v1/ideas/:id/moderation":                modsOnly,
	"POST /api/v1/comments/:id/moderation":             modsOnly,
	"GET /politician/townhalls":                        polsOnly,
	"GET /politician/townhalls/:id":                    polsOnly,
	"POST /politician/questions/:qid/answers":          polsOnly,
	"POST /politician/questions/:qid/answering":        polsOnly,
	"POST /api/v1/questions/:id/answers":               polsOnly,
	"POST /api/v1/questions/:id/answering":             polsOnly,
	"GET /admin/accounts":                              adminOnly,
	"GET /admin/accounts/new":                          adminOnly,
	"POST /admin/accounts":                             adminOnly,
	"GET /admin/accounts/:id":                          adminOnly,
	"POST /admin/accounts/:id":                         adminOnly,
	"POST /admin/accounts/:id/tokens":                  adminOnly,
	"POST /admin/accounts/:id/tokens/:token/revoke":    adminOnly,
	"GET /admin/mail":                                  adminOnly,
	"GET /admin/mail/:id":                              adminOnly,
	"POST /admin/mail/:id/retry":                       adminOnly,
}

// allowed tells whether role passes guard g.
func (g guard) allowed(role string) bool {
	switch g {
	case public:
		return true
	case citizenOnly:
		return role == "citizen"
	case anyAccount:
		return role != "anonymous" && role != "citizen"
	case staffOnly:
		return role == "staff" || role == "admin"
	case modsOnly:
		return role == "moderator" || role == "staff" || role == "admin"
	case polsOnly:
		return role == "politician" || role == "admin"
	case adminOnly:
		return role == "admin"
	}
	return false
}

var accessRoles = []string{"anonymous", "citizen", "staff", "moderator", "politician", "admin"}

// endsSession are routes that sign the caller out (or may): each is tried
// with a fresh caller, so the table's callers stay signed in.
var endsSession = map[string]bool{
	"POST /login": true, "POST /logout": true, "POST /signout": true, "POST /signin/:token": true,
	"POST /me/delete": true, "DELETE /api/v1/me/citizen": true,
}

// optionalRoutes exist only under some configurations.
var optionalRoutes = map[string]bool{"GET /metrics": true}

// routeKeys lists "METHOD /path" of every route the app serves.
func routeKeys(e *webtest.Env) []string {
	seen := map[string]bool{}
	for _, r := range e.Srv.App().GetRoutes(true) {
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			continue
		}
		seen[r.Method+" "+r.Path] = true
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var paramRe = regexp.MustCompile(`:[a-z]+`)

// fill gives a route's parameters values no row has.
func fill(path string) string {
	return paramRe.ReplaceAllStringFunc(path, func(p string) string {
		switch p {
		case ":n":
			return "1"
		case ":network":
			return "facebook"
		case ":format":
			return "png"
		}
		return "zz404"
	})
}

var signinLinkRe = regexp.MustCompile(`http://localhost:8080(/signin/[A-Za-z0-9_-]+)`)

// signInCitizen signs b in as a citizen through the emailed link.
func signInCitizen(t *testing.T, b *webtest.Browser, email string) {
	t.Helper()
	tok := b.CSRF("/signin?lang=en")
	b.E.Clock.Add(time.Second)
	if a := b.PostForm("/signin?lang=en", url.Values{"_csrf": {tok}, "email": {email}}); a.Status != http.StatusSeeOther {
		t.Fatalf("request link: %d", a.Status)
	}
	var m models.OutboxMail
	if err := b.E.DB.Where("to_addr = ?", email).Order("created_at DESC, id DESC").Take(&m).Error; err != nil {
		t.Fatal(err)
	}
	x := signinLinkRe.FindStringSubmatch(m.TextBody)
	if x == nil {
		t.Fatalf("no link in %q", m.TextBody)
	}
	if a := b.PostForm(x[1], url.Values{"_csrf": {b.CSRF(x[1])}}); a.Status != http.StatusSeeOther {
		t.Fatalf("use link: %d %s", a.Status, a.Body)
	}
	if a := b.Get("/me"); a.Status != http.StatusOK {
		t.Fatalf("citizen not signed in: %d", a.Status)
	}
}

// caller is one role's page browser and API client.
type caller struct {
	page, api *webtest.Browser
	csrfPage  string
}

// newCaller signs a new caller in as role; n makes its email unique.
func newCaller(t *testing.T, e *webtest.Env, role string, n int) caller {
	t.Helper()
	switch role {
	case "anonymous":
		return caller{page: e.Browser(), api: e.Browser(), csrfPage: "/login"}
	case "citizen":
		b := e.Browser()
		signInCitizen(t, b, fmt.Sprintf("citizen%d@example.org", n))
		return caller{page: b, api: b, csrfPage: "/me"}
	}
	email := fmt.Sprintf("%s%d@example.org", role, n)
	api := e.APIClient(email, role)
	b := e.Browser()
	if a := b.Login(email, webtest.Password); a.Status != http.StatusSeeOther {
		t.Fatalf("login %s: %d", role, a.Status)
	}
	return caller{page: b, api: api, csrfPage: "/staff"}
}

// send makes the request of route key as c, with a valid CSRF token on
// page writes and an empty JSON object on API writes.
func (c caller) send(key string) webtest.Answer {
	method, path, _ := strings.Cut(key, " ")
	target := fill(path)
	if strings.HasPrefix(path, "/api/") {
		if method == http.MethodGet {
			return c.api.Get(target)
		}
		return c.api.Do(method, target, strings.NewReader("{}"), "application/json")
	}
	if method == http.MethodGet {
		return c.page.Get(target)
	}
	return c.page.PostForm(target, url.Values{"_csrf": {c.page.CSRF(c.csrfPage)}})
}

// refusedByGuard tells whether a is a role check's refusal: a redirect to a
// sign-in page, 401 or 403.
func refusedByGuard(a webtest.Answer) bool {
	switch a.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	case http.StatusSeeOther, http.StatusFound:
		loc := a.Header.Get("Location")
		return strings.HasPrefix(loc, "/login") || strings.HasPrefix(loc, "/signin")
	}
	return false
}

func TestAccessControlTable(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		keys := routeKeys(e)
		for _, k := range keys {
			if _, ok := accessTable[k]; !ok {
				t.Errorf("route %q has no entry in the access table", k)
			}
		}
		served := map[string]bool{}
		for _, k := range keys {
			served[k] = true
		}
		for k := range accessTable {
			if !served[k] && !optionalRoutes[k] {
				t.Errorf("access table entry %q is not a route", k)
			}
		}
		if t.Failed() {
			return
		}
		callers := map[string]caller{}
		for _, r := range accessRoles {
			callers[r] = newCaller(t, e, r, 0)
		}
		n := 0
		for _, k := range keys {
			g := accessTable[k]
			for _, role := range accessRoles {
				c := callers[role]
				if endsSession[k] {
					n++
					c = newCaller(t, e, role, n)
				}
				a := c.send(k)
				if k == "POST /login" {
					// A failed login would slow the next ones down.
					e.DB.Where("1 = 1").Delete(&models.LoginThrottle{})
				}
				if a.Status >= 500 {
					t.Errorf("%s as %s: %d", k, role, a.Status)
					continue
				}
				if g.allowed(role) {
					if g != public && refusedByGuard(a) {
						t.Errorf("%s as %s: refused (%d %s), want allowed", k, role, a.Status, a.Header.Get("Location"))
					}
				} else if !refusedByGuard(a) {
					t.Errorf("%s as %s: %d %s, want refused", k, role, a.Status, a.Header.Get("Location"))
				}
			}
		}
	})
}

// TestAccessOwnerVersusOther checks the routes on a person's resources: a
// citizen deletes only their own idea, an account revokes only its own
// tokens, a politician answers only in their own town halls.
func TestAccessOwnerVersusOther(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("comms@example.dk", "staff")
		now := e.Clock.Now()
		a := staff.PostJSON("/api/v1/consultations", fmt.Sprintf(`{"title":{"da":"Cykler"},"description":{"da":"Om cykler"},
			"opens_at":%q,"closes_at":%q,"moderation":"post","anonymous":false}`,
			now.Add(-time.Hour).UTC().Format(time.RFC3339), now.Add(720*time.Hour).UTC().Format(time.RFC3339)))
		consID := jsonID(t, a, http.StatusCreated)

		owner, other := e.Browser(), e.Browser()
		signInCitizen(t, owner, "owner@example.org")
		signInCitizen(t, other, "other@example.org")
		form := url.Values{"_csrf": {owner.CSRF("/consultations/" + consID + "/ideas/new")}, "title": {"Flere cykelstier langs havnen"},
			"body": {"Der mangler en sikker cykelsti langs hele havnefronten."}}
		a = owner.PostForm("/consultations/"+consID+"/ideas", form)
		if a.Status != http.StatusSeeOther || !strings.HasPrefix(a.Header.Get("Location"), "/ideas/") {
			t.Fatalf("submit: %d %s", a.Status, a.Body)
		}
		ideaID := strings.TrimPrefix(a.Header.Get("Location"), "/ideas/")

		// Another citizen, and an anonymous visitor, can neither see the
		// confirmation page nor delete.
		for name, b := range map[string]*webtest.Browser{"other citizen": other, "anonymous": e.Browser()} {
			if a := b.Get("/ideas/" + ideaID + "/delete"); a.Status != http.StatusForbidden && a.Status != http.StatusNotFound && !refusedByGuard(a) {
				t.Errorf("%s: GET delete page: %d", name, a.Status)
			}
			a := b.PostForm("/ideas/"+ideaID+"/delete", url.Values{"_csrf": {b.CSRF("/ideas/" + ideaID)}})
			if a.Status != http.StatusForbidden && a.Status != http.StatusNotFound && !refusedByGuard(a) {
				t.Errorf("%s: POST delete: %d", name, a.Status)
			}
			if a := b.Do(http.MethodDelete, "/api/v1/ideas/"+ideaID, strings.NewReader("{}"), "application/json"); a.Status != http.StatusForbidden && a.Status != http.StatusNotFound && a.Status != http.StatusUnauthorized {
				t.Errorf("%s: API delete: %d", name, a.Status)
			}
		}
		var n int64
		e.DB.Model(&models.Idea{}).Where("id = ?", ideaID).Count(&n)
		if n != 1 {
			t.Fatal("another user deleted the idea")
		}
		if a := owner.Get("/ideas/" + ideaID + "/delete"); a.Status != http.StatusOK {
			t.Errorf("owner: GET delete page: %d", a.Status)
		}
		a = owner.PostForm("/ideas/"+ideaID+"/delete", url.Values{"_csrf": {owner.CSRF("/ideas/" + ideaID + "/delete")}})
		if a.Status != http.StatusSeeOther {
			t.Errorf("owner: POST delete: %d %s", a.Status, a.Body)
		}

		// Tokens: an account revokes its own, never another's.
		annID := e.Account("ann@example.dk", "staff")
		bobID := e.Account("bob@example.dk", "staff")
		_ = annID
		_, bobTok, err := e.Auth.CreateToken(t.Context(), bobID, "bob's")
		if err != nil {
			t.Fatal(err)
		}
		ann := e.Browser()
		ann.Login("ann@example.dk", webtest.Password)
		a = ann.PostForm("/account/tokens/"+bobTok.ID+"/revoke", url.Values{"_csrf": {ann.CSRF("/account")}})
		if a.Status != http.StatusNotFound && a.Status != http.StatusForbidden {
			t.Errorf("revoke another's token (page): %d", a.Status)
		}
		annAPI := e.APIClient("ann2@example.dk", "staff")
		if a := annAPI.Do(http.MethodDelete, "/api/v1/tokens/"+bobTok.ID, strings.NewReader("{}"), "application/json"); a.Status != http.StatusNotFound && a.Status != http.StatusForbidden {
			t.Errorf("revoke another's token (API): %d", a.Status)
		}
		var tok models.APIToken
		if err := e.DB.Where("id = ?", bobTok.ID).Take(&tok).Error; err != nil || tok.RevokedAt != nil {
			t.Fatalf("another's token revoked: %v %v", err, tok.RevokedAt)
		}
		_, annTok, err := e.Auth.CreateToken(t.Context(), annID, "ann's")
		if err != nil {
			t.Fatal(err)
		}
		if a := ann.PostForm("/account/tokens/"+annTok.ID+"/revoke", url.Values{"_csrf": {ann.CSRF("/account")}}); a.Status != http.StatusSeeOther {
			t.Errorf("revoke own token: %d", a.Status)
		}

		// Politicians answer only in the town halls they take part in.
		e.Account("mayor@example.dk", "politician")
		outsider := e.APIClient("outsider@example.dk", "politician")
		outsiderPage := e.Browser()
		e.Account("outsider2@example.dk", "politician")
		outsiderPage.Login("outsider2@example.dk", webtest.Password)
		a = staff.PostJSON("/api/v1/townhalls", fmt.Sprintf(`{"title":{"da":"Spørgetime"},"starts_at":%q,"ends_at":%q,"moderation":"post","politicians":["mayor@example.dk"]}`,
			now.Add(-10*time.Minute).UTC().Format(time.RFC3339), now.Add(time.Hour).UTC().Format(time.RFC3339)))
		thID := jsonID(t, a, http.StatusCreated)
		asker := e.Browser()
		asker.Get("/townhalls/" + thID)
		qID := jsonID(t, asker.PostJSON("/api/v1/townhalls/"+thID+"/questions", `{"text":"Hvornår kommer der flere cykelstier i byen?"}`), http.StatusCreated)
		if a := outsider.PostJSON("/api/v1/questions/"+qID+"/answers", `{"text":"Det ved jeg ikke."}`); a.Status != http.StatusForbidden && a.Status != http.StatusNotFound {
			t.Errorf("outsider answers (API): %d %s", a.Status, a.Body)
		}
		if a := outsider.PostJSON("/api/v1/questions/"+qID+"/answering", `{}`); a.Status != http.StatusForbidden && a.Status != http.StatusNotFound {
			t.Errorf("outsider marks answering (API): %d %s", a.Status, a.Body)
		}
		a = outsiderPage.PostForm("/politician/questions/"+qID+"/answers", url.Values{"_csrf": {outsiderPage.CSRF("/staff")}, "text": {"Det ved jeg ikke."}})
		if a.Status != http.StatusForbidden && a.Status != http.StatusNotFound {
			t.Errorf("outsider answers (page): %d", a.Status)
		}
		if a := outsiderPage.Get("/politician/townhalls/" + thID); a.Status != http.StatusForbidden && a.Status != http.StatusNotFound {
			t.Errorf("outsider opens the console: %d", a.Status)
		}
		var answers int64
		e.DB.Model(&models.TownHallAnswer{}).Count(&answers)
		if answers != 0 {
			t.Fatalf("an outsider's answer was stored")
		}
		mayor := e.Browser()
		mayor.Login("mayor@example.dk", webtest.Password)
		if a := mayor.Get("/politician/townhalls/" + thID); a.Status != http.StatusOK {
			t.Errorf("mayor opens the console: %d", a.Status)
		}
	})
}

// jsonID is the id in a JSON answer with status want.
func jsonID(t *testing.T, a webtest.Answer, want int) string {
	t.Helper()
	var out struct{ ID string }
	if err := json.Unmarshal([]byte(a.Body), &out); err != nil || a.Status != want || out.ID == "" {
		t.Fatalf("want %d with an id, got %d %s", want, a.Status, a.Body)
	}
	return out.ID
}
