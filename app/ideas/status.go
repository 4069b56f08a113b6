package ideas

import (
	"context"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// MaxExplanation is the longest explanation of a status, per language, in
// characters.
const MaxExplanation = 5000

// NoticeStatus is the kind of notification about a new status.
const NoticeStatus = "status"

// recipientsPerQuery bounds the ids in one IN (...) list and the rows of
// one INSERT.
const recipientsPerQuery = 500

// Mailer is what the status mails need: the outbox, the mail templates,
// the site's address for links, and a function that wakes the mail worker.
type Mailer struct {
	Outbox  *mail.Outbox
	Mails   *mail.Templates
	BaseURL string
	Notify  func() // may be nil
}

// WithMail lets SetStatus mail citizens who asked for it; call it while
// wiring. Without it SetStatus only leaves notices.
func (s *Store) WithMail(m Mailer) *Store {
	s.mailer = &m
	return s
}

// StatusName is the message id of a status's name in words ("" and
// StatusNone: no status yet).
func StatusName(status string) string {
	if status == "" || status == StatusNone {
		return "ideas.status_none"
	}
	return "ideas.status_" + status
}

// checkStatus validates a status and its explanation and returns the
// explanation trimmed, with only the platform's languages.
func checkStatus(status string, explanation models.Text) (models.Text, error) {
	v := &apperr.Validation{}
	if !validStatus(status) {
		v.Add("status", "validation.choice_invalid")
	}
	clean := models.Text{}
	for _, l := range config.Languages {
		t := strings.TrimSpace(explanation[l])
		if id := textcheck.Block(t, MaxExplanation, false); id != "" {
			v.Add("explanation."+l, id)
			continue
		}
		if t != "" {
			clean[l] = t
		}
	}
	if len(clean) == 0 {
		v.Add("explanation", "validation.required")
	}
	return clean, v.Err()
}

// SetStatus gives a published idea the city's status and its explanation
// per language ("you said, we did"), in one transaction: the idea, a row
// of its history, a notice for the author, every supporter and every
// follower (one each), and a mail to each of them who is a citizen with
// mail notices on. Hidden, pending, rejected and unknown ideas: not found.
func (s *Store) SetStatus(ctx context.Context, ideaID string, actor *models.Account, status string, explanation models.Text) (*models.Idea, error) {
	clean, err := checkStatus(status, explanation)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var idea models.Idea
	mailed := false
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.locked(tx).Where("id = ?", ideaID).Take(&idea).Error; err != nil {
			return notFound(err)
		}
		if !Published(idea.Visibility) {
			return apperr.ErrNotFound
		}
		first := idea.FirstStatusAt
		if first == nil {
			first = &now
		}
		if err := tx.Model(&models.Idea{}).Where("id = ?", idea.ID).Updates(map[string]any{
			"status": status, "explanation": clean, "status_at": now, "first_status_at": *first, "updated_at": now,
		}).Error; err != nil {
			return err
		}
		idea.Status, idea.Explanation, idea.StatusAt, idea.FirstStatusAt, idea.UpdatedAt = status, clean, &now, first, now
		change := models.IdeaStatusChange{ID: models.NewID(), IdeaID: idea.ID, Status: status, Explanation: clean, CreatedAt: now}
		if actor != nil {
			id := actor.ID
			change.AccountID, change.AccountName = &id, actor.Name
		}
		if err := tx.Create(&change).Error; err != nil {
			return err
		}
		keys, citizens, err := recipients(tx, &idea)
		if err != nil {
			return err
		}
		rows := make([]models.Notification, len(keys))
		for i, k := range keys {
			id := idea.ID
			rows[i] = models.Notification{ID: models.NewID(), Recipient: k, Kind: NoticeStatus, IdeaID: &id, Status: status, CreatedAt: now}
		}
		if len(rows) > 0 {
			if err := tx.CreateInBatches(rows, recipientsPerQuery).Error; err != nil {
				return err
			}
		}
		mailed, err = s.mailStatus(ctx, tx, &idea, &change, citizens)
		return err
	})
	if err != nil {
		return nil, err
	}
	if mailed && s.mailer.Notify != nil {
		s.mailer.Notify()
	}
	return &idea, nil
}

// recipients lists who hears of a new status of idea, each once: the
// author, the supporters and the followers; a signed-in citizen as "c:"
// and their id, anyone else by their participant key. citizens are the
// citizen ids among them.
func recipients(tx *gorm.DB, idea *models.Idea) (keys, citizens []string, err error) {
	seen := map[string]bool{}
	add := func(citizenID *string, key string) {
		if citizenID != nil && *citizenID != "" {
			if k := "c:" + *citizenID; !seen[k] {
				seen[k] = true
				keys = append(keys, k)
				citizens = append(citizens, *citizenID)
			}
			return
		}
		if key != "" && !seen[key] {
			seen[key] = true
			keys = append(keys, key)
		}
	}
	add(idea.CitizenID, idea.Participant)
	var supports []models.IdeaSupport
	if err := tx.Where("idea_id = ?", idea.ID).Order("participant").Find(&supports).Error; err != nil {
		return nil, nil, err
	}
	for _, sp := range supports {
		add(sp.CitizenID, sp.Participant)
	}
	var follows []string
	if err := tx.Model(&models.IdeaFollow{}).Where("idea_id = ?", idea.ID).Order("citizen_id").Pluck("citizen_id", &follows).Error; err != nil {
		return nil, nil, err
	}
	for i := range follows {
		add(&follows[i], "")
	}
	return keys, citizens, nil
}

// mailStatus queues, inside tx, one mail about change to each of citizens
// who wants mail and has an address, in their language. It reports
// whether any mail was queued.
func (s *Store) mailStatus(ctx context.Context, tx *gorm.DB, idea *models.Idea, change *models.IdeaStatusChange, citizens []string) (bool, error) {
	if s.mailer == nil || len(citizens) == 0 {
		return false, nil
	}
	var cons models.Consultation
	if err := tx.Where("id = ?", idea.ConsultationID).Take(&cons).Error; err != nil {
		return false, err
	}
	rendered := map[string]mail.Rendered{}
	queued := false
	for start := 0; start < len(citizens); start += recipientsPerQuery {
		var batch []models.Citizen
		if err := tx.Clauses(clause.Locking{Strength: "SHARE"}).Where("id IN ? AND notify_by_email = ? AND email <> ''", citizens[start:min(start+recipientsPerQuery, len(citizens))], true).
			Order("id").Find(&batch).Error; err != nil {
			return false, err
		}
		for _, cit := range batch {
			lang := s.mailer.Mails.Translator(cit.Language).Lang
			r, ok := rendered[lang]
			if !ok {
				var err error
				if r, err = s.renderStatusMail(lang, idea, &cons, change); err != nil {
					return false, err
				}
				rendered[lang] = r
			}
			isNew, err := s.mailer.Outbox.Enqueue(ctx, tx, mail.Mail{DedupeKey: "idea_status:" + change.ID + ":" + cit.ID, CitizenID: cit.ID,
				To: cit.Email, Language: lang, Subject: r.Subject, Text: r.Text, HTML: r.HTML})
			if err != nil {
				return false, err
			}
			queued = queued || isNew
		}
	}
	return queued, nil
}

// renderStatusMail renders the mail about change in lang. The idea's title
// is a citizen's text: the HTML part escapes it.
func (s *Store) renderStatusMail(lang string, idea *models.Idea, cons *models.Consultation, change *models.IdeaStatusChange) (mail.Rendered, error) {
	l := s.mailer.Mails.Translator(lang)
	explanation := change.Explanation.In(lang)
	return s.mailer.Mails.Render("idea_status", lang, map[string]any{
		"Title":        idea.Title,
		"Consultation": cons.Title.In(lang),
		"Status":       l.T(StatusName(change.Status)),
		"Explanation":  explanation,
		"Paragraphs":   paragraphs(explanation),
		"Link":         s.mailer.BaseURL + "/ideas/" + idea.ID + "?lang=" + lang,
		"MineLink":     s.mailer.BaseURL + "/me?lang=" + lang,
	})
}

// paragraphs splits text at blank lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// StatusHistory lists the statuses an idea was given, newest first.
func (s *Store) StatusHistory(ctx context.Context, ideaID string) ([]models.IdeaStatusChange, error) {
	var out []models.IdeaStatusChange
	err := s.db.WithContext(ctx).Where("idea_id = ?", ideaID).Order("created_at DESC, id DESC").Find(&out).Error
	return out, err
}
