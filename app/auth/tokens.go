package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/textcheck"
	"github.com/inspraak/inspraak/models"
)

// tokenPrefix makes leaked tokens easy to recognise in logs and scanners.
const tokenPrefix = "isp_"

func hashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a new API token for an account and returns its only
// plain copy; the database keeps a SHA-256 hash (the token is 256 random
// bits, so a fast hash suffices).
func (s *Store) CreateToken(ctx context.Context, accountID, name string) (string, *models.APIToken, error) {
	name = strings.TrimSpace(name)
	if id := textcheck.Line(name, 100, true); id != "" {
		return "", nil, apperr.Invalid("name", id)
	}
	if _, err := s.Account(ctx, accountID); err != nil {
		return "", nil, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	plain := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	t := &models.APIToken{ID: models.NewID(), AccountID: accountID, Name: name, TokenHash: hashToken(plain), CreatedAt: s.now()}
	if err := s.db.WithContext(ctx).Create(t).Error; err != nil {
		return "", nil, err
	}
	return plain, t, nil
}

// Tokens lists an account's tokens, newest first.
func (s *Store) Tokens(ctx context.Context, accountID string) ([]models.APIToken, error) {
	var ts []models.APIToken
	err := s.db.WithContext(ctx).Where("account_id = ?", accountID).Order("created_at DESC").Find(&ts).Error
	return ts, err
}

// RevokeToken ends a token of the given account; another account's token
// is not found.
func (s *Store) RevokeToken(ctx context.Context, accountID, tokenID string) error {
	res := s.db.WithContext(ctx).Model(&models.APIToken{}).
		Where("id = ? AND account_id = ? AND revoked_at IS NULL", tokenID, accountID).
		Update("revoked_at", s.now())
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return apperr.ErrNotFound
	}
	return nil
}

// AccountForToken returns the active account a bearer token belongs to, or
// apperr.ErrUnauthorized.
func (s *Store) AccountForToken(ctx context.Context, plain string) (*models.Account, error) {
	if !strings.HasPrefix(plain, tokenPrefix) || len(plain) > 100 {
		return nil, apperr.ErrUnauthorized
	}
	var t models.APIToken
	err := s.db.WithContext(ctx).Where("token_hash = ? AND revoked_at IS NULL", hashToken(plain)).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	a, err := s.Account(ctx, t.AccountID)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return nil, err // the database failed (e.g. REQUEST_TIMEOUT passed): not the caller's fault
	}
	if err != nil || !a.Active {
		return nil, apperr.ErrUnauthorized
	}
	// Record use at most once a minute so a busy integration does not write per request.
	now := s.now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		s.db.WithContext(ctx).Model(&models.APIToken{}).Where("id = ?", t.ID).Update("last_used_at", now)
	}
	return a, nil
}
