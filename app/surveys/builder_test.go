package surveys_test

import (
	"bytes"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// form posts to path with the CSRF token of page.
func form(t *testing.T, b *webtest.Browser, page, path string, v url.Values) webtest.Answer {
	t.Helper()
	v.Set("_csrf", b.CSRF(page))
	return b.PostForm(path, v)
}

func definition(t *testing.T, e *webtest.Env, id string) surveys.Definition {
	t.Helper()
	var sv models.Survey
	if err := e.DB.Where("id = ?", id).Take(&sv).Error; err != nil {
		t.Fatal(err)
	}
	d, err := surveys.Parse(sv.Definition)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestStaffBuildsASurvey(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("staff@example.org", "staff")
		b := e.Browser()
		b.Login("staff@example.org", webtest.Password)

		// Settings: a missing title is named; then created.
		a := form(t, b, "/staff/surveys/new", "/staff/surveys", url.Values{"languages": {"da", "en"}})
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("no title: %d", a.Status)
		}
		webtest.Contains(t, a, "Udfyld dette felt.")
		a = form(t, b, "/staff/surveys/new", "/staff/surveys", url.Values{
			"languages": {"da", "en"}, "title.da": {"Cykelstrategi"}, "title.en": {"Cycling strategy"}, "anonymous": {"on"},
			"opens_at": {"2030-05-01T09:00"},
		})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("create: %d %s", a.Status, a.Body)
		}
		loc := a.Header.Get("Location")
		id := strings.TrimPrefix(loc, "/staff/surveys/")
		show := b.Get(loc)
		webtest.Contains(t, show, "Cykelstrategi", "Kladde", "Der er ingen spørgsmål på siden endnu.")

		// Opening without questions is refused with a reason.
		if a := form(t, b, loc, loc+"/open", url.Values{}); a.Status != http.StatusConflict || !strings.Contains(a.Body, "Tilføj først mindst ét spørgsmål.") {
			t.Fatalf("open empty: %d", a.Status)
		}

		// Three question types, one with a condition, through the question form.
		newQ := loc + "/questions/new?section=s1&type=single"
		webtest.Contains(t, b.Get(newQ), `name="opt.0.key"`, `name="opt.0.text.da"`, `name="text.en"`)
		a = form(t, b, newQ, loc+"/questions", url.Values{"section": {"s1"}, "key": {"bike"}, "type": {"single"}, "required": {"on"},
			"text.da": {"Cykler du?"}, "text.en": {"Do you cycle?"},
			"opt.0.text.da": {"Ja"}, "opt.0.text.en": {"Yes"}, "opt.1.text.da": {"Nej"}, "opt.1.text.en": {"No"}, "opt.2.text.da": {""}})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("single: %d %s", a.Status, a.Body)
		}
		a = form(t, b, loc+"/questions/new?type=scale", loc+"/questions", url.Values{"section": {"s1"}, "key": {"safe"}, "type": {"scale"},
			"text.da": {"Hvor tryg er du?"}, "scale_min": {"1"}, "scale_max": {"5"}, "scale_min_label.da": {"Utryg"}, "scale_max_label.da": {"Tryg"},
			"show_if": {"bike:o1"}})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("scale: %d %s", a.Status, a.Body)
		}
		a = form(t, b, loc+"/questions/new?type=longtext", loc+"/questions", url.Values{"section": {"s1"}, "key": {"idea"}, "type": {"longtext"},
			"text.da": {"Din idé"}, "text.en": {"Your idea"}})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("long text: %d %s", a.Status, a.Body)
		}
		d := definition(t, e, id)
		qs := d.Questions()
		if len(qs) != 3 || qs[0].Options[0].Key != "o1" || qs[1].ShowIf == nil || qs[1].ShowIf.AnyOf[0] != "o1" || qs[1].Scale.Max != 5 {
			t.Fatalf("definition %+v", qs)
		}

		webtest.Contains(t, b.Get(loc+"/questions/safe?lang=da"), `value="bike:o1" checked`, `name="scale_max_label.da"`, "Vis kun dette spørgsmål, når")

		// A bad question is refused with messages at the fields.
		a = form(t, b, loc+"/questions/new?type=single", loc+"/questions", url.Values{"section": {"s1"}, "key": {"Bad Key"}, "type": {"single"},
			"opt.0.text.da": {"Only one"}})
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad question: %d", a.Status)
		}
		webtest.Contains(t, a, "Brug kun små bogstaver", "Angiv mindst to svarmuligheder", "Udfyld dette felt.")

		// Duplicate, move, delete.
		form(t, b, loc, loc+"/questions/idea/duplicate", url.Values{})
		form(t, b, loc, loc+"/questions/idea_copy1/move", url.Values{"dir": {"up"}})
		keys := func() string {
			var ks []string
			for _, q := range definition(t, e, id).Questions() {
				ks = append(ks, q.Key)
			}
			return strings.Join(ks, ",")
		}
		if got := keys(); got != "bike,safe,idea_copy1,idea" {
			t.Fatalf("after duplicate and move: %s", got)
		}
		if a := form(t, b, loc, loc+"/questions/bike/delete", url.Values{}); a.Status != http.StatusConflict {
			t.Fatalf("deleting a question a condition depends on: %d", a.Status)
		}
		form(t, b, loc, loc+"/questions/idea_copy1/delete", url.Values{})
		if got := keys(); got != "bike,safe,idea" {
			t.Fatalf("after delete: %s", got)
		}

		// Missing texts are listed per language; the preview speaks English.
		webtest.Contains(t, b.Get(loc), "Tekster, der stadig mangler", "safe")
		pv := b.Get(loc + "/preview?lang=en")
		webtest.Contains(t, pv, "Do you cycle?", "Your idea", "Hvor tryg er du?", "This is a preview")

		// Opening a scheduled survey: open, but not yet taking answers.
		if a := form(t, b, loc, loc+"/open", url.Values{}); a.Status != http.StatusSeeOther {
			t.Fatalf("open: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, b.Get(loc+"?lang=da"), "Åben", "planlagt")
		citizen := e.Browser()
		if a := citizen.Get("/surveys/" + id); a.Status != http.StatusConflict || !strings.Contains(a.Body, "Undersøgelsen åbner") {
			t.Fatalf("before opening time: %d", a.Status)
		}
		a = form(t, b, loc, loc+"/settings", url.Values{"languages": {"da", "en"}, "title.da": {"Cykelstrategi"}, "title.en": {"Cycling strategy"}, "anonymous": {"on"}})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("clear schedule: %d", a.Status)
		}
		if a := citizen.Get("/surveys/" + id + "?lang=en"); a.Status != 200 || !strings.Contains(a.Body, "Cycling strategy") {
			t.Fatalf("open survey page: %d", a.Status)
		}
		webtest.Contains(t, b.Get("/?lang=en"), "Cycling strategy", `href="/surveys/`+id+`"`)
	})
}

func TestEditsThatWouldOrphanAnswersAreRefused(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("boss@example.org", "staff")
		b := e.Browser()
		b.Login("boss@example.org", webtest.Password)
		api := e.APIClient("staff@example.org", "staff")
		id := openSurvey(t, e, api, true, false)
		if a := e.Browser().PostJSON("/api/v1/surveys/"+id+"/responses", `{"answers": {"who": "visitor", "active": "no"}}`); a.Status != 201 {
			t.Fatalf("response: %d", a.Status)
		}
		loc := "/staff/surveys/" + id
		webtest.Contains(t, b.Get(loc), "Undersøgelsen har svar.")
		before := definition(t, e, id)
		// Removing an option that has answers.
		a := form(t, b, loc+"/questions/who", loc+"/questions/who", url.Values{"type": {"single"}, "text.da": {"Hvem er du?"},
			"opt.0.key": {"resident"}, "opt.0.text.da": {"Borger"}, "opt.1.key": {"visitor"}, "opt.1.text.da": {"Besøgende"}, "opt.1.remove": {"on"}, "opt.2.text.da": {"Pendler"}})
		if a.Status != http.StatusConflict {
			t.Fatalf("removing an answered option: %d", a.Status)
		}
		webtest.Contains(t, a, "Svarmuligheden har svar og kan ikke fjernes.")
		if a := form(t, b, loc, loc+"/questions/remark/delete", url.Values{}); a.Status != http.StatusConflict {
			t.Fatalf("removing a question: %d", a.Status)
		}
		// Changing the type.
		if a := form(t, b, loc+"/questions/remark", loc+"/questions/remark", url.Values{"type": {"longtext"}, "text.da": {"Bemærkning"}}); a.Status != http.StatusConflict {
			t.Fatalf("changing a type: %d", a.Status)
		}
		if after := definition(t, e, id); after.JSON() != before.JSON() {
			t.Fatal("a refused edit changed the survey")
		}
		// Text edits and a new option are fine.
		a = form(t, b, loc+"/questions/who", loc+"/questions/who", url.Values{"type": {"single"}, "required": {"on"}, "text.da": {"Hvem er du egentlig?"},
			"opt.0.key": {"resident"}, "opt.0.text.da": {"Borger"}, "opt.1.key": {"visitor"}, "opt.1.text.da": {"Turist"}, "opt.2.text.da": {"Pendler"}})
		if a.Status != http.StatusSeeOther {
			t.Fatalf("text edit: %d %s", a.Status, a.Body)
		}
		q, _ := definition(t, e, id).Question("who")
		if q.Text["da"] != "Hvem er du egentlig?" || len(q.Options) != 3 || q.Options[1].Text["da"] != "Turist" {
			t.Fatalf("after edit: %+v", q)
		}
	})
}

func TestQRCodesAndChannelLinks(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("staff@example.org", "staff")
		b := e.Browser()
		b.Login("staff@example.org", webtest.Password)
		id := openSurvey(t, e, e.APIClient("api@example.org", "staff"), true, false)
		show := b.Get("/staff/surveys/" + id)
		webtest.Contains(t, show, "/surveys/"+id+"?channel=facebook", "/surveys/"+id+"?channel=qr", "Hent PNG")
		for _, ch := range []string{"facebook", "facebook", "my-poster"} {
			e.Browser().PostJSON("/api/v1/surveys/"+id+"/responses?channel="+ch, `{"answers": {"who": "visitor", "active": "no"}}`)
		}
		webtest.Contains(t, b.Get("/staff/surveys/"+id), "Svar pr. kanal", "<td>Facebook</td><td>2</td>", "<td>Andre kanaler</td><td>1</td>")
		p := b.Get("/staff/surveys/" + id + "/qr.png?size=256")
		img, err := png.Decode(bytes.NewReader([]byte(p.Body)))
		if p.Status != 200 || err != nil || img.Bounds().Dx() != 256 {
			t.Fatalf("QR PNG: %d %v", p.Status, err)
		}
		s := b.Get("/staff/surveys/" + id + "/qr.svg")
		if s.Status != 200 || !strings.Contains(s.Header.Get("Content-Type"), "svg") || !regexp.MustCompile(`<svg[^>]+viewBox`).MatchString(s.Body) {
			t.Fatalf("QR SVG: %d %q", s.Status, s.Header.Get("Content-Type"))
		}
		if a := e.Browser().Get("/staff/surveys/" + id + "/qr.png"); a.Status != http.StatusSeeOther {
			t.Fatalf("QR for anonymous visitor: %d", a.Status)
		}
	})
}

func TestAnonymityIsLockedOnceAnswered(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("boss@example.org", "staff")
		b := e.Browser()
		b.Login("boss@example.org", webtest.Password)
		id := openSurvey(t, e, e.APIClient("staff@example.org", "staff"), true, false)
		e.Browser().PostJSON("/api/v1/surveys/"+id+"/responses", `{"answers": {"who": "visitor", "active": "no"}}`)
		loc := "/staff/surveys/" + id
		a := form(t, b, loc, loc+"/settings", url.Values{"languages": {"da"}, "title.da": {"Ny titel"}})
		if a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("making an answered anonymous survey identified: %d", a.Status)
		}
		webtest.Contains(t, a, "om den er anonym, kan ikke længere ændres")
		var sv models.Survey
		e.DB.Where("id = ?", id).Take(&sv)
		if !sv.Anonymous || sv.Title["da"] == "Ny titel" {
			t.Fatal("the refused settings were saved")
		}
	})
}
