package web

import "testing"

// TestCitizenRoutesLoggedWithoutIP: the request log leaves out the client
// address on every route where citizens answer, ask, vote or follow, and
// keeps it on staff routes.
func TestCitizenRoutesLoggedWithoutIP(t *testing.T) {
	for _, r := range []string{
		"/surveys/:id", "/surveys/:id/s/:n", "/api/v1/surveys/:id/responses", "/i/:token",
		"/townhalls/:id", "/townhalls/:id.ics", "/townhalls/:id/questions", "/townhalls/:id/questions/:qid/vote",
		"/townhalls/:id/panel/:token", "/townhalls/:id/events",
		"/api/v1/townhalls/:id", "/api/v1/townhalls/:id/questions", "/api/v1/townhalls/:id/events", "/api/v1/questions/:id/votes",
	} {
		if !citizenRoute(r) {
			t.Errorf("%s is logged with the client address", r)
		}
	}
	for _, r := range []string{"/login", "/staff/townhalls/:id", "/moderate/questions/:qid", "/api/v1/questions/:id/moderation",
		"/api/v1/townhalls/:id/moderation", "/api/v1/questions/:id/answers", "/townhalls"} {
		if citizenRoute(r) {
			t.Errorf("%s is logged without the client address", r)
		}
	}
}
