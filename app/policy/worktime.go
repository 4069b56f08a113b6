package policy

import (
	"time"
)

// Calendar is when the municipality works: the working weekdays, the
// office hours of a working day and the public holidays, in its time
// zone. Answer-time promises count working hours on this calendar, so
// "2 working days" from Friday afternoon ends on Tuesday afternoon, and
// a holiday does not count.
type Calendar struct {
	Zone *time.Location
	// Weekdays[time.Monday] tells whether Monday is a working day.
	Weekdays [7]bool
	// Opens and Closes are the office hours, as minutes after midnight.
	Opens, Closes int
	// Holidays are dates ("2006-01-02") that are not working days.
	Holidays map[string]bool
}

// DefaultCalendar is Monday to Friday, 08:00 to 16:00, no holidays.
func DefaultCalendar(zone *time.Location) Calendar {
	c := Calendar{Zone: zone, Opens: 8 * 60, Closes: 16 * 60, Holidays: map[string]bool{}}
	for d := time.Monday; d <= time.Friday; d++ {
		c.Weekdays[d] = true
	}
	return c
}

// DayHours is the length of a working day in hours.
func (c Calendar) DayHours() float64 { return float64(c.Closes-c.Opens) / 60 }

// working tells whether the day of t (in the calendar's zone) is a
// working day.
func (c Calendar) working(t time.Time) bool {
	return c.Weekdays[t.Weekday()] && !c.Holidays[t.Format(time.DateOnly)]
}

// office returns the office hours of the day of t.
func (c Calendar) office(t time.Time) (time.Time, time.Time) {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, c.Opens, 0, 0, c.Zone), time.Date(y, m, d, 0, c.Closes, 0, 0, c.Zone)
}

// maxDays bounds the walks below, so a calendar without working days
// cannot loop for ever.
const maxDays = 3660

// WorkingHours is the working time between a and b in hours (0 when b is
// not after a).
func (c Calendar) WorkingHours(a, b time.Time) float64 {
	if !b.After(a) || c.Closes <= c.Opens {
		return 0
	}
	a, b = a.In(c.Zone), b.In(c.Zone)
	var total time.Duration
	day := a
	for i := 0; i < maxDays; i++ {
		open, closed := c.office(day)
		if !open.Before(b) {
			break
		}
		if c.working(day) {
			from, to := later(open, a), earlier(closed, b)
			if to.After(from) {
				total += to.Sub(from)
			}
		}
		y, m, d := day.Date()
		day = time.Date(y, m, d+1, 0, 0, 0, 0, c.Zone)
	}
	return total.Hours()
}

// Deadline is the moment hours of working time after t: the end of a
// promise that starts at t.
func (c Calendar) Deadline(t time.Time, hours float64) time.Time {
	t = t.In(c.Zone)
	left := time.Duration(hours * float64(time.Hour))
	if left <= 0 || c.Closes <= c.Opens {
		return t
	}
	day := t
	for i := 0; i < maxDays; i++ {
		open, closed := c.office(day)
		if c.working(day) {
			from := later(open, t)
			if closed.After(from) {
				if span := closed.Sub(from); span >= left {
					return from.Add(left)
				} else {
					left -= span
				}
			}
		}
		y, m, d := day.Date()
		day = time.Date(y, m, d+1, 0, 0, 0, 0, c.Zone)
	}
	return day
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
