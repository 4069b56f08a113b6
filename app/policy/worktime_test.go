package policy

import (
	"testing"
	"time"
)

func TestWorkingHoursOnACalendar(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultCalendar(cph)
	c.Holidays["2026-12-25"] = true
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, cph)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		from, to string
		hours    float64
	}{
		{"2026-11-23 09:00", "2026-11-23 11:30", 2.5}, // Monday morning
		{"2026-11-23 06:00", "2026-11-23 20:00", 8},   // a whole office day
		{"2026-11-27 15:00", "2026-11-30 09:00", 2},   // Friday 15:00 to Monday 09:00
		{"2026-11-28 10:00", "2026-11-29 18:00", 0},   // a weekend
		{"2026-12-24 15:00", "2026-12-28 08:30", 1.5}, // Christmas Day is a holiday
		{"2026-03-27 12:00", "2026-03-30 12:00", 8},   // over the switch to summer time
		{"2026-11-23 11:00", "2026-11-23 09:00", 0},   // backwards
	}
	for _, k := range cases {
		if got := c.WorkingHours(at(k.from), at(k.to)); got != k.hours {
			t.Errorf("%s → %s: %v working hours, want %v", k.from, k.to, got, k.hours)
		}
	}
	deadlines := []struct {
		from  string
		hours float64
		want  string
	}{
		{"2026-11-23 09:00", 2, "2026-11-23 11:00"},
		{"2026-11-27 14:00", 16, "2026-12-01 14:00"}, // 2 working days from Friday afternoon: Tuesday afternoon
		{"2026-11-28 12:00", 1, "2026-11-30 09:00"},  // asked on Saturday
		{"2026-12-24 15:00", 8, "2026-12-28 15:00"},  // over Christmas Day and the weekend
		{"2026-11-23 16:00", 8, "2026-11-24 16:00"},  // at closing time: the next day counts
	}
	for _, k := range deadlines {
		if got := c.Deadline(at(k.from), k.hours); !got.Equal(at(k.want)) {
			t.Errorf("%s + %v h: %s, want %s", k.from, k.hours, got.In(cph).Format("2006-01-02 15:04"), k.want)
		}
	}
	// The two agree: the working time until a deadline is the promise.
	from := at("2026-11-26 13:17")
	if got := c.WorkingHours(from, c.Deadline(from, 21.5)); got != 21.5 {
		t.Errorf("working hours until the deadline: %v", got)
	}
	// A calendar without working days ends instead of looping.
	var none Calendar
	none.Zone, none.Opens, none.Closes = cph, 480, 960
	if h := none.WorkingHours(from, from.Add(24*time.Hour)); h != 0 {
		t.Errorf("no working days: %v", h)
	}
	_ = none.Deadline(from, 8)
}
