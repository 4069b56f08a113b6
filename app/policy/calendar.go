package policy

import (
	"context"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// Calendar reads the working calendar.
func (s *Store) Calendar(ctx context.Context) (Calendar, error) {
	c := DefaultCalendar(s.zone)
	var row models.WorkCalendar
	if err := s.db.WithContext(ctx).Where("id = 1").Take(&row).Error; err != nil {
		return c, err
	}
	c.Weekdays = [7]bool{}
	for _, d := range strings.Split(row.Weekdays, ",") {
		if n, err := strconv.Atoi(d); err == nil && n >= 1 && n <= 7 {
			c.Weekdays[n%7] = true // ISO 7 is Sunday, time.Sunday is 0
		}
	}
	c.Opens, c.Closes = row.Opens, row.Closes
	var days []models.PublicHoliday
	if err := s.db.WithContext(ctx).Find(&days).Error; err != nil {
		return c, err
	}
	for _, d := range days {
		c.Holidays[d.Day] = true
	}
	return c, nil
}

// Holidays lists the public holidays by date.
func (s *Store) Holidays(ctx context.Context) ([]models.PublicHoliday, error) {
	var out []models.PublicHoliday
	err := s.db.WithContext(ctx).Order("day").Find(&out).Error
	return out, err
}

// CalendarInput is the calendar as staff set it.
type CalendarInput struct {
	Weekdays []int                  `json:"weekdays"` // ISO: Monday 1 … Sunday 7
	Opens    string                 `json:"opens"`    // "08:00"
	Closes   string                 `json:"closes"`   // "16:00"
	Holidays []models.PublicHoliday `json:"holidays"`
}

var clockRe = regexp.MustCompile(`^([01]?\d|2[0-3])[:.]([0-5]\d)$`)

func minutes(s string) (int, bool) {
	m := clockRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	return h*60 + mm, true
}

// SaveCalendar replaces the working calendar and the holidays.
func (s *Store) SaveCalendar(ctx context.Context, in CalendarInput) error {
	v := &apperr.Validation{}
	days := map[int]bool{}
	for _, d := range in.Weekdays {
		if d < 1 || d > 7 {
			v.Add("weekdays", "validation.choice_invalid")
		}
		days[d] = true
	}
	if len(days) == 0 {
		v.Add("weekdays", "policy.no_working_days")
	}
	opens, ok1 := minutes(in.Opens)
	closes, ok2 := minutes(in.Closes)
	switch {
	case !ok1:
		v.Add("opens", "policy.clock_invalid")
	case !ok2:
		v.Add("closes", "policy.clock_invalid")
	case closes <= opens:
		v.Add("closes", "policy.closes_before_opens")
	}
	seen := map[string]bool{}
	for i := range in.Holidays {
		h := &in.Holidays[i]
		h.Day, h.Name = strings.TrimSpace(h.Day), strings.TrimSpace(h.Name)
		if _, err := time.Parse(time.DateOnly, h.Day); err != nil || seen[h.Day] {
			v.Add("holidays", "policy.holiday_invalid")
		}
		seen[h.Day] = true
		if id := textcheck.Line(h.Name, 100, false); id != "" {
			v.Add("holidays", id)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	var list []string
	for d := range days {
		list = append(list, strconv.Itoa(d))
	}
	sort.Strings(list)
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&models.WorkCalendar{}).Where("id = 1").Updates(map[string]any{
			"weekdays": strings.Join(list, ","), "opens": opens, "closes": closes, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		if err := tx.Where("1 = 1").Delete(&models.PublicHoliday{}).Error; err != nil {
			return err
		}
		if len(in.Holidays) == 0 {
			return nil
		}
		return tx.Create(&in.Holidays).Error
	})
}
