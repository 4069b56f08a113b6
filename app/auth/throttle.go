package auth

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/inspraak/inspraak/models"
)

// A throttle rule: after SlowAfter failures within Window each attempt is
// delayed; after LockAfter the key is locked for LockFor.
type throttleRule struct {
	SlowAfter, LockAfter int
	Window, LockFor      time.Duration
}

// An email gets few tries; an address more, since a town hall or an office
// shares one address behind NAT.
var (
	emailRule = throttleRule{SlowAfter: 3, LockAfter: 10, Window: 15 * time.Minute, LockFor: 15 * time.Minute}
	ipRule    = throttleRule{SlowAfter: 20, LockAfter: 100, Window: 15 * time.Minute, LockFor: 15 * time.Minute}
)

// throttleState says whether a login may proceed and how long to stall it.
func (s *Store) throttleState(ctx context.Context, key string, rule throttleRule) (locked bool, delay time.Duration, err error) {
	var t models.LoginThrottle
	err = s.db.WithContext(ctx).Where("key = ?", key).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	now := s.now()
	if t.LockedUntil != nil && t.LockedUntil.After(now) {
		return true, 0, nil
	}
	if now.Sub(t.FirstFailureAt) > rule.Window {
		return false, 0, nil
	}
	if over := t.Failures - rule.SlowAfter; over >= 0 {
		delay = time.Duration(1<<min(over, 3)) * time.Second // 1, 2, 4, 8 s
	}
	return false, delay, nil
}

// recordFailure counts one failed login for key, locking it at the limit.
func (s *Store) recordFailure(ctx context.Context, key string, rule throttleRule) error {
	now := s.now()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.LoginThrottle{Key: key, FirstFailureAt: now}).Error
		if err != nil {
			return err
		}
		var t models.LoginThrottle
		if err := tx.Where("key = ?", key).Take(&t).Error; err != nil {
			return err
		}
		if now.Sub(t.FirstFailureAt) > rule.Window {
			t.Failures, t.FirstFailureAt, t.LockedUntil = 0, now, nil
		}
		t.Failures++
		if t.Failures >= rule.LockAfter {
			until := now.Add(rule.LockFor)
			t.LockedUntil = &until
		}
		return tx.Model(&models.LoginThrottle{}).Where("key = ?", key).
			Updates(map[string]any{"failures": t.Failures, "first_failure_at": t.FirstFailureAt, "locked_until": t.LockedUntil}).Error
	})
}

func (s *Store) clearThrottle(ctx context.Context, key string) error {
	return s.db.WithContext(ctx).Where("key = ?", key).Delete(&models.LoginThrottle{}).Error
}
