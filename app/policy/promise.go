package policy

import (
	"math"
	"time"

	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/models"
)

// Promise is an answer-time promise as staff wrote it: a number of working
// hours, or of working days. A promise in working days keeps its meaning
// when the working day gets longer or shorter: a case that comes in on
// Friday at 14:10 with a promise of 2 working days is due on Tuesday at
// 14:10 (Wednesday when Monday is a holiday), whatever the office hours.
type Promise struct {
	Unit  string  // models.PromiseHours or models.PromiseDays
	Value float64 // working hours or working days; 0: no promise
}

// Set tells whether there is a promise.
func (p Promise) Set() bool { return p.Value > 0 && !math.IsNaN(p.Value) }

// Days tells whether the promise counts working days.
func (p Promise) Days() bool { return p.Unit == models.PromiseDays }

// HoursOn is the promise in working hours on cal: working days count the
// calendar's working day.
func (p Promise) HoursOn(cal Calendar) float64 {
	if p.Days() {
		return p.Value * cal.DayHours()
	}
	return p.Value
}

// Deadline is when a case that started at t is due on cal. Counted in
// working time, a case that comes in outside office hours starts at the
// next opening, and a promise of N working days ends at the same clock
// time N working days later.
func (p Promise) Deadline(cal Calendar, t time.Time) time.Time {
	return cal.Deadline(t, p.HoursOn(cal))
}

// Within tells whether a case that took workingHours to answer kept the
// promise on cal.
func (p Promise) Within(cal Calendar, workingHours float64) bool {
	return workingHours <= p.HoursOn(cal)+1e-9
}

// HoursPromise is a promise of n working hours.
func HoursPromise(n float64) Promise { return Promise{Unit: models.PromiseHours, Value: n} }

// DaysPromise is a promise of n working days.
func DaysPromise(n float64) Promise { return Promise{Unit: models.PromiseDays, Value: n} }

// Promise is the decision's answer-time promise (not Set when it has none).
func (d SnapshotDecision) Promise() Promise {
	if d.ResponseTargetUnit == models.PromiseDays && d.ResponseTargetDays != nil {
		return DaysPromise(*d.ResponseTargetDays)
	}
	if d.ResponseTargetHours != nil {
		return HoursPromise(*d.ResponseTargetHours)
	}
	return Promise{}
}

// decisionPromise is a stored decision's promise.
func decisionPromise(d *models.PolicyDecision) Promise {
	if d.ResponseTarget == nil {
		return Promise{}
	}
	if d.ResponseTargetUnit == models.PromiseDays {
		return DaysPromise(*d.ResponseTarget)
	}
	return HoursPromise(*d.ResponseTarget)
}

// PromiseText says a promise in words, as staff wrote it ("An answer
// within 2 working days"), in l's language.
func PromiseText(l *i18n.L, p Promise) string {
	switch {
	case !p.Set():
		return ""
	case p.Days() && p.Value == 1:
		return l.T("policy_public.promise_day_1")
	case p.Days():
		return l.T("policy_public.promise_days", "Days", pubNumber(l, p.Value))
	case p.Value == 1:
		return l.T("policy_public.promise_hour_1")
	}
	return l.T("policy_public.promise_hours", "Hours", pubNumber(l, p.Value))
}
