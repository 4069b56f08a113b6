package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/webtest"
)

// With every pooled connection taken, a request waits at most
// REQUEST_TIMEOUT for one and then answers 503 with Retry-After, instead of
// queueing without end; once a connection is free it answers normally.
func TestExhaustedPoolAnswers503Fast(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		e := webtest.NewEnv(t, gdb, func(c *config.Config) { c.RequestTimeout = 300 * time.Millisecond })
		b := e.Browser()
		api := e.APIClient("staff@example.org", "staff")
		if a := b.Get("/api/v1/surveys/nosuchsurvey?lang=en"); a.Status != http.StatusNotFound {
			t.Fatalf("before: %d %s", a.Status, a.Body)
		}
		sqlDB, _ := gdb.DB()
		sqlDB.SetMaxOpenConns(1)
		conn, err := sqlDB.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		a := b.Get("/api/v1/surveys/nosuchsurvey?lang=en")
		took := time.Since(t0)
		// A token that cannot be checked is not refused as unauthorized.
		viaToken := api.Get("/api/v1/surveys/nosuchsurvey?lang=en")
		conn.Close()
		if viaToken.Status != http.StatusServiceUnavailable {
			t.Fatalf("pool exhausted, bearer token: %d %s", viaToken.Status, viaToken.Body)
		}
		if a.Status != http.StatusServiceUnavailable || a.Header.Get("Retry-After") != "1" || !strings.Contains(a.Body, `"code":"unavailable"`) {
			t.Fatalf("pool exhausted: %d %q %s", a.Status, a.Header.Get("Retry-After"), a.Body)
		}
		if took > 5*time.Second {
			t.Fatalf("pool exhausted: answered after %s", took)
		}
		if a := api.Get("/api/v1/surveys/nosuchsurvey?lang=en"); a.Status != http.StatusNotFound {
			t.Fatalf("after: %d %s", a.Status, a.Body)
		}
	})
}
