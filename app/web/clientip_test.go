package web_test

import (
	"testing"

	"github.com/inspraak/inspraak/app/webtest"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/models"
)

// throttledIP fails one login with the given X-Forwarded-For and returns
// the address the throttle counted it against.
func throttledIP(t *testing.T, e *webtest.Env, xff string) string {
	t.Helper()
	e.DB.Where("1 = 1").Delete(&models.LoginThrottle{})
	b := e.Browser()
	b.Header.Set("X-Forwarded-For", xff)
	b.Login("nobody@example.org", "wrong password")
	var keys []string
	e.DB.Model(&models.LoginThrottle{}).Where("key LIKE ?", "ip:%").Pluck("key", &keys)
	if len(keys) != 1 {
		t.Fatalf("throttle keys %v", keys)
	}
	return keys[0][3:]
}

func TestClientAddressBehindProxies(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		// No trusted proxies: the header is ignored (app.Test's peer is 0.0.0.0).
		e := webtest.NewEnv(t, gdb)
		if ip := throttledIP(t, e, "203.0.113.9"); ip != "0.0.0.0" {
			t.Fatalf("untrusted X-Forwarded-For was used: %s", ip)
		}
		// Behind trusted proxies the right-most untrusted hop counts; what the
		// client wrote to its left cannot move it.
		e = webtest.NewEnv(t, gdb, func(c *config.Config) { c.TrustedProxies = []string{"0.0.0.0", "10.0.0.0/8"} })
		if ip := throttledIP(t, e, "198.51.100.1, 203.0.113.9, 10.1.2.3"); ip != "203.0.113.9" {
			t.Fatalf("client address %s, want 203.0.113.9", ip)
		}
		if ip := throttledIP(t, e, "not-an-ip, 203.0.113.7"); ip != "203.0.113.7" {
			t.Fatalf("client address %s, want 203.0.113.7", ip)
		}
	})
}
