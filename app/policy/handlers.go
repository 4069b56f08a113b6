package policy

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// RefOption is something staff may cite as evidence, with the ref to copy
// into a decision: a survey question or option, a town hall, a
// consultation.
type RefOption struct {
	Kind  string // one of Kinds
	Ref   string
	Label string // in the page's language
	// Group is what the ref belongs to (a survey's title); town halls and
	// consultations have none.
	Group string
}

// RefLister lists what staff may cite, in lang. The web package builds it
// from the surveys, town halls and consultations, so that this package
// does not read their tables.
type RefLister func(ctx context.Context, lang string) ([]RefOption, error)

// Handlers serves the channel policy pages and API.
type Handlers struct {
	store   *Store
	render  *page.Renderer
	zone    *time.Location
	baseURL string
	refs    RefLister
}

// NewHandlers returns the channel policy handlers.
func NewHandlers(store *Store, render *page.Renderer, zone *time.Location, baseURL string) *Handlers {
	return &Handlers{store: store, render: render, zone: zone, baseURL: baseURL}
}

// WithRefOptions lets the decision form list what staff may cite.
func (h *Handlers) WithRefOptions(f RefLister) *Handlers { h.refs = f; return h }

// The JSON API of the writing side: policies, decisions, publication and
// the working calendar (staff only; app/web checks the role).

// staffPolicyJSON is a policy as the API returns it to staff.
type staffPolicyJSON struct {
	ID          string      `json:"id"`
	Title       models.Text `json:"title"`
	Intro       models.Text `json:"intro"`
	Period      string      `json:"period"`
	Threshold   float64     `json:"threshold"`
	Version     int         `json:"version"`
	PublishedAt *time.Time  `json:"published_at"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
	URL         string      `json:"url"`
}

func (h *Handlers) staffPolicyOut(p *models.Policy) staffPolicyJSON {
	out := staffPolicyJSON{ID: p.ID, Title: orEmpty(p.Title), Intro: orEmpty(p.Intro), Period: p.PeriodFrom + "/" + p.PeriodTo,
		Threshold: p.Threshold, Version: p.Version, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
		URL: h.baseURL + "/policies/" + p.ID}
	if p.PublishedAt != nil {
		t := p.PublishedAt.UTC()
		out.PublishedAt = &t
	}
	return out
}

// staffDecisionJSON is a decision as the API returns it to staff.
type staffDecisionJSON struct {
	ID                  string          `json:"id"`
	PolicyID            string          `json:"policy_id"`
	Position            int             `json:"position"`
	Channel             string          `json:"channel"`
	ChannelName         models.Text     `json:"channel_name"`
	Purposes            []string        `json:"purposes"`
	Handling            string          `json:"handling"`
	RoutedTo            models.Text     `json:"routed_to"`
	ResponseTargetHours *float64        `json:"response_target_hours"`
	ResponseTargetDays  *float64        `json:"response_target_days"`
	Hours               models.Text     `json:"hours"`
	Owner               string          `json:"owner"`
	Tone                models.Text     `json:"tone"`
	Text                models.Text     `json:"text"`
	Evidence            []EvidenceInput `json:"evidence"`
	UpdatedAt           time.Time       `json:"updated_at"`
}

func staffDecisionOut(d *models.PolicyDecision, ev []EvidenceInput) staffDecisionJSON {
	if ev == nil {
		ev = []EvidenceInput{}
	}
	purposes := []string(d.Purposes)
	if purposes == nil {
		purposes = []string{}
	}
	out := staffDecisionJSON{ID: d.ID, PolicyID: d.PolicyID, Position: d.Position, Channel: d.Channel, ChannelName: orEmpty(d.ChannelName),
		Purposes: purposes, Handling: d.Handling, RoutedTo: orEmpty(d.RoutedTo),
		Hours: orEmpty(d.StaffedHours), Owner: d.Owner, Tone: orEmpty(d.Tone), Text: orEmpty(d.Text), Evidence: ev, UpdatedAt: d.UpdatedAt.UTC()}
	if pr := decisionPromise(d); pr.Set() {
		v := pr.Value
		if pr.Days() {
			out.ResponseTargetDays = &v
		} else {
			out.ResponseTargetHours = &v
		}
	}
	return out
}

// APICreate starts a draft policy: {title, intro?, period, threshold?}.
func (h *Handlers) APICreate(c *fiber.Ctx) error {
	var in PolicyInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	p, err := h.store.CreatePolicy(c.UserContext(), in, staffAccountID(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(h.staffPolicyOut(p))
}

// APIUpdate changes a policy's title, introduction, period and threshold.
func (h *Handlers) APIUpdate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, err := h.store.Policy(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	var in PolicyInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	if err := h.store.UpdatePolicy(ctx, p.ID, in); err != nil {
		return err
	}
	if p, err = h.store.Policy(ctx, p.ID); err != nil {
		return err
	}
	return c.JSON(h.staffPolicyOut(p))
}

// APISaveDecision adds a decision (201) or replaces the policy's decision
// for the same channel (200).
func (h *Handlers) APISaveDecision(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, err := h.store.Policy(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	var in DecisionInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	existed, err := h.hasChannel(ctx, p.ID, in.Channel)
	if err != nil {
		return err
	}
	d, err := h.store.SaveDecision(ctx, p.ID, in)
	if err != nil {
		return err
	}
	status := fiber.StatusCreated
	if existed {
		status = fiber.StatusOK
	}
	ev := make([]EvidenceInput, len(in.Evidence))
	for i, e := range in.Evidence {
		ev[i] = EvidenceInput{Kind: e.Kind, Ref: strings.TrimSpace(e.Ref)}
	}
	return c.Status(status).JSON(staffDecisionOut(d, ev))
}

// hasChannel tells whether the policy has a decision for channel.
func (h *Handlers) hasChannel(ctx context.Context, policyID, channel string) (bool, error) {
	ds, err := h.store.Decisions(ctx, policyID)
	if err != nil {
		return false, err
	}
	for _, d := range ds {
		if d.Channel == strings.TrimSpace(channel) {
			return true, nil
		}
	}
	return false, nil
}

// APIDeleteDecision removes a decision (204).
func (h *Handlers) APIDeleteDecision(c *fiber.Ctx) error {
	if err := h.store.DeleteDecision(c.UserContext(), c.Params("id"), c.Params("did")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// APIPublish publishes the policy's decisions as a new version.
func (h *Handlers) APIPublish(c *fiber.Ctx) error {
	id := c.Params("id")
	snap, err := h.store.Publish(c.UserContext(), id, staffAccountID(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"version": snap.Version, "published_at": snap.PublishedAt.UTC(),
		"url": h.baseURL + "/policies/" + id + "?version=" + strconv.Itoa(snap.Version)})
}

// calendarJSON is the working calendar as the API shows it.
type calendarJSON struct {
	Weekdays []int         `json:"weekdays"`
	Opens    string        `json:"opens"`
	Closes   string        `json:"closes"`
	DayHours float64       `json:"day_hours"`
	TimeZone string        `json:"time_zone"`
	Holidays []holidayJSON `json:"holidays"`
}

type holidayJSON struct {
	Day  string `json:"day"`
	Name string `json:"name"`
}

func (h *Handlers) calendarOut(ctx context.Context) (*calendarJSON, error) {
	cal, err := h.store.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	days, err := h.store.Holidays(ctx)
	if err != nil {
		return nil, err
	}
	out := &calendarJSON{Weekdays: isoWeekdays(cal), Opens: calClock(cal.Opens), Closes: calClock(cal.Closes), DayHours: cal.DayHours(),
		TimeZone: h.zone.String(), Holidays: make([]holidayJSON, len(days))}
	for i, d := range days {
		out.Holidays[i] = holidayJSON{Day: d.Day, Name: d.Name}
	}
	return out, nil
}

// APICalendar returns the working calendar.
func (h *Handlers) APICalendar(c *fiber.Ctx) error {
	out, err := h.calendarOut(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// APISaveCalendar replaces the working calendar:
// {weekdays:[1..7], opens:"08:00", closes:"16:00", holidays:[{day, name}]}.
func (h *Handlers) APISaveCalendar(c *fiber.Ctx) error {
	var in CalendarInput
	if err := page.BindJSON(c, &in); err != nil {
		return err
	}
	if err := h.store.SaveCalendar(c.UserContext(), in); err != nil {
		return err
	}
	return h.APICalendar(c)
}

// staffAccountID is the signed-in account's id, if any.
func staffAccountID(c *fiber.Ctx) *string {
	if a := page.Account(c); a != nil {
		id := a.ID
		return &id
	}
	return nil
}
