package results_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// exportSurveyJSON has one question of every type, Danish, Dutch and
// English labels, and "other" on the single and the multiple choice.
const exportSurveyJSON = `{
  "title": {"da": "Borgerpanel om sociale medier – Ærø", "nl": "Burgerpanel over sociale media", "en": "Citizen panel on social media"},
  "languages": ["da", "nl", "en"], "anonymous": %s, "allow_multiple": true,
  "questions": [
    {"key": "who", "type": "single", "allow_other": true, "text": {"da": "Hvem er du?", "nl": "Wie bent u?", "en": "Who are you?"},
     "options": [{"key": "resident", "text": {"da": "Borger på Ærø", "nl": "Inwoner", "en": "Resident"}},
                 {"key": "visitor", "text": {"da": "Besøgende", "nl": "Bezoeker", "en": "Visitor"}}]},
    {"key": "where", "type": "multiple", "allow_other": true, "text": {"da": "Hvor følger du os?", "nl": "Waar volgt u ons?", "en": "Where do you follow us?"},
     "options": [{"key": "facebook", "text": {"da": "Facebook", "en": "Facebook"}}, {"key": "x", "text": {"da": "X", "en": "X"}},
                 {"key": "instagram", "text": {"da": "Instagram", "en": "Instagram"}}]},
    {"key": "rank", "type": "ranking", "text": {"da": "Hvad er vigtigst?", "nl": "Wat is het belangrijkst?", "en": "What matters most?"},
     "options": [{"key": "speed", "text": {"da": "Hurtighed", "nl": "Snelheid", "en": "Speed"}},
                 {"key": "tone", "text": {"da": "Tone", "nl": "Toon", "en": "Tone"}},
                 {"key": "facts", "text": {"da": "Fakta", "nl": "Feiten", "en": "Facts"}}]},
    {"key": "grid", "type": "matrix", "text": {"da": "Hvordan går det med …", "nl": "Hoe gaat het met …", "en": "How is it going with …"},
     "rows": [{"key": "roads", "text": {"da": "Veje", "nl": "Wegen", "en": "Roads"}}, {"key": "parks", "text": {"da": "Parker", "nl": "Parken", "en": "Parks"}}],
     "options": [{"key": "good", "text": {"da": "Godt", "nl": "Goed", "en": "Good"}}, {"key": "bad", "text": {"da": "Dårligt", "nl": "Slecht", "en": "Bad"}}]},
    {"key": "score", "type": "scale", "scale": {"min": 1, "max": 5}, "text": {"da": "Karakter", "nl": "Cijfer", "en": "Score"}},
    {"key": "delta", "type": "number", "text": {"da": "Ændring", "nl": "Verandering", "en": "Change"}},
    {"key": "remark", "type": "text", "text": {"da": "Bemærkning", "nl": "Opmerking", "en": "Remark"}},
    {"key": "story", "type": "longtext", "text": {"da": "Fortæl", "nl": "Vertel", "en": "Tell us"}}
  ]}`

func createSurvey(t *testing.T, staff *webtest.Browser, anonymous bool) string {
	t.Helper()
	a := staff.PostJSON("/api/v1/surveys", fmt.Sprintf(exportSurveyJSON, fmt.Sprint(anonymous)))
	if a.Status != http.StatusCreated {
		t.Fatalf("create survey: %d %s", a.Status, a.Body)
	}
	var sv struct{ ID string }
	_ = json.Unmarshal([]byte(a.Body), &sv)
	if o := staff.PostJSON("/api/v1/surveys/"+sv.ID+"/open", `{}`); o.Status != http.StatusOK {
		t.Fatalf("open: %d %s", o.Status, o.Body)
	}
	return sv.ID
}

func respond(t *testing.T, e *webtest.Env, id, body string) string {
	t.Helper()
	a := e.Browser().PostJSON("/api/v1/surveys/"+id+"/responses", body)
	if a.Status != http.StatusCreated {
		t.Fatalf("respond: %d %s", a.Status, a.Body)
	}
	var r struct{ ID string }
	_ = json.Unmarshal([]byte(a.Body), &r)
	return r.ID
}

// table is a parsed export: the header keys and the rows by response id.
type table struct {
	header []string
	col    map[string]int // key -> index
	rows   map[string][]string
}

func (tb table) cell(response, key string) string {
	i, ok := tb.col[key]
	if !ok {
		return "<no column " + key + ">"
	}
	row := tb.rows[response]
	if i >= len(row) {
		return ""
	}
	return row[i]
}

func toTable(t *testing.T, records [][]string) table {
	t.Helper()
	if len(records) == 0 {
		t.Fatal("no header row")
	}
	tb := table{header: records[0], col: map[string]int{}, rows: map[string][]string{}}
	for i, h := range records[0] {
		key, _, ok := strings.Cut(h, ": ")
		if !ok {
			t.Errorf("header %q is not \"key: label\"", h)
		}
		tb.col[key] = i
	}
	for _, r := range records[1:] {
		tb.rows[r[0]] = r
	}
	return tb
}

func parseCSV(t *testing.T, a webtest.Answer) table {
	t.Helper()
	if a.Status != http.StatusOK {
		t.Fatalf("export: %d %s", a.Status, a.Body)
	}
	if !strings.HasPrefix(a.Body, "\uFEFF") {
		t.Fatalf("CSV does not start with the UTF-8 BOM: %q", a.Body[:min(20, len(a.Body))])
	}
	if ct := a.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(a.Body, "\uFEFF")))
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	return toTable(t, records)
}

func parseXLSX(t *testing.T, a webtest.Answer, dataSheet, codebook string) (table, [][]string) {
	t.Helper()
	if a.Status != http.StatusOK {
		t.Fatalf("export: %d %s", a.Status, a.Body)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(a.Body)))
	if err != nil {
		t.Fatalf("XLSX does not open: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 2 || got[0] != dataSheet || got[1] != codebook {
		t.Fatalf("sheets %q, want %q and %q", got, dataSheet, codebook)
	}
	rows, err := f.GetRows(dataSheet)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := f.GetRows(codebook)
	if err != nil {
		t.Fatal(err)
	}
	// Text is never a formula.
	for _, name := range []string{dataSheet, codebook} {
		for r, row := range rows {
			for c := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if fm, _ := f.GetCellFormula(name, ref); fm != "" {
					t.Errorf("%s!%s holds a formula %q", name, ref, fm)
				}
			}
		}
	}
	return toTable(t, rows), cb
}

func TestExport(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		id := createSurvey(t, staff, false)
		r1 := respond(t, e, id, `{"channel": "facebook", "answers": {"who": "resident", "where": ["facebook", "other"],
			"where.other": "=HYPERLINK(\"http://evil.example\",\"klik\")", "rank": ["facts", "speed", "tone"],
			"grid": {"roads": "good", "parks": "bad"}, "score": 4, "delta": -2, "remark": "+1", "story": "Æblegrød på Ærø, ijs in ’s-Hertogenbosch"}}`)
		r2 := respond(t, e, id, `{"answers": {"who": "other", "who.other": "@x", "where": ["x"], "grid": {"parks": "good"}, "delta": 2.5, "remark": "-2 graders"}}`)
		r3 := respond(t, e, id, `{"answers": {"score": 1}}`)
		// Profile values come with panel members; one is stored by hand.
		if err := e.DB.Create(&models.ResponseAttribute{ResponseID: r2, Field: "age_band", Value: "30_44"}).Error; err != nil {
			t.Fatal(err)
		}
		// Text that the answer forms would trim, from older data.
		if err := e.DB.Create(&models.Answer{ResponseID: r3, SurveyID: id, QuestionKey: "remark", Text: "\tx"}).Error; err != nil {
			t.Fatal(err)
		}
		if err := e.DB.Create(&models.Answer{ResponseID: r3, SurveyID: id, QuestionKey: "story", Text: "\rcarriage"}).Error; err != nil {
			t.Fatal(err)
		}

		// CSV, in the request's language (Danish, the default).
		a := staff.Get("/api/v1/surveys/" + id + "/export.csv")
		tb := parseCSV(t, a)
		if cd := a.Header.Get("Content-Disposition"); cd != `attachment; filename="Borgerpanel-om-sociale-medier-Aeroe.csv"; filename*=UTF-8''Borgerpanel-om-sociale-medier-%C3%86r%C3%B8.csv` {
			t.Errorf("Content-Disposition %q", cd)
		}
		if len(tb.rows) != 3 {
			t.Fatalf("%d rows, want 3", len(tb.rows))
		}
		wantHeader := []string{"response", "channel", "date", "submitted_at", "profile.age_band", "who", "who.other.text",
			"where.facebook", "where.x", "where.instagram", "where.other", "where.other.text",
			"rank.speed", "rank.tone", "rank.facts", "grid.roads", "grid.parks", "score", "delta", "remark", "story"}
		var keys []string
		for _, h := range tb.header {
			k, _, _ := strings.Cut(h, ": ")
			keys = append(keys, k)
		}
		if strings.Join(keys, ",") != strings.Join(wantHeader, ",") {
			t.Errorf("columns\n%q\nwant\n%q", keys, wantHeader)
		}
		if h := tb.header[tb.col["where.facebook"]]; h != "where.facebook: Hvor følger du os? - Facebook" {
			t.Errorf("header %q", h)
		}
		for _, c := range []struct{ resp, key, want string }{
			{r1, "channel", "facebook"},
			{r2, "channel", "web"},
			{r1, "who", "Borger på Ærø"},
			{r2, "who", "Andet"},
			{r2, "who.other.text", "'@x"},
			{r1, "who.other.text", ""},
			{r1, "where.facebook", "1"}, {r1, "where.x", "0"}, {r1, "where.instagram", "0"}, {r1, "where.other", "1"},
			{r1, "where.other.text", `'=HYPERLINK("http://evil.example","klik")`},
			{r2, "where.facebook", "0"}, {r2, "where.x", "1"}, {r2, "where.other", "0"},
			{r3, "where.facebook", ""}, {r3, "where.other", ""}, // not answered: blank, not 0
			{r1, "rank.facts", "1"}, {r1, "rank.speed", "2"}, {r1, "rank.tone", "3"}, {r2, "rank.speed", ""},
			{r1, "grid.roads", "Godt"}, {r1, "grid.parks", "Dårligt"}, {r2, "grid.roads", ""}, {r2, "grid.parks", "Godt"},
			{r1, "score", "4"}, {r3, "score", "1"},
			{r1, "delta", "-2"}, {r2, "delta", "2.5"}, // numbers are numbers, not escaped
			{r1, "remark", "'+1"}, {r2, "remark", "'-2 graders"}, {r3, "remark", "'\tx"},
			{r3, "story", "'\rcarriage"},
			{r1, "story", "Æblegrød på Ærø, ijs in ’s-Hertogenbosch"},
			{r2, "profile.age_band", "30_44"}, {r1, "profile.age_band", ""},
		} {
			if got := tb.cell(c.resp, c.key); got != c.want {
				t.Errorf("CSV %s of response %s = %q, want %q", c.key, c.resp, got, c.want)
			}
		}
		var resp models.Response
		e.DB.Where("id = ?", r1).Take(&resp)
		if got := tb.cell(r1, "date"); got != resp.SubmittedOn {
			t.Errorf("date %q, want %q", got, resp.SubmittedOn)
		}
		if got := tb.cell(r1, "submitted_at"); resp.SubmittedAt == nil || got != resp.SubmittedAt.UTC().Format("2006-01-02T15:04:05Z07:00") {
			t.Errorf("submitted_at %q, stored %v", got, resp.SubmittedAt)
		}

		// ?lang= chooses the labels.
		en := parseCSV(t, staff.Get("/api/v1/surveys/"+id+"/export.csv?lang=en"))
		if h := en.header[en.col["where.facebook"]]; h != "where.facebook: Where do you follow us? - Facebook" {
			t.Errorf("English header %q", h)
		}
		if got := en.cell(r1, "who"); got != "Resident" {
			t.Errorf("English label %q", got)
		}
		if got := en.cell(r2, "who"); got != "Other" {
			t.Errorf("English other %q", got)
		}
		nl := parseCSV(t, staff.Get("/api/v1/surveys/"+id+"/export.csv?lang=nl"))
		if got := nl.cell(r1, "grid.parks"); got != "Slecht" {
			t.Errorf("Dutch matrix label %q", got)
		}
		if h := nl.header[nl.col["date"]]; h != "date: Datum" {
			t.Errorf("Dutch header %q", h)
		}

		// XLSX: the same values, a codebook beside them.
		x, cb := parseXLSX(t, staff.Get("/api/v1/surveys/"+id+"/export.xlsx?lang=en"), "Responses", "Codebook")
		if strings.Join(x.header, "|") != strings.Join(en.header, "|") {
			t.Errorf("XLSX header\n%q\nCSV\n%q", x.header, en.header)
		}
		for resp, row := range en.rows {
			for i, want := range row {
				if got := x.cell(resp, strings.SplitN(en.header[i], ": ", 2)[0]); got != want {
					t.Errorf("XLSX %s of %s = %q, CSV has %q", en.header[i], resp, got, want)
				}
			}
		}
		if len(cb) < len(x.header)+1 || cb[0][1] != "Key" {
			t.Fatalf("codebook has %d rows: %q", len(cb), cb)
		}
		found := false
		for _, row := range cb {
			if len(row) >= 7 && row[1] == "who" {
				found = true
				if row[0] != "F" || row[3] != "who" || row[4] != "Who are you?" || row[5] != "Single choice" ||
					!strings.Contains(row[6], "resident = Resident") || !strings.Contains(row[6], "other = Other") {
					t.Errorf("codebook row %q", row)
				}
			}
		}
		if !found {
			t.Errorf("codebook lacks the column who: %q", cb)
		}

		// Staff pages with a session export too.
		b := e.Browser()
		e.Account("comms@example.org", "staff")
		b.Login("comms@example.org", webtest.Password)
		if a := b.Get("/staff/surveys/" + id + "/export.csv?lang=en"); a.Status != http.StatusOK || !strings.Contains(a.Body, "Resident") {
			t.Errorf("staff page export: %d", a.Status)
		}
		da, _ := parseXLSX(t, b.Get("/staff/surveys/"+id+"/export.xlsx?lang=da"), "Besvarelser", "Kodebog")
		if got := da.cell(r1, "story"); got != "Æblegrød på Ærø, ijs in ’s-Hertogenbosch" {
			t.Errorf("XLSX Danish text %q", got)
		}
	})
}

func TestExportRefusals(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		id := createSurvey(t, staff, true)
		respond(t, e, id, `{"answers": {"score": 3}}`)

		// Unknown survey: 404, in both shapes.
		a := staff.Get("/api/v1/surveys/nosuchsurvey/export.csv")
		if code, _ := webtest.ErrorCode(t, a); a.Status != http.StatusNotFound || code != "not_found" {
			t.Errorf("unknown survey: %d %s", a.Status, a.Body)
		}
		if a := staff.Get("/api/v1/surveys/nosuchsurvey/export.xlsx"); a.Status != http.StatusNotFound {
			t.Errorf("unknown survey xlsx: %d", a.Status)
		}
		// An unknown language: 400 that says what is wrong, in the request's language.
		a = staff.Get("/api/v1/surveys/" + id + "/export.csv?lang=fr")
		if code, _ := webtest.ErrorCode(t, a); a.Status != http.StatusBadRequest || code != "bad_query" || !strings.Contains(a.Body, "da (dansk), nl (nederlandsk) eller en (engelsk)") {
			t.Errorf("unknown language: %d %s", a.Status, a.Body)
		}
		staff.Header.Set("Accept-Language", "en")
		if a := staff.Get("/api/v1/surveys/" + id + "/export.xlsx?lang=xx"); a.Status != http.StatusBadRequest || !strings.Contains(a.Body, "da (Danish), nl (Dutch) or en (English)") {
			t.Errorf("unknown language, English: %d %s", a.Status, a.Body)
		}

		// A citizen, with or without a session, cannot export.
		citizen := e.Browser()
		citizen.Get("/surveys/" + id)
		if a := citizen.Get("/api/v1/surveys/" + id + "/export.csv"); a.Status != http.StatusUnauthorized || strings.Contains(a.Body, "score") {
			t.Errorf("citizen API export: %d", a.Status)
		}
		if a := citizen.Get("/staff/surveys/" + id + "/export.csv"); a.Status != http.StatusSeeOther || !strings.HasPrefix(a.Header.Get("Location"), "/login") {
			t.Errorf("citizen page export: %d %s", a.Status, a.Header.Get("Location"))
		}
		// A signed-in account without the staff role neither.
		pol := e.APIClient("politician@example.org", "politician")
		if a := pol.Get("/api/v1/surveys/" + id + "/export.xlsx"); a.Status != http.StatusForbidden {
			t.Errorf("politician export: %d", a.Status)
		}
	})
}

func TestExportWithoutResponses(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		id := createSurvey(t, staff, true)
		a := staff.Get("/api/v1/surveys/" + id + "/export.csv")
		tb := parseCSV(t, a)
		if len(tb.rows) != 0 {
			t.Errorf("%d rows for a survey without responses", len(tb.rows))
		}
		if _, ok := tb.col["submitted_at"]; ok {
			t.Error("an anonymous survey exports submitted_at")
		}
		if _, ok := tb.col["story"]; !ok {
			t.Errorf("header lacks the questions: %q", tb.header)
		}
		x, _ := parseXLSX(t, staff.Get("/api/v1/surveys/"+id+"/export.xlsx"), "Besvarelser", "Kodebog")
		if len(x.rows) != 0 || len(x.header) != len(tb.header) {
			t.Errorf("XLSX without responses: %d rows, %d columns", len(x.rows), len(x.header))
		}
	})
}
