package journeys

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestTownHallLive is journey 6: in a live town hall with moderation
// before publication, a citizen asks a question in one browser, a
// moderator approves it in a second, the mayor answers in a third, and the
// citizen's page shows the question and then the answer as they happen,
// without being reloaded (the event stream and static/js/townhall.js).
func TestTownHallLive(t *testing.T) {
	needApp(t)
	now := time.Now().UTC()
	starts, ends := now.Add(-time.Minute), now.Add(2*time.Hour)
	var created struct {
		ID string `json:"id"`
	}
	title := unique("Spørgetime om cykelstrategien")
	if st := api(t, app.token, http.MethodPost, "/api/v1/townhalls", map[string]any{
		"title":            map[string]string{"da": title, "nl": title + " (nl)", "en": title + " (en)"},
		"description":      map[string]string{"da": "Stil dine spørgsmål til borgmesteren."},
		"starts_at":        starts,
		"ends_at":          ends,
		"moderation":       "pre",
		"participation":    "anyone",
		"names":            "optional",
		"politicians":      []string{mayorEmail},
		"politician_roles": map[string]string{mayorEmail: "Borgmester"},
	}, &created); st != http.StatusCreated {
		t.Fatalf("creating the town hall answered %d", st)
	}
	th := "/townhalls/" + created.ID
	question := unique("Hvornår kommer der cykelsti på Ringvejen?")
	answer := unique("Til foråret: anlægget er bevilget.")

	// The citizen asks.
	c := newBrowser(t, "citizen")
	c.speaks("da")
	c.mustOpen(th)
	c.wantText("h1", title)
	c.fill("#text", question)
	c.fill("#display_name", "Karen fra Vestbyen")
	c.submit(`form[action="` + th + `/questions"] button[type=submit]`)
	c.wantText(".my-questions", question)
	// From here on the page must not be reloaded: a mark set now is gone
	// after any reload.
	// (The stream starts from the last event the page was rendered with,
	// so nothing is missed however late it connects.)
	eval[bool](c, `window.journeyMark = true`)

	// The moderator approves it.
	m := newBrowser(t, "moderator")
	m.signIn(modEmail)
	m.mustOpen("/moderate" + th)
	qid := cardWith(t, m, question)
	m.submit(fmt.Sprintf(`#%s form:has(input[name=action][value=approve]) button[type=submit]`, qid))

	// The citizen's page shows it, published, without a reload.
	c.waitText("#"+qid+" .question-text", question, 15*time.Second)

	// The mayor answers.
	p := newBrowser(t, "mayor")
	p.signIn(mayorEmail)
	p.mustOpen("/politician" + th)
	p.fill("#text-"+qid[len("q-"):], answer)
	p.submit(fmt.Sprintf(`#%s form[action$="/answers"] button[type=submit]`, qid))

	c.waitText("#"+qid+" .answers", answer, 15*time.Second)
	c.wantText("#"+qid+" .answer-by", "Borgmester Jens Jensen")
	if !eval[bool](c, `window.journeyMark === true`) {
		t.Fatal("the citizen's page was reloaded; the answer should arrive in place")
	}
}

// cardWith returns the element id (q-…) of the question card that holds
// the text.
func cardWith(t *testing.T, b *tab, text string) string {
	t.Helper()
	id := eval[string](b, fmt.Sprintf(`(function () {
		var cards = document.querySelectorAll("li.question-card");
		for (var i = 0; i < cards.length; i++) {
			var q = cards[i].querySelector(".question-text");
			if (q && q.innerText.trim() === %q) { return cards[i].id; }
		}
		return "";
	})()`, text))
	if id == "" {
		t.Fatalf("%s: no question card with %q on %s", b.name, text, b.path())
	}
	return id
}
