// Package results turns a survey's responses into figures staff can trust
// and show: counts and percentages with margins of error, filters and
// cross-tabs, weighting to population margins, exports and reports. All
// counting is done by the database; Go only shapes the figures.
package results

import (
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/web/page"
)

// Store computes results from the database.
type Store struct {
	db      *gorm.DB
	surveys *surveys.Store
}

// NewStore returns a Store on db; sv reads surveys and their definitions.
func NewStore(db *gorm.DB, sv *surveys.Store) *Store {
	return &Store{db: db, surveys: sv}
}

// Handlers serves the results pages, exports and API.
type Handlers struct {
	store  *Store
	render *page.Renderer
	zone   *time.Location
}

// NewHandlers returns the results handlers.
func NewHandlers(store *Store, render *page.Renderer, zone *time.Location) *Handlers {
	return &Handlers{store: store, render: render, zone: zone}
}
