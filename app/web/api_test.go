package web

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/models"
)

func (e *env) apiClient(email, role string) *browser {
	e.t.Helper()
	id := e.account(email, role)
	plain, _, err := e.store.CreateToken(e.t.Context(), id, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	b := e.browser()
	b.header.Set("Authorization", "Bearer "+plain)
	return b
}

func errorCode(t *testing.T, a answer) (string, map[string]string) {
	t.Helper()
	var body struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(a.body), &body); err != nil {
		t.Fatalf("not the JSON error shape (%d): %s", a.status, a.body)
	}
	if body.Error.Message == "" {
		t.Fatalf("error without message: %s", a.body)
	}
	return body.Error.Code, body.Error.Fields
}

func tokenCount(e *env) int64 {
	var n int64
	e.db.Model(&models.APIToken{}).Count(&n)
	return n
}

func TestAPIAuthentication(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		anon := e.browser()
		if a := anon.get("/api/v1/me"); a.status != http.StatusUnauthorized {
			t.Fatalf("no token: %d", a.status)
		} else if code, _ := errorCode(t, a); code != "unauthorized" {
			t.Fatalf("code %q", code)
		}
		bad := e.browser()
		bad.header.Set("Authorization", "Bearer isp_not-a-token")
		if a := bad.get("/api/v1/me"); a.status != http.StatusUnauthorized {
			t.Fatalf("bad token: %d", a.status)
		}
		basic := e.browser()
		basic.header.Set("Authorization", "Basic dXNlcjpwYXNz")
		if a := basic.get("/api/v1/me"); a.status != http.StatusUnauthorized {
			t.Fatalf("basic auth: %d", a.status)
		}
		c := e.apiClient("anne@example.org", "staff")
		a := c.get("/api/v1/me")
		if a.status != 200 || !strings.Contains(a.body, `"role":"staff"`) {
			t.Fatalf("me: %d %s", a.status, a.body)
		}
		if _, ok := c.cookies[SessionCookie]; ok {
			t.Fatal("a token call started a cookie session")
		}
	})
}

func TestAPIBadInput(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		c := e.apiClient("anne@example.org", "staff")
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
			a := c.do(http.MethodPost, "/api/v1/tokens?lang=en", strings.NewReader(tc.body), tc.ctype)
			if a.status != tc.status {
				t.Errorf("%s: status %d, want %d (%s)", tc.name, a.status, tc.status, a.body)
				continue
			}
			if code, _ := errorCode(t, a); code != tc.code {
				t.Errorf("%s: code %q, want %q", tc.name, code, tc.code)
			}
		}
		a := c.postJSON("/api/v1/tokens?lang=nl", `{"name": ""}`)
		if _, fields := errorCode(t, a); fields["name"] != "Vul dit veld in." {
			t.Errorf("field message not localized: %v", fields)
		}
		big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
		if status, body := e.overHTTP(t, "/api/v1/tokens", "application/json", big, c.header); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"code":"body_too_large"`) {
			t.Errorf("2 MiB body: %d %s", status, body)
		}
		if after := tokenCount(e); after != before {
			t.Fatalf("bad input stored tokens: %d -> %d", before, after)
		}
	})
}

func TestFormBadInput(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.account("admin@example.org", "admin")
		b := e.browser()
		b.login("admin@example.org", testPassword)
		tok := b.csrf("/admin/accounts/new")
		for name, body := range map[string]string{
			"invalid UTF-8": "_csrf=" + tok + "&name=%FF%FE&email=x%40example.org&role=staff&password=correct+horse+battery",
			"NUL":           "_csrf=" + tok + "&name=a%00b&email=x%40example.org&role=staff&password=correct+horse+battery",
		} {
			a := b.do(http.MethodPost, "/admin/accounts", strings.NewReader(body), "application/x-www-form-urlencoded")
			if a.status != http.StatusBadRequest {
				t.Errorf("%s: %d", name, a.status)
			}
			contains(t, a, "Teksten indeholder tegn, der ikke er tilladt.")
		}
		var n int64
		e.db.Model(&models.Account{}).Where("email = ?", "x@example.org").Count(&n)
		if n != 0 {
			t.Fatal("bad input was stored")
		}
		big := "_csrf=" + tok + "&name=" + strings.Repeat("x", 2<<20)
		if status, body := e.overHTTP(t, "/admin/accounts", "application/x-www-form-urlencoded", big, nil); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "Forespørgslen er for stor.") {
			t.Errorf("2 MiB form: %d", status)
		}
	})
}

func TestAPITokensAndIdempotency(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		c := e.apiClient("anne@example.org", "staff")
		c.header.Set("Idempotency-Key", "abc-1")
		first := c.postJSON("/api/v1/tokens", `{"name":"nightly export"}`)
		if first.status != http.StatusCreated || !strings.Contains(first.body, `"token":"isp_`) {
			t.Fatalf("create: %d %s", first.status, first.body)
		}
		again := c.postJSON("/api/v1/tokens", `{"name":"nightly export"}`)
		if again.status != http.StatusCreated || again.body != first.body || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry with the same key: %d %s", again.status, again.body)
		}
		var n int64
		e.db.Model(&models.APIToken{}).Where("name = ?", "nightly export").Count(&n)
		if n != 1 {
			t.Fatalf("retry created %d tokens", n)
		}
		// Another caller's identical key is its own.
		other := e.apiClient("bo@example.org", "staff")
		other.header.Set("Idempotency-Key", "abc-1")
		if a := other.postJSON("/api/v1/tokens", `{"name":"nightly export"}`); a.status != http.StatusCreated || a.body == first.body {
			t.Fatalf("other caller got the first answer: %d", a.status)
		}
		// A failed request does not pin its key.
		c.header.Set("Idempotency-Key", "abc-2")
		if a := c.postJSON("/api/v1/tokens", `{"name":""}`); a.status != 422 {
			t.Fatalf("invalid: %d", a.status)
		}
		if a := c.postJSON("/api/v1/tokens", `{"name":"fixed"}`); a.status != http.StatusCreated {
			t.Fatalf("retry after fixing: %d %s", a.status, a.body)
		}
		c.header.Del("Idempotency-Key")

		var created struct{ ID string }
		_ = json.Unmarshal([]byte(first.body), &created)
		if a := other.do(http.MethodDelete, "/api/v1/tokens/"+created.ID, strings.NewReader("{}"), "application/json"); a.status != http.StatusNotFound {
			t.Fatalf("revoking someone else's token: %d", a.status)
		}
		if a := c.do(http.MethodDelete, "/api/v1/tokens/"+created.ID, strings.NewReader("{}"), "application/json"); a.status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", a.status, a.body)
		}
		list := c.get("/api/v1/tokens")
		if !strings.Contains(list.body, `"revoked_at":"`) || strings.Contains(list.body, "isp_") {
			t.Fatalf("list: %s", list.body)
		}
	})
}

func TestAPISessionWritesNeedSameOrigin(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.account("anne@example.org", "staff")
		b := e.browser()
		b.login("anne@example.org", testPassword)
		b.header.Set("Origin", "https://evil.example")
		if a := b.postJSON("/api/v1/tokens", `{"name":"x"}`); a.status != http.StatusForbidden {
			t.Fatalf("cross-site API write with the session cookie: %d", a.status)
		}
		b.header.Set("Origin", "http://localhost:8080")
		if a := b.postJSON("/api/v1/tokens", `{"name":"x"}`); a.status != http.StatusCreated {
			t.Fatalf("same-site API write: %d %s", a.status, a.body)
		}
		if a := b.get("/api/v1/me"); a.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatal("CORS headers sent")
		}
	})
}

// TestOpenAPIDocumentsEveryRoute keeps openapi.json true: every /api/ route
// the server has is in it, and nothing it lists is missing from the server.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	a := e.browser().get("/api/v1/openapi.json")
	if a.status != 200 {
		t.Fatalf("openapi.json: %d", a.status)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(a.body), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	served := map[string]bool{}
	for _, r := range e.srv.App().GetRoutes(true) {
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
