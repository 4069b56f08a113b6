package results

import (
	"math"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// isStaff tells whether the caller may see any survey's results.
func isStaff(c *fiber.Ctx) bool {
	a := page.Account(c)
	return a != nil && (a.Role == models.RoleStaff || a.Role == models.RoleAdmin)
}

// Figures round to what a survey can claim: percentages to 0.01 points.
func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

type optionJSON struct {
	Key         string   `json:"key"`
	Count       int64    `json:"count"`
	Percent     float64  `json:"percent"`
	CILow       float64  `json:"ci_low"`
	CIHigh      float64  `json:"ci_high"`
	Unweighted  *float64 `json:"unweighted_percent,omitempty"`
	MeanRank    *float64 `json:"mean_rank,omitempty"`
	FirstChoice *float64 `json:"first_choice_percent,omitempty"`
}

type rowJSON struct {
	Key      string       `json:"key"`
	Answered int64        `json:"answered"`
	Options  []optionJSON `json:"options"`
}

type questionJSON struct {
	Key              string       `json:"key"`
	Type             string       `json:"type"`
	Answered         int64        `json:"answered"`
	EffectiveN       *float64     `json:"effective_n,omitempty"`
	Options          []optionJSON `json:"options,omitempty"`
	Rows             []rowJSON    `json:"rows,omitempty"`
	Mean             *float64     `json:"mean,omitempty"`
	Median           *float64     `json:"median,omitempty"`
	Min              *float64     `json:"min,omitempty"`
	Max              *float64     `json:"max,omitempty"`
	UnweightedMean   *float64     `json:"unweighted_mean,omitempty"`
	TextAnswersCount *int64       `json:"text_answers_count,omitempty"`
}

type resultsJSON struct {
	SurveyID   string         `json:"survey_id"`
	Responses  int64          `json:"responses"`
	Weighted   bool           `json:"weighted"`
	EffectiveN *float64       `json:"effective_n,omitempty"`
	Weighting  *weighterJSON  `json:"weighting,omitempty"`
	Filter     filterJSON     `json:"filter"`
	Questions  []questionJSON `json:"questions"`
	Computed   time.Time      `json:"computed_at"`
}

type filterJSON struct {
	Channel  string   `json:"channel,omitempty"`
	From     string   `json:"from,omitempty"`
	To       string   `json:"to,omitempty"`
	Segments []string `json:"segments,omitempty"`
}

type weighterJSON struct {
	Variables  []Variable `json:"variables"`
	Cap        float64    `json:"cap"`
	Converged  bool       `json:"converged"`
	Iterations int        `json:"iterations"`
	MaxGap     float64    `json:"max_gap_points"`
	MinWeight  float64    `json:"min_weight"`
	MaxWeight  float64    `json:"max_weight"`
	EffectiveN float64    `json:"effective_n"`
	Responses  int64      `json:"responses"`
	Warnings   []string   `json:"warnings,omitempty"`
}

func ptr[T any](v T) *T { return &v }

// optionOut turns an estimate into JSON; weighted results give the weighted
// share with its interval, and the unweighted share beside it.
func optionOut(key string, e Estimate, w *Estimate) optionJSON {
	o := optionJSON{Key: key, Count: e.Count, Percent: round(e.Percent, 2), CILow: round(e.Low, 2), CIHigh: round(e.High, 2)}
	if w != nil {
		o.Unweighted = ptr(o.Percent)
		o.Percent, o.CILow, o.CIHigh = round(w.Percent, 2), round(w.Low, 2), round(w.High, 2)
	}
	return o
}

// toJSON shapes results as API.md describes them.
func (r *Results) toJSON(l interface{ T(string, ...any) string }) resultsJSON {
	out := resultsJSON{SurveyID: r.Survey.ID, Responses: r.Responses, Weighted: r.Weighted, Computed: time.Now().UTC(),
		Filter: filterJSON{Channel: r.Filter.Channel, From: r.Filter.From, To: r.Filter.To, Segments: r.Filter.Segments()}}
	if r.Weighted {
		out.EffectiveN = ptr(round(r.Effective, 1))
		out.Weighting = r.Weigher.json(l)
	}
	for _, q := range r.Questions {
		qj := questionJSON{Key: q.Question.Key, Type: q.Question.Type, Answered: q.Answered}
		if r.Weighted {
			qj.EffectiveN = ptr(round(q.Effective, 1))
		}
		for _, o := range q.Options {
			oj := optionOut(o.Key, o.Share, o.WShare)
			if q.Question.Type == surveys.Ranking {
				oj.MeanRank, oj.FirstChoice = ptr(round(o.MeanRank, 3)), ptr(round(o.First.Percent, 2))
				if r.Weighted {
					oj.MeanRank, oj.FirstChoice = ptr(round(o.WMeanRank, 3)), ptr(round(o.WFirst.Percent, 2))
				}
			}
			qj.Options = append(qj.Options, oj)
		}
		for _, row := range q.Rows {
			rj := rowJSON{Key: row.Key, Answered: row.Answered}
			for _, o := range row.Options {
				rj.Options = append(rj.Options, optionOut(o.Key, o.Share, o.WShare))
			}
			qj.Rows = append(qj.Rows, rj)
		}
		if n := q.Numbers; n != nil && n.N > 0 {
			qj.Mean, qj.Median, qj.Min, qj.Max = ptr(round(n.Mean, 3)), ptr(n.Median), ptr(n.Min), ptr(n.Max)
			if r.Weighted {
				qj.UnweightedMean, qj.Mean = qj.Mean, ptr(round(n.WMean, 3))
			}
		}
		if q.Question.Type == surveys.Text || q.Question.Type == surveys.LongText || q.Question.AllowOther {
			qj.TextAnswersCount = ptr(q.Texts)
		}
		out.Questions = append(out.Questions, qj)
	}
	return out
}

// json describes the weights for the API, warnings in the caller's language.
func (w *Weigher) json(l interface{ T(string, ...any) string }) *weighterJSON {
	return &weighterJSON{Variables: w.Variables, Cap: w.Cap, Converged: w.Result.Converged, Iterations: w.Result.Iterations,
		MaxGap: round(100*w.Result.MaxGap, 3), MinWeight: round(w.MinWeight, 4), MaxWeight: round(w.MaxWeight, 4),
		EffectiveN: round(w.Effective, 1), Responses: w.Responses, Warnings: w.Warnings(l)}
}

// APIResults is GET /api/v1/surveys/{id}/results: staff always, anyone
// once the survey publishes its results (404 before, as if it were not
// there).
func (h *Handlers) APIResults(c *fiber.Ctx) error {
	sv, def, err := h.load(c)
	if err != nil {
		return err
	}
	if !isStaff(c) {
		if !sv.PublishResults || sv.Status == models.SurveyDraft {
			return apperr.ErrNotFound
		}
		// The public sees the published figures, not arbitrary cuts.
		q := queryOf(c)
		if q.Channel != "" || q.From != "" || q.To != "" || len(q.Segments) > 0 {
			return apperr.Query(apperr.Invalid("segment", "results.public_no_filters"))
		}
	}
	r, _, err := h.compute(c, sv, def)
	if err != nil {
		return err
	}
	return c.JSON(r.toJSON(page.L(c)))
}

// APIWeighting is GET /api/v1/surveys/{id}/weighting.
func (h *Handlers) APIWeighting(c *fiber.Ctx) error {
	sv, _, err := h.load(c)
	if err != nil {
		return err
	}
	w, err := h.store.Weighting(c.UserContext(), sv.ID)
	if err != nil {
		return err
	}
	if w == nil {
		return apperr.ErrNotFound
	}
	wr, err := h.store.Weigher(c.UserContext(), sv)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"weighting": w, "result": wr.json(page.L(c))})
}

// APISaveWeighting is PUT /api/v1/surveys/{id}/weighting.
func (h *Handlers) APISaveWeighting(c *fiber.Ctx) error {
	sv, _, err := h.load(c)
	if err != nil {
		return err
	}
	var in Weighting
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	if in.Cap == 0 {
		in.Cap = DefaultCap
	}
	a := page.Account(c)
	if err := h.store.SaveWeighting(c.UserContext(), sv, in, &a.ID); err != nil {
		return err
	}
	return h.APIWeighting(c)
}

// APIDeleteWeighting is DELETE /api/v1/surveys/{id}/weighting.
func (h *Handlers) APIDeleteWeighting(c *fiber.Ctx) error {
	sv, _, err := h.load(c)
	if err != nil {
		return err
	}
	if err := h.store.DeleteWeighting(c.UserContext(), sv.ID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
