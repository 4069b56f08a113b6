package panels_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/mail/mailtest"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// A newer panel that defines "age" differently: its labels and targets
// must lose to the older panel's, but its extra choice is still named.
const youthPanelJSON = `{
  "name": {"da": "Ungepanelet", "nl": "Jongerenpanel", "en": "The youth panel"},
  "profile_fields": [
    {"key": "age", "label": {"da": "Aldersgruppe", "nl": "Leeftijdsgroep", "en": "Age group"}, "choices": [
      {"key": "young", "label": {"da": "Unge", "nl": "Jongeren", "en": "Young people"}, "target": 10},
      {"key": "teen", "label": {"nl": "Tiener", "en": "Teenager"}, "target": 90}]}
  ]}`

// Responses given by invitation carry the profile; the staff results
// pages name the fields and choices in the page's language, filter by
// them, and offer the panel's target margins for weighting.
func TestResultsByProfile(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *webtest.Env, smtp *mailtest.Server) {
		api := e.APIClient("api@example.org", "staff")
		panel := createPanel(t, api)
		e.Clock.Add(time.Minute) // the youth panel is the newer one
		a := api.PostJSON("/api/v1/panels", youthPanelJSON)
		if a.Status != http.StatusCreated {
			t.Fatalf("create youth panel: %d %s", a.Status, a.Body)
		}
		var youth struct{ ID string }
		_ = json.Unmarshal([]byte(a.Body), &youth)

		ages := []string{"young", "middle", "young", "old"}
		members := addMembers(t, e, panel, len(ages), langOf, func(i int) map[string]string {
			return map[string]string{"age": ages[i], "gender": "woman", "district": "noord"}
		})
		members = append(members, addMembers(t, e, youth.ID, 1, langOf, func(int) map[string]string { return map[string]string{"age": "teen"} })...)
		sv := openSurvey(t, api, false)
		for _, p := range []string{panel, youth.ID} {
			if a := api.PostJSON("/api/v1/panels/"+p+"/invitations", `{"survey_id": "`+sv+`"}`); a.Status != http.StatusCreated {
				t.Fatalf("invite: %d %s", a.Status, a.Body)
			}
		}
		if n := runWorker(t, e); n != 5 {
			t.Fatalf("worker sent %d invitations", n)
		}
		smtp.Wait(t, 5)
		// Members 0-2 (young, middle, young) and the teenager answer by token.
		for i, answer := range map[int]string{0: "yes", 1: "no", 2: "yes", 4: "no"} {
			var m models.PanelMember
			e.DB.Where("id = ?", members[i]).Take(&m)
			token := strings.TrimPrefix(link(t, inviteLinkRe, smtp.To(m.Email)[0]), "/i/")
			if a := e.Browser().PostJSON("/api/v1/surveys/"+sv+"/responses", `{"answers": {"active": "`+answer+`"}, "token": "`+token+`"}`); a.Status != http.StatusCreated {
				t.Fatalf("answer of member %d: %d %s", i, a.Status, a.Body)
			}
		}

		e.Account("staff@example.org", "staff")
		staff := e.Browser()
		staff.Login("staff@example.org", webtest.Password)
		results := "/staff/surveys/" + sv + "/results"
		// The segment filter names the profile in Danish; the older panel's
		// "age" wins, the newer one names only the choice the older lacks
		// (in another language, as it has no Danish label).
		page := staff.Get(results + "?lang=da")
		webtest.Contains(t, page, "4 besvarelser", "Profil: Alder", "18-34 år", "35-64 år", "Tiener", "Profil: Bydel", "Nord", "Profil: Køn", "Kvinde",
			`value="profile.age:young"`)
		for _, lost := range []string{"Aldersgruppe", ">Unge<", ">age<", ">young<"} {
			if strings.Contains(page.Body, lost) {
				t.Errorf("the results page shows %q", lost)
			}
		}
		// Filtering by a profile value, on the page and by the API.
		webtest.Contains(t, staff.Get(results+"?lang=da&segment=age:young"), "2 besvarelser", "filtreret")
		webtest.Contains(t, staff.Get(results+"?lang=da&segment=profile.age:middle"), "1 besvarelse ", "filtreret")
		var r struct {
			Responses int64 `json:"responses"`
			Questions []struct {
				Key     string `json:"key"`
				Options []struct {
					Key   string `json:"key"`
					Count int64  `json:"count"`
				} `json:"options"`
			} `json:"questions"`
		}
		a = api.Get("/api/v1/surveys/" + sv + "/results?segment=age:young")
		if err := json.Unmarshal([]byte(a.Body), &r); err != nil || a.Status != http.StatusOK || r.Responses != 2 {
			t.Fatalf("results of the young: %d %s", a.Status, a.Body)
		}
		for _, o := range r.Questions[0].Options {
			if want := map[string]int64{"yes": 2, "no": 0}[o.Key]; o.Count != want {
				t.Errorf("the young answered %s %d times, want %d", o.Key, o.Count, want)
			}
		}
		if a := staff.Get(results + "?segment=age:ancient"); a.Status != http.StatusBadRequest {
			t.Errorf("filter by an unknown profile value: %d", a.Status)
		}

		// The weighting form offers the older panel's targets for age, and
		// nothing for fields without targets.
		w := staff.Get("/staff/surveys/" + sv + "/weighting?lang=en")
		webtest.Contains(t, w, "target margins", "Profile: Age", "18-34 years", "Teenager")
		for field, want := range map[string]string{"young": "50", "middle": "30"} {
			re := `name="share:profile:age:` + field + `"`
			i := strings.Index(w.Body, re)
			if i < 0 {
				t.Fatalf("no input %s", re)
			}
			end := strings.IndexByte(w.Body[i:], '>')
			if !strings.Contains(w.Body[i:i+end], `value="`+want+`"`) {
				t.Errorf("input %s: %s, want value %s", re, w.Body[i:i+end], want)
			}
		}
		if i := strings.Index(w.Body, `name="share:profile:age:teen"`); i < 0 || strings.Contains(w.Body[i:i+strings.IndexByte(w.Body[i:], '>')], `value="9`) {
			t.Error("the newer panel's target for teenagers was offered")
		}
		if strings.Count(w.Body, "target margins") != 1 {
			t.Errorf("target margins offered %d times, want once (age only)", strings.Count(w.Body, "target margins"))
		}
	})
}
