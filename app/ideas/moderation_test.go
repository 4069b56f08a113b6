package ideas_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/moderation"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// modEnv is a store on the application's database and a moderator.
type modEnv struct {
	e     *webtest.Env
	store *ideas.Store
	mod   *webtest.Browser // API client of a moderator
}

func newModEnv(t *testing.T, e *webtest.Env) *modEnv {
	t.Helper()
	return &modEnv{e: e, store: ideas.NewStore(e.DB, moderation.NewStore(e.DB, nil), []byte("test key"), nil),
		mod: e.APIClient("mod@example.dk", "moderator")}
}

// consultation opens a consultation with moderation "pre" or "post".
func (m *modEnv) consultation(t *testing.T, mode string) *models.Consultation {
	t.Helper()
	opens, closes := time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	c, err := m.store.CreateConsultation(context.Background(), ideas.ConsultationInput{
		Title:   models.Text{"da": "Cykelstrategi", "en": "Cycling strategy"},
		OpensAt: &opens, ClosesAt: &closes, Moderation: mode}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (m *modEnv) idea(t *testing.T, c *models.Consultation, author, title string) *models.Idea {
	t.Helper()
	i, err := m.store.Submit(context.Background(), c, ideas.Participant{Key: author}, ideas.IdeaInput{Title: title, Body: "Mere plads til cykler på " + title})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func (m *modEnv) listed(t *testing.T, c *models.Consultation, id string) bool {
	t.Helper()
	p, err := m.store.List(context.Background(), c, ideas.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range p.Ideas {
		if i.ID == id {
			return true
		}
	}
	return false
}

func (m *modEnv) moderate(t *testing.T, kind, id, body string) webtest.Answer {
	t.Helper()
	return m.mod.PostJSON("/api/v1/"+kind+"s/"+id+"/moderation?lang=en", body)
}

func (m *modEnv) openReports(t *testing.T, id string) int64 {
	t.Helper()
	var n int64
	if err := m.e.DB.Model(&models.Report{}).Where("target_id = ? AND resolved_at IS NULL", id).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func report(b *webtest.Browser, typ, id, reason string) webtest.Answer {
	body, _ := json.Marshal(map[string]string{"target_type": typ, "target_id": id, "reason": reason})
	return b.PostJSON("/api/v1/reports?lang=en", string(body))
}

func TestModeratePreModeratedIdea(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		m := newModEnv(t, e)
		c := m.consultation(t, models.ModerationPre)
		idea := m.idea(t, c, "author-1", "Nørrebrogade")
		if idea.Visibility != models.PostPending || m.listed(t, c, idea.ID) {
			t.Fatalf("a pre-moderated idea is listed before approval (%s)", idea.Visibility)
		}
		citizen := e.Browser()
		if a := report(citizen, "idea", idea.ID, "spam"); a.Status != 404 {
			t.Fatalf("report of a pending idea: %d %s", a.Status, a.Body)
		}
		// Citizens and politicians may not moderate.
		if a := citizen.PostJSON("/api/v1/ideas/"+idea.ID+"/moderation", `{"action":"approve"}`); a.Status != 403 {
			t.Fatalf("citizen moderation: %d %s", a.Status, a.Body)
		}
		pol := e.APIClient("mayor@example.dk", "politician")
		if a := pol.PostJSON("/api/v1/ideas/"+idea.ID+"/moderation", `{"action":"approve"}`); a.Status != 403 {
			t.Fatalf("politician moderation: %d %s", a.Status, a.Body)
		}
		// Rejecting needs a house rule; an unknown action is refused too.
		a := m.moderate(t, "idea", idea.ID, `{"action":"reject"}`)
		if a.Status != 422 {
			t.Fatalf("reject without a rule: %d %s", a.Status, a.Body)
		}
		if code, fields := webtest.ErrorCode(t, a); code != "validation_failed" || fields["reason"] != "Choose the house rule that applies." {
			t.Fatalf("reject without a rule: %s %v", code, fields)
		}
		if a := m.moderate(t, "idea", idea.ID, `{"action":"delete"}`); a.Status != 422 {
			t.Fatalf("unknown action: %d %s", a.Status, a.Body)
		}
		if a := m.moderate(t, "idea", idea.ID, `{"action":"approve"}`); a.Status != 200 || !strings.Contains(a.Body, `"visibility":"published"`) {
			t.Fatalf("approve: %d %s", a.Status, a.Body)
		}
		if !m.listed(t, c, idea.ID) {
			t.Fatal("an approved idea is not listed")
		}
		if a := m.moderate(t, "idea", idea.ID, `{"action":"approve"}`); a.Status != 409 {
			t.Fatalf("approve twice: %d %s", a.Status, a.Body)
		}
		// A second pending idea is rejected by a rule the author can see.
		other := m.idea(t, c, "author-2", "Amagerbrogade")
		if a := m.moderate(t, "idea", other.ID, `{"action":"reject","reason":"no_campaigning","note":"Valgkamp"}`); a.Status != 200 ||
			!strings.Contains(a.Body, `"visibility":"rejected"`) {
			t.Fatalf("reject: %d %s", a.Status, a.Body)
		}
		got, _ := m.store.Idea(context.Background(), other.ID)
		if got.RuleKey != "no_campaigning" || got.ModNote != "Valgkamp" || m.listed(t, c, other.ID) {
			t.Fatalf("rejected idea: %+v", got)
		}
		var n int64
		e.DB.Model(&models.ModerationLogEntry{}).Where("scope = ? AND target_type = ? AND target_id = ? AND action = ? AND actor_name = ?",
			ideas.Scope(c.ID), "idea", idea.ID, "approve", "Test moderator").Count(&n)
		if n != 1 {
			t.Fatalf("log entries of the approval: %d", n)
		}
	})
}

func TestHideReportedIdea(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		m := newModEnv(t, e)
		ctx := context.Background()
		c := m.consultation(t, models.ModerationPost)
		idea := m.idea(t, c, "author-1", "Vesterbrogade")
		for _, k := range []string{"s1", "s2"} {
			if _, err := m.store.Support(ctx, c, idea.ID, ideas.Participant{Key: k}); err != nil {
				t.Fatal(err)
			}
		}
		// Reports: one per participant; a second by the same changes nothing.
		a, b := e.Browser(), e.Browser()
		r := report(a, "idea", idea.ID, "Reklame for et firma")
		if r.Status != 201 {
			t.Fatalf("report: %d %s", r.Status, r.Body)
		}
		var first struct{ ID string }
		_ = json.Unmarshal([]byte(r.Body), &first)
		r = report(a, "idea", idea.ID, "Stadig reklame")
		if r.Status != 200 || !strings.Contains(r.Body, first.ID) {
			t.Fatalf("second report: %d %s", r.Status, r.Body)
		}
		if r := report(b, "idea", idea.ID, `<script>alert(1)</script> spam`); r.Status != 201 {
			t.Fatalf("other report: %d %s", r.Status, r.Body)
		}
		if n := m.openReports(t, idea.ID); n != 2 {
			t.Fatalf("open reports: %d, want 2", n)
		}
		// Bad reports.
		if r := report(a, "idea", "nope", "spam"); r.Status != 404 {
			t.Fatalf("unknown target: %d", r.Status)
		}
		if r := report(a, "survey", idea.ID, "spam"); r.Status != 422 {
			t.Fatalf("unknown target type: %d", r.Status)
		}
		if r := report(a, "idea", idea.ID, "   "); r.Status != 422 {
			t.Fatalf("no reason: %d", r.Status)
		}
		if r := report(a, "idea", idea.ID, strings.Repeat("x", moderation.MaxReportReason+1)); r.Status != 422 {
			t.Fatalf("long reason: %d", r.Status)
		}
		// The queue shows the reasons as text.
		mod := e.Browser()
		e.Account("mod2@example.dk", "moderator")
		mod.Login("mod2@example.dk", webtest.Password)
		q := mod.Get("/moderate/consultations/" + c.ID + "?lang=en")
		if q.Status != 200 {
			t.Fatalf("queue: %d", q.Status)
		}
		webtest.Contains(t, q, "Reported by citizens", "2 reports", "&lt;script&gt;alert(1)&lt;/script&gt; spam", "Reklame for et firma", "Vesterbrogade")
		if strings.Contains(q.Body, "<script>alert(1)") {
			t.Fatal("a report reason is rendered as HTML")
		}
		list := mod.Get("/moderate/consultations?lang=en")
		webtest.Contains(t, list, "Cycling strategy", "1 reported post")
		// The queue as JSON.
		j := m.mod.Do("GET", "/api/v1/consultations/"+c.ID+"/moderation", nil, "")
		webtest.Contains(t, j, `"reported":[{"target_type":"idea","id":"`+idea.ID, `"count":2`)
		// Hide by a rule: gone from the list, logged, reports settled.
		h := m.moderate(t, "idea", idea.ID, `{"action":"hide","reason":"no_campaigning","note":"Reklame"}`)
		if h.Status != 200 || !strings.Contains(h.Body, `"visibility":"hidden"`) {
			t.Fatalf("hide: %d %s", h.Status, h.Body)
		}
		if m.listed(t, c, idea.ID) {
			t.Fatal("a hidden idea is listed")
		}
		var n int64
		e.DB.Model(&models.ModerationLogEntry{}).Where("scope = ? AND target_id = ? AND action = ? AND rule_key = ? AND actor_name = ?",
			ideas.Scope(c.ID), idea.ID, "hide", "no_campaigning", "Test moderator").Count(&n)
		if n != 1 {
			t.Fatalf("log entries of the hide: %d", n)
		}
		if n := m.openReports(t, idea.ID); n != 0 {
			t.Fatalf("open reports after hiding: %d", n)
		}
		e.DB.Model(&models.Report{}).Where("target_id = ? AND resolution = ? AND resolved_by IS NOT NULL", idea.ID, "hide").Count(&n)
		if n != 2 {
			t.Fatalf("reports resolved by the hide: %d", n)
		}
		// A hidden idea takes no support, comment or report.
		if _, err := m.store.Support(ctx, c, idea.ID, ideas.Participant{Key: "s3"}); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("support of a hidden idea: %v", err)
		}
		if _, err := m.store.Comment(ctx, c, idea.ID, ideas.Participant{Key: "s3"}, ideas.CommentInput{Body: "Enig"}); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("comment on a hidden idea: %v", err)
		}
		if r := report(e.Browser(), "idea", idea.ID, "spam"); r.Status != 404 {
			t.Fatalf("report of a hidden idea: %d", r.Status)
		}
		if a := m.moderate(t, "idea", idea.ID, `{"action":"hide","reason":"no_campaigning"}`); a.Status != 409 {
			t.Fatalf("hide twice: %d", a.Status)
		}
		// The queue shows it under removed, with the rule.
		webtest.Contains(t, mod.Get("/moderate/consultations/"+c.ID+"?lang=en"), "Removed lately", "Removed by the rule: No campaigning – Reklame", "Publish again")
		// Restored, it has its supports again.
		if a := m.moderate(t, "idea", idea.ID, `{"action":"restore"}`); a.Status != 200 || !strings.Contains(a.Body, `"visibility":"published"`) {
			t.Fatalf("restore: %d %s", a.Status, a.Body)
		}
		got, _ := m.store.Idea(ctx, idea.ID)
		if !m.listed(t, c, idea.ID) || got.Supports != 2 || got.RuleKey != "" {
			t.Fatalf("restored idea: listed %v, %+v", m.listed(t, c, idea.ID), got)
		}
		if s, err := m.store.Support(ctx, c, idea.ID, ideas.Participant{Key: "s1"}); err != nil || s != 2 {
			t.Fatalf("support again after restore: %d %v", s, err)
		}
	})
}

func TestModerateComments(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		m := newModEnv(t, e)
		ctx := context.Background()
		c := m.consultation(t, models.ModerationPost)
		idea := m.idea(t, c, "author-1", "Istedgade")
		var cms []*models.IdeaComment
		for i, k := range []string{"p1", "p2"} {
			cm, err := m.store.Comment(ctx, c, idea.ID, ideas.Participant{Key: k}, ideas.CommentInput{Body: fmt.Sprintf("Kommentar %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			cms = append(cms, cm)
		}
		count := func() int {
			i, err := m.store.Idea(ctx, idea.ID)
			if err != nil {
				t.Fatal(err)
			}
			return i.Comments
		}
		if n := count(); n != 2 {
			t.Fatalf("comments: %d", n)
		}
		if _, err := m.store.Moderate(ctx, models.TargetComment, cms[0].ID, nil, ideas.Action{Action: ideas.ActHide}); !isValidation(err, "reason") {
			t.Fatalf("hide without a rule: %v", err)
		}
		if a := m.moderate(t, "comment", cms[0].ID, `{"action":"hide","reason":"no_campaigning"}`); a.Status != 200 || !strings.Contains(a.Body, `"visibility":"hidden"`) {
			t.Fatalf("hide comment: %d %s", a.Status, a.Body)
		}
		if n := count(); n != 1 {
			t.Fatalf("comments after hiding one: %d, want 1", n)
		}
		if a := m.moderate(t, "comment", cms[0].ID, `{"action":"restore"}`); a.Status != 200 {
			t.Fatalf("restore comment: %d %s", a.Status, a.Body)
		}
		if n := count(); n != 2 {
			t.Fatalf("comments after restoring: %d, want 2", n)
		}
		// Dismiss: the reports close, the comment stays.
		if a := m.moderate(t, "comment", cms[1].ID, `{"action":"dismiss"}`); a.Status != 409 {
			t.Fatalf("dismiss without reports: %d %s", a.Status, a.Body)
		}
		if r := report(e.Browser(), "comment", cms[1].ID, "Uenig"); r.Status != 201 {
			t.Fatalf("report comment: %d %s", r.Status, r.Body)
		}
		if a := m.moderate(t, "comment", cms[1].ID, `{"action":"dismiss"}`); a.Status != 200 || !strings.Contains(a.Body, `"visibility":"published"`) {
			t.Fatalf("dismiss: %d %s", a.Status, a.Body)
		}
		if n := m.openReports(t, cms[1].ID); n != 0 || count() != 2 {
			t.Fatalf("after dismiss: %d open reports, %d comments", n, count())
		}
		// A hidden comment cannot be reported.
		m.moderate(t, "comment", cms[1].ID, `{"action":"hide","reason":"no_campaigning"}`)
		if r := report(e.Browser(), "comment", cms[1].ID, "spam"); r.Status != 404 {
			t.Fatalf("report of a hidden comment: %d", r.Status)
		}
		if a := m.moderate(t, "comment", "nope", `{"action":"approve"}`); a.Status != 404 {
			t.Fatalf("unknown comment: %d", a.Status)
		}
	})
}

func isValidation(err error, field string) bool {
	var v *apperr.Validation
	return errors.As(err, &v) && v.Fields[field] != ""
}

func TestBanFromConsultation(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		m := newModEnv(t, e)
		ctx := context.Background()
		c := m.consultation(t, models.ModerationPre)
		first := m.idea(t, c, "troll", "Første")
		waiting := m.idea(t, c, "troll", "Anden")
		if _, err := m.store.Moderate(ctx, models.TargetIdea, first.ID, nil, ideas.Action{Action: ideas.ActApprove}); err != nil {
			t.Fatal(err)
		}
		if a := m.moderate(t, "idea", first.ID, `{"action":"ban"}`); a.Status != 422 {
			t.Fatalf("ban without a rule: %d", a.Status)
		}
		if a := m.moderate(t, "idea", first.ID, `{"action":"ban","reason":"no_campaigning"}`); a.Status != 200 {
			t.Fatalf("ban: %d %s", a.Status, a.Body)
		}
		_, err := m.store.Submit(ctx, c, ideas.Participant{Key: "troll"}, ideas.IdeaInput{Title: "Tredje", Body: "Igen"})
		if !errors.Is(err, apperr.ErrForbidden) {
			t.Fatalf("a banned participant submits: %v", err)
		}
		// What they had waiting is rejected by the rule of the ban.
		got, _ := m.store.Idea(ctx, waiting.ID)
		if got.Visibility != models.PostRejected || got.RuleKey != "no_campaigning" {
			t.Fatalf("waiting idea of a banned author: %+v", got)
		}
		// Others may still post.
		if _, err := m.store.Submit(ctx, c, ideas.Participant{Key: "someone"}, ideas.IdeaInput{Title: "Fjerde", Body: "Godt"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestModerationPagesAndReportForm(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		m := newModEnv(t, e)
		c := m.consultation(t, models.ModerationPre)
		idea := m.idea(t, c, "author-1", "Jagtvej")
		mod := e.Browser()
		e.Account("mod2@example.dk", "moderator")
		mod.Login("mod2@example.dk", webtest.Password)
		webtest.Contains(t, mod.Get("/staff?lang=en"), `href="/moderate/consultations"`)
		webtest.Contains(t, mod.Get("/moderate/consultations?lang=en"), "Cycling strategy", "1 post waiting for approval")
		tok := mod.CSRF("/moderate/consultations/" + c.ID)
		// A forged form (no token) is refused.
		if a := mod.PostForm("/moderate/ideas/"+idea.ID, url.Values{"action": {"approve"}}); a.Status != 403 {
			t.Fatalf("forged moderation form: %d", a.Status)
		}
		// Rejecting without a rule shows the queue again with the message.
		a := mod.PostForm("/moderate/ideas/"+idea.ID+"?lang=en", url.Values{"_csrf": {tok}, "action": {"reject"}})
		if a.Status != 422 {
			t.Fatalf("reject without a rule: %d", a.Status)
		}
		webtest.Contains(t, a, "Choose the house rule that applies.", `id="reject-reason-`+idea.ID+`"`, "Jagtvej")
		a = mod.PostForm("/moderate/ideas/"+idea.ID, url.Values{"_csrf": {tok}, "action": {"approve"}})
		if a.Status != 303 || a.Header.Get("Location") != "/moderate/consultations/"+c.ID+"#queue" {
			t.Fatalf("approve form: %d %s", a.Status, a.Header.Get("Location"))
		}
		webtest.Contains(t, mod.Get("/moderate/consultations/"+c.ID+"?lang=da"), "Indlægget er offentliggjort.", "Offentliggjort")
		// Approving again is a conflict, shown on the page.
		a = mod.PostForm("/moderate/ideas/"+idea.ID+"?lang=en", url.Values{"_csrf": {tok}, "action": {"approve"}})
		if a.Status != 409 {
			t.Fatalf("approve twice: %d", a.Status)
		}
		webtest.Contains(t, a, "This post is no longer waiting for approval.")
		// A citizen reports from a page form and goes back with a message.
		citizen := e.Browser()
		ctok := citizen.CSRF("/login")
		if a := citizen.PostForm("/reports", url.Values{"target_type": {"idea"}, "target_id": {idea.ID}, "reason": {"spam"}}); a.Status != 403 {
			t.Fatalf("forged report form: %d", a.Status)
		}
		a = citizen.PostForm("/reports", url.Values{"_csrf": {ctok}, "target_type": {"idea"}, "target_id": {idea.ID},
			"reason": {"Reklame"}, "back": {"/ideas/" + idea.ID + "?sort=new"}})
		if a.Status != 303 || a.Header.Get("Location") != "/ideas/"+idea.ID+"?sort=new" {
			t.Fatalf("report form: %d %s", a.Status, a.Header.Get("Location"))
		}
		webtest.Contains(t, citizen.Get("/login?lang=en"), "Thank you. A moderator will look at it.")
		a = citizen.PostForm("/reports", url.Values{"_csrf": {ctok}, "target_type": {"idea"}, "target_id": {idea.ID},
			"reason": {"Reklame"}, "back": {"//evil.example/"}})
		if a.Status != 303 || a.Header.Get("Location") != "/ideas/"+idea.ID {
			t.Fatalf("second report form: %d %s", a.Status, a.Header.Get("Location"))
		}
		webtest.Contains(t, citizen.Get("/login?lang=en"), "You have reported this already.")
		if n := m.openReports(t, idea.ID); n != 1 {
			t.Fatalf("open reports: %d", n)
		}
		// Citizens do not see the moderators' pages.
		if a := citizen.Get("/moderate/consultations/" + c.ID); a.Status != 303 {
			t.Fatalf("citizen on the queue: %d", a.Status)
		}
	})
}

func TestReportTownHallQuestion(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.dk", "staff")
		e.Account("mayor@example.dk", "politician")
		modAPI := e.APIClient("mod@example.dk", "moderator")
		start := time.Now().Add(-10 * time.Minute).UTC().Format(time.RFC3339)
		end := time.Now().Add(50 * time.Minute).UTC().Format(time.RFC3339)
		a := staff.PostJSON("/api/v1/townhalls", fmt.Sprintf(`{"title":{"da":"Spørgetime","en":"Question hour"},
			"starts_at":%q,"ends_at":%q,"moderation":"post","politicians":["mayor@example.dk"]}`, start, end))
		if a.Status != 201 {
			t.Fatalf("town hall: %d %s", a.Status, a.Body)
		}
		var th struct{ ID string }
		_ = json.Unmarshal([]byte(a.Body), &th)
		asker := e.Browser()
		a = asker.PostJSON("/api/v1/townhalls/"+th.ID+"/questions", `{"text":"Hvorfor stemme på parti X?"}`)
		var q struct{ ID string }
		_ = json.Unmarshal([]byte(a.Body), &q)
		if a.Status != 201 || q.ID == "" {
			t.Fatalf("ask: %d %s", a.Status, a.Body)
		}
		// The public page offers the report form.
		webtest.Contains(t, e.Browser().Get("/townhalls/"+th.ID+"?lang=en"), `name="target_type" value="question"`, `name="target_id" value="`+q.ID+`"`, `href="/house-rules"`)
		reporter := e.Browser()
		if r := report(reporter, "question", q.ID, "Valgkamp <b>her</b>"); r.Status != 201 {
			t.Fatalf("report question: %d %s", r.Status, r.Body)
		}
		if r := report(reporter, "question", q.ID, "Igen"); r.Status != 200 {
			t.Fatalf("second report: %d %s", r.Status, r.Body)
		}
		if r := report(reporter, "question", "nope", "spam"); r.Status != 404 {
			t.Fatalf("unknown question: %d", r.Status)
		}
		var rep models.Report
		e.DB.Where("target_id = ?", q.ID).Take(&rep)
		if rep.Scope != "townhall:"+th.ID {
			t.Fatalf("report scope %q", rep.Scope)
		}
		// The town hall's moderators see it, with a dismiss button.
		mod := e.Browser()
		e.Account("mod2@example.dk", "moderator")
		mod.Login("mod2@example.dk", webtest.Password)
		page := mod.Get("/moderate/townhalls/" + th.ID + "?lang=en")
		webtest.Contains(t, page, "Reported by citizens", "1 report", "Valgkamp &lt;b&gt;her&lt;/b&gt;", `value="dismiss"`)
		if d := modAPI.PostJSON("/api/v1/questions/"+q.ID+"/moderation", `{"action":"dismiss"}`); d.Status != 200 || !strings.Contains(d.Body, `"status":"approved"`) {
			t.Fatalf("dismiss: %d %s", d.Status, d.Body)
		}
		var open int64
		e.DB.Model(&models.Report{}).Where("target_id = ? AND resolved_at IS NULL", q.ID).Count(&open)
		if open != 0 {
			t.Fatalf("open reports after dismiss: %d", open)
		}
		if d := modAPI.PostJSON("/api/v1/questions/"+q.ID+"/moderation", `{"action":"dismiss"}`); d.Status != 409 {
			t.Fatalf("dismiss again: %d", d.Status)
		}
		webtest.Contains(t, mod.Get("/moderate/townhalls/"+th.ID+"?lang=en"), "Reports dismissed")
		// Hiding settles new reports too; a hidden question cannot be reported.
		report(e.Browser(), "question", q.ID, "Valgkamp")
		if d := modAPI.PostJSON("/api/v1/questions/"+q.ID+"/moderation", `{"action":"hide","reason":"no_campaigning"}`); d.Status != 200 {
			t.Fatalf("hide: %d %s", d.Status, d.Body)
		}
		e.DB.Model(&models.Report{}).Where("target_id = ? AND resolved_at IS NULL", q.ID).Count(&open)
		if open != 0 {
			t.Fatalf("open reports after hide: %d", open)
		}
		if r := report(e.Browser(), "question", q.ID, "spam"); r.Status != 404 {
			t.Fatalf("report of a hidden question: %d", r.Status)
		}
	})
}
