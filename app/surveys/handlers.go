package surveys

import (
	"time"

	"github.com/inspraak/inspraak/app/web/page"
)

// Handlers serves the survey pages and API.
type Handlers struct {
	store   *Store
	render  *page.Renderer
	baseURL string
	zone    *time.Location
	now     func() time.Time
	invites Invitations
}

// NewHandlers returns the survey handlers.
func NewHandlers(store *Store, render *page.Renderer, baseURL string, zone *time.Location) *Handlers {
	return &Handlers{store: store, render: render, baseURL: baseURL, zone: zone, now: func() time.Time { return time.Now().UTC() }}
}
