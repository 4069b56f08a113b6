// Package auth holds accounts, roles, passwords, API tokens, login
// throttling and the server-side session store.
package auth

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// Store reads and writes accounts, tokens, sessions and throttles.
type Store struct {
	db  *gorm.DB
	now func() time.Time
}

// NewStore returns a Store on db.
func NewStore(db *gorm.DB) *Store {
	return &Store{db: db, now: func() time.Time { return time.Now().UTC() }}
}

// AccountInput is what a person or the CLI gives to create or edit an account.
type AccountInput struct {
	Email    string
	Name     string
	Role     string
	Password string // required on create; on edit, empty keeps the password
	Language string
	Active   bool
}

// NormalizeEmail lower-cases and trims an address so one person has one account.
func NormalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func (in *AccountInput) validate(create bool) error {
	v := &apperr.Validation{}
	in.Email = NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	if id := textcheck.Line(in.Email, 254, true); id != "" {
		v.Add("email", id)
	} else if !ValidEmail(in.Email) {
		v.Add("email", "validation.email_invalid")
	}
	if id := textcheck.Line(in.Name, 100, true); id != "" {
		v.Add("name", id)
	}
	if !models.Role(in.Role).Valid() {
		v.Add("role", "validation.role_invalid")
	}
	if create || in.Password != "" {
		if id := validatePassword(in.Password); id != "" {
			v.Add("password", id)
		}
	}
	if in.Language != "" && len(in.Language) != 2 {
		v.Add("language", "validation.choice_invalid")
	}
	return v.Err()
}

// CreateAccount validates in and stores a new active account.
func (s *Store) CreateAccount(ctx context.Context, in AccountInput) (*models.Account, error) {
	if err := in.validate(true); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a := &models.Account{
		ID: models.NewID(), Email: in.Email, Name: in.Name, Role: models.Role(in.Role),
		PasswordHash: hash, Language: in.Language, Active: true, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.db.WithContext(ctx).Create(a).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, &apperr.Conflict{MessageID: "account.email_taken"}
		}
		return nil, err
	}
	return a, nil
}

// UpdateAccount changes an account's details; deactivating ends its sessions.
func (s *Store) UpdateAccount(ctx context.Context, id string, in AccountInput) (*models.Account, error) {
	if err := in.validate(false); err != nil {
		return nil, err
	}
	a, err := s.Account(ctx, id)
	if err != nil {
		return nil, err
	}
	updates := map[string]any{"email": in.Email, "name": in.Name, "role": in.Role, "language": in.Language, "active": in.Active, "updated_at": s.now()}
	if in.Password != "" {
		if updates["password_hash"], err = HashPassword(in.Password); err != nil {
			return nil, err
		}
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&models.Account{}).Where("id = ?", id).Updates(updates).Error; err != nil {
			return err
		}
		if !in.Active || in.Password != "" {
			return tx.Where("account_id = ?", id).Delete(&models.Session{}).Error
		}
		return nil
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil, &apperr.Conflict{MessageID: "account.email_taken"}
	}
	if err != nil {
		return nil, err
	}
	return s.Account(ctx, a.ID)
}

// Account finds an account by id.
func (s *Store) Account(ctx context.Context, id string) (*models.Account, error) {
	var a models.Account
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.ErrNotFound
	}
	return &a, err
}

// AccountByEmail finds an account by its address.
func (s *Store) AccountByEmail(ctx context.Context, email string) (*models.Account, error) {
	var a models.Account
	err := s.db.WithContext(ctx).Where("email = ?", NormalizeEmail(email)).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.ErrNotFound
	}
	return &a, err
}

// Accounts lists every account, active ones first, by name.
func (s *Store) Accounts(ctx context.Context) ([]models.Account, error) {
	var as []models.Account
	err := s.db.WithContext(ctx).Order("active DESC, name, email").Find(&as).Error
	return as, err
}

// ChangePassword sets a new password after checking the current one and
// ends the account's other sessions.
func (s *Store) ChangePassword(ctx context.Context, id, current, next, keepSession string) error {
	a, err := s.Account(ctx, id)
	if err != nil {
		return err
	}
	if !CheckPassword(current, a.PasswordHash) {
		return apperr.Invalid("current_password", "account.password_wrong")
	}
	if msg := validatePassword(next); msg != "" {
		return apperr.Invalid("new_password", msg)
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&models.Account{}).Where("id = ?", id).Updates(map[string]any{"password_hash": hash, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		return tx.Where("account_id = ? AND id <> ?", id, keepSession).Delete(&models.Session{}).Error
	})
}

// ValidEmail accepts a plain address (no display name) whose domain has a dot.
func ValidEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e {
		return false
	}
	at := strings.LastIndexByte(e, '@')
	return at > 0 && strings.Contains(e[at+1:], ".") && !strings.HasSuffix(e, ".")
}
