package web_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/web"
	"github.com/inspraak/inspraak/app/webtest"

	"github.com/inspraak/inspraak/models"
)

func tokenCount(e *webtest.Env) int64 {
	var n int64
	e.DB.Model(&models.APIToken{}).Count(&n)
	return n
}

func TestAPIAuthentication(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		anon := e.Browser()
		if a := anon.Get("/api/v1/me"); a.Status != http.StatusUnauthorized {
			t.Fatalf("no token: %d", a.Status)
		} else if code, _ := webtest.ErrorCode(t, a); code != "unauthorized" {
			t.Fatalf("code %q", code)
		}
		bad := e.Browser()
		bad.Header.Set("Authorization", "Bearer isp_not-a-token")
		if a := bad.Get("/api/v1/me"); a.Status != http.StatusUnauthorized {
			t.Fatalf("bad token: %d", a.Status)
		}
		basic := e.Browser()
		basic.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
		if a := basic.Get("/api/v1/me"); a.Status != http.StatusUnauthorized {
			t.Fatalf("basic auth: %d", a.Status)
		}
		c := e.APIClient("anne@example.org", "staff")
		a := c.Get("/api/v1/me")
		if a.Status != 200 || !strings.Contains(a.Body, `"role":"staff"`) {
			t.Fatalf("me: %d %s", a.Status, a.Body)
		}
		if _, ok := c.Cookies[web.SessionCookie]; ok {
			t.Fatal("a token call started a cookie session")
		}
	})
}

func TestAPIBadInput(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		c := e.APIClient("anne@example.org", "staff")
		before := tokenCount(e)
		cases := []struct {
			name, body, ctype string
			status            int
			code              string
		}{
			{"not JSON", `name=x`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
			{"no content type", `{"name":"x"}`, "", 415, "unsupported_media_type"},
			{"malformed", `{"name":`, "application/json", 400, "malformed_json"},
			{"wrong type", `{"name": 42}`, "application/json", 422, "validation_failed"},
			{"missing name", `{}`, "application/json", 422, "validation_failed"},
			{"too long", `{"name":"` + strings.Repeat("x", 101) + `"}`, "application/json", 422, "validation_failed"},
			{"invalid UTF-8", "{\"name\":\"\xff\xfe\"}", "application/json", 400, "invalid_text"},
			{"NUL escape", `{"name":"a\u0000b"}`, "application/json", 400, "invalid_text"},
			{"control character", `{"name":"a\u0007b"}`, "application/json", 422, "validation_failed"},
		}
		for _, tc := range cases {
			a := c.Do(http.MethodPost, "/api/v1/tokens?lang=en", strings.NewReader(tc.body), tc.ctype)
			if a.Status != tc.status {
				t.Errorf("%s: status %d, want %d (%s)", tc.name, a.Status, tc.status, a.Body)
				continue
			}
			if code, _ := webtest.ErrorCode(t, a); code != tc.code {
				t.Errorf("%s: code %q, want %q", tc.name, code, tc.code)
			}
		}
		a := c.PostJSON("/api/v1/tokens?lang=nl", `{"name": ""}`)
		if _, fields := webtest.ErrorCode(t, a); fields["name"] != "Vul dit veld in." {
			t.Errorf("field message not localized: %v", fields)
		}
		big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
		if status, body := e.OverHTTP(t, "/api/v1/tokens", "application/json", big, c.Header); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"code":"body_too_large"`) {
			t.Errorf("2 MiB body: %d %s", status, body)
		}
		if after := tokenCount(e); after != before {
			t.Fatalf("bad input stored tokens: %d -> %d", before, after)
		}
	})
}

func TestFormBadInput(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("admin@example.org", "admin")
		b := e.Browser()
		b.Login("admin@example.org", webtest.Password)
		tok := b.CSRF("/admin/accounts/new")
		for name, body := range map[string]string{
			"invalid UTF-8": "_csrf=" + tok + "&name=%FF%FE&email=x%40example.org&role=staff&password=correct+horse+battery",
			"NUL":           "_csrf=" + tok + "&name=a%00b&email=x%40example.org&role=staff&password=correct+horse+battery",
		} {
			a := b.Do(http.MethodPost, "/admin/accounts", strings.NewReader(body), "application/x-www-form-urlencoded")
			if a.Status != http.StatusBadRequest {
				t.Errorf("%s: %d", name, a.Status)
			}
			webtest.Contains(t, a, "Teksten indeholder tegn, der ikke er tilladt.")
		}
		var n int64
		e.DB.Model(&models.Account{}).Where("email = ?", "x@example.org").Count(&n)
		if n != 0 {
			t.Fatal("bad input was stored")
		}
		big := "_csrf=" + tok + "&name=" + strings.Repeat("x", 2<<20)
		if status, body := e.OverHTTP(t, "/admin/accounts", "application/x-www-form-urlencoded", big, nil); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "Forespørgslen er for stor.") {
			t.Errorf("2 MiB form: %d", status)
		}
	})
}

func TestAPITokensAndIdempotency(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		c := e.APIClient("anne@example.org", "staff")
		c.Header.Set("Idempotency-Key", "abc-1")
		first := c.PostJSON("/api/v1/tokens", `{"name":"nightly export"}`)
		if first.Status != http.StatusCreated || !strings.Contains(first.Body, `"token":"isp_`) {
			t.Fatalf("create: %d %s", first.Status, first.Body)
		}
		again := c.PostJSON("/api/v1/tokens", `{"name":"nightly export"}`)
		if again.Status != http.StatusCreated || again.Body != first.Body || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry with the same key: %d %s", again.Status, again.Body)
		}
		var n int64
		e.DB.Model(&models.APIToken{}).Where("name = ?", "nightly export").Count(&n)
		if n != 1 {
			t.Fatalf("retry created %d tokens", n)
		}
		// Another caller's identical key is its own.
		other := e.APIClient("bo@example.org", "staff")
		other.Header.Set("Idempotency-Key", "abc-1")
		if a := other.PostJSON("/api/v1/tokens", `{"name":"nightly export"}`); a.Status != http.StatusCreated || a.Body == first.Body {
			t.Fatalf("other caller got the first webtest.Answer: %d", a.Status)
		}
		// A failed request does not pin its key.
		c.Header.Set("Idempotency-Key", "abc-2")
		if a := c.PostJSON("/api/v1/tokens", `{"name":""}`); a.Status != 422 {
			t.Fatalf("invalid: %d", a.Status)
		}
		if a := c.PostJSON("/api/v1/tokens", `{"name":"fixed"}`); a.Status != http.StatusCreated {
			t.Fatalf("retry after fixing: %d %s", a.Status, a.Body)
		}
		c.Header.Del("Idempotency-Key")

		var created struct{ ID string }
		_ = json.Unmarshal([]byte(first.Body), &created)
		if a := other.Do(http.MethodDelete, "/api/v1/tokens/"+created.ID, strings.NewReader("{}"), "application/json"); a.Status != http.StatusNotFound {
			t.Fatalf("revoking someone else's token: %d", a.Status)
		}
		if a := c.Do(http.MethodDelete, "/api/v1/tokens/"+created.ID, strings.NewReader("{}"), "application/json"); a.Status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", a.Status, a.Body)
		}
		list := c.Get("/api/v1/tokens")
		if !strings.Contains(list.Body, `"revoked_at":"`) || strings.Contains(list.Body, "isp_") {
			t.Fatalf("list: %s", list.Body)
		}
	})
}

func TestAPISessionWritesNeedSameOrigin(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("anne@example.org", "staff")
		b := e.Browser()
		b.Login("anne@example.org", webtest.Password)
		b.Header.Set("Origin", "https://evil.example")
		if a := b.PostJSON("/api/v1/tokens", `{"name":"x"}`); a.Status != http.StatusForbidden {
			t.Fatalf("cross-site API write with the session cookie: %d", a.Status)
		}
		b.Header.Set("Origin", "http://localhost:8080")
		if a := b.PostJSON("/api/v1/tokens", `{"name":"x"}`); a.Status != http.StatusCreated {
			t.Fatalf("same-site API write: %d %s", a.Status, a.Body)
		}
		if a := b.Get("/api/v1/me"); a.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatal("CORS headers sent")
		}
	})
}

// TestOpenAPIDocumentsEveryRoute keeps openapi.json true: every /api/ route
// the server has is in it, and nothing it lists is missing from the server.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := webtest.NewEnv(t, webtest.OpenSQLite(t))
	a := e.Browser().Get("/api/v1/openapi.json")
	if a.Status != 200 {
		t.Fatalf("openapi.json: %d", a.Status)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(a.Body), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	served := map[string]bool{}
	for _, r := range e.Srv.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/") || r.Method == "HEAD" || r.Method == "USE" {
			continue
		}
		p := param.ReplaceAllString(r.Path, "{$1}")
		key := strings.ToLower(r.Method) + " " + p
		served[key] = true
		if _, ok := doc.Paths[p][strings.ToLower(r.Method)]; !ok {
			t.Errorf("%s %s is served but not in openapi.json", r.Method, p)
		}
	}
	for p, ops := range doc.Paths {
		if !strings.HasPrefix(p, "/api/") {
			continue
		}
		for m := range ops {
			if !served[m+" "+p] {
				t.Errorf("openapi.json lists %s %s, which is not served", m, p)
			}
		}
	}
	_ = fs.ErrNotExist
}
