package web

import (
	"context"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// The signed-in start page. Communication staff (and admins) get one
// overview of everything running: surveys, panels, town halls,
// consultations and how the channel policy's promises are kept; every
// role keeps its links.

// dashboardMax caps every list of the overview.
const dashboardMax = 10

// dashboardRecent is how far back panel invitations count for the
// response rate.
const dashboardRecent = 90 * 24 * time.Hour

type dashSurvey struct {
	ID, Title, Responses, Closes string
}

type dashPanel struct {
	ID, Name, Active, Pending, Invited, Rate string
}

type dashTownHall struct {
	ID, Title, When string
	Live            bool
}

type dashConsultation struct {
	ID, Title, Ideas, Supports, Unanswered, Closes string
}

type dashChannel struct {
	Name, Promise, Source, Cases, Share, Median string
	// Below: the share answered within the promise is under the target share.
	Below bool
}

type dashOverdue struct {
	Channel, Label, Link, Deadline, Late string
}

type dashMoved struct {
	PolicyID, Policy, Channel, Label, Link, Baseline, Now, Change string
	// Gone: the cited figure no longer exists.
	Gone bool
}

// dashOverview is what the overview shows; the totals tell when a list
// was cut at dashboardMax.
type dashOverview struct {
	Surveys            []dashSurvey
	SurveysTotal       int64
	SurveysMore        bool
	Panels             []dashPanel
	PanelsTotal        int64
	PanelsMore         bool
	RecentDays         int
	TownHalls          []dashTownHall
	TownHallsMore      bool
	Consultations      []dashConsultation
	ConsultationsTotal int
	ConsultationsMore  bool
	Channels           []dashChannel
	Months             int
	TargetShare        string
	Overdue            []dashOverdue
	OverdueTotal       int
	Moved              []dashMoved
	MovedMore          bool
	Published          int
}

// dashboard is the signed-in start page: links for every role, and for
// communication staff and admins the overview.
func (s *Server) dashboard(c *fiber.Ctx) error {
	a := page.Account(c)
	data := fiber.Map{}
	if a != nil && (a.Role == models.RoleStaff || a.IsAdmin()) {
		ov, err := s.overview(c.UserContext(), page.L(c))
		if err != nil {
			return err
		}
		data["Overview"] = ov
	}
	return s.render.Render(c, fiber.StatusOK, "home/dashboard", data)
}

// overview gathers the staff overview, in l's language.
func (s *Server) overview(ctx context.Context, l *i18n.L) (*dashOverview, error) {
	ov := &dashOverview{RecentDays: int(dashboardRecent / (24 * time.Hour)), Months: policy.LevelMonths,
		TargetShare: l.Percent(policy.DefaultTargetShare)}
	for _, step := range []func(context.Context, *i18n.L, *dashOverview) error{
		s.overviewSurveys, s.overviewPanels, s.overviewTownHalls, s.overviewConsultations, s.overviewPolicy, s.overviewMoved,
	} {
		if err := step(ctx, l, ov); err != nil {
			return nil, err
		}
	}
	return ov, nil
}

// overviewSurveys: the surveys running now with their response counts.
func (s *Server) overviewSurveys(ctx context.Context, l *i18n.L, ov *dashOverview) error {
	list, total, err := s.surveys.Running(ctx, dashboardMax)
	if err != nil {
		return err
	}
	ov.SurveysTotal, ov.SurveysMore = total, total > int64(len(list))
	for _, sv := range list {
		main := surveys.Languages(&sv.Survey)[0]
		row := dashSurvey{ID: sv.ID, Title: sv.Title.In(l.Lang, main), Responses: l.Number(sv.Responses), Closes: "–"}
		if sv.ClosesAt != nil {
			row.Closes = l.DateTime(*sv.ClosesAt)
		}
		ov.Surveys = append(ov.Surveys, row)
	}
	return nil
}

// overviewPanels: each panel's members and the response rate of its
// recent invitations.
func (s *Server) overviewPanels(ctx context.Context, l *i18n.L, ov *dashOverview) error {
	list, total, err := s.panels.PanelHealth(ctx, s.now().Add(-dashboardRecent), dashboardMax)
	if err != nil {
		return err
	}
	ov.PanelsTotal, ov.PanelsMore = total, total > int64(len(list))
	for _, p := range list {
		row := dashPanel{ID: p.ID, Name: p.Name.In(l.Lang), Active: l.Number(p.Active), Pending: l.Number(p.Pending),
			Invited: l.Number(p.Invited), Rate: "–"}
		if p.Invited > 0 {
			row.Rate = l.Percent(p.Rate)
		}
		ov.Panels = append(ov.Panels, row)
	}
	return nil
}

// overviewTownHalls: the town halls live now and coming up.
func (s *Server) overviewTownHalls(ctx context.Context, l *i18n.L, ov *dashOverview) error {
	list, err := s.townhalls.Upcoming(ctx)
	if err != nil {
		return err
	}
	if len(list) > dashboardMax {
		list, ov.TownHallsMore = list[:dashboardMax], true
	}
	now := s.now()
	for _, th := range list {
		row := dashTownHall{ID: th.ID, Title: th.Title.In(l.Lang), Live: th.Phase(now) == models.TownHallLive}
		if row.Live {
			row.When = l.T("dashboard_overview.live_until", "Time", l.DateTime(th.EndsAt))
		} else {
			row.When = l.DateTime(th.StartsAt)
		}
		ov.TownHalls = append(ov.TownHalls, row)
	}
	return nil
}

// overviewConsultations: the consultations open for ideas, with their
// ideas, supports and the ideas still waiting for the city's answer.
func (s *Server) overviewConsultations(ctx context.Context, l *i18n.L, ov *dashOverview) error {
	list, err := s.ideas.OpenConsultations(ctx)
	if err != nil {
		return err
	}
	ov.ConsultationsTotal = len(list)
	if len(list) > dashboardMax {
		list, ov.ConsultationsMore = list[:dashboardMax], true
	}
	for i := range list {
		co := &list[i]
		n, err := s.ideas.Stats(ctx, co) // one grouped query, at most dashboardMax times
		if err != nil {
			return err
		}
		ov.Consultations = append(ov.Consultations, dashConsultation{ID: co.ID, Title: co.Title.In(l.Lang),
			Ideas: l.Number(n.Ideas), Supports: l.Number(n.Supports), Unanswered: l.Number(n.ByStatus[models.IdeaNoStatus]),
			Closes: l.DateTime(co.ClosesAt)})
	}
	return nil
}

// overviewPolicy: how each promise of the published policies was kept
// over the last months, and the cases now past their deadline.
func (s *Server) overviewPolicy(ctx context.Context, l *i18n.L, ov *dashOverview) error {
	promised, err := s.policy.Promised(ctx)
	if err != nil {
		return err
	}
	if len(promised) == 0 {
		return nil
	}
	for _, d := range promised {
		lvl, err := s.policy.ServiceLevel(ctx, d.Channel, d.Promise(), ov.Months)
		if err != nil {
			return err
		}
		row := dashChannel{Name: dashChannelName(l, d.Channel, d.ChannelName), Promise: policy.PromiseText(l, d.Promise()),
			Cases: l.Number(lvl.Cases), Share: "–", Median: "–"}
		if s.policy.Platform(d.Channel) {
			row.Source = l.T("dashboard_overview.source_platform")
		} else {
			row.Source = l.T("dashboard_overview.source_recorded")
		}
		if lvl.WithinPct != nil {
			row.Share, row.Below = l.Percent(*lvl.WithinPct), *lvl.WithinPct < policy.DefaultTargetShare
		}
		if lvl.MedianHours != nil {
			row.Median = l.Number(*lvl.MedianHours)
		}
		ov.Channels = append(ov.Channels, row)
	}
	overdue, err := s.policy.Overdue(ctx, promised)
	if err != nil {
		return err
	}
	ov.OverdueTotal = len(overdue)
	if len(overdue) > dashboardMax {
		overdue = overdue[:dashboardMax]
	}
	names := map[string]models.Text{}
	for _, d := range promised {
		names[d.Channel] = d.ChannelName
	}
	for _, o := range overdue {
		// Past the deadline after closing time is no working hour late yet.
		late := l.T("dashboard_overview.late_under_hour")
		if h := math.Floor(o.HoursLate); h >= 1 {
			late = l.Tn("dashboard_overview.hours_late", int(h))
		}
		ov.Overdue = append(ov.Overdue, dashOverdue{Channel: dashChannelName(l, o.Channel, names[o.Channel]), Label: o.Label, Link: o.Link,
			Deadline: l.DateTime(o.Deadline), Late: late})
	}
	return nil
}

// overviewMoved: the cited figures of the published policies that have
// moved more than their policy's threshold since publication, or are gone.
func (s *Server) overviewMoved(ctx context.Context, l *i18n.L, ov *dashOverview) error {
	pols, err := s.policy.Published(ctx)
	if err != nil {
		return err
	}
	ov.Published = len(pols)
	if len(pols) > dashboardMax {
		pols = pols[:dashboardMax]
	}
	// A figure cited twice is resolved once, a survey cited several times
	// computed once.
	ctx = policy.WithMemo(ctx)
	for _, p := range pols {
		ds, err := s.policy.Decisions(ctx, p.ID)
		if err != nil {
			return err
		}
		for _, d := range ds {
			for _, e := range d.Evidence {
				if e.Baseline == nil {
					continue // cited after the last publication
				}
				f, err := s.policy.Figure(ctx, e.Kind, e.Ref, l.Lang)
				if err != nil && !errors.Is(err, apperr.ErrNotFound) {
					return err
				}
				row := dashMoved{PolicyID: p.ID, Policy: p.Title.In(l.Lang), Channel: dashChannelName(l, d.Channel, d.ChannelName),
					Baseline: l.Percent(*e.Baseline)}
				switch {
				case f == nil:
					row.Gone, row.Label, row.Now = true, l.T("policy.kind_"+e.Kind), "–"
				case policy.Moved(e.Baseline, f, p.Threshold):
					row.Label, row.Link, row.Now = f.Label, f.Link, l.Percent(f.Percent)
					row.Change = l.T("dashboard_overview.points", "Points", dashSigned(l, f.Percent-*e.Baseline))
				default:
					continue
				}
				if len(ov.Moved) == dashboardMax {
					ov.MovedMore = true
					return nil
				}
				ov.Moved = append(ov.Moved, row)
			}
		}
	}
	return nil
}

// dashChannelName names a channel: the name staff gave it, else the
// built-in channel's name.
func dashChannelName(l *i18n.L, channel string, name models.Text) string {
	if n := name.In(l.Lang); n != "" {
		return n
	}
	if policy.Custom(channel) {
		return strings.TrimPrefix(channel, "custom-")
	}
	return l.TOr("policy.channel_"+channel, channel)
}

// dashSigned writes a change in percentage points with its sign.
func dashSigned(l *i18n.L, x float64) string {
	if x > 0 {
		return "+" + l.Number(x)
	}
	if x < 0 {
		return "−" + l.Number(-x)
	}
	return l.Number(x)
}
