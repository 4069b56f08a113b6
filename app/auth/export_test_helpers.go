package auth

import "context"

// RecordFailureForTest counts one failed login for email, as a wrong
// password would, without the slow-down a real attempt waits for.
func (s *Store) RecordFailureForTest(email string) error {
	return s.recordFailure(context.Background(), "email:"+NormalizeEmail(email), emailRule)
}
