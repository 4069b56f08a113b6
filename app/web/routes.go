package web

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"github.com/inspraak/inspraak/app/accounts"
	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/citizens"
	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/live"
	"github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/moderation"
	"github.com/inspraak/inspraak/app/panels"
	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/app/results"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/townhall"
	"github.com/inspraak/inspraak/app/web/page"
	"github.com/inspraak/inspraak/models"
)

// routes lists every route of the platform in one place.
func (s *Server) routes() {
	a := s.app
	a.Use(recover.New(), requestid.New(), s.clientIP, s.requestLog, s.metrics.observe, securityHeaders)

	// Static files carry a content hash in their URL, so they may be cached for a year.
	a.Use("/static", func(c *fiber.Ctx) error {
		err := c.Next()
		if err == nil && c.Response().StatusCode() == fiber.StatusOK {
			c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		}
		return err
	}, filesystem.New(filesystem.Config{Root: http.FS(s.assets.Static)}))
	a.Get("/healthz", s.healthz)
	a.Get("/readyz", s.readyz)
	if s.cfg.MetricsToken != "" {
		a.Get("/metrics", s.metricsHandler())
	}
	a.Get("/favicon.ico", func(c *fiber.Ctx) error {
		return c.Redirect(s.render.Asset("img/favicon.svg"), fiber.StatusMovedPermanently)
	})

	a.Use(s.deadline, s.language, cleanInput, s.bearer, s.session, s.csrf)

	acc := accounts.New(s.auth, s.render, s.signIn, s.signOut)
	cz := citizens.NewHandlers(s.citizens, s.render, s.signInCitizen, s.signOutCitizen).WithForgetCaller(s.forgetCaller)
	sv := surveys.NewHandlers(s.surveys, s.render, s.cfg.BaseURL, s.zone).WithInvitations(s.panels)
	pn := panels.NewHandlers(s.panels, s.surveys, s.render, s.cfg.BaseURL)
	ml := mail.NewHandlers(s.outbox, s.render, s.cfg.SMTPURL == "")
	rs := results.NewHandlers(s.results, s.render, s.zone).WithProfiles(s.panels)
	staff := requireAccount()
	comms := requireAccount(models.RoleStaff)
	admin := requireAccount(models.RoleAdmin)
	mods := citizensForbidden(requireAccount(models.RoleModerator, models.RoleStaff))
	pols := citizensForbidden(requireAccount(models.RolePolitician))
	hr := moderation.NewHandlers(s.moderation, s.render)
	ix := ideas.NewHandlers(s.ideas, s.moderation, s.render, s.zone, s.cfg.BaseURL, s.cfg.TownHallIPRate)
	th := townhall.NewHandlers(s.townhalls, s.moderation, s.render, s.zone, s.cfg.BaseURL,
		live.SSE{Heartbeat: s.cfg.LiveHeartbeat, Retry: 3 * time.Second}, s.panelMember).WithPanels(s.panelOptions).WithIPRate(s.cfg.TownHallIPRate)
	pl := policy.NewHandlers(s.policy, s.render, s.zone, s.cfg.BaseURL).WithRefOptions(s.policyRefs)

	// Public pages.
	a.Get("/", s.home)
	a.Get("/login", acc.LoginForm)
	a.Post("/login", acc.Login)
	a.Post("/logout", acc.Logout)

	// Citizen accounts: sign-in by an emailed single-use link (the GET shows
	// a button, only its POST uses the link), the citizen's own pages.
	a.Get("/signin", cz.SignInForm)
	a.Post("/signin", cz.RequestLink)
	a.Get("/signin/sent", cz.Sent)
	a.Get("/signin/:token", cz.LinkPage)
	a.Post("/signin/:token", cz.UseLink)
	a.Post("/signout", cz.SignOut)
	a.Get("/me", requireCitizen, cz.Me)
	a.Post("/me", requireCitizen, cz.SaveMe)
	a.Get("/me/data", requireCitizen, cz.Data)
	a.Get("/me/delete", requireCitizen, cz.DeleteForm)
	a.Post("/me/delete", requireCitizen, cz.Delete)

	// Surveys, for citizens.
	a.Get("/surveys/:id", sv.Intro)
	a.Get("/surveys/:id/s/:n", sv.Section)
	a.Post("/surveys/:id/s/:n", sv.SectionPost)
	a.Get("/surveys/:id/saved", sv.Saved)
	a.Get("/surveys/:id/resume/:token", sv.Resume)
	a.Get("/surveys/:id/thanks", sv.Thanks)

	// Citizen panels, for citizens: sign-up, the personal member link
	// (confirm, manage, leave) and personal invitation links.
	a.Get("/panels/:id/join", pn.JoinForm)
	a.Post("/panels/:id/join", pn.Join)
	a.Get("/panels/:id/join/sent", pn.JoinSent)
	a.Get("/panels/member/:token", pn.Member)
	a.Post("/panels/member/:token", pn.SaveProfile)
	a.Post("/panels/member/:token/confirm", pn.Confirm)
	a.Get("/panels/member/:token/leave", pn.LeaveForm)
	a.Post("/panels/member/:token/leave", pn.Leave)
	a.Get("/panels/member/:token/data", pn.Data)
	a.Get("/i/:token", pn.Invitation)

	// Signed-in pages.
	a.Get("/staff", staff, s.dashboard)
	a.Get("/account", staff, acc.AccountPage)
	a.Post("/account/password", staff, acc.ChangePassword)
	a.Post("/account/tokens", staff, acc.CreateOwnToken)
	a.Post("/account/tokens/:token/revoke", staff, acc.RevokeOwnToken)

	// The survey builder.
	a.Get("/staff/surveys", comms, sv.List)
	a.Get("/staff/surveys/new", comms, sv.NewForm)
	a.Post("/staff/surveys", comms, sv.Create)
	a.Post("/staff/surveys/from-template/:key", comms, sv.FromTemplate)
	a.Get("/staff/surveys/:id", comms, sv.Show)
	a.Post("/staff/surveys/:id/settings", comms, sv.SaveSettings)
	a.Post("/staff/surveys/:id/open", comms, sv.Open)
	a.Post("/staff/surveys/:id/close", comms, sv.Close)
	a.Get("/staff/surveys/:id/preview", comms, sv.Preview)
	a.Get("/staff/surveys/:id/qr.:format", comms, sv.QR)
	a.Get("/staff/surveys/:id/questions/new", comms, sv.QuestionForm)
	a.Post("/staff/surveys/:id/questions", comms, sv.SaveQuestion)
	a.Get("/staff/surveys/:id/questions/:key", comms, sv.QuestionForm)
	a.Post("/staff/surveys/:id/questions/:key", comms, sv.SaveQuestion)
	a.Post("/staff/surveys/:id/questions/:key/move", comms, sv.MoveQuestion)
	a.Post("/staff/surveys/:id/questions/:key/duplicate", comms, sv.DuplicateQuestion)
	a.Post("/staff/surveys/:id/questions/:key/delete", comms, sv.DeleteQuestion)
	a.Post("/staff/surveys/:id/sections", comms, sv.AddSection)
	a.Get("/staff/surveys/:id/sections/:key", comms, sv.SectionForm)
	a.Post("/staff/surveys/:id/sections/:key", comms, sv.SaveSection)
	a.Post("/staff/surveys/:id/sections/:key/move", comms, sv.MoveSection)
	a.Post("/staff/surveys/:id/sections/:key/delete", comms, sv.DeleteSection)

	// Results and exports.
	a.Get("/method", rs.Method)
	a.Get("/surveys/:id/results", rs.Public)
	a.Get("/staff/surveys/:id/results", comms, rs.Show)
	a.Get("/staff/surveys/:id/results/texts/:key", comms, rs.Texts)
	a.Get("/staff/surveys/:id/results/crosstab", comms, rs.CrossTab)
	a.Post("/staff/surveys/:id/results/publish", comms, rs.Publish)
	a.Get("/staff/surveys/:id/report", comms, rs.Report)
	a.Get("/staff/surveys/:id/weighting", comms, rs.WeightingForm)
	a.Post("/staff/surveys/:id/weighting", comms, rs.SaveWeightingForm)
	a.Post("/staff/surveys/:id/weighting/delete", comms, rs.DeleteWeightingForm)
	a.Get("/staff/surveys/:id/export.csv", comms, rs.ExportCSV)
	a.Get("/staff/surveys/:id/export.xlsx", comms, rs.ExportXLSX)
	a.Get("/api/v1/surveys/:id/export.csv", comms, rs.ExportCSV)
	a.Get("/api/v1/surveys/:id/export.xlsx", comms, rs.ExportXLSX)

	// Citizen panels.
	a.Get("/staff/panels", comms, pn.List)
	a.Post("/staff/panels", comms, pn.Create)
	a.Get("/staff/panels/:id", comms, pn.Show)
	a.Post("/staff/panels/:id/fields", comms, pn.SaveField)
	a.Post("/staff/panels/:id/invitations", comms, pn.Invite)
	a.Post("/staff/panels/:id/import", comms, pn.Import)
	a.Get("/staff/panels/:id/members.csv", comms, pn.Export)

	// Town halls.
	a.Get("/townhalls", th.Index)
	a.Get("/townhalls/:id.ics", th.ICS)
	a.Get("/townhalls/:id", th.Show)
	a.Post("/townhalls/:id/questions", th.Ask)
	a.Post("/townhalls/:id/questions/:qid/vote", th.VoteForm)
	a.Get("/townhalls/:id/panel/:token", th.PanelEntry)
	a.Get("/townhalls/:id/events", th.Events)
	a.Get("/house-rules", hr.Public)
	a.Get("/staff/house-rules", comms, hr.Edit)
	a.Post("/staff/house-rules", comms, hr.Save)
	a.Post("/staff/house-rules/:key/delete", comms, hr.Delete)
	a.Get("/staff/townhalls", comms, th.StaffList)
	a.Post("/staff/townhalls", comms, th.StaffCreate)
	a.Get("/staff/townhalls/:id", comms, th.StaffEdit)
	a.Post("/staff/townhalls/:id", comms, th.StaffSave)
	a.Post("/staff/townhalls/:id/start", comms, th.StaffStartNow)
	a.Post("/staff/townhalls/:id/end", comms, th.StaffEndNow)
	a.Get("/moderate/townhalls", mods, th.ModerateList)
	a.Get("/moderate/townhalls/:id", mods, th.Queue)
	a.Post("/moderate/questions/:qid", mods, th.ModerateForm)
	a.Get("/politician/townhalls", pols, th.PoliticianList)
	a.Get("/politician/townhalls/:id", pols, th.Console)
	a.Post("/politician/questions/:qid/answers", pols, th.AnswerForm)
	a.Post("/politician/questions/:qid/answering", pols, th.AnsweringForm)

	// Idea collection.
	a.Get("/consultations", ix.Index)
	a.Get("/consultations/:id", ix.Show)
	a.Get("/consultations/:id/ideas/new", ix.NewIdea)
	a.Post("/consultations/:id/ideas", ix.Submit)
	a.Get("/ideas/:id", ix.ShowIdea)
	a.Post("/ideas/:id/support", ix.SupportForm)
	a.Post("/ideas/:id/comments", ix.CommentForm)
	// Authors withdraw their own posts, after a confirmation page.
	a.Get("/ideas/:id/delete", ix.DeleteIdeaPage)
	a.Post("/ideas/:id/delete", ix.DeleteIdeaForm)
	a.Get("/comments/:id/delete", ix.DeleteCommentPage)
	a.Post("/comments/:id/delete", ix.DeleteCommentForm)

	// Idea feedback and sharing: the city's status and explanation of each
	// idea ("you said, we did"), notices, following, the citizen's page of
	// ideas and share links that count clicks.
	a.Get("/consultations/:id/feedback", ix.FeedbackPage)
	a.Get("/consultations/:id/share/:network", ix.ShareConsultation)
	a.Get("/ideas/:id/share/:network", ix.ShareIdea)
	a.Post("/ideas/:id/follow", ix.FollowForm)
	a.Get("/me/ideas", ix.MinePage)
	a.Get("/staff/ideas/:id", comms, ix.StaffStatus)
	a.Post("/staff/ideas/:id", comms, ix.StaffSetStatus)

	// Consultations, for staff.
	a.Get("/staff/consultations", comms, ix.StaffList)
	a.Get("/staff/consultations/new", comms, ix.StaffNew)
	a.Post("/staff/consultations", comms, ix.StaffCreate)
	a.Get("/staff/consultations/:id", comms, ix.StaffShow)
	a.Get("/staff/consultations/:id/edit", comms, ix.StaffEdit)
	a.Post("/staff/consultations/:id", comms, ix.StaffSave)

	// Moderation of ideas: citizens' reports of any citizen text (ideas,
	// comments, town hall questions) and the moderators' queue.
	rp := ix.Reports(th.ReportTarget)
	a.Post("/reports", rp.Form)
	a.Get("/moderate/consultations", mods, ix.ModerateList)
	a.Get("/moderate/consultations/:id", mods, ix.Queue)
	a.Post("/moderate/ideas/:id", mods, ix.ModerateIdeaForm)
	a.Post("/moderate/comments/:id", mods, ix.ModerateCommentForm)

	// Channel policy, for staff: policies, their decisions per channel with
	// evidence, publication as versions, and the working calendar that
	// answer-time promises count on.
	a.Get("/staff/policies", comms, pl.StaffList)
	a.Get("/staff/policies/new", comms, pl.StaffNew)
	a.Post("/staff/policies", comms, pl.StaffCreate)
	a.Get("/staff/policies/:id", comms, pl.StaffEdit)
	a.Post("/staff/policies/:id", comms, pl.StaffSave)
	a.Post("/staff/policies/:id/publish", comms, pl.StaffPublish)
	a.Get("/staff/policies/:id/decisions/new", comms, pl.StaffDecisionNew)
	a.Post("/staff/policies/:id/decisions", comms, pl.StaffDecisionSave)
	a.Get("/staff/policies/:id/decisions/:did", comms, pl.StaffDecisionEdit)
	a.Post("/staff/policies/:id/decisions/:did/delete", comms, pl.StaffDecisionDelete)
	a.Get("/staff/calendar", comms, pl.StaffCalendar)
	a.Post("/staff/calendar", comms, pl.StaffSaveCalendar)

	// Administration.
	a.Get("/admin/accounts", admin, acc.List)
	a.Get("/admin/accounts/new", admin, acc.NewForm)
	a.Post("/admin/accounts", admin, acc.Create)
	a.Get("/admin/accounts/:id", admin, acc.EditForm)
	a.Post("/admin/accounts/:id", admin, acc.Update)
	a.Post("/admin/accounts/:id/tokens", admin, acc.CreateToken)
	a.Post("/admin/accounts/:id/tokens/:token/revoke", admin, acc.RevokeToken)
	a.Get("/admin/mail", admin, ml.List)
	a.Get("/admin/mail/:id", admin, ml.Show)
	a.Post("/admin/mail/:id/retry", admin, ml.Retry)

	// JSON API.
	// Survey responses record their Idempotency-Key in the transaction
	// that stores them (idem.Commit).
	api := a.Group("/api/v1", s.idempotent(regexp.MustCompile(`(?i)^/api/v1/surveys/[^/]+/responses/?$`)))
	api.Get("/openapi.json", s.openAPI)
	api.Get("/me", staff, acc.Me)
	api.Post("/signin", cz.APISignIn)
	api.Get("/me/citizen", requireCitizen, cz.APIMe)
	api.Patch("/me/citizen", requireCitizen, cz.APIUpdateMe)
	api.Delete("/me/citizen", requireCitizen, cz.APIDelete)
	api.Get("/me/data", requireCitizen, cz.APIData)
	api.Get("/tokens", staff, acc.APITokens)
	api.Post("/tokens", staff, acc.APICreateToken)
	api.Delete("/tokens/:id", staff, acc.APIRevokeToken)
	api.Post("/surveys", comms, sv.APICreate)
	api.Get("/surveys/:id", sv.APIGet)
	api.Post("/surveys/:id/open", comms, sv.APIOpen)
	api.Post("/surveys/:id/close", comms, sv.APIClose)
	api.Post("/surveys/:id/responses", sv.APIRespond)
	api.Get("/surveys/:id/results", rs.APIResults)
	api.Get("/surveys/:id/weighting", comms, rs.APIWeighting)
	api.Put("/surveys/:id/weighting", comms, rs.APISaveWeighting)
	api.Delete("/surveys/:id/weighting", comms, rs.APIDeleteWeighting)
	api.Get("/templates", comms, sv.APITemplates)
	api.Post("/templates/:key/surveys", comms, sv.APIFromTemplate)
	api.Post("/panels", comms, pn.APICreate)
	api.Post("/panels/:id/members", pn.APIJoin)
	api.Post("/panels/:id/invitations", comms, pn.APIInvite)
	api.Get("/panels/:id/stats", comms, pn.APIStats)
	api.Get("/house-rules", hr.APIRules)
	api.Post("/townhalls", comms, th.APICreate)
	api.Get("/townhalls/:id", th.APIGet)
	api.Get("/townhalls/:id/stats", th.APIStats)
	api.Get("/townhalls/:id/events", th.Events)
	api.Get("/townhalls/:id/moderation", mods, th.APIQueue)
	api.Post("/townhalls/:id/questions", th.APIAsk)
	api.Post("/questions/:id/votes", th.APIVote)
	api.Delete("/questions/:id/votes", th.APIUnvote)
	api.Post("/questions/:id/moderation", mods, th.APIModerate)
	api.Post("/questions/:id/answers", pols, th.APIAnswer)
	api.Post("/questions/:id/answering", pols, th.APIAnswering)
	api.Get("/consultations", ix.APIList)
	api.Post("/consultations", comms, ix.APICreate)
	api.Get("/consultations/:id", ix.APIGet)
	api.Put("/consultations/:id", comms, ix.APIUpdate)
	api.Get("/consultations/:id/ideas", ix.APIIdeas)
	api.Post("/consultations/:id/ideas", ix.APISubmit)
	api.Get("/ideas/:id", ix.APIIdea)
	api.Post("/ideas/:id/supports", ix.APISupport)
	api.Delete("/ideas/:id/supports", ix.APIUnsupport)
	api.Get("/ideas/:id/comments", ix.APIComments)
	api.Post("/ideas/:id/comments", ix.APIComment)
	api.Delete("/ideas/:id", ix.APIDeleteIdea)
	api.Delete("/comments/:id", ix.APIDeleteComment)
	api.Post("/ideas/:id/follow", ix.APIFollow)
	api.Delete("/ideas/:id/follow", ix.APIUnfollow)
	// Idea feedback and sharing.
	api.Post("/ideas/:id/status", citizensForbidden(comms), ix.APISetStatus)
	api.Get("/consultations/:id/feedback", ix.APIFeedback)
	// Moderation of ideas.
	api.Post("/reports", rp.API)
	api.Get("/consultations/:id/moderation", mods, ix.APIQueue)
	api.Post("/ideas/:id/moderation", mods, ix.APIModerateIdea)
	api.Post("/comments/:id/moderation", mods, ix.APIModerateComment)
	// Channel policy.
	api.Post("/policies", comms, pl.APICreate)
	api.Put("/policies/:id", comms, pl.APIUpdate)
	api.Post("/policies/:id/decisions", comms, pl.APISaveDecision)
	api.Delete("/policies/:id/decisions/:did", comms, pl.APIDeleteDecision)
	api.Post("/policies/:id/publish", comms, pl.APIPublish)
	api.Get("/calendar", comms, pl.APICalendar)
	api.Put("/calendar", comms, pl.APISaveCalendar)

	// Channel policy, public and measured: the published policies for
	// citizens (latest version or ?version=N, live figures, measured
	// service levels), the staff page of answer-time compliance, overdue
	// cases and recorded figures, and their API.
	a.Get("/policies", pl.PublicList)
	a.Get("/policies/:id", pl.PublicShow)
	a.Get("/staff/measurements", comms, pl.Measurements)
	a.Post("/staff/measurements", comms, pl.RecordMeasurement)
	a.Post("/staff/measurements/import", comms, pl.ImportMeasurements)
	api.Get("/policies", pl.APIPublicList)
	api.Get("/policies/:id", pl.APIPublicGet)
	api.Get("/policies/:id/compliance", pl.APICompliance)
	api.Get("/measurements", comms, pl.APIMeasurements)
	api.Post("/measurements", comms, pl.APIRecordMeasurement)
	api.Post("/measurements/import", comms, pl.APIImportMeasurements)

	a.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// citizensForbidden answers 403, not 401, to a citizen (a caller with no
// account and no bearer token) on the API: they are known, just not allowed.
func citizensForbidden(next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if page.Account(c) == nil && page.IsAPI(c) && c.Get(fiber.HeaderAuthorization) == "" {
			return apperr.ErrForbidden
		}
		return next(c)
	}
}

// panelMember checks a panel member's personal link for the town halls.
func (s *Server) panelMember(ctx context.Context, token, clientIP string) (string, string, bool, error) {
	m, err := s.panels.MemberByToken(ctx, token, clientIP)
	if err != nil {
		return "", "", false, err
	}
	return m.ID, m.PanelID, m.Status == models.MemberActive, nil
}

// panelOptions lists the panels a town hall may be opened to.
func (s *Server) panelOptions(ctx context.Context, lang string) ([]townhall.PanelOption, error) {
	list, err := s.panels.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]townhall.PanelOption, len(list))
	for i, p := range list {
		out[i] = townhall.PanelOption{ID: p.ID, Name: p.Name.In(lang)}
	}
	return out, nil
}

// policyRefs lists what a channel policy may cite, in lang: each survey's
// choice questions with their options, the town halls and the
// consultations.
func (s *Server) policyRefs(ctx context.Context, lang string) ([]policy.RefOption, error) {
	var out []policy.RefOption
	svs, err := s.surveys.List(ctx)
	if err != nil {
		return nil, err
	}
	for i := range svs {
		sv := &svs[i].Survey
		def, err := s.surveys.Definition(sv)
		if err != nil {
			return nil, err
		}
		title := sv.Title.In(lang)
		for _, sec := range def.Sections {
			for _, q := range sec.Questions {
				if q.Type != surveys.Single && q.Type != surveys.Multiple {
					continue
				}
				ref := sv.ID + ":" + q.Key
				out = append(out, policy.RefOption{Kind: policy.KindSurveyQuestion, Ref: ref, Label: q.Text.In(lang), Group: title})
				for _, o := range q.Options {
					out = append(out, policy.RefOption{Kind: policy.KindSurveyOption, Ref: ref + ":" + o.Key, Label: o.Text.In(lang), Group: title})
				}
			}
		}
	}
	ths, err := s.townhalls.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, th := range ths {
		out = append(out, policy.RefOption{Kind: policy.KindTownHall, Ref: th.ID, Label: th.Title.In(lang)})
	}
	cs, err := s.ideas.Consultations(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		out = append(out, policy.RefOption{Kind: policy.KindConsultation, Ref: c.ID, Label: c.Title.In(lang)})
	}
	return out, nil
}
