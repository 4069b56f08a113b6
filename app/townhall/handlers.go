package townhall

import (
	"context"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/live"
	"github.com/inspraak/inspraak/app/moderation"
	"github.com/inspraak/inspraak/app/ratelimit"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// MemberFinder checks a panel member's personal link token and returns the
// member and the panel (the panels package provides it).
type MemberFinder func(ctx context.Context, token, clientIP string) (memberID, panelID string, active bool, err error)

// Handlers serves the town hall pages and API.
type Handlers struct {
	store   *Store
	mod     *moderation.Store
	render  *page.Renderer
	zone    *time.Location
	baseURL string
	sse     live.SSE
	members MemberFinder
	panels  PanelLister
	perIP   *ratelimit.Limiter
}

// WithIPRate limits the questions, votes and new participants of one client
// address to perMinute a minute (0: no limit); the address is never stored.
func (h *Handlers) WithIPRate(perMinute int) *Handlers {
	h.perIP = ratelimit.PerMinute(perMinute, time.Now)
	return h
}

// throttle takes cost from the client address's allowance.
func (h *Handlers) throttle(c *fiber.Ctx, cost float64, messageID string) error {
	if !h.perIP.Allow(page.ClientIP(c), cost) {
		return &apperr.Limited{MessageID: messageID}
	}
	return nil
}

// newParticipantCost is what a fresh anonymous participant costs from the
// address's allowance, besides the action itself.
const newParticipantCost = 4

// NewHandlers returns the town hall handlers.
func NewHandlers(store *Store, mod *moderation.Store, render *page.Renderer, zone *time.Location, baseURL string, sse live.SSE, members MemberFinder) *Handlers {
	return &Handlers{store: store, mod: mod, render: render, zone: zone, baseURL: baseURL, sse: sse, members: members}
}

func memberKey(panelID string) string { return "th_member:" + panelID }

// participant says who takes part in th: the signed-in account, the panel
// member who opened their personal link in this browser (still active), or
// the anonymous participant of the session. The key is per town hall (see
// Store.ParticipantKey).
func (h *Handlers) participant(c *fiber.Ctx, th *models.TownHall) (Participant, error) {
	if a := page.Account(c); a != nil {
		return Participant{Key: h.store.ParticipantKey(th.ID, "a", a.ID), Account: a}, nil
	}
	if th.Participation == models.ParticipationPanel {
		if s := page.Sess(c); s != nil && th.PanelID != nil {
			if id := s.String(memberKey(*th.PanelID)); id != "" {
				active, err := h.store.ActiveMember(c.UserContext(), *th.PanelID, id)
				if err != nil {
					return Participant{}, err
				}
				if active {
					return Participant{Key: h.store.ParticipantKey(th.ID, "m", id)}, nil
				}
			}
		}
		return Participant{}, &apperr.Refused{MessageID: "townhall.panel_only"}
	}
	if s := page.Sess(c); s != nil && s.String(auth.KeyParticipant) == "" {
		// A caller without a session cookie gets a fresh participant with
		// every request: that costs from the address's allowance.
		if err := h.throttle(c, newParticipantCost, "error.rate_limited"); err != nil {
			return Participant{}, err
		}
	}
	p := page.Participant(c)
	if p == "" {
		return Participant{}, apperr.ErrForbidden
	}
	return Participant{Key: h.store.ParticipantKey(th.ID, "p", p)}, nil
}

// knownParticipant is participant without creating an anonymous id (for
// pages that only read). member tells whether it is a panel member of th.
func (h *Handlers) knownParticipant(c *fiber.Ctx, th *models.TownHall) (key string, member bool) {
	if a := page.Account(c); a != nil {
		return h.store.ParticipantKey(th.ID, "a", a.ID), false
	}
	s := page.Sess(c)
	if s == nil {
		return "", false
	}
	if th.PanelID != nil {
		if id := s.String(memberKey(*th.PanelID)); id != "" {
			return h.store.ParticipantKey(th.ID, "m", id), true
		}
	}
	if p := s.String(auth.KeyParticipant); p != "" {
		return h.store.ParticipantKey(th.ID, "p", p), false
	}
	return "", false
}

// Card is a town hall in a list.
type Card struct {
	TH    models.TownHall
	Title string
	Phase string
}

// Cards puts town halls into a language.
func Cards(ths []models.TownHall, lang string, now time.Time) []Card {
	out := make([]Card, len(ths))
	for i, th := range ths {
		out[i] = Card{TH: th, Title: th.Title.In(lang), Phase: th.Phase(now)}
	}
	return out
}

// Index lists every town hall.
func (h *Handlers) Index(c *fiber.Ctx) error {
	ths, err := h.store.List(c.UserContext())
	if err != nil {
		return err
	}
	return h.render.Render(c, fiber.StatusOK, "townhall/index", fiber.Map{"TownHalls": Cards(ths, page.L(c).Lang, h.store.Now())})
}

// Countdown says in words how long until t.
func Countdown(l *i18n.L, d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return l.Tn("townhall.in_days", int(d/(24*time.Hour)))
	case d >= 90*time.Minute:
		return l.Tn("townhall.in_hours", int(d/time.Hour))
	case d > time.Minute:
		return l.Tn("townhall.in_minutes", int((d+time.Minute-1)/time.Minute))
	}
	return l.T("townhall.in_a_moment")
}

// Show is the public page: before (countdown, calendar file, questions in
// advance), live (questions, votes, answers), after (the archive).
func (h *Handlers) Show(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, nil, nil)
}

// published reads the town hall named in the URL with its published
// questions in the ?sort= order, its politicians, and where its event
// stream stood before the questions were read (so a live client replays
// anything that happened in between).
func (h *Handlers) published(c *fiber.Ctx) (th *models.TownHall, sortBy string, last int64, qs []QuestionView, pols []Politician, err error) {
	ctx := c.UserContext()
	if th, err = h.store.Get(ctx, c.Params("id")); err != nil {
		return
	}
	sortBy = c.Query("sort", SortVotes)
	if sortBy != SortVotes && sortBy != SortNew {
		err = apperr.Query(apperr.Invalid("sort", "validation.choice_invalid"))
		return
	}
	if last, err = h.store.Hub().LastID(ctx, Stream(th.ID)); err != nil {
		return
	}
	if qs, err = h.store.Questions(ctx, th.ID, sortBy, models.QuestionApproved); err != nil {
		return
	}
	pols, err = h.store.Politicians(ctx, th.ID)
	return
}

func (h *Handlers) show(c *fiber.Ctx, status int, form url.Values, errs map[string]string) error {
	ctx := c.UserContext()
	th, sortBy, lastEvent, qs, pols, err := h.published(c)
	if err != nil {
		return err
	}
	l := page.L(c)
	me, member := h.knownParticipant(c, th)
	voted, err := h.store.VotedBy(ctx, th.ID, me)
	if err != nil {
		return err
	}
	mine, err := h.store.AskedBy(ctx, th.ID, me)
	if err != nil {
		return err
	}
	var waiting []models.TownHallQuestion
	for _, q := range mine {
		if q.Status == models.QuestionPending || q.Status == models.QuestionRejected || q.Status == models.QuestionHidden {
			waiting = append(waiting, q)
		}
	}
	now := h.store.Now()
	phase := th.Phase(now)
	data := fiber.Map{
		"TH": th, "Title": th.Title.In(l.Lang), "Description": th.Description.In(l.Lang), "Phase": phase,
		"Politicians": pols, "Questions": h.views(l, qs, voted, th), "Sort": sortBy, "Waiting": waiting,
		"LastEvent": lastEvent, "Form": form, "Errors": errs, "MaxQuestion": MaxQuestion, "MaxName": MaxDisplayName,
		"CanTakePart": th.Participation == models.ParticipationAnyone || member || page.Account(c) != nil,
	}
	if phase == models.TownHallScheduled {
		data["Countdown"] = Countdown(l, th.StartsAt.Sub(now))
	}
	if phase == models.TownHallEnded {
		st, err := h.store.Stats(ctx, th.ID)
		if err != nil {
			return err
		}
		data["Stats"] = st
		if st.MedianSeconds != nil {
			data["Median"] = Duration(l, *st.MedianSeconds)
		}
	}
	if form == nil {
		data["Form"] = url.Values{}
	}
	return h.render.Render(c, status, "townhall/show", data)
}

// Duration writes seconds as minutes and seconds.
func Duration(l *i18n.L, secs float64) string {
	s := int(secs)
	if s < 60 {
		return l.Tn("townhall.seconds", s)
	}
	if s < 3600 {
		return l.T("townhall.min_sec", "Min", s/60, "Sec", s%60)
	}
	return l.T("townhall.hour_min", "Hour", s/3600, "Min", (s%3600)/60)
}

// QView is a question on a page.
type QView struct {
	QuestionView
	Voted     bool
	Answering bool
	Answers   []AView
}

// AView is an answer on a page, with the politician's role in words.
type AView struct {
	models.TownHallAnswer
	Role string
}

func roleOf(l *i18n.L, title string) string {
	if title != "" {
		return title
	}
	return l.T("role.politician")
}

func (h *Handlers) views(l *i18n.L, qs []QuestionView, voted map[string]bool, th *models.TownHall) []QView {
	out := make([]QView, len(qs))
	for i, q := range qs {
		v := QView{QuestionView: q, Voted: voted[q.ID], Answering: th.AnsweringID != nil && *th.AnsweringID == q.ID}
		for _, a := range q.Answers {
			v.Answers = append(v.Answers, AView{TownHallAnswer: a, Role: roleOf(l, a.Title)})
		}
		out[i] = v
	}
	return out
}

// Ask takes a question from the form.
func (h *Handlers) Ask(c *fiber.Ctx) error {
	ctx := c.UserContext()
	th, err := h.store.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	form := page.Form(c)
	err = h.throttle(c, 1, "townhall.too_many_questions")
	var p Participant
	if err == nil {
		p, err = h.participant(c, th)
	}
	if err == nil {
		_, err = h.store.Ask(ctx, th, p, form.Get("text"), form.Get("display_name"))
	}
	if err == nil {
		if th.Moderation == models.ModerationPre {
			page.Sess(c).Flash("townhall.asked_pending")
		} else {
			page.Sess(c).Flash("townhall.asked_published")
		}
		return c.Redirect("/townhalls/"+th.ID+"#ask", fiber.StatusSeeOther)
	}
	// The page again, with the message; the status is app/web's choice.
	return &apperr.OnPage{Err: err, Show: func(status int, messageID string) error {
		errs, lerr := page.FieldErrors(c, err, "_")
		if lerr != nil {
			errs = map[string]string{"form": page.L(c).T(messageID)}
		}
		return h.show(c, status, form, errs)
	}}
}

// voter reads the question a vote is for, its town hall and the voting
// participant, after the per-address flood check.
func (h *Handlers) voter(c *fiber.Ctx, qid string) (*models.TownHallQuestion, *models.TownHall, Participant, error) {
	ctx := c.UserContext()
	q, err := h.store.Question(ctx, qid)
	if err != nil {
		return nil, nil, Participant{}, err
	}
	th, err := h.store.Get(ctx, q.TownHallID)
	if err != nil {
		return nil, nil, Participant{}, err
	}
	if err := h.throttle(c, 1, "error.rate_limited"); err != nil {
		return nil, nil, Participant{}, err
	}
	p, err := h.participant(c, th)
	return q, th, p, err
}

// VoteForm votes (or withdraws with withdraw=1) from the page.
func (h *Handlers) VoteForm(c *fiber.Ctx) error {
	ctx := c.UserContext()
	q, th, p, err := h.voter(c, c.Params("qid"))
	if err != nil {
		return err
	}
	if c.FormValue("withdraw") == "1" {
		_, err = h.store.Unvote(ctx, q, th, p)
	} else {
		_, err = h.store.Vote(ctx, q, th, p)
	}
	if err != nil {
		return err
	}
	back := "/townhalls/" + th.ID
	if s := c.FormValue("sort"); s == SortNew {
		back += "?sort=new"
	}
	return c.Redirect(back+"#q-"+q.ID, fiber.StatusSeeOther)
}

// PanelEntry takes a panel member's personal link and lets this browser
// take part as that member.
func (h *Handlers) PanelEntry(c *fiber.Ctx) error {
	ctx := c.UserContext()
	th, err := h.store.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	if th.Participation != models.ParticipationPanel || th.PanelID == nil || h.members == nil {
		return apperr.ErrNotFound
	}
	memberID, panelID, active, err := h.members(ctx, c.Params("token"), page.ClientIP(c))
	if err != nil {
		return err
	}
	if panelID != *th.PanelID || !active {
		return &apperr.Refused{MessageID: "townhall.panel_only"}
	}
	page.Sess(c).Set(memberKey(panelID), memberID)
	page.Sess(c).Flash("townhall.panel_welcome")
	return c.Redirect("/townhalls/"+th.ID, fiber.StatusSeeOther)
}

// Events streams the town hall's events (Server-Sent Events).
func (h *Handlers) Events(c *fiber.Ctx) error {
	th, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.store.Hub().Serve(c, Stream(th.ID), h.sse)
}
