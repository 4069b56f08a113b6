package models

import "time"

// Role is what an account may do.
type Role string

// The roles of staff-side accounts. Citizens have no role: they take part
// as anonymous participants or through light citizen accounts.
const (
	RoleAdmin      Role = "admin"
	RoleStaff      Role = "staff"
	RoleModerator  Role = "moderator"
	RolePolitician Role = "politician"
)

// Roles lists every role in the order pages show them.
var Roles = []Role{RoleAdmin, RoleStaff, RoleModerator, RolePolitician}

// Valid tells whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if k == r {
			return true
		}
	}
	return false
}

// Account is a person working on the platform: staff, moderator, politician
// or admin.
type Account struct {
	ID           string `gorm:"primaryKey"`
	Email        string
	Name         string
	Role         Role
	PasswordHash string `json:"-"`
	Language     string
	Active       bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  *time.Time
}

// APIToken lets an integrator act as an account. Only the token's hash is kept.
type APIToken struct {
	ID         string `gorm:"primaryKey"`
	AccountID  string
	Name       string
	TokenHash  string `json:"-"`
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Session is a server-side session; the browser holds only its signed id.
type Session struct {
	ID        string `gorm:"primaryKey"`
	Data      string
	AccountID *string
	CitizenID *string
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
}

// LoginThrottle counts failed logins for one email or client address.
type LoginThrottle struct {
	Key            string `gorm:"primaryKey"`
	Failures       int
	FirstFailureAt time.Time
	LockedUntil    *time.Time
}

// IsAdmin tells whether the account administers the platform.
func (a *Account) IsAdmin() bool { return a != nil && a.Role == RoleAdmin }
