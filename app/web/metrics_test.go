package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/inspraak/inspraak/app/assets"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/web"
)

// syncBuffer collects log output from concurrent requests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// metricsServer builds the application with METRICS_TOKEN=token (empty:
// none) and a JSON log written to the returned buffer.
func metricsServer(t *testing.T, token string) (*web.Server, *syncBuffer) {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		if k == "METRICS_TOKEN" {
			return token
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := assets.FromRepo()
	if err != nil {
		t.Fatal(err)
	}
	buf := &syncBuffer{}
	srv, err := web.New(web.Deps{Config: cfg, DB: db.OpenTest(t, db.SQLite), Log: slog.New(slog.NewJSONHandler(buf, nil)), Assets: a,
		SessionKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	return srv, buf
}

func get(t *testing.T, srv *web.Server, target, auth string) (int, string, string) {
	t.Helper()
	req := httptest.NewRequest("GET", target, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := srv.App().Test(req, 30000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header.Get("X-Request-ID")
}

// TestMetricsNeedTheToken: without METRICS_TOKEN there is no /metrics;
// with it, only a caller with the bearer token reads the figures.
func TestMetricsNeedTheToken(t *testing.T) {
	srv, _ := metricsServer(t, "")
	if st, _, _ := get(t, srv, "/metrics", ""); st != 404 {
		t.Fatalf("/metrics without METRICS_TOKEN: %d, want 404", st)
	}
	if st, _, _ := get(t, srv, "/metrics", "Bearer "); st != 404 {
		t.Fatalf("/metrics without METRICS_TOKEN, empty bearer: %d, want 404", st)
	}

	const token = "metrics-token-0123456789"
	srv, _ = metricsServer(t, token)
	for _, auth := range []string{"", "Bearer ", "Bearer wrong-token-0123456789", token, "Basic " + token} {
		if st, body, _ := get(t, srv, "/metrics", auth); st != 401 || strings.Contains(body, "inspraak_") {
			t.Fatalf("/metrics with Authorization %q: %d, want 401 without figures", auth, st)
		}
	}
	if st, _, _ := get(t, srv, "/metrics", "Bearer "+token); st != 200 {
		t.Fatalf("/metrics with the token: %d", st)
	}
}

// TestMetricsCountRoutesByPattern: after a few requests the figures name
// route patterns and status classes, never the paths with their ids.
func TestMetricsCountRoutesByPattern(t *testing.T) {
	const token = "metrics-token-0123456789"
	srv, _ := metricsServer(t, token)
	for range 3 {
		get(t, srv, "/", "")
	}
	get(t, srv, "/surveys/secret-survey-id-123", "")
	get(t, srv, "/i/secret-invitation-token-456", "")
	get(t, srv, "/no/such/page-789", "")
	st, body, _ := get(t, srv, "/metrics", "Bearer "+token)
	if st != 200 {
		t.Fatalf("/metrics: %d", st)
	}
	for _, want := range []string{
		`inspraak_http_requests_total{code="2xx",method="GET",route="/"} 3`,
		`inspraak_http_requests_total{code="4xx",method="GET",route="/surveys/:id"} 1`,
		`inspraak_http_requests_total{code="4xx",method="GET",route="/i/:token"} 1`,
		`inspraak_http_requests_total{code="4xx",method="GET",route="other"} 1`,
		`inspraak_http_request_duration_seconds_bucket{code="2xx",method="GET",route="/",le="+Inf"} 3`,
		`inspraak_http_request_duration_seconds_count{code="4xx",method="GET",route="/surveys/:id"} 1`,
		"inspraak_live_connections 0",
		`inspraak_mail_outbox{status="queued"} 0`,
		`inspraak_mail_outbox{status="failed"} 0`,
		"inspraak_mail_sent_total 0",
		"inspraak_mail_send_failures_total 0",
		`go_sql_max_open_connections{db_name="inspraak"}`,
		`go_sql_wait_count_total{db_name="inspraak"}`,
		"go_goroutines ",
		"go_memstats_heap_alloc_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, leak := range []string{"secret-survey-id-123", "secret-invitation-token-456", "page-789"} {
		if strings.Contains(body, leak) {
			t.Errorf("/metrics holds the path %q", leak)
		}
	}
}

// TestLogLinesCarryTheRequestID: every log line written during a request
// names its request id, the one sent back in X-Request-ID.
func TestLogLinesCarryTheRequestID(t *testing.T) {
	srv, buf := metricsServer(t, "")
	ids := map[string]bool{}
	for _, target := range []string{"/", "/surveys/nope", "/readyz", "/no/such/page"} {
		_, _, id := get(t, srv, target, "")
		if id == "" {
			t.Fatalf("%s: no X-Request-ID", target)
		}
		ids[id] = true
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	requests := 0
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		id, _ := m["id"].(string)
		if !ids[id] {
			t.Errorf("log line without the request's id: %s", l)
		}
		if m["msg"] == "request" {
			requests++
		}
	}
	if requests != len(ids) {
		t.Fatalf("%d request lines for %d requests", requests, len(ids))
	}
}

// TestMetricsMailQueue: the outbox figure counts queued mail at scrape
// time; the worker's sends are counted.
func TestMetricsMailQueue(t *testing.T) {
	const token = "metrics-token-0123456789"
	srv, _ := metricsServer(t, token)
	ob := srv.MailWorker().Outbox()
	for _, k := range []string{"a", "b"} {
		if _, err := ob.Enqueue(t.Context(), nil, mail.Mail{DedupeKey: "test:" + k, To: k + "@example.org", Language: "en", Subject: "s", Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	_, body, _ := get(t, srv, "/metrics", "Bearer "+token)
	if !strings.Contains(body, `inspraak_mail_outbox{status="queued"} 2`) || !strings.Contains(body, "inspraak_mail_sent_total 0") {
		t.Fatal("two queued mails not counted")
	}
	if _, err := srv.MailWorker().RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, body, _ = get(t, srv, "/metrics", "Bearer "+token)
	if !strings.Contains(body, `inspraak_mail_outbox{status="queued"} 0`) || !strings.Contains(body, "inspraak_mail_sent_total 2") ||
		!strings.Contains(body, "inspraak_mail_send_failures_total 0") {
		t.Fatal("sent mails not counted")
	}
}
