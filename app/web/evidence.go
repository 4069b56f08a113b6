package web

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/app/results"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/models"
)

// The channel policy cites figures of other features and measures its
// answer-time promises on the platform's own channels. The features do
// not know each other; this file joins them through small named functions.

// evidence resolves a cited figure (policy.Resolver): a survey option's
// share, a survey question's distribution, a town hall's or a
// consultation's figures, now, labelled in lang.
func (s *Server) evidence(ctx context.Context, kind, ref, lang string) (*policy.Figure, error) {
	switch kind {
	case policy.KindSurveyOption:
		parts := strings.Split(ref, ":")
		if len(parts) != 3 {
			return nil, apperr.ErrNotFound
		}
		return s.surveyFigure(ctx, kind, ref, parts[0], parts[1], parts[2], lang)
	case policy.KindSurveyQuestion:
		parts := strings.Split(ref, ":")
		if len(parts) != 2 {
			return nil, apperr.ErrNotFound
		}
		return s.surveyFigure(ctx, kind, ref, parts[0], parts[1], "", lang)
	case policy.KindTownHall:
		return s.townHallFigure(ctx, ref, lang)
	case policy.KindConsultation:
		return s.consultationFigure(ctx, ref, lang)
	}
	return nil, apperr.ErrNotFound
}

// citedSurvey is a cited survey with its results, computed once per
// request or publication (policy.Memo) however many refs and languages
// cite it.
type citedSurvey struct {
	sv  *models.Survey
	def surveys.Definition
	r   *results.Results
}

type citedSurveyKey struct{ id string }

func (s *Server) citedSurvey(ctx context.Context, id string) (*citedSurvey, error) {
	v, err := policy.MemoFrom(ctx).Do(citedSurveyKey{id}, func() (any, error) {
		sv, err := s.surveys.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		def, err := s.surveys.Definition(sv)
		if err != nil {
			return nil, err
		}
		w, err := s.results.Weighting(ctx, sv.ID)
		if err != nil {
			return nil, err
		}
		r, err := s.results.Compute(ctx, sv, results.Filter{}, w != nil)
		if err != nil {
			return nil, err
		}
		return &citedSurvey{sv: sv, def: def, r: r}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*citedSurvey), nil
}

// surveyFigure is an option's share of those who answered a choice
// question (option ""), or the question's distribution with the most
// chosen option's share as the headline; weighted when the survey has a
// weighting, with Wilson intervals. It is public only when the survey's
// results are (its public results page shows the same figures): a draft
// survey, or one whose results are not published, gives a figure marked
// NotPublic, which cannot be cited.
func (s *Server) surveyFigure(ctx context.Context, kind, ref, surveyID, key, option, lang string) (*policy.Figure, error) {
	if surveyID == "" || key == "" {
		return nil, apperr.ErrNotFound
	}
	cs, err := s.citedSurvey(ctx, surveyID)
	if err != nil {
		return nil, err
	}
	sv, def, r := cs.sv, cs.def, cs.r
	q, ok := def.Question(key)
	if !ok || (q.Type != surveys.Single && q.Type != surveys.Multiple) {
		return nil, apperr.ErrNotFound
	}
	if option != "" && !q.HasOption(option) {
		return nil, apperr.ErrNotFound
	}
	qr, ok := r.QuestionResult(key)
	if !ok {
		return nil, apperr.ErrNotFound
	}
	main := ""
	if langs := surveys.Languages(sv); len(langs) > 0 {
		main = langs[0]
	}
	label := func(k string) string {
		if k == surveys.OtherKey && q.AllowOther {
			return s.bundle.For(lang).T("results.other_option")
		}
		for _, o := range q.Options {
			if o.Key == k {
				return o.Text.In(lang, main)
			}
		}
		return k
	}
	f := &policy.Figure{Kind: kind, Ref: ref, Label: sv.Title.In(lang, main) + " — " + q.Text.In(lang, main)}
	switch {
	case sv.Status == models.SurveyDraft:
		f.NotPublic = policy.NotPublicDraft
	case !sv.PublishResults:
		f.NotPublic = policy.NotPublicResults
	default:
		f.Link = "/surveys/" + sv.ID + "/results"
	}
	best := -1.0
	for _, o := range qr.Options {
		e, weighted := o.Share, false
		if o.WShare != nil {
			e, weighted = *o.WShare, true
		}
		f.Shares = append(f.Shares, policy.Share{Label: label(o.Key), Percent: e.Percent, Low: e.Low, High: e.High})
		headline := o.Key == option || (option == "" && e.Percent > best)
		if headline {
			best = e.Percent
			f.Percent, f.Low, f.High, f.Base, f.Weighted = e.Percent, e.Low, e.High, e.Base, weighted
		}
	}
	if option != "" {
		f.Label += " — " + label(option)
		f.Shares = nil
	}
	if f.Base == 0 {
		// Nobody answered yet: the base is still the question's.
		f.Base = float64(qr.Answered)
	}
	return f, nil
}

// townHallFigure is a town hall's figures, headlined by the share of its
// published questions that were answered.
func (s *Server) townHallFigure(ctx context.Context, id, lang string) (*policy.Figure, error) {
	th, err := s.townhalls.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	st, err := s.townhalls.Stats(ctx, th.ID)
	if err != nil {
		return nil, err
	}
	f := &policy.Figure{Kind: policy.KindTownHall, Ref: id, Label: th.Title.In(lang), Link: "/townhalls/" + th.ID,
		Base: float64(st.Approved), Stats: []policy.Stat{
			{Key: "policy_public.stat_asked", Value: float64(st.Asked)},
			{Key: "policy_public.stat_published", Value: float64(st.Approved)},
			{Key: "policy_public.stat_answered", Value: float64(st.Answered)},
			{Key: "policy_public.stat_participants", Value: float64(st.Participants)},
		}}
	if st.MedianSeconds != nil {
		f.Stats = append(f.Stats, policy.Stat{Key: "policy_public.stat_median_minutes", Value: *st.MedianSeconds / 60})
	}
	if st.Approved > 0 {
		f.Percent = 100 * float64(st.Answered) / float64(st.Approved)
	}
	f.Low, f.High = f.Percent, f.Percent
	return f, nil
}

// consultationFigure is a consultation's figures, headlined by the share
// of its published ideas the city has answered with a status.
func (s *Server) consultationFigure(ctx context.Context, id, lang string) (*policy.Figure, error) {
	c, err := s.ideas.Consultation(ctx, id)
	if err != nil {
		return nil, err
	}
	st, err := s.ideas.Stats(ctx, c)
	if err != nil {
		return nil, err
	}
	answered := st.Ideas - st.ByStatus[models.IdeaNoStatus]
	f := &policy.Figure{Kind: policy.KindConsultation, Ref: id, Label: c.Title.In(lang), Link: "/consultations/" + c.ID,
		Base: float64(st.Ideas), Stats: []policy.Stat{
			{Key: "policy_public.stat_ideas", Value: float64(st.Ideas)},
			{Key: "policy_public.stat_supports", Value: float64(st.Supports)},
			{Key: "policy_public.stat_comments", Value: float64(st.Comments)},
			{Key: "policy_public.stat_with_status", Value: float64(answered)},
		}}
	if st.Ideas > 0 {
		f.Percent = 100 * float64(answered) / float64(st.Ideas)
	}
	f.Low, f.High = f.Percent, f.Percent
	return f, nil
}

// townHallTimings are the town hall channel's cases: published questions,
// from publication to the first answer.
func (s *Server) townHallTimings(ctx context.Context, from, to time.Time) ([]policy.Timing, error) {
	cases, err := s.townhalls.AnswerCases(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]policy.Timing, len(cases))
	for i, c := range cases {
		out[i] = policy.Timing{ID: c.ID, Label: c.Text, Link: "/townhalls/" + c.TownHallID + "#q-" + c.ID, Start: c.Published, End: c.Answered}
	}
	return out, nil
}

// ideaTimings are the ideas channel's cases: published ideas, from
// submission to the city's first status.
func (s *Server) ideaTimings(ctx context.Context, from, to time.Time) ([]policy.Timing, error) {
	cases, err := s.ideas.StatusCases(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]policy.Timing, len(cases))
	for i, c := range cases {
		out[i] = policy.Timing{ID: c.ID, Label: c.Title, Link: "/ideas/" + c.ID, Start: c.Submitted, End: c.FirstStatus}
	}
	return out, nil
}

// importTooLarge sends a CSV upload larger than a request may be back to
// the measurements page, which then says so in the page's language: the
// server refuses such a body before any handler or middleware runs, so
// the staff form cannot show it itself. The API still answers 413.
func importTooLarge(next fiber.ErrorHandler) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		if errors.Is(err, fiber.ErrRequestEntityTooLarge) && c.Method() == fiber.MethodPost && c.Path() == "/staff/measurements/import" {
			to := policy.ImportTooLargePath
			if lang := c.Query("lang"); slices.Contains(config.Languages, lang) {
				to += "&lang=" + lang
			}
			return c.Redirect(to+"#import-heading", fiber.StatusSeeOther)
		}
		return next(c, err)
	}
}
