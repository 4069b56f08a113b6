package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/models"
)

func TestPasswordHashMeetsOWASPMinimum(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	// OWASP: argon2id with m=19456 KiB, t=2, p=1 at least.
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash parameters: %s", h)
	}
	if !CheckPassword("correct horse battery", h) || CheckPassword("correct horse batterY", h) {
		t.Fatal("password check is wrong")
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("hashes are not salted")
	}
}

func TestCreateAccountValidates(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		s := NewStore(gdb)
		ctx := context.Background()
		_, err := s.CreateAccount(ctx, AccountInput{Email: "a@b", Name: strings.Repeat("x", 101), Role: "king", Password: "short"})
		var v *apperr.Validation
		if !errors.As(err, &v) {
			t.Fatalf("want a validation error, got %v", err)
		}
		want := map[string]string{"email": "validation.email_invalid", "name": "validation.too_long", "role": "validation.role_invalid", "password": "validation.password_short"}
		for f, id := range want {
			if v.Fields[f] != id {
				t.Errorf("field %s: %q, want %q", f, v.Fields[f], id)
			}
		}
		a, err := s.CreateAccount(ctx, AccountInput{Email: " Mette@Example.ORG ", Name: "Mette", Role: "moderator", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		if a.Email != "mette@example.org" || !a.Active || len(a.ID) != 20 {
			t.Fatalf("account %+v", a)
		}
		if strings.Contains(a.PasswordHash, "correct") {
			t.Fatal("password stored in clear")
		}
		_, err = s.CreateAccount(ctx, AccountInput{Email: "METTE@example.org", Name: "Other", Role: "staff", Password: "correct horse battery"})
		if !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("duplicate email: %v", err)
		}
	})
}

func TestAuthenticateThrottles(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		s := NewStore(gdb)
		now := time.Now().UTC()
		s.now = func() time.Time { return now }
		ctx := context.Background()
		if _, err := s.CreateAccount(ctx, AccountInput{Email: "a@example.org", Name: "A", Role: "staff", Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < emailRule.SlowAfter; i++ {
			if _, err := s.Authenticate(ctx, "a@example.org", "wrong", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		_, delay, _ := s.throttleState(ctx, "email:a@example.org", emailRule)
		if delay < time.Second {
			t.Fatalf("no slow-down after %d failures", emailRule.SlowAfter)
		}
		for i := emailRule.SlowAfter; i < emailRule.LockAfter; i++ {
			if err := s.recordFailure(ctx, "email:a@example.org", emailRule); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Authenticate(ctx, "a@example.org", "correct horse battery", "10.0.0.2"); !errors.Is(err, apperr.ErrRateLimited) {
			t.Fatalf("locked account: %v", err)
		}
		// The lock ends after LockFor and a success clears the count.
		now = now.Add(emailRule.LockFor + time.Second)
		if _, err := s.Authenticate(ctx, "a@example.org", "correct horse battery", "10.0.0.2"); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		var n int64
		gdb.Model(&models.LoginThrottle{}).Where("key = ?", "email:a@example.org").Count(&n)
		if n != 0 {
			t.Fatal("success did not clear the failures")
		}
		// Unknown emails are throttled the same way, so locking says nothing about existence.
		for i := 0; i < emailRule.LockAfter; i++ {
			_ = s.recordFailure(ctx, "email:ghost@example.org", emailRule)
		}
		if _, err := s.Authenticate(ctx, "ghost@example.org", "x", "10.0.0.3"); !errors.Is(err, apperr.ErrRateLimited) {
			t.Fatalf("unknown email not locked: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		s := NewStore(gdb)
		ctx := context.Background()
		a, _ := s.CreateAccount(ctx, AccountInput{Email: "a@example.org", Name: "A", Role: "staff", Password: "correct horse battery"})
		plain, tok, err := s.CreateToken(ctx, a.ID, "export")
		if err != nil {
			t.Fatal(err)
		}
		var stored models.APIToken
		gdb.Where("id = ?", tok.ID).Take(&stored)
		if strings.Contains(stored.TokenHash, plain) || stored.TokenHash != hashToken(plain) {
			t.Fatal("token not stored as its hash")
		}
		got, err := s.AccountForToken(ctx, plain)
		if err != nil || got.ID != a.ID {
			t.Fatalf("token lookup: %v", err)
		}
		if _, err := s.AccountForToken(ctx, plain+"x"); !errors.Is(err, apperr.ErrUnauthorized) {
			t.Fatalf("altered token: %v", err)
		}
		if err := s.RevokeToken(ctx, "someone-else", tok.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("revoke by another account: %v", err)
		}
		if err := s.RevokeToken(ctx, a.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AccountForToken(ctx, plain); !errors.Is(err, apperr.ErrUnauthorized) {
			t.Fatalf("revoked token: %v", err)
		}
		if err := s.RevokeToken(ctx, a.ID, tok.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("second revoke: %v", err)
		}
	})
}
