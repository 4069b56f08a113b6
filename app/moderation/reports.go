package moderation

import (
	"context"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// MaxReportReason is how long a report's reason may be, in characters.
const MaxReportReason = 1000

// ReasonsShown is how many of a post's latest report reasons a summary keeps.
const ReasonsShown = 5

// CheckReport checks what a citizen sends with a report: a known kind of
// target ("target_type") and a reason ("reason").
func CheckReport(targetType, reason string) error {
	v := &apperr.Validation{}
	switch targetType {
	case models.TargetIdea, models.TargetComment, models.TargetQuestion:
	default:
		v.Add("target_type", "validation.choice_invalid")
	}
	if id := textcheck.Block(reason, MaxReportReason, true); id != "" {
		v.Add("reason", id)
	}
	return v.Err()
}

// Report records a participant's report of a post to the moderators of
// scope; one per participant per post, so a second report changes nothing
// (created is false and id names the first). The caller has checked that
// the post exists and that the participant may see it.
func (s *Store) Report(ctx context.Context, scope, targetType, targetID, participant, reason string) (id string, created bool, err error) {
	reason = strings.TrimSpace(reason)
	if err := CheckReport(targetType, reason); err != nil {
		return "", false, err
	}
	if participant == "" || scope == "" || targetID == "" {
		return "", false, apperr.ErrForbidden
	}
	r := models.Report{ID: models.NewID(), Scope: scope, TargetType: targetType, TargetID: targetID,
		Participant: participant, Reason: reason, CreatedAt: s.now()}
	db := s.db.WithContext(ctx)
	res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&r)
	if res.Error != nil {
		return "", false, res.Error
	}
	if res.RowsAffected == 1 {
		return r.ID, true, nil
	}
	var first models.Report
	if err := db.Where("target_type = ? AND target_id = ? AND participant = ?", targetType, targetID, participant).
		Take(&first).Error; err != nil {
		return "", false, err
	}
	return first.ID, false, nil
}

// ReportSummary is the open reports of one post.
type ReportSummary struct {
	TargetType string
	TargetID   string
	Count      int
	// Reasons are the latest reasons, newest first (at most ReasonsShown).
	Reasons []string
	Latest  time.Time
}

// OpenReports lists the posts of scope with open reports, the most
// reported first, then the most recently reported.
func (s *Store) OpenReports(ctx context.Context, scope string) ([]ReportSummary, error) {
	var rows []models.Report
	if err := s.db.WithContext(ctx).Where("scope = ? AND resolved_at IS NULL", scope).
		Order("created_at DESC, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	var out []ReportSummary
	at := map[string]int{}
	for _, r := range rows {
		k := r.TargetType + ":" + r.TargetID
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, ReportSummary{TargetType: r.TargetType, TargetID: r.TargetID, Latest: r.CreatedAt})
		}
		out[i].Count++
		if len(out[i].Reasons) < ReasonsShown {
			out[i].Reasons = append(out[i].Reasons, r.Reason)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out, nil
}

// ReportsByTarget indexes summaries by target id.
func ReportsByTarget(list []ReportSummary) map[string]*ReportSummary {
	out := make(map[string]*ReportSummary, len(list))
	for i := range list {
		out[list[i].TargetID] = &list[i]
	}
	return out
}

// Targets names, per kind of target (e.g. models.TargetIdea), the table
// that holds the posts of that kind by id. It lets counts leave out the
// reports of posts that no longer exist.
type Targets map[string]string

// ReportedPosts counts, per scope, the posts with open reports. With
// targets, only posts of those kinds that still exist are counted.
func (s *Store) ReportedPosts(ctx context.Context, scopes []string, targets Targets) (map[string]int, error) {
	out := map[string]int{}
	if len(scopes) == 0 {
		return out, nil
	}
	var rows []struct {
		Scope string
		N     int
	}
	q := s.db.WithContext(ctx).Model(&models.Report{}).Select("scope, COUNT(DISTINCT target_id) AS n").
		Where("scope IN ? AND resolved_at IS NULL", scopes)
	if len(targets) > 0 {
		kinds := make([]string, 0, len(targets))
		for k := range targets {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		var cond []string
		var args []any
		for _, k := range kinds {
			// Table names come from the caller's code, never from input.
			cond = append(cond, "(target_type = ? AND EXISTS (SELECT 1 FROM "+targets[k]+" AS t WHERE t.id = reports.target_id))")
			args = append(args, k)
		}
		q = q.Where(strings.Join(cond, " OR "), args...)
	}
	err := q.Group("scope").Scan(&rows).Error
	for _, r := range rows {
		out[r.Scope] = r.N
	}
	return out, err
}

// DeleteReports deletes the reports of posts that are deleted, inside the
// caller's transaction. targetIDs is a list of ids or a subquery (*gorm.DB)
// that selects them.
func (s *Store) DeleteReports(tx *gorm.DB, targetType string, targetIDs any) error {
	return tx.Where("target_type = ? AND target_id IN (?)", targetType, targetIDs).Delete(&models.Report{}).Error
}

// ReportsBy lists the reports filed by any of the participant keys, oldest
// first (for a person's download of their data).
func (s *Store) ReportsBy(ctx context.Context, participants []string) ([]models.Report, error) {
	var out []models.Report
	if len(participants) == 0 {
		return out, nil
	}
	err := s.db.WithContext(ctx).Where("participant IN ?", participants).Order("created_at, id").Find(&out).Error
	return out, err
}

// DeleteReportsBy deletes the reports filed by any of the participant
// keys, inside the caller's transaction (when a person is forgotten).
func (s *Store) DeleteReportsBy(tx *gorm.DB, participants []string) error {
	if len(participants) == 0 {
		return nil
	}
	return tx.Where("participant IN ?", participants).Delete(&models.Report{}).Error
}

// Resolve closes the open reports of a post inside the caller's
// transaction, saying who did and how (the moderator's action, e.g.
// "hide" or "dismiss"); it returns how many were open.
func (s *Store) Resolve(tx *gorm.DB, targetType, targetID string, actor *models.Account, resolution string) (int64, error) {
	upd := map[string]any{"resolved_at": s.now(), "resolution": resolution}
	if actor != nil {
		upd["resolved_by"] = actor.ID
	}
	res := tx.Model(&models.Report{}).Where("target_type = ? AND target_id = ? AND resolved_at IS NULL", targetType, targetID).Updates(upd)
	return res.RowsAffected, res.Error
}

// CheckNote checks a moderator's optional note (field "note").
func CheckNote(note string) error {
	if id := textcheck.Block(note, 1000, false); id != "" {
		return apperr.Invalid("note", id)
	}
	return nil
}

// RuleTitles maps rule keys to their titles, for log entries.
func RuleTitles(rules []RuleView) map[string]string {
	out := make(map[string]string, len(rules))
	for _, r := range rules {
		out[r.Key] = r.Title
	}
	return out
}
