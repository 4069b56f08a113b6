package ideas_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// commentRow reads the comment with body.
func commentRow(t *testing.T, e *webtest.Env, body string) models.IdeaComment {
	t.Helper()
	var cm models.IdeaComment
	if err := e.DB.Where("body = ?", body).Take(&cm).Error; err != nil {
		t.Fatalf("comment %q: %v", body, err)
	}
	return cm
}

// A signed-in citizen's forms offer their profile name; a name they clear
// is no name: the post is anonymous, never signed with the profile name.
func TestClearedNameMeansNoName(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, cons := openConsultation(t, e, "post")
		dora := e.Browser()
		doraID := fbSignIn(t, dora, "dora@example.org", "en")
		if err := e.DB.Model(&models.Citizen{}).Where("id = ?", doraID).Update("display_name", "Dora Profil").Error; err != nil {
			t.Fatal(err)
		}
		webtest.Contains(t, dora.Get("/consultations/"+cons+"/ideas/new"), `value="Dora Profil"`)
		id := submit(t, dora, cons, url.Values{"title": {"Cykelsti langs søerne"}, "body": {"Bredere sti."},
			"category": {"routes"}, "display_name": {""}})
		if n := ideaRow(t, e, id).DisplayName; n != "" {
			t.Fatalf("an idea posted with the name cleared is signed %q", n)
		}
		if p := e.Browser().Get("/ideas/" + id + "?lang=en"); strings.Contains(p.Body, "Dora Profil") || !strings.Contains(p.Body, "Anonymous") {
			t.Fatal("the idea page shows the profile name of an idea posted without a name")
		}

		// The comment form offers the name too; cleared, the comment has none.
		p := dora.Get("/ideas/" + id + "?lang=en")
		webtest.Contains(t, p, `id="display_name"`, `value="Dora Profil"`)
		tok := dora.CSRF("/ideas/" + id)
		if a := dora.PostForm("/ideas/"+id+"/comments", url.Values{"_csrf": {tok}, "body": {"Uden navn"}, "display_name": {""}}); a.Status != http.StatusSeeOther {
			t.Fatalf("comment: %d %s", a.Status, a.Body)
		}
		top := commentRow(t, e, "Uden navn")
		if top.DisplayName != "" {
			t.Fatalf("a comment posted with the name cleared is signed %q", top.DisplayName)
		}
		// Each reply form has the same optional name field, pre-filled.
		p = dora.Get("/ideas/" + id + "?lang=en")
		field := regexp.MustCompile(`<input id="reply-name-` + top.ID + `" name="display_name"[^>]*value="Dora Profil"`)
		if !field.MatchString(p.Body) {
			t.Fatalf("the reply form has no pre-filled name field:\n%s", p.Body)
		}
		for name, want := range map[string]string{"": "", "D. P.": "D. P."} {
			body := "Svar med navn " + fmt.Sprintf("%q", name)
			a := dora.PostForm("/ideas/"+id+"/comments", url.Values{"_csrf": {tok}, "parent_id": {top.ID}, "body": {body}, "display_name": {name}})
			if a.Status != http.StatusSeeOther {
				t.Fatalf("reply: %d %s", a.Status, a.Body)
			}
			if got := commentRow(t, e, body); got.DisplayName != want || got.ParentID == nil {
				t.Fatalf("reply with name %q: signed %q", name, got.DisplayName)
			}
		}
		// The API: a post without display_name has no name.
		if a := dora.PostJSON("/api/v1/ideas/"+id+"/comments", `{"body": "Fra API"}`); a.Status != http.StatusCreated {
			t.Fatalf("API comment: %d %s", a.Status, a.Body)
		}
		if got := commentRow(t, e, "Fra API"); got.DisplayName != "" {
			t.Fatalf("an API comment without a name is signed %q", got.DisplayName)
		}
		// And the store does not fill in the participant's name either.
		st := e.Srv.Ideas()
		c, _ := st.Consultation(context.Background(), cons)
		i, err := st.Submit(context.Background(), c, fbCitizen(e, c, doraID, "Dora Profil"), ideas.IdeaInput{Title: "T", Body: "B", Category: "routes"})
		if err != nil || i.DisplayName != "" {
			t.Fatalf("store: %v, name %q", err, i.DisplayName)
		}
	})
}

// The author of a comment that a moderator rejected or hid sees it, with
// the house rule and the moderator's note; nobody else sees the text or
// the note.
func TestAuthorLearnsWhyACommentWasRejectedOrHidden(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, cons := openConsultation(t, e, "pre")
		mod := e.APIClient("mod@example.dk", "moderator")
		moderate := func(kind, id, body string) {
			t.Helper()
			if a := mod.PostJSON("/api/v1/"+kind+"s/"+id+"/moderation", body); a.Status != http.StatusOK {
				t.Fatalf("%s %s: %d %s", kind, body, a.Status, a.Body)
			}
		}
		id := submit(t, e.Browser(), cons, url.Values{"title": {"Cykelparkering ved stationen"}, "body": {"Flere stativer."}, "category": {"routes"}})
		moderate("idea", id, `{"action":"approve"}`)

		dora := e.Browser()
		fbSignIn(t, dora, "dora@example.org", "en")
		tok := dora.CSRF("/ideas/" + id)
		for _, body := range []string{"Stem på mit parti", "Stemmer I på os?"} {
			if a := dora.PostForm("/ideas/"+id+"/comments", url.Values{"_csrf": {tok}, "body": {body}}); a.Status != http.StatusSeeOther {
				t.Fatalf("comment: %d", a.Status)
			}
		}
		rejected, hidden := commentRow(t, e, "Stem på mit parti"), commentRow(t, e, "Stemmer I på os?")
		moderate("comment", rejected.ID, `{"action":"reject","reason":"no_campaigning","note":"Skriv gerne igen uden partireklame."}`)
		moderate("comment", hidden.ID, `{"action":"approve"}`)
		moderate("comment", hidden.ID, `{"action":"hide","reason":"no_campaigning","note":"Ingen opfordringer til at stemme."}`)

		p := dora.Get("/ideas/" + id + "?lang=en")
		webtest.Contains(t, p, "Stem på mit parti", "A moderator did not publish your comment under the house rule “No campaigning”.",
			"Skriv gerne igen uden partireklame.", "Stemmer I på os?", "A moderator hid your comment under the house rule “No campaigning”.",
			"Ingen opfordringer til at stemme.", "Note from the moderator:")
		p = dora.Get("/ideas/" + id + "?lang=da")
		webtest.Contains(t, p, "En moderator har ikke offentliggjort din kommentar med henvisning til husreglen “Ingen valgkamp”.",
			"En moderator har skjult din kommentar efter husreglen “Ingen valgkamp”.")
		webtest.Contains(t, dora.Get("/ideas/"+id+"?lang=nl"), "Een moderator heeft je reactie niet gepubliceerd vanwege de huisregel “Geen campagne”.")

		other := e.Browser().Get("/ideas/" + id + "?lang=en")
		webtest.Contains(t, other, "A moderator hid this comment under the house rule “No campaigning”.")
		for _, secret := range []string{"Stem på mit parti", "Skriv gerne igen", "Stemmer I på os?", "Ingen opfordringer"} {
			if strings.Contains(other.Body, secret) {
				t.Fatalf("someone else sees %q", secret)
			}
		}

		// The API: the author's own, with rule and note; others only the rule of the hidden one.
		var th struct {
			Comments []struct {
				ID, Body, Visibility, Rule, Note string
				Mine                             bool
			}
		}
		if err := json.Unmarshal([]byte(dora.Get("/api/v1/ideas/"+id+"/comments").Body), &th); err != nil {
			t.Fatal(err)
		}
		if len(th.Comments) != 2 {
			t.Fatalf("the author's thread: %+v", th)
		}
		for _, c := range th.Comments {
			ok := c.Mine && c.Rule == "no_campaigning"
			switch c.ID {
			case rejected.ID:
				ok = ok && c.Visibility == "rejected" && c.Body == "Stem på mit parti" && c.Note == "Skriv gerne igen uden partireklame."
			case hidden.ID:
				ok = ok && c.Visibility == "hidden" && c.Body == "Stemmer I på os?" && c.Note == "Ingen opfordringer til at stemme."
			}
			if !ok {
				t.Fatalf("the author's thread: %+v", th)
			}
		}
		a := e.Browser().Get("/api/v1/ideas/" + id + "/comments")
		if strings.Contains(a.Body, "Skriv gerne") || strings.Contains(a.Body, "Ingen opfordringer") || strings.Contains(a.Body, "Stem") || !strings.Contains(a.Body, "no_campaigning") {
			t.Fatalf("someone else's thread: %s", a.Body)
		}

		// The citizen's page shows the rule and the note.
		webtest.Contains(t, dora.Get("/me/ideas?lang=en"), "Not published by a moderator", "Hidden by a moderator", "No campaigning",
			"Skriv gerne igen uden partireklame.", "Ingen opfordringer til at stemme.")
	})
}

// deleteAPI sends DELETE with a JSON body, as the API wants.
func deleteAPI(b *webtest.Browser, path string) webtest.Answer {
	return b.Do(http.MethodDelete, path, strings.NewReader("{}"), "application/json")
}

// An author deletes their own comment and idea, from the pages (with a
// confirmation) or the API; others' posts are not found; counts stay right.
func TestAuthorsDeleteTheirOwnPosts(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, cons := openConsultation(t, e, "post")
		anna, bo := e.Browser(), e.Browser()
		id := submit(t, anna, cons, url.Values{"title": {"Grøn bølge"}, "body": {"Lyskryds i takt."}, "category": {"routes"}})
		other := submit(t, bo, cons, url.Values{"title": {"Cykelbro"}, "body": {"Over havnen."}, "category": {"routes"}})

		// Bo comments twice on Anna's idea, Anna replies to the first.
		tok := bo.CSRF("/ideas/" + id)
		for _, b := range []string{"Bo siger ja", "Bo siger igen"} {
			if a := bo.PostForm("/ideas/"+id+"/comments", url.Values{"_csrf": {tok}, "body": {b}}); a.Status != http.StatusSeeOther {
				t.Fatalf("comment: %d", a.Status)
			}
		}
		first, second := commentRow(t, e, "Bo siger ja"), commentRow(t, e, "Bo siger igen")
		if a := anna.PostJSON("/api/v1/ideas/"+id+"/comments", fmt.Sprintf(`{"body": "Anna svarer", "parent_id": %q}`, first.ID)); a.Status != http.StatusCreated {
			t.Fatalf("reply: %d %s", a.Status, a.Body)
		}
		reply := commentRow(t, e, "Anna svarer")
		if n := ideaRow(t, e, id).Comments; n != 3 {
			t.Fatalf("comments: %d", n)
		}
		if a := report(anna, "comment", first.ID, "Uhøfligt"); a.Status != http.StatusCreated {
			t.Fatalf("report: %d %s", a.Status, a.Body)
		}

		// Delete links only on one's own posts.
		p := bo.Get("/ideas/" + id + "?lang=en")
		webtest.Contains(t, p, `href="/comments/`+first.ID+`/delete"`)
		if strings.Contains(p.Body, `href="/comments/`+reply.ID+`/delete"`) || strings.Contains(p.Body, `href="/ideas/`+id+`/delete"`) {
			t.Fatal("Bo is offered to delete Anna's posts")
		}
		webtest.Contains(t, anna.Get("/ideas/"+id+"?lang=en"), `href="/ideas/`+id+`/delete"`, `href="/comments/`+reply.ID+`/delete"`)

		// Someone else's post: 404 on the page, the form and the API.
		if a := anna.Get("/comments/" + first.ID + "/delete"); a.Status != http.StatusNotFound {
			t.Fatalf("confirmation page of someone else's comment: %d", a.Status)
		}
		atok := anna.CSRF("/ideas/" + id)
		if a := anna.PostForm("/comments/"+first.ID+"/delete", url.Values{"_csrf": {atok}}); a.Status != http.StatusNotFound {
			t.Fatalf("delete someone else's comment: %d", a.Status)
		}
		for _, path := range []string{"/api/v1/comments/" + first.ID, "/api/v1/ideas/" + other, "/api/v1/comments/nope", "/api/v1/ideas/nope"} {
			if a := deleteAPI(anna, path); a.Status != http.StatusNotFound {
				t.Fatalf("DELETE %s by someone else: %d %s", path, a.Status, a.Body)
			}
		}
		if a := e.Browser().Get("/ideas/" + id + "/delete"); a.Status != http.StatusNotFound {
			t.Fatalf("a visitor's confirmation page: %d", a.Status)
		}
		if a := bo.PostForm("/comments/"+first.ID+"/delete", url.Values{}); a.Status != http.StatusForbidden {
			t.Fatalf("delete without CSRF: %d", a.Status)
		}

		// Bo deletes his first comment from the page: it goes with Anna's
		// reply and the report; the idea is recounted.
		webtest.Contains(t, bo.Get("/comments/"+first.ID+"/delete?lang=en"), "Delete your comment?", "Bo siger ja", `action="/comments/`+first.ID+`/delete"`)
		tok = bo.CSRF("/comments/" + first.ID + "/delete")
		a := bo.PostForm("/comments/"+first.ID+"/delete", url.Values{"_csrf": {tok}})
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/ideas/"+id+"#comments" {
			t.Fatalf("delete comment: %d %s", a.Status, a.Header.Get("Location"))
		}
		webtest.Contains(t, bo.Get("/ideas/"+id+"?lang=en"), "Your comment is deleted.")
		if fbCount(t, e, "idea_comments", "id IN ?", []string{first.ID, reply.ID}) != 0 || fbCount(t, e, "reports", "target_id = ?", first.ID) != 0 {
			t.Fatal("the comment, its reply or its report remains")
		}
		if n := ideaRow(t, e, id).Comments; n != 1 {
			t.Fatalf("comments after deleting one with its reply: %d, want 1", n)
		}
		// His second over the API.
		if a := deleteAPI(bo, "/api/v1/comments/"+second.ID); a.Status != http.StatusNoContent {
			t.Fatalf("API delete comment: %d %s", a.Status, a.Body)
		}
		if n := ideaRow(t, e, id).Comments; n != 0 {
			t.Fatalf("comments: %d, want 0", n)
		}

		// Anna deletes her idea (supported, commented, reported): all of it goes.
		fbSupportForm(t, bo, cons, id)
		if a := bo.PostJSON("/api/v1/ideas/"+id+"/comments", `{"body": "Sidste ord"}`); a.Status != http.StatusCreated {
			t.Fatalf("comment: %d", a.Status)
		}
		last := commentRow(t, e, "Sidste ord")
		if a := report(e.Browser(), "idea", id, "Spam"); a.Status != http.StatusCreated {
			t.Fatalf("report: %d", a.Status)
		}
		if a := report(e.Browser(), "comment", last.ID, "Spam"); a.Status != http.StatusCreated {
			t.Fatalf("report: %d", a.Status)
		}
		webtest.Contains(t, anna.Get("/ideas/"+id+"/delete?lang=da"), "Vil du slette din idé?", "Grøn bølge", "Ja, slet")
		if a := deleteAPI(anna, "/api/v1/ideas/"+id); a.Status != http.StatusNoContent {
			t.Fatalf("API delete idea: %d %s", a.Status, a.Body)
		}
		if fbCount(t, e, "ideas", "id = ?", id) != 0 || fbCount(t, e, "idea_supports", "idea_id = ?", id) != 0 ||
			fbCount(t, e, "idea_comments", "idea_id = ?", id) != 0 || fbCount(t, e, "reports", "target_id IN ?", []string{id, last.ID}) != 0 {
			t.Fatal("the idea or what hangs on it remains")
		}
		if a := anna.Get("/ideas/" + id); a.Status != http.StatusNotFound {
			t.Fatalf("deleted idea: %d", a.Status)
		}

		// A signed-in citizen deletes from their page, and goes back there.
		dora := e.Browser()
		doraID := fbSignIn(t, dora, "dora@example.org", "en")
		mine := submit(t, dora, cons, url.Values{"title": {"Doras idé"}, "body": {"Tekst."}, "category": {"routes"}})
		webtest.Contains(t, dora.Get("/me/ideas?lang=en"), `href="/ideas/`+mine+`/delete?back=/me/ideas"`)
		page := dora.Get("/ideas/" + mine + "/delete?back=/me/ideas&lang=en")
		webtest.Contains(t, page, "Delete your idea?", `name="back" value="/me/ideas"`)
		tok = dora.CSRF("/ideas/" + mine + "/delete?back=/me/ideas")
		a = dora.PostForm("/ideas/"+mine+"/delete", url.Values{"_csrf": {tok}, "back": {"/me/ideas"}})
		if a.Status != http.StatusSeeOther || a.Header.Get("Location") != "/me/ideas" {
			t.Fatalf("delete from my page: %d %s", a.Status, a.Header.Get("Location"))
		}
		if fbCount(t, e, "ideas", "citizen_id = ?", doraID) != 0 {
			t.Fatal("Dora's idea remains")
		}
	})
}

// Following over the API: a signed-in citizen only.
func TestFollowOverTheAPI(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		_, cons := openConsultation(t, e, "post")
		id := submit(t, e.Browser(), cons, url.Values{"title": {"Cykelsti"}, "body": {"x"}, "category": {"routes"}})
		anon := e.Browser()
		anon.CSRF("/ideas/" + id)
		if a := anon.PostJSON("/api/v1/ideas/"+id+"/follow", `{}`); a.Status != http.StatusUnauthorized {
			t.Fatalf("follow without signing in: %d %s", a.Status, a.Body)
		}
		if a := deleteAPI(anon, "/api/v1/ideas/"+id+"/follow"); a.Status != http.StatusUnauthorized {
			t.Fatalf("unfollow without signing in: %d %s", a.Status, a.Body)
		}
		if a := e.APIClient("editor@example.dk", "staff").PostJSON("/api/v1/ideas/"+id+"/follow", `{}`); a.Status != http.StatusForbidden {
			t.Fatalf("staff follows: %d %s", a.Status, a.Body)
		}
		dora := e.Browser()
		doraID := fbSignIn(t, dora, "dora@example.org", "en")
		for range 2 {
			if a := dora.PostJSON("/api/v1/ideas/"+id+"/follow", `{}`); a.Status != http.StatusOK || !strings.Contains(a.Body, `"following":true`) {
				t.Fatalf("follow: %d %s", a.Status, a.Body)
			}
		}
		if fbCount(t, e, "idea_follows", "citizen_id = ? AND idea_id = ?", doraID, id) != 1 {
			t.Fatal("not following")
		}
		if a := dora.PostJSON("/api/v1/ideas/nope/follow", `{}`); a.Status != http.StatusNotFound {
			t.Fatalf("follow an unknown idea: %d", a.Status)
		}
		if a := deleteAPI(dora, "/api/v1/ideas/"+id+"/follow"); a.Status != http.StatusOK || !strings.Contains(a.Body, `"following":false`) {
			t.Fatalf("unfollow: %d %s", a.Status, a.Body)
		}
		if fbCount(t, e, "idea_follows", "citizen_id = ?", doraID) != 0 {
			t.Fatal("still following")
		}
	})
}
