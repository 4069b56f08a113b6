package idem_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/idem"
	"github.com/inspraak/inspraak/app/webtest"
)

// TestSecondCommitOfAKeyFails: two attempts of one request (the second
// took over after the first outlived its lease) cannot both commit.
func TestSecondCommitOfAKeyFails(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		ctx := idem.WithCommit(context.Background(), "commit-1")
		commit := func(resource string) error {
			return e.DB.Transaction(func(tx *gorm.DB) error { return idem.Commit(ctx, tx, resource, "2026-12-06") })
		}
		if err := commit("r1"); err != nil {
			t.Fatal(err)
		}
		if err := commit("r2"); !errors.Is(err, idem.ErrCommitted) {
			t.Fatalf("second commit: %v", err)
		}
		id, ok, err := idem.Lookup(ctx, e.DB, "commit-1")
		if err != nil || !ok || id != "r1" {
			t.Fatalf("lookup: %q %v %v", id, ok, err)
		}
		if _, ok, err := idem.Lookup(ctx, e.DB, "commit-2"); ok || err != nil {
			t.Fatalf("unknown commit: %v %v", ok, err)
		}
		// Without a key in the context nothing is written.
		if err := e.DB.Transaction(func(tx *gorm.DB) error { return idem.Commit(context.Background(), tx, "r3", "2026-12-06") }); err != nil {
			t.Fatal(err)
		}
	})
}
