package ideas

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// Sorts of idea lists.
const (
	SortSupports = "supports"
	SortNew      = "new"
	SortComments = "comments"
)

// StatusNone filters the ideas that have no status yet.
const StatusNone = "none"

// ListQuery is a page of a consultation's ideas.
type ListQuery struct {
	Sort     string
	Status   string
	Category string
	Search   string
	Cursor   string
	Limit    int
}

// IdeaPage is one page of ideas and the cursor of the next (empty: last).
type IdeaPage struct {
	Ideas []models.Idea
	Next  string
}

// DefaultPage and MaxPage bound the ideas per page.
const (
	DefaultPage = 20
	MaxPage     = 100
)

// cursor is where a page ends: the sort value and id of its last idea.
type cursor struct {
	N  int       `json:"n,omitempty"`
	T  time.Time `json:"t,omitempty"`
	ID string    `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, bool) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" || len(c.ID) > 64 {
		return c, false
	}
	return c, true
}

// check validates the query against c; every error is a bad query (400).
func (q *ListQuery) check(c *models.Consultation) error {
	v := &apperr.Validation{}
	switch q.Sort {
	case "":
		q.Sort = SortSupports
	case SortSupports, SortNew, SortComments:
	default:
		v.Add("sort", "ideas.sort_invalid")
	}
	if q.Status != "" && q.Status != StatusNone && !validStatus(q.Status) {
		v.Add("status", "validation.choice_invalid")
	}
	if q.Category != "" && !c.Categories.Has(q.Category) {
		v.Add("category", "validation.choice_invalid")
	}
	q.Search = strings.TrimSpace(q.Search)
	if id := textcheck.Line(q.Search, 100, false); id != "" {
		v.Add("q", id)
	}
	if q.Limit == 0 {
		q.Limit = DefaultPage
	}
	if q.Limit < 1 || q.Limit > MaxPage {
		v.Add("limit", "ideas.limit_invalid")
	}
	if q.Cursor != "" {
		if _, ok := decodeCursor(q.Cursor); !ok {
			v.Add("cursor", "ideas.cursor_invalid")
		}
	}
	return apperr.Query(v.Err())
}

func validStatus(s string) bool {
	for _, k := range models.IdeaStatuses {
		if k == s {
			return true
		}
	}
	return false
}

// List returns a page of c's published ideas. Pages follow each other by
// keyset (the sort value and id of the last idea), so a page costs the
// same however deep it is, and each sort has its index.
func (s *Store) List(ctx context.Context, c *models.Consultation, q ListQuery) (*IdeaPage, error) {
	if err := q.check(c); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx).Model(&models.Idea{}).
		Where("consultation_id = ? AND visibility = ?", c.ID, models.PostPublished)
	switch q.Status {
	case "":
	case StatusNone:
		db = db.Where("status = ''")
	default:
		db = db.Where("status = ?", q.Status)
	}
	if q.Category != "" {
		db = db.Where("category = ?", q.Category)
	}
	if q.Search != "" {
		p := textcheck.LikePattern(q.Search) // lower-cased in Go, every letter
		db = db.Where("("+s.folded("title")+` LIKE ? ESCAPE '\' OR `+s.folded("body")+` LIKE ? ESCAPE '\' OR `+
			s.folded("place_label")+` LIKE ? ESCAPE '\')`, p, p, p)
	}
	col := map[string]string{SortSupports: "supports", SortNew: "created_at", SortComments: "comments"}[q.Sort]
	if q.Cursor != "" {
		cur, _ := decodeCursor(q.Cursor)
		var v any = cur.N
		if q.Sort == SortNew {
			v = cur.T
		}
		// The first condition lets the index seek to the page; the second
		// picks the ideas after the cursor among those with equal values.
		db = db.Where(col+" <= ? AND ("+col+" < ? OR id > ?)", v, v, cur.ID)
	}
	var rows []models.Idea
	if err := db.Order(col + " DESC, id").Limit(q.Limit + 1).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := &IdeaPage{Ideas: rows}
	if len(rows) > q.Limit {
		out.Ideas = rows[:q.Limit]
		last := out.Ideas[q.Limit-1]
		out.Next = cursor{N: map[string]int{SortSupports: last.Supports, SortComments: last.Comments}[q.Sort], T: last.CreatedAt, ID: last.ID}.encode()
	}
	return out, nil
}

// sqliteUpper are the upper-case letters beyond ASCII that the folding of
// searches on SQLite lowers itself: Latin-1's, which cover Danish, Dutch,
// German, the Nordic and the Romance languages.
const sqliteUpper = "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞ"

// folded is SQL for a column in lower case, to match a pattern that Go
// lower-cased. PostgreSQL's LOWER folds every letter (with a UTF-8
// collation); SQLite's only ASCII ones, so there the letters of
// sqliteUpper are replaced first ("Østerbrogade" must match
// "østerbrogade"). col is a column name from the code, never input.
func (s *Store) folded(col string) string {
	if s.pg {
		return "LOWER(" + col + ")"
	}
	var b strings.Builder
	for range []rune(sqliteUpper) {
		b.WriteString("REPLACE(")
	}
	b.WriteString(col)
	for _, r := range sqliteUpper {
		fmt.Fprintf(&b, ", '%c', '%c')", r, unicode.ToLower(r))
	}
	return "LOWER(" + b.String() + ")"
}

// Counts are a consultation's figures.
type Counts struct {
	Ideas       int64
	Supports    int64
	Comments    int64
	ShareClicks int64
	// ByStatus counts published ideas per status ("" for none yet).
	ByStatus map[string]int64
}

// Stats counts c's published ideas, their supports, comments and share
// clicks (the consultation's own and its ideas').
func (s *Store) Stats(ctx context.Context, c *models.Consultation) (*Counts, error) {
	type row struct {
		Status                        string
		N, Supports, Comments, Shares int64
	}
	var rows []row
	err := s.db.WithContext(ctx).Model(&models.Idea{}).
		Select("status, COUNT(*) AS n, COALESCE(SUM(supports), 0) AS supports, COALESCE(SUM(comments), 0) AS comments, COALESCE(SUM(share_clicks), 0) AS shares").
		Where("consultation_id = ? AND visibility = ?", c.ID, models.PostPublished).Group("status").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := &Counts{ShareClicks: int64(c.ShareClicks), ByStatus: map[string]int64{}}
	for _, r := range rows {
		out.Ideas += r.N
		out.Supports += r.Supports
		out.Comments += r.Comments
		out.ShareClicks += r.Shares
		out.ByStatus[r.Status] = r.N
	}
	return out, nil
}

// byIDs reads ideas by id, in no order.
func byIDs(tx *gorm.DB, ids []string) ([]models.Idea, error) {
	var out []models.Idea
	if len(ids) == 0 {
		return out, nil
	}
	err := tx.Where("id IN ?", ids).Find(&out).Error
	return out, err
}
