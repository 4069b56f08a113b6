package ideas

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/moderation"
	"github.com/inspraak/inspraak/models"
)

// Actions of moderators on ideas and comments.
const (
	ActApprove = "approve" // pending -> published
	ActReject  = "reject"  // pending -> rejected, by a house rule
	ActHide    = "hide"    // published -> hidden, by a house rule
	ActRestore = "restore" // hidden -> published
	ActBan     = "ban"     // the author may post no more in the consultation
	ActDismiss = "dismiss" // the post's open reports are closed, nothing else changes
)

// Action is one moderation request: Reason is the key of a house rule
// (required to reject, hide and ban), Note an optional explanation that the
// author sees with a rejected or hidden post.
type Action struct {
	Action string `json:"action"`
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

// Moderated is a post after a moderator's action.
type Moderated struct {
	Kind           string // models.TargetIdea or models.TargetComment
	ID             string
	IdeaID         string
	ConsultationID string
	Visibility     string
	RuleKey        string
	ModNote        string
}

// post is the part of an idea or a comment that moderation reads.
type post struct {
	ID             string
	IdeaID         string
	ConsultationID string
	Participant    string
	Visibility     string
	RuleKey        string
	ModNote        string
}

// readPost reads an idea or a comment (through q, which may lock it).
func readPost(q *gorm.DB, kind, id string) (*post, error) {
	switch kind {
	case models.TargetIdea:
		var i models.Idea
		if err := q.Where("id = ?", id).Take(&i).Error; err != nil {
			return nil, notFound(err)
		}
		return &post{ID: i.ID, IdeaID: i.ID, ConsultationID: i.ConsultationID, Participant: i.Participant,
			Visibility: i.Visibility, RuleKey: i.RuleKey, ModNote: i.ModNote}, nil
	case models.TargetComment:
		var cm models.IdeaComment
		if err := q.Where("id = ?", id).Take(&cm).Error; err != nil {
			return nil, notFound(err)
		}
		return &post{ID: cm.ID, IdeaID: cm.IdeaID, ConsultationID: cm.ConsultationID, Participant: cm.Participant,
			Visibility: cm.Visibility, RuleKey: cm.RuleKey, ModNote: cm.ModNote}, nil
	}
	return nil, apperr.ErrNotFound
}

// lockPost reads an idea or a comment FOR UPDATE, in the lock order of
// lockIdeas: first the idea (a comment's idea, which it never changes, is
// read without a lock to learn it), for a ban also the ideas of the
// author's waiting posts, which the ban rejects; then the comment.
func (s *Store) lockPost(tx *gorm.DB, kind, id string, ban bool) (*post, error) {
	p, err := readPost(tx, kind, id)
	if err != nil {
		return nil, err
	}
	ids := []string{p.IdeaID}
	if ban {
		var more []string
		if err := tx.Model(&models.Idea{}).Where("consultation_id = ? AND participant = ? AND visibility = ?",
			p.ConsultationID, p.Participant, models.PostPending).Pluck("id", &more).Error; err != nil {
			return nil, err
		}
		ids = append(ids, more...)
		more = nil
		if err := tx.Model(&models.IdeaComment{}).Where("consultation_id = ? AND participant = ? AND visibility = ?",
			p.ConsultationID, p.Participant, models.PostPending).Distinct("idea_id").Pluck("idea_id", &more).Error; err != nil {
			return nil, err
		}
		ids = append(ids, more...)
	}
	if err := s.lockIdeas(tx, "id IN ?", ids); err != nil {
		return nil, err
	}
	if kind == models.TargetComment {
		return readPost(s.locked(tx), kind, id)
	}
	return readPost(tx, kind, id) // locked above; read again as it is now
}

// Moderate applies a moderator's action to an idea or a comment (kind
// models.TargetIdea or models.TargetComment), logs it in the consultation's
// scope and settles the post's open reports, all in one transaction.
// Rejected and hidden posts keep the rule and the note, so that their
// author sees why. A hidden idea keeps its supports (restoring brings it
// back as it was); hiding or restoring a comment recounts its idea's
// comments. An action that does not fit the post's state is a conflict.
//
// Locks (see lockPost): the idea's row FOR UPDATE first, then the
// comment's, so that the count written at the end sees every comment
// committed before, and a reply being written to the comment (which holds
// the idea, then waits for a key share of the comment) is waited for
// instead of deadlocking with.
func (s *Store) Moderate(ctx context.Context, kind, id string, actor *models.Account, a Action) (*Moderated, error) {
	a.Action, a.Reason, a.Note = strings.TrimSpace(a.Action), strings.TrimSpace(a.Reason), strings.TrimSpace(a.Note)
	var out *Moderated
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := s.lockPost(tx, kind, id, a.Action == ActBan)
		if err != nil {
			return err
		}
		now := s.now()
		visibility, rule, note := p.Visibility, "", ""
		switch a.Action {
		case ActApprove, ActRestore, ActDismiss:
			if err := moderation.CheckNote(a.Note); err != nil {
				return err
			}
		case ActReject, ActHide, ActBan:
			if err := moderation.CheckReason(tx, a.Reason, a.Note); err != nil {
				return err
			}
		default:
			return apperr.Invalid("action", "validation.choice_invalid")
		}
		switch a.Action {
		case ActApprove:
			if p.Visibility != models.PostPending {
				return &apperr.Conflict{MessageID: "ideas_moderation.not_pending"}
			}
			visibility = models.PostPublished
		case ActReject:
			if p.Visibility != models.PostPending {
				return &apperr.Conflict{MessageID: "ideas_moderation.not_pending"}
			}
			visibility, rule, note = models.PostRejected, a.Reason, a.Note
		case ActHide:
			if p.Visibility != models.PostPublished {
				return &apperr.Conflict{MessageID: "ideas_moderation.not_published"}
			}
			visibility, rule, note = models.PostHidden, a.Reason, a.Note
		case ActRestore:
			if p.Visibility != models.PostHidden {
				return &apperr.Conflict{MessageID: "ideas_moderation.not_hidden"}
			}
			visibility = models.PostPublished
		case ActBan:
			if err := s.mod.Ban(tx, Scope(p.ConsultationID), p.Participant, a.Reason, a.Note, actor); err != nil {
				return err
			}
			// What they still have waiting is rejected by the same rule.
			if err := s.rejectWaiting(tx, p, a, now); err != nil {
				return err
			}
			if p.Visibility == models.PostPending {
				visibility, rule, note = models.PostRejected, a.Reason, a.Note
			}
		}
		if visibility != p.Visibility {
			if err := s.setVisibility(tx, kind, p, visibility, rule, note, now); err != nil {
				return err
			}
		}
		n, err := s.mod.Resolve(tx, kind, p.ID, actor, a.Action)
		if err != nil {
			return err
		}
		if n == 0 && a.Action == ActDismiss {
			return &apperr.Conflict{MessageID: "ideas_moderation.no_open_reports"}
		}
		if err := s.mod.Log(tx, moderation.Entry{Scope: Scope(p.ConsultationID), Actor: actor, Action: a.Action,
			TargetType: kind, TargetID: p.ID, Rule: a.Reason, Note: a.Note}); err != nil {
			return err
		}
		out = &Moderated{Kind: kind, ID: p.ID, IdeaID: p.IdeaID, ConsultationID: p.ConsultationID, Visibility: visibility,
			RuleKey: p.RuleKey, ModNote: p.ModNote}
		if visibility != p.Visibility {
			out.RuleKey, out.ModNote = rule, note
		}
		return nil
	})
	return out, err
}

// setVisibility writes a post's new moderation state; for a comment that
// enters or leaves the published ones, its idea's count follows.
func (s *Store) setVisibility(tx *gorm.DB, kind string, p *post, visibility, rule, note string, now time.Time) error {
	upd := map[string]any{"visibility": visibility, "rule_key": rule, "mod_note": note, "updated_at": now}
	if kind == models.TargetIdea {
		return tx.Model(&models.Idea{}).Where("id = ?", p.ID).Updates(upd).Error
	}
	if err := tx.Model(&models.IdeaComment{}).Where("id = ?", p.ID).Updates(upd).Error; err != nil {
		return err
	}
	if Published(visibility) == Published(p.Visibility) {
		return nil
	}
	// The idea's row is locked (lockPost): the count sees every comment
	// committed before.
	return s.recount(tx, p.IdeaID)
}

// rejectWaiting rejects a banned author's pending ideas and comments in the
// consultation by the rule of the ban.
func (s *Store) rejectWaiting(tx *gorm.DB, p *post, a Action, now time.Time) error {
	upd := map[string]any{"visibility": models.PostRejected, "rule_key": a.Reason, "mod_note": a.Note, "updated_at": now}
	where := "consultation_id = ? AND participant = ? AND visibility = ? AND id <> ?"
	if err := tx.Model(&models.Idea{}).Where(where, p.ConsultationID, p.Participant, models.PostPending, p.ID).Updates(upd).Error; err != nil {
		return err
	}
	// Pending comments are not counted, so no count changes.
	return tx.Model(&models.IdeaComment{}).Where(where, p.ConsultationID, p.Participant, models.PostPending, p.ID).Updates(upd).Error
}

// QueueItem is an idea or a comment in the moderators' queue.
type QueueItem struct {
	Kind        string // models.TargetIdea or models.TargetComment
	ID          string
	IdeaID      string
	IdeaTitle   string // a comment's idea
	Title       string // an idea's title
	Body        string
	DisplayName string
	Visibility  string
	RuleKey     string
	ModNote     string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Reports     *moderation.ReportSummary
}

// Queue is what moderators of a consultation work on: posts waiting for
// approval (pre-moderation), oldest first; reported posts, the most
// reported first; and the posts removed lately, newest first.
type Queue struct {
	Pending  []QueueItem
	Reported []QueueItem
	Removed  []QueueItem
}

// RemovedShown is how many recently removed posts the queue shows.
const RemovedShown = 30

// Queue reads the moderators' queue of consultation c.
func (s *Store) Queue(ctx context.Context, consultationID string) (*Queue, error) {
	db := s.db.WithContext(ctx)
	reports, err := s.mod.OpenReports(ctx, Scope(consultationID))
	if err != nil {
		return nil, err
	}
	byTarget := moderation.ReportsByTarget(reports)
	var ideaIDs, commentIDs []string
	for _, r := range reports {
		switch r.TargetType {
		case models.TargetIdea:
			ideaIDs = append(ideaIDs, r.TargetID)
		case models.TargetComment:
			commentIDs = append(commentIDs, r.TargetID)
		}
	}
	var pIdeas, rIdeas, hIdeas []models.Idea
	var pComments, rComments, hComments []models.IdeaComment
	if err := db.Where("consultation_id = ? AND visibility = ?", consultationID, models.PostPending).
		Order("created_at, id").Find(&pIdeas).Error; err != nil {
		return nil, err
	}
	if err := db.Where("consultation_id = ? AND visibility = ?", consultationID, models.PostPending).
		Order("created_at, id").Find(&pComments).Error; err != nil {
		return nil, err
	}
	if len(ideaIDs) > 0 {
		if err := db.Where("consultation_id = ? AND id IN ?", consultationID, ideaIDs).Find(&rIdeas).Error; err != nil {
			return nil, err
		}
	}
	if len(commentIDs) > 0 {
		if err := db.Where("consultation_id = ? AND id IN ?", consultationID, commentIDs).Find(&rComments).Error; err != nil {
			return nil, err
		}
	}
	removed := []string{models.PostHidden, models.PostRejected}
	if err := db.Where("consultation_id = ? AND visibility IN ?", consultationID, removed).
		Order("updated_at DESC, id").Limit(RemovedShown).Find(&hIdeas).Error; err != nil {
		return nil, err
	}
	if err := db.Where("consultation_id = ? AND visibility IN ?", consultationID, removed).
		Order("updated_at DESC, id").Limit(RemovedShown).Find(&hComments).Error; err != nil {
		return nil, err
	}
	// The titles of the comments' ideas.
	need := map[string]bool{}
	for _, list := range [][]models.IdeaComment{pComments, rComments, hComments} {
		for _, cm := range list {
			need[cm.IdeaID] = true
		}
	}
	ids := make([]string, 0, len(need))
	for id := range need {
		ids = append(ids, id)
	}
	parents, err := byIDs(db, ids)
	if err != nil {
		return nil, err
	}
	titles := make(map[string]string, len(parents))
	for _, i := range parents {
		titles[i.ID] = i.Title
	}
	ideaItem := func(i models.Idea) QueueItem {
		return QueueItem{Kind: models.TargetIdea, ID: i.ID, IdeaID: i.ID, Title: i.Title, Body: i.Body, DisplayName: i.DisplayName,
			Visibility: i.Visibility, RuleKey: i.RuleKey, ModNote: i.ModNote, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt, Reports: byTarget[i.ID]}
	}
	commentItem := func(cm models.IdeaComment) QueueItem {
		return QueueItem{Kind: models.TargetComment, ID: cm.ID, IdeaID: cm.IdeaID, IdeaTitle: titles[cm.IdeaID], Body: cm.Body,
			DisplayName: cm.DisplayName, Visibility: cm.Visibility, RuleKey: cm.RuleKey, ModNote: cm.ModNote,
			CreatedAt: cm.CreatedAt, UpdatedAt: cm.UpdatedAt, Reports: byTarget[cm.ID]}
	}
	out := &Queue{}
	// Pending: ideas and comments together, oldest first.
	pi, pc := 0, 0
	for pi < len(pIdeas) || pc < len(pComments) {
		if pc >= len(pComments) || (pi < len(pIdeas) && !pComments[pc].CreatedAt.Before(pIdeas[pi].CreatedAt)) {
			out.Pending = append(out.Pending, ideaItem(pIdeas[pi]))
			pi++
		} else {
			out.Pending = append(out.Pending, commentItem(pComments[pc]))
			pc++
		}
	}
	// Reported: in the order of the reports.
	items := map[string]QueueItem{}
	for _, i := range rIdeas {
		items[i.ID] = ideaItem(i)
	}
	for _, cm := range rComments {
		items[cm.ID] = commentItem(cm)
	}
	for _, r := range reports {
		if it, ok := items[r.TargetID]; ok && it.Kind == r.TargetType {
			out.Reported = append(out.Reported, it)
		}
	}
	// Removed: newest change first (those with open reports are under
	// Reported already).
	hi, hc := 0, 0
	for (hi < len(hIdeas) || hc < len(hComments)) && len(out.Removed) < RemovedShown {
		var it QueueItem
		if hc >= len(hComments) || (hi < len(hIdeas) && !hIdeas[hi].UpdatedAt.Before(hComments[hc].UpdatedAt)) {
			it = ideaItem(hIdeas[hi])
			hi++
		} else {
			it = commentItem(hComments[hc])
			hc++
		}
		if it.Reports == nil {
			out.Removed = append(out.Removed, it)
		}
	}
	return out, nil
}

// reportTargets are the tables of the posts that idea collection's reports
// are about.
var reportTargets = moderation.Targets{models.TargetIdea: "ideas", models.TargetComment: "idea_comments"}

// QueueCounts is how much a consultation's moderators have to do.
type QueueCounts struct {
	Pending  int // ideas and comments waiting for approval
	Reported int // posts with open reports
}

// QueueCounts counts the work waiting in each consultation, by id.
func (s *Store) QueueCounts(ctx context.Context, consultationIDs []string) (map[string]QueueCounts, error) {
	out := make(map[string]QueueCounts, len(consultationIDs))
	if len(consultationIDs) == 0 {
		return out, nil
	}
	db := s.db.WithContext(ctx)
	for _, m := range []any{&models.Idea{}, &models.IdeaComment{}} {
		var rows []struct {
			ConsultationID string
			N              int
		}
		if err := db.Model(m).Select("consultation_id, COUNT(*) AS n").
			Where("consultation_id IN ? AND visibility = ?", consultationIDs, models.PostPending).
			Group("consultation_id").Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			c := out[r.ConsultationID]
			c.Pending += r.N
			out[r.ConsultationID] = c
		}
	}
	scopes := make([]string, len(consultationIDs))
	for i, id := range consultationIDs {
		scopes[i] = Scope(id)
	}
	// Reports of posts deleted since are left out: the queue cannot show them.
	reported, err := s.mod.ReportedPosts(ctx, scopes, reportTargets)
	if err != nil {
		return nil, err
	}
	for _, id := range consultationIDs {
		c := out[id]
		c.Reported = reported[Scope(id)]
		out[id] = c
	}
	return out, nil
}
