package citizens

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/models"
)

// CitizenJSON is a citizen as the API and the data download show it.
type CitizenJSON struct {
	ID            string     `json:"id"`
	Email         string     `json:"email"`
	DisplayName   string     `json:"display_name"`
	Language      string     `json:"language"`
	NotifyByEmail bool       `json:"notify_by_email"`
	CreatedAt     time.Time  `json:"created_at"`
	LastSignInAt  *time.Time `json:"last_sign_in_at"`
}

// ToJSON is c as the API shows it.
func ToJSON(c *models.Citizen) CitizenJSON {
	return CitizenJSON{ID: c.ID, Email: c.Email, DisplayName: c.DisplayName, Language: c.Language, NotifyByEmail: c.NotifyByEmail,
		CreatedAt: c.CreatedAt.UTC(), LastSignInAt: utc(c.LastSignInAt)}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Export collects what the platform keeps about a citizen, for their own
// download: the account under "citizen" and what every feature keeps
// (e.g. "ideas"), as a JSON-able map.
func (s *Store) Export(ctx context.Context, id string) (map[string]any, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"citizen": ToJSON(c), "exported_at": s.now()}
	for _, f := range s.features {
		part, err := f.Export(ctx, id)
		if err != nil {
			return nil, err
		}
		for k, v := range part {
			if _, taken := out[k]; taken {
				return nil, fmt.Errorf("citizens: two parts of the export are named %q", k)
			}
			out[k] = v
		}
	}
	return out, nil
}

// Delete removes a citizen in one transaction: every feature forgets them
// (deletePosts: their posts go too, else they stay without the name), their
// sessions end, their mail is dropped or emptied, their sign-in links and
// the account are deleted. Afterwards no table holds their address or name.
//
// The citizen's row is read FOR UPDATE first (PostgreSQL; SQLite's write
// transactions hold the database from BEGIN): a feature that mails a
// citizen reads their row FOR SHARE in the transaction that queues the
// mail, so either that mail is queued before and is dropped here, or it
// finds no citizen.
func (s *Store) Delete(ctx context.Context, id string, deletePosts bool) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c models.Citizen
		if err := tx.Where("id = ?", id).Take(&c).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return apperr.ErrNotFound
			}
			return err
		}
		// The features lock their rows (ideas) first, the citizen's row
		// after: a status change holds an idea and then reads its citizens
		// FOR SHARE to mail them, so taking the citizen first could
		// deadlock with it. Once the citizen's row is locked, no mail to
		// them can be queued until the row is gone.
		for _, f := range s.features {
			if err := f.Forget(tx, id, deletePosts); err != nil {
				return err
			}
		}
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&c).Error; err != nil {
			return err
		}
		if err := tx.Where("citizen_id = ?", id).Delete(&models.Session{}).Error; err != nil {
			return err
		}
		if err := s.outbox.ForgetCitizen(ctx, tx, id, c.Email); err != nil {
			return err
		}
		if err := tx.Where("email = ?", c.Email).Delete(&models.CitizenSignIn{}).Error; err != nil {
			return err
		}
		return tx.Where("id = ?", id).Delete(&models.Citizen{}).Error
	})
}
