package policy_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/models"
)

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// cases is a platform channel's cases, as a timing source.
func cases(list ...policy.Timing) policy.TimingSource {
	return func(_ context.Context, from, to time.Time) ([]policy.Timing, error) {
		var out []policy.Timing
		for _, c := range list {
			if c.Start.Before(to) && (!c.Start.Before(from) || c.End == nil) {
				out = append(out, c)
			}
		}
		return out, nil
	}
}

func near(a *float64, b float64) bool { return a != nil && math.Abs(*a-b) < 1e-9 }

// TestComplianceCountsWorkingHours works an example on the default calendar
// (Monday to Friday, 08:00–16:00) with a promise of 2 working days (16 h).
func TestComplianceCountsWorkingHours(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, ams)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ptr := func(t time.Time) *time.Time { return &t }
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		clk := &clock{t: at("2026-11-25 12:00")} // a Wednesday
		townhall := cases(
			// Published Friday 14:00, answered Monday 09:00: 2 + 1 = 3
			// working hours over the weekend, within the promise.
			policy.Timing{ID: "q1", Label: "Why is the bridge closed?", Link: "/townhalls/t#q-q1", Start: at("2026-11-20 14:00"), End: ptr(at("2026-11-23 09:00"))},
			// Monday 09:00 to Thursday 10:00: 7 + 8 + 8 + 2 = 25 working hours, late.
			policy.Timing{ID: "q2", Start: at("2026-11-02 09:00"), End: ptr(at("2026-11-05 10:00"))},
			// October: 8 working hours.
			policy.Timing{ID: "q3", Start: at("2026-10-29 09:00"), End: ptr(at("2026-10-30 09:00"))},
		)
		ideas := cases(
			// Friday 10:00 without a status: the deadline was Tuesday 10:00.
			policy.Timing{ID: "i1", Label: "Bike racks at the station", Link: "/ideas/i1", Start: at("2026-11-20 10:00")},
			// Tuesday 15:00 without a status: the deadline is Thursday 15:00.
			policy.Timing{ID: "i2", Label: "A bench", Link: "/ideas/i2", Start: at("2026-11-24 15:00")},
		)
		s := policy.NewStore(gdb, ams, clk.now).WithTimings(policy.ChannelTownHall, townhall).WithTimings(policy.ChannelIdeas, ideas)

		months, err := s.Compliance(ctx, policy.ChannelTownHall, policy.HoursPromise(16), 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(months) != 3 || months[0].Month != "2026-09" || months[2].Month != "2026-11" {
			t.Fatalf("months: %+v", months)
		}
		if sep := months[0]; sep.Cases != 0 || sep.WithinPct != nil || sep.MedianHours != nil {
			t.Errorf("September had no cases: %+v", sep)
		}
		if oct := months[1]; oct.Cases != 1 || oct.Within != 1 || !near(oct.WithinPct, 100) || !near(oct.MedianHours, 8) {
			t.Errorf("October: %+v", oct)
		}
		if nov := months[2]; nov.Cases != 2 || nov.Within != 1 || !near(nov.WithinPct, 50) || !near(nov.MedianHours, 14) || nov.Source != policy.SourcePlatform {
			t.Errorf("November: the weekend question is within, the 25-hour one is not: %+v", nov)
		}
		lvl, err := s.ServiceLevel(ctx, policy.ChannelTownHall, policy.HoursPromise(16), 3)
		if err != nil || lvl.Cases != 3 || !near(lvl.WithinPct, 200.0/3) || !near(lvl.MedianHours, 8) {
			t.Fatalf("service level: %+v (%v)", lvl, err)
		}
		// A promise of 2 working hours: the weekend question (3 h) is late.
		if m, _ := s.Compliance(ctx, policy.ChannelTownHall, policy.HoursPromise(2), 1); m[0].Within != 0 {
			t.Errorf("3 working hours counted within a 2-hour promise: %+v", m[0])
		}

		// An idea past its deadline counts against the promise; one before
		// its deadline does not count at all.
		months, err = s.Compliance(ctx, policy.ChannelIdeas, policy.HoursPromise(16), 1)
		if err != nil {
			t.Fatal(err)
		}
		if nov := months[0]; nov.Cases != 1 || nov.Within != 0 || nov.Overdue != 1 || !near(nov.WithinPct, 0) || nov.MedianHours != nil {
			t.Errorf("ideas in November: %+v", nov)
		}
		promise := []policy.SnapshotDecision{{Channel: policy.ChannelIdeas, Handling: models.HandlingHandled, ResponseTargetHours: hours(16)},
			{Channel: "facebook", Handling: models.HandlingHandled, ResponseTargetHours: hours(16)}}
		late, err := s.Overdue(ctx, promise)
		if err != nil {
			t.Fatal(err)
		}
		// Tuesday 10:00–16:00 and Wednesday 08:00–12:00.
		if len(late) != 1 || late[0].Link != "/ideas/i1" || late[0].HoursLate != 10 || !late[0].Deadline.Equal(at("2026-11-24 10:00")) {
			t.Fatalf("overdue: %+v", late)
		}
		clk.set(at("2026-11-27 09:00")) // Friday: the second idea's deadline has passed too
		if m, _ := s.Compliance(ctx, policy.ChannelIdeas, policy.HoursPromise(16), 1); m[0].Cases != 2 || m[0].Overdue != 2 {
			t.Errorf("after the second deadline: %+v", m[0])
		}
		if late, _ := s.Overdue(ctx, promise); len(late) != 2 || late[0].Link != "/ideas/i1" || late[1].Link != "/ideas/i2" {
			t.Errorf("overdue, the oldest first: %+v", late)
		}
		if _, err := s.Compliance(ctx, "facebook", policy.HoursPromise(16), 0); err == nil {
			t.Error("0 months measured")
		}
	})
}

func TestRecordedMeasurements(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)}
		s := policy.NewStore(gdb, time.UTC, clk.now).WithTimings(policy.ChannelTownHall, cases())
		pct := func(p float64) *float64 { return &p }
		bad := []struct {
			in    policy.MeasurementInput
			field string
		}{
			{policy.MeasurementInput{Channel: "myspace", PeriodFrom: "2026-10-01", PeriodTo: "2026-10-31"}, "channel"},
			{policy.MeasurementInput{Channel: policy.ChannelTownHall, PeriodFrom: "2026-10-01", PeriodTo: "2026-10-31"}, "channel"},
			{policy.MeasurementInput{Channel: "facebook", PeriodFrom: "1 October", PeriodTo: "2026-10-31"}, "period_from"},
			{policy.MeasurementInput{Channel: "facebook", PeriodFrom: "2026-10-31", PeriodTo: "2026-10-01"}, "period_to"},
			{policy.MeasurementInput{Channel: "facebook", PeriodFrom: "2026-10-01", PeriodTo: "2026-10-31", MedianHours: -1}, "median_hours"},
			{policy.MeasurementInput{Channel: "facebook", PeriodFrom: "2026-10-01", PeriodTo: "2026-10-31", WithinTargetPct: pct(120)}, "within_target_pct"},
			{policy.MeasurementInput{Channel: "facebook", PeriodFrom: "2026-10-01", PeriodTo: "2026-10-31", Cases: -3}, "cases"},
		}
		for _, b := range bad {
			_, err := s.Record(ctx, b.in, policy.RecordedByForm, nil)
			var v *apperr.Validation
			if !errors.As(err, &v) || v.Fields[b.field] == "" {
				t.Errorf("%+v: %v, want an error on %s", b.in, err, b.field)
			}
		}
		oct := policy.MeasurementInput{Channel: "facebook", PeriodFrom: "2026-10-01", PeriodTo: "2026-10-31", MedianHours: 9, WithinTargetPct: pct(60), Cases: 10}
		if _, err := s.Record(ctx, oct, policy.RecordedByForm, nil); err != nil {
			t.Fatal(err)
		}
		// A second figure for the same channel and period replaces the first.
		oct.MedianHours, oct.WithinTargetPct, oct.Cases = 6, pct(80), 100
		if _, err := s.Record(ctx, oct, policy.RecordedByAPI, nil); err != nil {
			t.Fatal(err)
		}
		nov := policy.MeasurementInput{Channel: "facebook", PeriodFrom: "2026-11-01", PeriodTo: "2026-11-30", MedianHours: 2, WithinTargetPct: pct(100), Cases: 300}
		if _, err := s.Record(ctx, nov, policy.RecordedByAPI, nil); err != nil {
			t.Fatal(err)
		}
		list, err := s.Measurements(ctx, "facebook")
		if err != nil || len(list) != 2 || list[0].PeriodFrom != "2026-11-01" || list[1].MedianHours != 6 || list[1].Source != policy.RecordedByAPI {
			t.Fatalf("measurements: %+v (%v)", list, err)
		}
		months, err := s.Compliance(ctx, "facebook", policy.HoursPromise(16), 3)
		if err != nil {
			t.Fatal(err)
		}
		if m := months[1]; m.Cases != 100 || !near(m.WithinPct, 80) || !near(m.MedianHours, 6) || m.Source != policy.SourceRecorded {
			t.Errorf("October: %+v", m)
		}
		if m := months[0]; m.Cases != 0 || m.WithinPct != nil {
			t.Errorf("September: %+v", m)
		}
		lvl, _ := s.ServiceLevel(ctx, "facebook", policy.HoursPromise(16), 3)
		if lvl.Cases != 400 || !near(lvl.WithinPct, 95) || !near(lvl.MedianHours, 3) {
			t.Errorf("service level weighted by cases: %+v", lvl)
		}
	})
}

func TestImportCSV(t *testing.T) {
	db.ForEachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := policy.NewStore(gdb, time.UTC, nil)
		good := "\ufeffchannel;period_from;period_to;median_hours;within_target_pct;cases;note\r\n" +
			"facebook;2026-09-01;2026-09-30;4,5;92,5;120;webcare tool\r\n" +
			"instagram;2026-09-01;2026-09-30;12;;30;\r\n" +
			"\r\n" +
			"facebook;2026-10-01;2026-10-31;3,25;95;140;\"counted; by hand\"\r\n"
		n, err := s.ImportCSV(ctx, strings.NewReader(good), nil)
		if err != nil || n != 3 {
			t.Fatalf("good file: %d, %v", n, err)
		}
		fb, _ := s.Measurements(ctx, "facebook")
		if len(fb) != 2 || fb[1].MedianHours != 4.5 || fb[1].WithinTargetPct == nil || *fb[1].WithinTargetPct != 92.5 || fb[1].Cases != 120 ||
			fb[0].Note != "counted; by hand" || fb[0].Source != policy.RecordedByCSV {
			t.Fatalf("facebook: %+v", fb)
		}
		ig, _ := s.Measurements(ctx, "instagram")
		if len(ig) != 1 || ig[0].WithinTargetPct != nil || ig[0].MedianHours != 12 {
			t.Fatalf("instagram: %+v", ig)
		}
		// Comma-separated with a quoted decimal comma works too.
		if n, err := s.ImportCSV(ctx, strings.NewReader("channel,period_from,period_to,median_hours\nphone,2026-09-01,2026-09-30,\"0,5\"\n"), nil); err != nil || n != 1 {
			t.Fatalf("comma-separated: %d, %v", n, err)
		}
		// A bad line: nothing is stored and the error names the line.
		bad := "channel;period_from;period_to;median_hours;within_target_pct;cases\n" +
			"email;2026-09-01;2026-09-30;8;90;10\n" +
			"email;2026-10-01;2026-10-31;-2;90;10\n" +
			"email;2026-11-01;2026-11-30;8;90;10\n"
		_, err = s.ImportCSV(ctx, strings.NewReader(bad), nil)
		var v *apperr.Validation
		if !errors.As(err, &v) || v.Fields["line 3"] == "" || len(v.Fields) != 1 {
			t.Fatalf("bad line: %v %+v", err, v)
		}
		if list, _ := s.Measurements(ctx, "email"); len(list) != 0 {
			t.Fatalf("%d figures stored from a refused file", len(list))
		}
		for name, body := range map[string]string{
			"no header":      "",
			"unknown column": "channel;period_from;period_to;median_hours;mood\n",
			"missing column": "channel;period_from;period_to\nfacebook;2026-09-01;2026-09-30\n",
			"not UTF-8":      "channel;period_from;period_to;median_hours\nfacebook;2026-09-01;2026-09-30;1;\xff\n",
		} {
			if _, err := s.ImportCSV(ctx, strings.NewReader(body), nil); !errors.As(err, &v) {
				t.Errorf("%s: %v", name, err)
			}
		}
		var many strings.Builder
		many.WriteString("channel,period_from,period_to,median_hours\n")
		for i := 0; i <= policy.MaxImportLines; i++ {
			many.WriteString("chat,2026-09-01,2026-09-30,1\n")
		}
		if _, err := s.ImportCSV(ctx, strings.NewReader(many.String()), nil); !errors.As(err, &v) || v.Fields["line 10002"] == "" {
			t.Errorf("too many lines: %v %+v", err, v)
		}
	})
}
