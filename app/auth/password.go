package auth

import (
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
)

// Argon2id at OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane).
var passwordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Password length limits: long enough to resist guessing, short enough that
// hashing cannot be abused to burn CPU.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// HashPassword returns the PHC-encoded argon2id hash of pw.
func HashPassword(pw string) (string, error) {
	return argon2id.CreateHash(pw, passwordParams)
}

// CheckPassword compares pw with an encoded hash in constant time.
func CheckPassword(pw, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	return err == nil && ok
}

// validatePassword returns a message id when pw is unacceptable.
func validatePassword(pw string) string {
	switch n := utf8.RuneCountInString(pw); {
	case !utf8.ValidString(pw):
		return "validation.invalid_text"
	case n < MinPasswordLen:
		return "validation.password_short"
	case n > MaxPasswordLen:
		return "validation.too_long"
	}
	return ""
}

// dummyHash is compared against when the email is unknown so that a wrong
// email and a wrong password take the same time.
var dummyHash, _ = HashPassword("inspraak-timing-equaliser")
