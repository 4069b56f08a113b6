package auth

import (
	"context"
	"errors"
	"time"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/models"
)

// ErrBadCredentials is the one answer for an unknown email, a wrong
// password and a deactivated account, so none can be told apart.
var ErrBadCredentials = errors.New("bad credentials")

// Authenticate checks an email and password from clientIP. It returns
// ErrBadCredentials or apperr.ErrRateLimited; repeated failures are slowed
// down and then locked per email and per address.
func (s *Store) Authenticate(ctx context.Context, email, password, clientIP string) (*models.Account, error) {
	email = NormalizeEmail(email)
	keys := []struct {
		key  string
		rule throttleRule
	}{{"email:" + email, emailRule}, {"ip:" + clientIP, ipRule}}
	var delay time.Duration
	for _, k := range keys {
		locked, d, err := s.throttleState(ctx, k.key, k.rule)
		if err != nil {
			return nil, err
		}
		if locked {
			return nil, apperr.ErrRateLimited
		}
		delay = max(delay, d)
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	a, err := s.AccountByEmail(ctx, email)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return nil, err
	}
	hash := dummyHash
	if a != nil {
		hash = a.PasswordHash
	}
	if !CheckPassword(password, hash) || a == nil || !a.Active {
		for _, k := range keys {
			if err := s.recordFailure(ctx, k.key, k.rule); err != nil {
				return nil, err
			}
		}
		return nil, ErrBadCredentials
	}
	if err := s.clearThrottle(ctx, keys[0].key); err != nil {
		return nil, err
	}
	now := s.now()
	a.LastLoginAt = &now
	if err := s.db.WithContext(ctx).Model(&models.Account{}).Where("id = ?", a.ID).Update("last_login_at", now).Error; err != nil {
		return nil, err
	}
	return a, nil
}
