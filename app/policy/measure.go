package policy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// Where a month's figures come from.
const (
	SourcePlatform = "platform" // measured on the platform's own cases
	SourceRecorded = "recorded" // figures staff recorded
)

// Month is how a channel kept its answer-time promise in one calendar
// month (in the municipality's time zone).
//
// On a platform channel a case counts in the month it was answered, within
// the promise or not, or, while it is still open, in the month its
// deadline passed (against the promise); an open case before its deadline
// does not count at all. Within counts the cases answered within the
// promise; MedianHours is the median working time to answer of the cases
// answered in the month.
//
// On other channels the figures are those staff recorded for the periods
// overlapping the month; where several overlap, cases add up and the
// share and median are their averages weighted by cases.
type Month struct {
	Start       time.Time `json:"-"`
	Month       string    `json:"month"` // "2027-03"
	Source      string    `json:"source"`
	Cases       int       `json:"cases"`
	Within      int       `json:"within"`
	Overdue     int       `json:"overdue"` // open cases whose deadline passed in the month
	WithinPct   *float64  `json:"within_target_pct"`
	MedianHours *float64  `json:"median_hours"`
}

// Level is a channel's service level since From: the share of cases
// answered within the promise and the median working hours to answer.
// Months is how many whole months before the current one it covers; the
// current month so far counts too. On a platform channel the cases are
// those answered since From and every case still open past its deadline,
// however long ago that passed, against the promise for as long as it
// stays open.
type Level struct {
	Months      int       `json:"months"`
	From        time.Time `json:"-"`
	Cases       int       `json:"cases"`
	WithinPct   *float64  `json:"within_target_pct"`
	MedianHours *float64  `json:"median_hours"`
}

// MaxMonths bounds how far back compliance is measured.
const MaxMonths = 36

// lookBack is how long before the first month a platform case may have
// started and still count (answered in the window): a year.
const lookBack = 12

// Platform tells whether channel is measured on the platform itself.
func (s *Store) Platform(channel string) bool {
	_, ok := s.timings[channel]
	return ok
}

// Compliance measures promise p on channel over the last months calendar
// months, the current one last.
func (s *Store) Compliance(ctx context.Context, channel string, p Promise, months int) ([]Month, error) {
	if months < 1 || months > MaxMonths {
		return nil, apperr.Invalid("months", "policy_public.months_invalid")
	}
	out, _, err := s.measure(ctx, channel, p, months)
	return out, err
}

// ServiceLevel is the promise's service level over the months whole
// calendar months before the current one and the current one so far
// (months 3 on 10 May: 1 February to now; see Level).
func (s *Store) ServiceLevel(ctx context.Context, channel string, p Promise, months int) (*Level, error) {
	if months < 1 || months > MaxMonths {
		return nil, apperr.Invalid("months", "policy_public.months_invalid")
	}
	_, lvl, err := s.measure(ctx, channel, p, months+1)
	if err != nil {
		return nil, err
	}
	lvl.Months = months
	return lvl, nil
}

// LevelFrom is when ServiceLevel(…, months) starts: the first day of the
// month months months before the current one.
func (s *Store) LevelFrom(months int) time.Time {
	starts, _ := monthStarts(s.now(), s.zone, months+1)
	return starts[0]
}

// monthStarts are the first moments of the last n months in zone, oldest
// first, and the start of the month after the last.
func monthStarts(now time.Time, zone *time.Location, n int) ([]time.Time, time.Time) {
	y, m, _ := now.In(zone).Date()
	out := make([]time.Time, n)
	for i := range out {
		out[i] = time.Date(y, m-time.Month(n-1-i), 1, 0, 0, 0, 0, zone)
	}
	return out, time.Date(y, m+1, 1, 0, 0, 0, 0, zone)
}

func (s *Store) measure(ctx context.Context, channel string, p Promise, months int) ([]Month, *Level, error) {
	if !p.Set() || (p.Unit != models.PromiseHours && p.Unit != models.PromiseDays) {
		return nil, nil, apperr.Invalid("response_target_hours", "policy.target_invalid")
	}
	starts, end := monthStarts(s.now(), s.zone, months)
	out := make([]Month, months)
	for i, st := range starts {
		out[i] = Month{Start: st, Month: st.Format("2006-01")}
	}
	at := func(t time.Time) int { // the month of t, or -1
		for i := len(starts) - 1; i >= 0; i-- {
			if !t.Before(starts[i]) {
				if t.Before(end) {
					return i
				}
				return -1
			}
		}
		return -1
	}
	lvl := &Level{Months: months, From: starts[0]}
	src, platform := s.timings[channel]
	if !platform {
		if err := s.recorded(ctx, channel, out, end, lvl); err != nil {
			return nil, nil, err
		}
		return out, lvl, nil
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	cases, err := src(ctx, starts[0].AddDate(0, -lookBack, 0).UTC(), now)
	if err != nil {
		return nil, nil, err
	}
	hours := make([][]float64, months)
	var all []float64
	within := 0
	for _, c := range cases {
		if c.End == nil {
			deadline := p.Deadline(cal, c.Start)
			if !now.After(deadline) {
				continue // open, not yet late: it does not count
			}
			// Late and unanswered: against the promise for as long as it
			// stays open, however long ago the deadline passed.
			lvl.Cases++
			if i := at(deadline); i >= 0 {
				out[i].Cases++
				out[i].Overdue++
			}
			continue
		}
		i := at(*c.End)
		if i < 0 {
			continue
		}
		h := cal.WorkingHours(c.Start, *c.End)
		out[i].Cases++
		lvl.Cases++
		if p.Within(cal, h) {
			out[i].Within++
			within++
		}
		hours[i] = append(hours[i], h)
		all = append(all, h)
	}
	for i := range out {
		out[i].Source = SourcePlatform
		if out[i].Cases > 0 {
			out[i].WithinPct = sharePct(out[i].Within, out[i].Cases)
		}
		out[i].MedianHours = medianHoursOf(hours[i])
	}
	if lvl.Cases > 0 {
		lvl.WithinPct = sharePct(within, lvl.Cases)
	}
	lvl.MedianHours = medianHoursOf(all)
	return out, lvl, nil
}

// recorded fills the months from the figures staff recorded.
func (s *Store) recorded(ctx context.Context, channel string, out []Month, end time.Time, lvl *Level) error {
	first := out[0].Start.Format(time.DateOnly)
	last := end.AddDate(0, 0, -1).Format(time.DateOnly)
	var rows []models.ChannelMeasurement
	if err := s.db.WithContext(ctx).Where("channel = ? AND period_from <= ? AND period_to >= ?", channel, last, first).
		Order("period_from, period_to").Find(&rows).Error; err != nil {
		return err
	}
	for i := range out {
		out[i].Source = SourceRecorded
		from := out[i].Start.Format(time.DateOnly)
		to := out[i].Start.AddDate(0, 1, -1).Format(time.DateOnly)
		var in []models.ChannelMeasurement
		for _, r := range rows {
			if r.PeriodFrom <= to && r.PeriodTo >= from {
				in = append(in, r)
			}
		}
		out[i].Cases, out[i].WithinPct, out[i].MedianHours = combineRecorded(in)
	}
	lvl.Cases, lvl.WithinPct, lvl.MedianHours = combineRecorded(rows)
	return nil
}

// combine adds recorded figures up: cases add, the share within the
// promise and the median hours are averages weighted by cases (plain
// averages when no figure counts cases).
func combineRecorded(rows []models.ChannelMeasurement) (cases int, withinPct, medianHours *float64) {
	if len(rows) == 0 {
		return 0, nil, nil
	}
	counted := false
	for _, r := range rows {
		cases += r.Cases
		counted = counted || r.Cases > 0
	}
	weight := func(r models.ChannelMeasurement) float64 {
		if counted {
			return float64(r.Cases)
		}
		return 1
	}
	var hw, h, pw, p float64
	for _, r := range rows {
		w := weight(r)
		hw += w
		h += w * r.MedianHours
		if r.WithinTargetPct != nil {
			pw += w
			p += w * *r.WithinTargetPct
		}
	}
	if hw > 0 {
		v := h / hw
		medianHours = &v
	}
	if pw > 0 {
		v := p / pw
		withinPct = &v
	}
	return cases, withinPct, medianHours
}

func sharePct(k, n int) *float64 {
	v := 100 * float64(k) / float64(n)
	return &v
}

func medianHoursOf(v []float64) *float64 {
	if len(v) == 0 {
		return nil
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &m
}

// OverdueItem is an open case on a platform channel past its deadline.
type OverdueItem struct {
	Channel     string    `json:"channel"`
	Label       string    `json:"label"`
	Link        string    `json:"link"`
	Started     time.Time `json:"started_at"`
	Deadline    time.Time `json:"deadline"`
	HoursLate   float64   `json:"working_hours_late"`
	TargetHours float64   `json:"response_target_hours"`
}

// Overdue lists the open cases on the platform channels that decisions
// promise an answer time for, past their deadline, the oldest first.
func (s *Store) Overdue(ctx context.Context, decisions []SnapshotDecision) ([]OverdueItem, error) {
	out := []OverdueItem{}
	var cal *Calendar
	now := s.now()
	for _, d := range decisions {
		src, ok := s.timings[d.Channel]
		pr := d.Promise()
		if !ok || !pr.Set() || d.Handling == models.HandlingRouted {
			continue
		}
		if cal == nil {
			c, err := s.Calendar(ctx)
			if err != nil {
				return nil, err
			}
			cal = &c
		}
		cases, err := src(ctx, now, now)
		if err != nil {
			return nil, err
		}
		for _, c := range cases {
			if c.End != nil {
				continue
			}
			deadline := pr.Deadline(*cal, c.Start)
			if !now.After(deadline) {
				continue
			}
			out = append(out, OverdueItem{Channel: d.Channel, Label: c.Label, Link: c.Link, Started: c.Start.UTC(), Deadline: deadline.UTC(),
				HoursLate: cal.WorkingHours(deadline, now), TargetHours: pr.HoursOn(*cal)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Deadline.Equal(out[j].Deadline) {
			return out[i].Deadline.Before(out[j].Deadline)
		}
		return out[i].Started.Before(out[j].Started)
	})
	return out, nil
}

// Promised lists the decisions of the published policies that promise an
// answer time, one per channel: the promise of the policy in force today
// (its period holds today), else of the policy published last; built-in
// channels in their order, then custom ones.
func (s *Store) Promised(ctx context.Context) ([]SnapshotDecision, error) {
	pols, err := s.PublishedVersions(ctx)
	if err != nil {
		return nil, err
	}
	today := s.now().In(s.zone).Format(time.DateOnly)
	sort.SliceStable(pols, func(i, j int) bool {
		a, b := pols[i].Snap, pols[j].Snap
		ai := a.PeriodFrom <= today && today <= a.PeriodTo
		aj := b.PeriodFrom <= today && today <= b.PeriodTo
		return ai && !aj
	})
	seen := map[string]bool{}
	var out []SnapshotDecision
	for _, p := range pols {
		for _, d := range p.Snap.Decisions {
			if !d.Promise().Set() || d.Handling == models.HandlingRouted || seen[d.Channel] {
				continue
			}
			seen[d.Channel] = true
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return channelOrder(out[i].Channel) < channelOrder(out[j].Channel) })
	return out, nil
}

// channelRank orders built-in channels as Channels does, custom ones after.
func channelOrder(ch string) int {
	for i, c := range Channels {
		if c == ch {
			return i
		}
	}
	return len(Channels)
}

// Published lists the published policies, the one published last first.
func (s *Store) Published(ctx context.Context) ([]models.Policy, error) {
	var out []models.Policy
	err := s.db.WithContext(ctx).Where("version > 0").Order("published_at DESC, id").Find(&out).Error
	return out, err
}

// Measurement sources.
const (
	RecordedByForm = "form"
	RecordedByAPI  = "api"
	RecordedByCSV  = "csv"
)

// MeasurementInput is a figure staff record for a channel measured
// outside the platform, for a period of dates.
type MeasurementInput struct {
	Channel         string   `json:"channel"`
	PeriodFrom      string   `json:"period_from"`
	PeriodTo        string   `json:"period_to"`
	MedianHours     float64  `json:"median_hours"`
	WithinTargetPct *float64 `json:"within_target_pct"`
	Cases           int      `json:"cases"`
	Note            string   `json:"note"`
}

// MaxNote is the longest note on a recorded figure.
const MaxNote = 1000

func (s *Store) validateMeasurement(in *MeasurementInput) *apperr.Validation {
	v := &apperr.Validation{}
	in.Channel = strings.TrimSpace(in.Channel)
	in.PeriodFrom, in.PeriodTo = strings.TrimSpace(in.PeriodFrom), strings.TrimSpace(in.PeriodTo)
	in.Note = strings.TrimSpace(in.Note)
	switch {
	case !KnownChannel(in.Channel):
		v.Add("channel", "policy.channel_invalid")
	case s.Platform(in.Channel):
		v.Add("channel", "policy_public.measured_on_platform")
	}
	from, errA := time.Parse(time.DateOnly, in.PeriodFrom)
	to, errB := time.Parse(time.DateOnly, in.PeriodTo)
	if errA != nil {
		v.Add("period_from", "policy_public.date_invalid")
	}
	if errB != nil {
		v.Add("period_to", "policy_public.date_invalid")
	}
	if errA == nil && errB == nil && to.Before(from) {
		v.Add("period_to", "policy_public.period_backwards")
	}
	if h := in.MedianHours; math.IsNaN(h) || math.IsInf(h, 0) || h < 0 || h > MaxTargetHours {
		v.Add("median_hours", "policy_public.hours_invalid")
	}
	if p := in.WithinTargetPct; p != nil && (math.IsNaN(*p) || *p < 0 || *p > 100) {
		v.Add("within_target_pct", "policy_public.pct_invalid")
	}
	if in.Cases < 0 || in.Cases > 1e9 {
		v.Add("cases", "policy_public.cases_invalid")
	}
	if id := textcheck.Block(in.Note, MaxNote, false); id != "" {
		v.Add("note", id)
	}
	return v
}

// Record stores a figure for a channel and period (source: "form", "api"
// or "csv"); a figure for the same channel and period replaces the first.
func (s *Store) Record(ctx context.Context, in MeasurementInput, source string, by *string) (*models.ChannelMeasurement, error) {
	if err := s.validateMeasurement(&in).Err(); err != nil {
		return nil, err
	}
	var m *models.ChannelMeasurement
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		m, err = s.upsert(tx, in, source, by)
		return err
	})
	return m, err
}

func (s *Store) upsert(tx *gorm.DB, in MeasurementInput, source string, by *string) (*models.ChannelMeasurement, error) {
	m := &models.ChannelMeasurement{ID: models.NewID(), Channel: in.Channel, PeriodFrom: in.PeriodFrom, PeriodTo: in.PeriodTo,
		MedianHours: in.MedianHours, WithinTargetPct: in.WithinTargetPct, Cases: in.Cases, Source: source, Note: in.Note,
		CreatedBy: by, CreatedAt: s.now()}
	err := tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "channel"}, {Name: "period_from"}, {Name: "period_to"}},
		DoUpdates: clause.AssignmentColumns([]string{"median_hours", "within_target_pct", "cases", "source", "note",
			"created_by", "created_at"}),
	}).Create(m).Error
	if err != nil {
		return nil, err
	}
	// The row keeps its first id when it replaces an earlier figure.
	var row models.ChannelMeasurement
	if err := tx.Where("channel = ? AND period_from = ? AND period_to = ?", m.Channel, m.PeriodFrom, m.PeriodTo).Take(&row).Error; err != nil {
		return nil, err
	}
	return &row, nil
}

// Measurements lists the recorded figures of channel (every channel when
// empty), the latest period first.
func (s *Store) Measurements(ctx context.Context, channel string) ([]models.ChannelMeasurement, error) {
	q := s.db.WithContext(ctx).Order("period_to DESC, period_from DESC, channel")
	if channel != "" {
		q = q.Where("channel = ?", channel)
	}
	out := []models.ChannelMeasurement{}
	err := q.Limit(1000).Find(&out).Error
	return out, err
}

// MaxImportLines and MaxImportBytes bound a CSV import. A request body
// is at most 1 MiB (config.BodyLimit, checked before any handler runs), so
// that is the most a file can be.
const (
	MaxImportLines = 10000
	MaxImportBytes = 1 << 20
)

// CSVColumns are the columns of a measurements CSV file, in the order of
// the header staff are shown.
var CSVColumns = []string{"channel", "period_from", "period_to", "median_hours", "within_target_pct", "cases", "note"}

// ImportCSV records the figures of a CSV file (UTF-8 with or without BOM,
// separated by "," or ";", decimal comma or point, every line with as many
// fields as the first): all of them, or, when any line is wrong, none,
// with a validation error per wrong line (fields "line 3"). It returns how
// many figures it stored.
func (s *Store) ImportCSV(ctx context.Context, r io.Reader, by *string) (int, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return 0, err
	}
	if len(data) > MaxImportBytes {
		return 0, apperr.Invalid("file", "policy_public.csv_too_large")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return 0, apperr.Invalid("file", "policy_public.csv_not_utf8")
	}
	br := bufio.NewReader(bytes.NewReader(data))
	head, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	if strings.TrimSpace(head) == "" {
		return 0, apperr.Invalid("file", "policy_public.csv_empty")
	}
	sep := ','
	if strings.Count(head, ";") > strings.Count(head, ",") {
		sep = ';'
	}
	cr := csv.NewReader(io.MultiReader(strings.NewReader(head), br))
	cr.Comma = sep
	// Every line has as many fields as the header: a decimal comma in a
	// file separated by commas ("5,5") would shift the columns after it.
	cr.FieldsPerRecord = 0
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return 0, apperr.Invalid("line 1", "policy_public.csv_invalid")
	}
	cols := map[string]int{}
	v := &apperr.Validation{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range CSVColumns {
			known = known || c == h
		}
		if _, dup := cols[h]; dup || !known {
			v.Add("line 1", "policy_public.csv_header")
		}
		cols[h] = i
	}
	for _, c := range CSVColumns[:4] {
		if _, ok := cols[c]; !ok {
			v.Add("line 1", "policy_public.csv_header")
		}
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var good []MeasurementInput
	at := map[[3]string]int{}
	rows := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
				if errors.Is(pe.Err, csv.ErrFieldCount) {
					// The reader goes on with the next line.
					v.Add(fmt.Sprintf("line %d", line), "policy_public.csv_fields")
					if rows++; rows > MaxImportLines {
						v.Add(fmt.Sprintf("line %d", line), "policy_public.csv_too_many")
						break
					}
					continue
				}
			}
			v.Add(fmt.Sprintf("line %d", line), "policy_public.csv_invalid")
			break
		}
		if len(rec) == 0 || (len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			continue
		}
		line, _ := cr.FieldPos(0)
		field := fmt.Sprintf("line %d", line)
		if rows++; rows > MaxImportLines {
			v.Add(field, "policy_public.csv_too_many")
			break
		}
		get := func(col string) string {
			if i, ok := cols[col]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		in := MeasurementInput{Channel: get("channel"), PeriodFrom: get("period_from"), PeriodTo: get("period_to"), Note: get("note")}
		bad := ""
		if h, ok := parseDecimal(get("median_hours")); ok {
			in.MedianHours = h
		} else {
			bad = "policy_public.hours_invalid"
		}
		if p := get("within_target_pct"); p != "" {
			if x, ok := parseDecimal(strings.TrimSuffix(strings.TrimSpace(p), "%")); ok {
				in.WithinTargetPct = &x
			} else if bad == "" {
				bad = "policy_public.pct_invalid"
			}
		}
		if c := get("cases"); c != "" {
			if n, err := strconv.Atoi(c); err == nil {
				in.Cases = n
			} else if bad == "" {
				bad = "policy_public.cases_invalid"
			}
		}
		if bad == "" {
			if fv := s.validateMeasurement(&in); len(fv.Fields) > 0 {
				bad = firstCSVProblem(fv)
			}
		}
		if bad != "" {
			v.Add(field, bad)
			continue
		}
		key := [3]string{in.Channel, in.PeriodFrom, in.PeriodTo}
		if i, ok := at[key]; ok {
			good[i] = in // a later line for the same period replaces it
			continue
		}
		at[key] = len(good)
		good = append(good, in)
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	if len(good) == 0 {
		return 0, apperr.Invalid("file", "policy_public.csv_empty")
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, in := range good {
			if _, err := s.upsert(tx, in, RecordedByCSV, by); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(good), nil
}

// firstField is the message of the first invalid field, in CSV column order.
func firstCSVProblem(v *apperr.Validation) string {
	for _, c := range CSVColumns {
		if id, ok := v.Fields[c]; ok {
			return id
		}
	}
	for _, id := range v.Fields {
		return id
	}
	return ""
}

// decimal reads a number with a decimal point or comma ("12.5", "12,5",
// "1.234,5", "1,234.5").
func parseDecimal(s string) (float64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if s == "" {
		return 0, false
	}
	comma, dot := strings.LastIndex(s, ","), strings.LastIndex(s, ".")
	switch {
	case comma > dot && dot >= 0: // 1.234,5
		s = strings.ReplaceAll(s, ".", "")
		s = strings.Replace(s, ",", ".", 1)
	case comma > dot: // 12,5
		if strings.Count(s, ",") > 1 {
			return 0, false
		}
		s = strings.Replace(s, ",", ".", 1)
	case comma >= 0: // 1,234.5
		s = strings.ReplaceAll(s, ",", "")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}
