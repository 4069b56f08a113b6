package results

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/db"
)

// TestComputationsWaitForASlot: with every slot taken, a computation waits
// no longer than its context allows (the web answers that with 503), and
// runs once a slot is free.
func TestComputationsWaitForASlot(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		s, sv := fixture(t, gdb)
		s.WithConcurrency(1)
		s.slots <- struct{}{} // a slow computation holds the only slot
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := s.Compute(ctx, sv, Filter{From: "2000-01-01"}, false); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("with no slot free: %v", err)
		}
		<-s.slots
		r, err := s.Compute(context.Background(), sv, Filter{From: "2000-01-01"}, false)
		if err != nil || r.Responses == 0 {
			t.Fatalf("with a slot free: %v", err)
		}
		if len(s.slots) != 0 {
			t.Fatal("the computation kept its slot")
		}
	})
}
