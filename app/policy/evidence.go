package policy

import (
	"context"
	"math"
)

// Evidence kinds and their refs.
const (
	KindSurveyOption   = "survey_option"   // "{survey id}:{question key}:{option key}"
	KindSurveyQuestion = "survey_question" // "{survey id}:{question key}"
	KindTownHall       = "townhall"        // "{town hall id}"
	KindConsultation   = "consultation"    // "{consultation id}"
)

// Kinds lists the evidence kinds.
var Kinds = []string{KindSurveyOption, KindSurveyQuestion, KindTownHall, KindConsultation}

// Figure is a cited figure as it stands now, in one language.
type Figure struct {
	Kind, Ref string
	// Label says what the figure is (the survey, question and option; the
	// town hall; the consultation).
	Label string
	// Link is the public page behind the figure ("" when it is not public).
	Link string
	// Percent is the headline share, 0..100, with its 95% interval and
	// base: an option's share of those who answered (weighted when the
	// survey has weights, Base then the effective sample size); for a
	// question the share of its most chosen option; for a town hall the
	// share of published questions answered; for a consultation the share
	// of ideas the city has answered with a status. Changes are measured on
	// it.
	Percent, Low, High, Base float64
	Weighted                 bool
	// Shares is a question's distribution.
	Shares []Share
	// Stats are a town hall's or consultation's counts (message ids as keys).
	Stats []Stat
	// NotPublic says why the public may not see the figure ("" when it
	// may): NotPublicDraft, NotPublicResults. Such a figure cannot be cited,
	// and a published version that cites it shows it as published.
	NotPublic string
}

// Why a figure is not public.
const (
	NotPublicDraft   = "draft"   // the survey is a draft
	NotPublicResults = "results" // the survey's results are not published
)

// notPublicMessage is the message id that refuses to cite a figure that
// is not public.
func notPublicMessage(why string) string {
	if why == NotPublicDraft {
		return "policy.evidence_draft"
	}
	return "policy.evidence_not_public"
}

// Share is one option of a question's distribution.
type Share struct {
	Label              string
	Percent, Low, High float64
}

// Stat is one named figure; Key is a message id.
type Stat struct {
	Key   string
	Value float64
}

// Resolver finds a figure; it returns apperr.ErrNotFound (or a Missing)
// when the ref names nothing.
type Resolver func(ctx context.Context, kind, ref, lang string) (*Figure, error)

// Moved tells whether a figure has moved more than threshold points from
// the baseline: the figure the latest published version shows.
func Moved(baseline *float64, now *Figure, threshold float64) bool {
	return baseline != nil && now != nil && math.Abs(now.Percent-*baseline) > threshold
}
