package policy_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/models"
)

// FuzzImportCSV imports arbitrary files of measurements: no panic, a
// refused file is a validation error and stores nothing, an accepted one
// stores at most as many figures as it reports.
func FuzzImportCSV(f *testing.F) {
	f.Add([]byte("channel,period_from,period_to,median_hours,within_target_pct,cases,note\nfacebook,2026-01-01,2026-01-31,3.5,92,120,ok\n"))
	f.Add([]byte("\xef\xbb\xbfchannel;period_from;period_to;median_hours;within_target_pct;cases;note\nphone;2026-02-01;2026-02-28;1,5;80,5;40;\n"))
	f.Add([]byte("channel,period_from,period_to,median_hours,within_target_pct,cases\nx,2026-13-01,2026-01-31,-1,101,-3\n"))
	f.Add([]byte("channel,period_from,period_to\nfacebook,2026-01-31,2026-01-01\n"))
	f.Add([]byte("channel,period_from,period_to,cases,note\nfacebook,2026-01-01,2026-01-31,10,\"=HYPERLINK(\"\"x\"\")\"\n"))
	f.Add([]byte("\"unterminated\n"))
	f.Add([]byte(""))
	f.Add([]byte("a\x00b"))
	gdb := db.OpenTest(f, db.SQLite)
	s := policy.NewStore(gdb, time.UTC, func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) })
	count := func(t *testing.T) int64 {
		var n int64
		if err := gdb.Model(&models.ChannelMeasurement{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before := count(t)
		n, err := s.ImportCSV(context.Background(), bytes.NewReader(data), nil)
		after := count(t)
		if err != nil {
			var v *apperr.Validation
			if !errors.As(err, &v) || len(v.Fields) == 0 {
				t.Fatalf("%T %v, want a validation error with fields", err, err)
			}
			if after != before {
				t.Fatalf("a refused file stored %d rows", after-before)
			}
			return
		}
		if n < 0 || after-before > int64(n) || n > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("imported %d, rows %d -> %d, %d lines", n, before, after, bytes.Count(data, []byte("\n"))+1)
		}
	})
}
