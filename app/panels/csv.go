package panels

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/models"
)

// maxImportRows bounds one import.
const maxImportRows = 20000

// RowError is one problem of an imported row (Line 1 is the header).
type RowError struct {
	Line      int    `json:"line"`
	Column    string `json:"column"`
	MessageID string `json:"message"`
}

// ImportReport says what an import did.
type ImportReport struct {
	Rows     int        `json:"rows"`
	Imported int        `json:"imported"`
	Known    int        `json:"already_known"`
	Errors   []RowError `json:"errors"`
}

// Import reads members from CSV: a header row with "email", optionally
// "language", and profile field keys; then one member per row. Rows with
// a problem are reported and skipped; the others are added as pending
// members who get the same confirmation mail as a sign-up: an address on a
// list is no consent, so nobody is a member before confirming. Addresses
// already on the panel are counted, not changed.
func (s *Store) Import(ctx context.Context, panelID string, r io.Reader, defaultLang string) (*ImportReport, error) {
	_, fs, err := s.Get(ctx, panelID)
	if err != nil {
		return nil, err
	}
	rep := &ImportReport{Errors: []RowError{}}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, apperr.Invalid("file", "panels.csv_empty")
	}
	if err != nil {
		return nil, apperr.Invalid("file", "panels.csv_invalid")
	}
	cols := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := cols[h]; dup {
			rep.Errors = append(rep.Errors, RowError{Line: 1, Column: h, MessageID: "panels.csv_column_twice"})
			continue
		}
		cols[h] = i
		if _, ok := FieldByKey(fs, h); !ok && h != "email" && h != "language" {
			rep.Errors = append(rep.Errors, RowError{Line: 1, Column: h, MessageID: "panels.unknown_field"})
		}
	}
	if _, ok := cols["email"]; !ok {
		rep.Errors = append(rep.Errors, RowError{Line: 1, Column: "email", MessageID: "panels.csv_no_email"})
	}
	if len(rep.Errors) > 0 {
		return rep, nil
	}
	type row struct {
		email, lang string
		profile     map[string]string
	}
	var good []row
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rep.Errors = append(rep.Errors, RowError{Line: line, MessageID: "panels.csv_invalid"})
			break
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		rep.Rows++
		if rep.Rows > maxImportRows {
			rep.Errors = append(rep.Errors, RowError{Line: line, MessageID: "panels.csv_too_many"})
			break
		}
		get := func(col string) string {
			if i, ok := cols[col]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		v := &apperr.Validation{}
		email := normalEmail(v, "email", get("email"))
		lang := get("language")
		if lang == "" {
			lang = defaultLang
		}
		if !langs[lang] {
			v.Add("language", "validation.choice_invalid")
		}
		prof := map[string]string{}
		for _, f := range fs {
			if _, ok := cols[f.Key]; ok {
				prof[f.Key] = get(f.Key)
			}
		}
		clean := checkProfile(v, fs, prof)
		if email != "" {
			if first, dup := seen[email]; dup {
				_ = first
				v.Add("email", "panels.csv_duplicate")
			}
			seen[email] = line
		}
		if len(v.Fields) > 0 {
			for col, id := range v.Fields {
				rep.Errors = append(rep.Errors, RowError{Line: line, Column: strings.TrimPrefix(col, "profile."), MessageID: id})
			}
			continue
		}
		good = append(good, row{email, lang, clean})
	}
	sortErrors(rep.Errors)
	// Known addresses are counted, not mailed again.
	emails := make([]string, 0, len(good))
	for _, g := range good {
		emails = append(emails, g.email)
	}
	known := map[string]bool{}
	for start := 0; start < len(emails); start += 500 {
		var ks []string
		if err := s.db.WithContext(ctx).Model(&models.PanelMember{}).Where("panel_id = ? AND email IN ?", panelID, emails[start:min(start+500, len(emails))]).Pluck("email", &ks).Error; err != nil {
			return nil, err
		}
		for _, k := range ks {
			known[k] = true
		}
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, g := range good {
			if known[g.email] {
				rep.Known++
				continue
			}
			if err := s.addMember(ctx, tx, panelID, g.email, g.lang, g.profile, "import"); err != nil {
				return err
			}
			rep.Imported++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	return rep, nil
}

func sortErrors(es []RowError) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && (es[j].Line < es[j-1].Line || (es[j].Line == es[j-1].Line && es[j].Column < es[j-1].Column)); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// SafeCell keeps a spreadsheet from reading a cell as a formula: a value
// starting with = + - @ tab or carriage return gets a leading quote.
func SafeCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// Export writes the members as CSV: address, language, status, dates and
// profile values, every cell safe from formula injection.
func (s *Store) Export(ctx context.Context, panelID string, w io.Writer) error {
	_, fs, err := s.Get(ctx, panelID)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := []string{"email", "language", "status", "source", "joined", "confirmed"}
	for _, f := range fs {
		head = append(head, f.Key)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	var profiles []models.PanelMemberProfile
	if err := s.db.WithContext(ctx).Where("panel_id = ?", panelID).Find(&profiles).Error; err != nil {
		return err
	}
	byMember := map[string]map[string]string{}
	for _, p := range profiles {
		if byMember[p.MemberID] == nil {
			byMember[p.MemberID] = map[string]string{}
		}
		byMember[p.MemberID][p.Field] = p.Value
	}
	var members []models.PanelMember
	if err := s.db.WithContext(ctx).Where("panel_id = ?", panelID).Order("created_at, email").Find(&members).Error; err != nil {
		return err
	}
	for _, m := range members {
		confirmed := ""
		if m.ConfirmedAt != nil {
			confirmed = m.ConfirmedAt.Format(time.RFC3339)
		}
		rec := []string{m.Email, m.Language, m.Status, m.Source, m.CreatedAt.Format(time.RFC3339), confirmed}
		for _, f := range fs {
			rec = append(rec, byMember[m.ID][f.Key])
		}
		for i := range rec {
			rec[i] = SafeCell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
