package panels_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/mail/mailtest"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func langOf(i int) string { return []string{"da", "nl", "en"}[i%3] }

func TestInvitationsAnsweredByTokenOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *webtest.Env, smtp *mailtest.Server) {
		staff := e.APIClient("staff@example.org", "staff")
		id := createPanel(t, staff)
		// One profile for all six: shared by 5 or more, so it all goes
		// with the anonymous responses (see TestAnonymousProfilesAreKAnonymous).
		members := addMembers(t, e, id, 6, langOf, func(i int) map[string]string {
			return map[string]string{"age": "young", "gender": "woman", "district": "noord"}
		})
		sv := openSurvey(t, staff, true)

		a := staff.PostJSON("/api/v1/panels/"+id+"/invitations", `{"survey_id": "`+sv+`"}`)
		if a.Status != http.StatusCreated || a.Body != `{"invited":6}` {
			t.Fatalf("invite: %d %s", a.Status, a.Body)
		}
		// Inviting again invites nobody twice.
		if a := staff.PostJSON("/api/v1/panels/"+id+"/invitations", `{"survey_id": "`+sv+`"}`); a.Body != `{"invited":0}` {
			t.Fatalf("second invitation: %s", a.Body)
		}
		if n := runWorker(t, e); n != 6 {
			t.Fatalf("worker sent %d invitations", n)
		}
		runWorker(t, e) // a second round sends nothing again
		mails := smtp.Wait(t, 6)
		if len(mails) != 6 {
			t.Fatalf("%d mails", len(mails))
		}
		// Each in the member's language.
		var m1 models.PanelMember
		e.DB.Where("id = ?", members[1]).Take(&m1) // Dutch
		nl := smtp.To(m1.Email)
		if len(nl) != 1 || nl[0].Subject != "Uitnodiging: Sociale media" || !strings.Contains(nl[0].Text, "anoniem") {
			t.Fatalf("Dutch invitation: %+v", nl)
		}
		var m0 models.PanelMember
		e.DB.Where("id = ?", members[0]).Take(&m0) // Danish, age young
		da := smtp.To(m0.Email)
		if len(da) != 1 || da[0].Subject != "Invitation: Sociale medier" || !strings.Contains(da[0].Text, "Start undersøgelsen") {
			t.Fatalf("Danish invitation: %+v", da)
		}
		tokenPath := link(t, inviteLinkRe, da[0])
		token := strings.TrimPrefix(tokenPath, "/i/")

		// Answering by API with the token stores the profile, not the member.
		c := e.Browser()
		resp := "/api/v1/surveys/" + sv + "/responses?lang=en"
		a = c.PostJSON(resp, `{"answers": {"active": "yes"}, "token": "`+token+`"}`)
		if a.Status != http.StatusCreated {
			t.Fatalf("respond with token: %d %s", a.Status, a.Body)
		}
		var created struct{ ID string }
		_ = json.Unmarshal([]byte(a.Body), &created)
		var r models.Response
		e.DB.Where("id = ?", created.ID).Take(&r)
		if r.ParticipantID != nil || r.SubmittedAt != nil || r.Channel != "panel" {
			t.Fatalf("anonymous response holds participant %v, time %v, channel %s", r.ParticipantID, r.SubmittedAt, r.Channel)
		}
		var attrs []models.ResponseAttribute
		e.DB.Where("response_id = ?", r.ID).Order("field").Find(&attrs)
		if len(attrs) != 3 || attrs[0].Field != "age" || attrs[0].Value != "young" || attrs[1].Value != "noord" || attrs[2].Value != "woman" {
			t.Fatalf("attributes %+v", attrs)
		}
		// Nothing in the response row or its attributes names the member or the token.
		var row map[string]any
		e.DB.Table("responses").Where("id = ?", r.ID).Take(&row)
		for k, v := range row {
			if s := fmt.Sprint(v); strings.Contains(s, members[0]) || strings.Contains(s, token) {
				t.Fatalf("response column %s links to the member: %s", k, s)
			}
		}
		// The survey is anonymous: the invitation row does not change; the
		// use is a row of its own that names no invitation or member.
		if count(e, "panel_invitations", "member_id = ? AND (used = ? OR used_on IS NOT NULL)", members[0], true) != 0 {
			t.Fatal("the invitation row records the use")
		}
		if n := usesOf(e, sv); n != 1 {
			t.Fatalf("%d use rows", n)
		}
		var inv models.PanelInvitation
		e.DB.Where("member_id = ? AND survey_id = ?", members[0], sv).Take(&inv)
		var use map[string]any
		e.DB.Table("panel_invitation_uses").Take(&use)
		for k, v := range use {
			if s := fmt.Sprint(v); strings.Contains(s, inv.ID) || strings.Contains(s, members[0]) || strings.Contains(s, inv.TokenHash) {
				t.Fatalf("use column %s names the invitation: %s", k, s)
			}
		}
		// No response marker ties the response to the invitation, although
		// the survey takes one response per person.
		if n := count(e, "response_markers", "survey_id = ?", sv); n != 0 {
			t.Fatalf("%d response markers for a redemption", n)
		}

		// A replay changes nothing and says why, in the caller's language.
		a = c.PostJSON(resp, `{"answers": {"active": "no"}, "token": "`+token+`"}`)
		code, _ := webtest.ErrorCode(t, a)
		if a.Status != http.StatusConflict || code != "conflict" || !strings.Contains(a.Body, "already been used") {
			t.Fatalf("replay: %d %s", a.Status, a.Body)
		}
		// A wrong token gets one answer; the invitation link page too.
		a = c.PostJSON(resp, `{"answers": {"active": "no"}, "token": "wrong"}`)
		if _, f := webtest.ErrorCode(t, a); a.Status != http.StatusUnprocessableEntity || f["token"] == "" {
			t.Fatalf("wrong token: %d %s", a.Status, a.Body)
		}
		if a := c.Get(tokenPath + "?lang=en"); a.Status != http.StatusConflict || !strings.Contains(a.Body, "already been used") {
			t.Fatalf("used link: %d", a.Status)
		}
		if count(e, "responses", "survey_id = ?", sv) != 1 {
			t.Fatal("a replay stored a response")
		}

		// The Dutch member answers in the browser through the link.
		b := e.Browser()
		nlPath := link(t, inviteLinkRe, nl[0])
		a = b.Get(nlPath)
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/surveys/"+sv+"?channel=panel" {
			t.Fatalf("invitation link: %d %s", a.Status, a.Header.Get("Location"))
		}
		pg := b.Get("/surveys/" + sv + "/s/1")
		tok := csrfRe.FindStringSubmatch(pg.Body)[1]
		a = b.PostForm("/surveys/"+sv+"/s/1", url.Values{"_csrf": {tok}, "q.active": {"no"}, "action": {"next"}})
		if a.Status != http.StatusSeeOther || !strings.HasSuffix(a.Header.Get("Location"), "/thanks") {
			t.Fatalf("submit by link: %d %s", a.Status, a.Body)
		}
		if count(e, "response_attributes", "field = 'age' AND value = 'young'") != 2 || count(e, "responses", "survey_id = ? AND channel = 'panel'", sv) != 2 {
			t.Fatal("the browser response did not get the profile")
		}
		if a := e.Browser().Get(nlPath + "?lang=nl"); a.Status != http.StatusConflict || !strings.Contains(a.Body, "al gebruikt") {
			t.Fatalf("used link in Dutch: %d", a.Status)
		}

		// 20 parallel submissions with one token: exactly one response.
		var m2 models.PanelMember
		e.DB.Where("id = ?", members[2]).Take(&m2)
		t2 := strings.TrimPrefix(link(t, inviteLinkRe, smtp.To(m2.Email)[0]), "/i/")
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := e.Browser().PostJSON(resp, `{"answers": {"active": "yes"}, "token": "`+t2+`"}`)
				mu.Lock()
				statuses[a.Status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if statuses[http.StatusCreated] != 1 || statuses[http.StatusConflict] != 19 {
			t.Fatalf("parallel submissions: %v", statuses)
		}
		if count(e, "responses", "survey_id = ?", sv) != 3 {
			t.Fatal("parallel submissions stored more than one response")
		}

		// Response rates, overall and per stratum, while the survey runs.
		a = staff.Get("/api/v1/panels/" + id + "/stats")
		var st struct {
			Active  int64 `json:"active_members"`
			Surveys []struct {
				Invited, Responded int64
				Rate               float64 `json:"response_rate"`
				Strata             []struct {
					Field, Choice      string
					Invited, Responded int64
				}
			}
		}
		if err := json.Unmarshal([]byte(a.Body), &st); err != nil || len(st.Surveys) != 1 {
			t.Fatalf("stats: %d %s", a.Status, a.Body)
		}
		s := st.Surveys[0]
		if st.Active != 6 || s.Invited != 6 || s.Responded != 3 || s.Rate != 50 {
			t.Fatalf("stats: %+v", st)
		}
		for _, x := range s.Strata {
			if x.Field == "age" && (x.Choice != "young" || x.Invited != 6 || x.Responded != 3) {
				t.Errorf("stratum %s: %d of %d", x.Choice, x.Responded, x.Invited)
			}
		}
		staffPage := e.Browser()
		e.Account("web@example.org", "staff")
		staffPage.Login("web@example.org", webtest.Password)
		webtest.Contains(t, staffPage.Get("/staff/panels/"+id+"?lang=en"), "response rate 50.0 %", "18-34 years", `class="bar-actual"`)

		// Leaving keeps the response, drops the member from the invitation.
		var before int64 = count(e, "responses", "survey_id = ?", sv)
		usesBefore := usesOf(e, sv)
		mem, err := e.Srv.Panels().MemberByToken(t.Context(), e.Srv.Panels().MemberToken(members[0]), "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Srv.Panels().Leave(t.Context(), mem); err != nil {
			t.Fatal(err)
		}
		if count(e, "responses", "survey_id = ?", sv) != before || count(e, "response_attributes", "response_id = ?", r.ID) != 3 {
			t.Fatal("leaving deleted responses")
		}
		if count(e, "panel_invitations", "survey_id = ? AND member_id IS NULL", sv) != 1 || usesOf(e, sv) != usesBefore {
			t.Fatal("the invitation of the member who left should stay, used, without the member")
		}
		webtest.Contains(t, staffPage.Get("/staff/panels/"+id+"?lang=en"), "response rate 50.0 %")
	})
}

func TestStratifiedAndRandomSamples(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *webtest.Env, smtp *mailtest.Server) {
		staff := e.APIClient("staff@example.org", "staff")
		id := createPanel(t, staff)
		ages := []string{"young", "middle", "old"}
		addMembers(t, e, id, 300, langOf, func(i int) map[string]string {
			return map[string]string{"age": ages[i%3], "gender": []string{"woman", "man"}[i%2]}
		})
		addMembers(t, e, id, 10, langOf, func(int) map[string]string { return nil }) // no age given
		sv := openSurvey(t, staff, false)

		// Stratified by age: 50/30/20 of 100 by the target shares.
		a := staff.PostJSON("/api/v1/panels/"+id+"/invitations", `{"survey_id": "`+sv+`", "sample": {"size": 100, "stratify_by": "age"}}`)
		if a.Status != http.StatusCreated || a.Body != `{"invited":100}` {
			t.Fatalf("stratified: %d %s", a.Status, a.Body)
		}
		for age, want := range map[string]int64{"young": 50, "middle": 30, "old": 20} {
			n := count(e, "panel_invitations i", "i.survey_id = ? AND EXISTS (SELECT 1 FROM panel_member_profiles p WHERE p.member_id = i.member_id AND p.field = 'age' AND p.value = ?)", sv, age)
			if n != want {
				t.Errorf("age %s: %d invited, want %d", age, n, want)
			}
		}
		// Stratified by gender (no targets): in proportion to the panel: 150/150 of 300 -> 20/20.
		sv2 := openSurvey(t, staff, false)
		a = staff.PostJSON("/api/v1/panels/"+id+"/invitations", `{"survey_id": "`+sv2+`", "sample": {"size": 40, "stratify_by": "gender"}}`)
		if a.Body != `{"invited":40}` {
			t.Fatalf("by gender: %s", a.Body)
		}
		n := count(e, "panel_invitations i", "i.survey_id = ? AND EXISTS (SELECT 1 FROM panel_member_profiles p WHERE p.member_id = i.member_id AND p.field = 'gender' AND p.value = 'woman')", sv2)
		if n != 20 {
			t.Errorf("%d women of 40", n)
		}
		// A simple random sample, then everyone else: nobody twice.
		a = staff.PostJSON("/api/v1/panels/"+id+"/invitations", `{"survey_id": "`+sv+`", "sample": {"size": 25}}`)
		if a.Body != `{"invited":25}` {
			t.Fatalf("random: %s", a.Body)
		}
		a = staff.PostJSON("/api/v1/panels/"+id+"/invitations", `{"survey_id": "`+sv+`"}`)
		if a.Body != `{"invited":185}` {
			t.Fatalf("all the rest: %s", a.Body)
		}
		// Bad requests.
		for body, field := range map[string]string{
			`{"survey_id": "` + sv + `", "sample": {"size": 10, "stratify_by": "income"}}`: "sample.stratify_by",
			`{"survey_id": "` + sv + `", "sample": {"stratify_by": "age"}}`:                "sample.size",
			`{"survey_id": "nope"}`: "survey_id",
			`{"survey_id": "` + sv + `", "reminders": {"after_days": 0, "max": 9}}`: "reminders.after_days",
		} {
			a := staff.PostJSON("/api/v1/panels/"+id+"/invitations", body)
			if _, f := webtest.ErrorCode(t, a); a.Status != http.StatusUnprocessableEntity || f[field] == "" {
				t.Errorf("%s: %d %s", body, a.Status, a.Body)
			}
		}
		if a := staff.PostJSON("/api/v1/panels/someone-elses/invitations", `{"survey_id": "`+sv+`"}`); a.Status != http.StatusNotFound {
			t.Errorf("unknown panel: %d", a.Status)
		}
	})
}

func TestRemindersRespectDaysAndTimes(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *webtest.Env, smtp *mailtest.Server) {
		staff := e.APIClient("staff@example.org", "staff")
		id := createPanel(t, staff)
		members := addMembers(t, e, id, 3, func(int) string { return "en" }, func(int) map[string]string { return nil })
		sv := openSurvey(t, staff, true)
		if a := staff.PostJSON("/api/v1/panels/"+id+"/invitations", `{"survey_id": "`+sv+`", "reminders": {"after_days": 3, "max": 2}}`); a.Status != http.StatusCreated {
			t.Fatalf("invite: %d %s", a.Status, a.Body)
		}
		runWorker(t, e)
		smtp.Wait(t, 3)
		// One member answers.
		var m models.PanelMember
		e.DB.Where("id = ?", members[0]).Take(&m)
		tok := strings.TrimPrefix(link(t, inviteLinkRe, smtp.To(m.Email)[0]), "/i/")
		if a := e.Browser().PostJSON("/api/v1/surveys/"+sv+"/responses", `{"answers": {"active": "yes"}, "token": "`+tok+`"}`); a.Status != http.StatusCreated {
			t.Fatalf("answer: %d %s", a.Status, a.Body)
		}
		reminders := func() int {
			n := 0
			for _, x := range smtp.Messages() {
				if strings.HasPrefix(x.Subject, "Reminder: ") {
					n++
				}
			}
			return n
		}
		step := func(d time.Duration, want int) {
			t.Helper()
			e.Clock.Add(d)
			runWorker(t, e)
			time.Sleep(50 * time.Millisecond)
			if got := reminders(); got != want {
				t.Fatalf("after %v more: %d reminders, want %d", d, got, want)
			}
		}
		step(2*24*time.Hour, 0)  // day 2: too early
		step(25*time.Hour, 2)    // day 3+: the two who have not answered
		step(24*time.Hour, 2)    // a day after the reminder: too early
		step(2*24*time.Hour, 4)  // three days after it: the second reminder
		step(10*24*time.Hour, 4) // at most twice
		if got := smtp.To(m.Email); len(got) != 1 {
			t.Fatalf("the member who answered got %d mails", len(got))
		}
		if n := count(e, "mail_outbox", "dedupe_key LIKE 'remind:%'"); n != 4 {
			t.Fatalf("%d reminder rows", n)
		}
	})
}

// invitationToken is the link token of member's invitation to sv.
func invitationToken(t *testing.T, e *webtest.Env, sv, member string) string {
	t.Helper()
	var inv models.PanelInvitation
	if err := e.DB.Where("survey_id = ? AND member_id = ?", sv, member).Take(&inv).Error; err != nil {
		t.Fatal(err)
	}
	return e.Srv.Panels().InvitationToken(inv.ID)
}

// attributesOf answers sv with member's invitation and returns the profile
// values stored with the response.
func attributesOf(t *testing.T, e *webtest.Env, sv, member string) map[string]string {
	t.Helper()
	a := e.Browser().PostJSON("/api/v1/surveys/"+sv+"/responses", `{"answers": {"active": "yes"}, "token": "`+invitationToken(t, e, sv, member)+`"}`)
	if a.Status != http.StatusCreated {
		t.Fatalf("answer: %d %s", a.Status, a.Body)
	}
	var created struct{ ID string }
	_ = json.Unmarshal([]byte(a.Body), &created)
	var attrs []models.ResponseAttribute
	e.DB.Where("response_id = ?", created.ID).Find(&attrs)
	out := map[string]string{}
	for _, x := range attrs {
		out[x.Field] = x.Value
	}
	return out
}

// An anonymous response gets only the profile values at least five active
// members share, dropping fields from the end of the panel's list (age,
// gender, district); an identified one gets them all, and the date.
func TestAnonymousProfilesAreKAnonymous(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *webtest.Env, _ *mailtest.Server) {
		staff := e.APIClient("staff@example.org", "staff")
		id := createPanel(t, staff)
		common := addMembers(t, e, id, 6, langOf, func(int) map[string]string {
			return map[string]string{"age": "young", "gender": "woman", "district": "noord"}
		})
		rareDistrict := addMembers(t, e, id, 1, langOf, func(int) map[string]string {
			return map[string]string{"age": "young", "gender": "woman", "district": "centrum"}
		})[0]
		unique := addMembers(t, e, id, 1, langOf, func(int) map[string]string {
			return map[string]string{"age": "old", "gender": "man", "district": "centrum"}
		})[0]
		// Five who gave only an age: "no gender" is a value like any other.
		noGender := addMembers(t, e, id, 5, langOf, func(int) map[string]string { return map[string]string{"age": "middle"} })
		sv := openSurvey(t, staff, true)
		if a := staff.PostJSON("/api/v1/panels/"+id+"/invitations", `{"survey_id": "`+sv+`"}`); a.Status != http.StatusCreated {
			t.Fatalf("invite: %d %s", a.Status, a.Body)
		}
		for who, want := range map[string]map[string]string{
			common[0]:    {"age": "young", "gender": "woman", "district": "noord"},
			rareDistrict: {"age": "young", "gender": "woman"},
			unique:       {},
			noGender[0]:  {"age": "middle"},
		} {
			if got := attributesOf(t, e, sv, who); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("member %s: profile values %v, want %v", who, got, want)
			}
		}
		if n := usesOf(e, sv); n != 4 {
			t.Fatalf("%d invitations used", n)
		}
		if n := count(e, "panel_invitations", "survey_id = ? AND used_on IS NOT NULL", sv); n != 0 {
			t.Fatalf("%d invitations to an anonymous survey keep the date of use", n)
		}

		// An identified survey: everything, and the date of use.
		sv2 := openSurvey(t, staff, false)
		if a := staff.PostJSON("/api/v1/panels/"+id+"/invitations", `{"survey_id": "`+sv2+`"}`); a.Status != http.StatusCreated {
			t.Fatalf("invite: %d %s", a.Status, a.Body)
		}
		if got := attributesOf(t, e, sv2, unique); len(got) != 3 || got["district"] != "centrum" {
			t.Errorf("identified survey: %v", got)
		}
		if n := count(e, "panel_invitations", "survey_id = ? AND member_id = ? AND used = ? AND used_on IS NOT NULL", sv2, unique, true); n != 1 {
			t.Fatal("an identified survey's invitation lacks the date of use")
		}
	})
}

// Answers that would be refused do not use up the invitation.
func TestBadAnswersKeepTheInvitation(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *webtest.Env, _ *mailtest.Server) {
		staff := e.APIClient("staff@example.org", "staff")
		id := createPanel(t, staff)
		m := addMembers(t, e, id, 1, langOf, func(int) map[string]string { return nil })[0]
		sv := openSurvey(t, staff, true)
		staff.PostJSON("/api/v1/panels/"+id+"/invitations", `{"survey_id": "`+sv+`"}`)
		tok := invitationToken(t, e, sv, m)
		a := e.Browser().PostJSON("/api/v1/surveys/"+sv+"/responses", `{"answers": {"active": "perhaps"}, "token": "`+tok+`"}`)
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad answer: %d %s", a.Status, a.Body)
		}
		if n := count(e, "panel_invitations", "member_id = ? AND used = ?", m, true) + usesOf(e, sv); n != 0 {
			t.Fatal("a refused answer used up the invitation")
		}
		if a := e.Browser().PostJSON("/api/v1/surveys/"+sv+"/responses", `{"answers": {"active": "yes"}, "token": "`+tok+`"}`); a.Status != http.StatusCreated {
			t.Fatalf("then a good answer: %d %s", a.Status, a.Body)
		}
	})
}
