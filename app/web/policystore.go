package web

import (
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/app/results"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/townhall"
)

// wirePolicy connects the channel policy store to the other features:
// cited figures come from surveys, town halls and consultations (see
// evidence.go), and promises on the town hall and ideas channels are
// measured on the platform's own cases.
func (s *Server) wirePolicy(st *policy.Store) *policy.Store {
	return st.WithEvidence(s.evidence).
		WithTimings(policy.ChannelTownHall, s.townHallTimings).
		WithTimings(policy.ChannelIdeas, s.ideaTimings)
}

// PolicyDeps are what the channel policy store reads from the features it
// cites and measures.
type PolicyDeps struct {
	DB        *gorm.DB
	Zone      *time.Location
	Now       func() time.Time // nil: time.Now
	Bundle    *i18n.Bundle     // labels figures (e.g. "Other")
	Surveys   *surveys.Store
	Results   *results.Store
	TownHalls *townhall.Store
	Ideas     *ideas.Store
}

// NewPolicyStore is the channel policy store wired as the server wires
// it, outside a server: the demo loader publishes its policy through it,
// so the baselines it records are the figures the pages show.
func NewPolicyStore(d PolicyDeps) *policy.Store {
	// The resolvers in evidence.go read only these fields of the Server.
	j := &Server{bundle: d.Bundle, surveys: d.Surveys, results: d.Results, townhalls: d.TownHalls, ideas: d.Ideas}
	return j.wirePolicy(policy.NewStore(d.DB, d.Zone, d.Now))
}
