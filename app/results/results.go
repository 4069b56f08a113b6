// Package results turns a survey's responses into figures staff can trust
// and show: counts and percentages with margins of error, filters and
// cross-tabs, weighting to population margins, exports and reports. All
// counting is done by the database; Go only shapes the figures.
package results

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/web/page"
)

// Store computes results from the database.
type Store struct {
	db       *gorm.DB
	surveys  *surveys.Store
	weighers sync.Map // survey id -> cachedWeigher
	foldAt   int      // new responses that are added to the running totals
	slots    chan struct{}
}

// WithConcurrency lets at most n computations read at once (n < 1: no
// limit). The others wait for a slot as long as their context allows.
func (s *Store) WithConcurrency(n int) *Store {
	if n > 0 {
		s.slots = make(chan struct{}, n)
	}
	return s
}

// NewStore returns a Store on db; sv reads surveys and their definitions.
func NewStore(db *gorm.DB, sv *surveys.Store) *Store {
	return &Store{db: db, surveys: sv, foldAt: defaultFoldAt}
}

// read runs fn's queries in one read-only transaction. On PostgreSQL its
// statements share one snapshot (running totals and the responses not yet
// in them must agree), the aggregation gets room to hash in memory
// (work_mem) instead of sorting on disk, and JIT compilation is off: for
// these queries it costs more (over 100 ms) than it saves.
func (s *Store) read(ctx context.Context, fn func(db *gorm.DB) error) error {
	if s.slots != nil {
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	db := s.db.WithContext(ctx)
	if db.Dialector.Name() != "postgres" {
		return fn(db)
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").Error; err != nil {
			return err
		}
		if err := tx.Exec("SET LOCAL work_mem = '64MB'").Error; err != nil {
			return err
		}
		if err := tx.Exec("SET LOCAL jit = off").Error; err != nil {
			return err
		}
		return fn(tx)
	})
}

// Handlers serves the results pages, exports and API.
type Handlers struct {
	store   *Store
	render  *page.Renderer
	zone    *time.Location
	profile Profiles
}

// Profiles tells results about the profile fields stored on a survey's
// responses, from the panels that invited to it: their names in a
// language, and the panels' target margins (percent per value), which
// the weighting form offers as population shares. The panels feature
// implements it; without it, keys are shown and nothing is offered.
type Profiles interface {
	ProfileLabels(ctx context.Context, surveyID, lang string) (fields map[string]string, values map[string]map[string]string, err error)
	ProfileTargets(ctx context.Context, surveyID string) (map[string]map[string]float64, error)
}

// NewHandlers returns the results handlers.
func NewHandlers(store *Store, render *page.Renderer, zone *time.Location) *Handlers {
	return &Handlers{store: store, render: render, zone: zone}
}

// WithProfiles names profile fields and offers panel targets through pl.
func (h *Handlers) WithProfiles(pl Profiles) *Handlers {
	h.profile = pl
	return h
}

// profileLabels returns functions naming a survey's profile fields and
// values in lang, falling back to their keys.
func (h *Handlers) profileLabels(ctx context.Context, surveyID, lang string) (field func(string) string, value func(f, v string) string, err error) {
	var fields map[string]string
	var values map[string]map[string]string
	if h.profile != nil {
		if fields, values, err = h.profile.ProfileLabels(ctx, surveyID, lang); err != nil {
			return nil, nil, err
		}
	}
	field = func(f string) string {
		if l := fields[f]; l != "" {
			return l
		}
		return f
	}
	value = func(f, v string) string {
		if l := values[f][v]; l != "" {
			return l
		}
		return v
	}
	return field, value, nil
}
