package web_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// xssPayloads go through every text field.
var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`javascript:alert(1)`,
	`</textarea><svg onload=alert(1)>`,
	`{{.}}`,
	`'--><script>alert(1)</script>`,
	`<a href="javascript:alert(1)">x</a>`,
	`</script><script>alert(1)</script>`,
	`<iframe srcdoc="<script>alert(1)</script>">`,
}

// formulaPayloads are cells a spreadsheet would run.
var formulaPayloads = []string{`=HYPERLINK("http://evil.example","x")`, `+1+cmd|' /C calc'!A0`, `-2+3+cmd|' /C calc'!A0`, `@SUM(1+1)`}

// rawMarkup are the forms a payload takes when it reaches a page unescaped.
var rawMarkup = []string{"<script>alert", "<img src=x", "<svg onload", "<iframe", `href="javascript:`, `src="javascript:`, `href='javascript:`, "--><script"}

// noRawMarkup fails the test when body holds a payload unescaped.
func noRawMarkup(t *testing.T, where, body string) {
	t.Helper()
	low := strings.ToLower(body)
	for _, m := range rawMarkup {
		if strings.Contains(low, m) {
			i := strings.Index(low, m)
			t.Errorf("%s holds raw %q: …%s…", where, m, body[max(0, i-80):min(len(body), i+80)])
		}
	}
}

// withText embeds a payload in a text long enough for every validator.
func withText(p string) string { return "Cykelstier langs havnen " + p + " og flere bænke" }

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

// expect fails the test unless a has status want.
func expect(t *testing.T, what string, a webtest.Answer, want int) webtest.Answer {
	t.Helper()
	if a.Status != want {
		t.Fatalf("%s: %d (want %d) %s", what, a.Status, want, a.Body)
	}
	return a
}

// formulaFree fails the test when a cell would run as a formula.
func formulaFree(t *testing.T, where string, cells []string) {
	t.Helper()
	for _, c := range cells {
		if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
			t.Errorf("%s: a cell starts a formula: %q", where, c)
		}
	}
}

// csvCells are all the cells of a CSV export.
func csvCells(t *testing.T, body string) []string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.FieldsPerRecord = -1
	r.Comma = ','
	if strings.Count(strings.SplitN(body, "\n", 2)[0], ";") > strings.Count(strings.SplitN(body, "\n", 2)[0], ",") {
		r.Comma = ';'
	}
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	var out []string
	for _, rec := range recs {
		out = append(out, rec...)
	}
	return out
}

// xlsxCells are all the cells of an XLSX export; a formula fails the test.
func xlsxCells(t *testing.T, body string) []string {
	t.Helper()
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	defer f.Close()
	var out []string
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				out = append(out, v)
				name, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if fm, _ := f.GetCellFormula(sh, name); fm != "" {
					t.Errorf("xlsx %s!%s holds a formula %q", sh, name, fm)
				}
			}
		}
	}
	return out
}

// readStream reads an event stream over a real listener for a while.
func readStream(t *testing.T, e *webtest.Env, path string, within time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.Srv.App().Listener(ln) }()
	defer func() { _ = e.Srv.App().ShutdownWithTimeout(2 * time.Second) }()
	req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+path, nil)
	req.Header.Set("Last-Event-ID", "0")
	cl := &http.Client{Timeout: within}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, resp.Body) // ends at the client's timeout
	return buf.String()
}

// TestXSSPayloadsComeBackEscaped sends each payload through the citizens'
// and staff's text fields and reads every place they show up: pages, the
// JSON API, the live event stream, mails and exports.
func TestXSSPayloadsComeBackEscaped(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		e.Account("admin@example.org", "admin")
		admin := e.Browser()
		admin.Login("admin@example.org", webtest.Password)
		staff := e.APIClient("staff@example.org", "admin")
		mayorID := e.Account("mayor@example.org", "politician")
		mayor := e.Browser()
		mayor.Login("mayor@example.org", webtest.Password)
		plain, _, err := e.Auth.CreateToken(t.Context(), mayorID, "t")
		if err != nil {
			t.Fatal(err)
		}
		mayorAPI := e.Browser()
		mayorAPI.Header.Set("Authorization", "Bearer "+plain)
		now := e.Clock.Now()
		ts := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339) }
		thID := jsonID(t, staff.PostJSON("/api/v1/townhalls", fmt.Sprintf(`{"title":{"da":%s},"description":{"da":%s},"starts_at":%q,"ends_at":%q,"moderation":"post","politicians":["mayor@example.org"]}`,
			jsonString(withText(xssPayloads[0])), jsonString(withText(xssPayloads[1])), ts(-10*time.Minute), ts(time.Hour))), http.StatusCreated)

		var surveys []string
		check := func(b *webtest.Browser, path string) {
			t.Helper()
			a := b.Get(path)
			if a.Status != http.StatusOK {
				t.Errorf("GET %s: %d", path, a.Status)
			}
			noRawMarkup(t, path, a.Body)
		}
		for i, p := range xssPayloads {
			jp := jsonString(withText(p))
			// A consultation, an idea with its author's display name and
			// place, a comment, a report, the city's status explanation.
			consID := jsonID(t, staff.PostJSON("/api/v1/consultations", fmt.Sprintf(`{"title":{"da":%s},"description":{"da":%s},
				"categories":[{"key":"routes","label":{"da":%s}}],
				"opens_at":%q,"closes_at":%q,"moderation":"post","anonymous":false}`, jp, jp, jsonString("Ruter "+p), ts(-time.Hour), ts(720*time.Hour))), http.StatusCreated)
			author := e.Browser()
			signInCitizen(t, author, fmt.Sprintf("author%d@example.org", i))
			if a := author.Do(http.MethodPatch, "/api/v1/me/citizen", strings.NewReader(`{"display_name":`+jsonString("Anna "+p)+`}`), "application/json"); a.Status >= 300 {
				t.Logf("display name %q refused: %d %s", p, a.Status, a.Body)
			}
			a := author.PostJSON("/api/v1/consultations/"+consID+"/ideas", fmt.Sprintf(`{"title":%s,"body":%s,"category":"routes","display_name":%s,"location":{"lat":55.67,"lng":12.56,"label":%s}}`,
				jsonString("Idé "+p), jp, jsonString("Anna "+p), jsonString("Havnen "+p)))
			ideaID := jsonID(t, a, http.StatusCreated)
			noRawMarkup(t, "idea JSON", a.Body)
			author.PostJSON("/api/v1/ideas/"+ideaID+"/follow", `{}`)
			other := e.Browser()
			signInCitizen(t, other, fmt.Sprintf("other%d@example.org", i))
			expect(t, "comment", other.PostJSON("/api/v1/ideas/"+ideaID+"/comments", `{"body":`+jp+`,"display_name":`+jsonString("Bo "+p)+`}`), http.StatusCreated)
			expect(t, "report", other.PostJSON("/api/v1/reports", `{"target_type":"idea","target_id":"`+ideaID+`","reason":`+jp+`}`), http.StatusCreated)
			expect(t, "status", staff.PostJSON("/api/v1/ideas/"+ideaID+"/status", `{"status":"under_review","explanation":{"da":`+jp+`}}`), http.StatusOK)

			// A town hall question with its asker's name and an answer.
			asker := e.Browser()
			asker.Get("/townhalls/" + thID)
			qID := jsonID(t, asker.PostJSON("/api/v1/townhalls/"+thID+"/questions", `{"text":`+jp+`,"display_name":`+jsonString("Carl "+p)+`}`), http.StatusCreated)
			expect(t, "answer", mayorAPI.PostJSON("/api/v1/questions/"+qID+"/answers", `{"text":`+jp+`}`), http.StatusCreated)

			// A survey's texts and a text answer.
			sID := jsonID(t, staff.PostJSON("/api/v1/surveys", fmt.Sprintf(`{"title":{"da":%s},"description":{"da":%s},"languages":["da"],
				"questions":[{"key":"mode","type":"single","text":{"da":%s},"help":{"da":%s},"options":[{"key":"bike","text":{"da":%s}},{"key":"car","text":{"da":"Bil"}}]},
				{"key":"why","type":"text","text":{"da":%s}}]}`, jp, jp, jp, jp, jsonString("Cykel "+p), jp)), http.StatusCreated)
			expect(t, "open survey", staff.PostJSON("/api/v1/surveys/"+sID+"/open", `{}`), http.StatusOK)
			for _, ans := range append([]string{withText(p), p}, formulaPayloads...) {
				r := e.Browser()
				r.Get("/surveys/" + sID)
				expect(t, "respond", r.PostJSON("/api/v1/surveys/"+sID+"/responses", `{"answers":{"mode":"bike","why":`+jsonString(ans)+`}}`), http.StatusCreated)
			}
			surveys = append(surveys, sID)

			// A channel policy's texts.
			pID := jsonID(t, staff.PostJSON("/api/v1/policies", `{"title":{"da":`+jp+`},"intro":{"da":`+jp+`},"period":"2027-01-01/2027-12-31"}`), http.StatusCreated)
			expect(t, "decision", staff.PostJSON("/api/v1/policies/"+pID+"/decisions", `{"channel":"facebook","purposes":["questions"],"response_target_hours":8,
				"hours":{"da":`+jp+`},"owner":`+jsonString("Team "+p)+`,"text":{"da":`+jp+`}}`), http.StatusCreated)
			expect(t, "publish", staff.PostJSON("/api/v1/policies/"+pID+"/publish", `{}`), http.StatusOK)

			// A house rule.
			expect(t, "house rule", admin.PostForm("/staff/house-rules", url.Values{"_csrf": {admin.CSRF("/staff/house-rules")},
				"key": {fmt.Sprintf("rule%d", i)}, "title_da": {withText(p)}, "body_da": {withText(p)}}), http.StatusSeeOther)

			for _, path := range []string{"/consultations/" + consID, "/ideas/" + ideaID, "/consultations/" + consID + "/feedback",
				"/api/v1/ideas/" + ideaID, "/api/v1/ideas/" + ideaID + "/comments", "/api/v1/consultations/" + consID + "/ideas",
				"/surveys/" + sID, "/surveys/" + sID + "/s/1", "/api/v1/surveys/" + sID, "/policies/" + pID, "/api/v1/policies/" + pID} {
				check(other, path)
			}
			for _, path := range []string{"/me", "/me/ideas", "/api/v1/me/data", "/me/data"} {
				check(author, path)
			}
			for _, path := range []string{"/moderate/consultations/" + consID, "/staff/ideas/" + ideaID, "/staff/consultations/" + consID,
				"/staff/surveys/" + sID, "/staff/surveys/" + sID + "/preview", "/staff/surveys/" + sID + "/results",
				"/staff/surveys/" + sID + "/results/texts/why", "/staff/policies/" + pID, "/api/v1/consultations/" + consID + "/moderation"} {
				check(admin, path)
			}
			webtest.Contains(t, other.Get("/ideas/"+ideaID), "Cykelstier langs havnen")
		}
		anon := e.Browser()
		for _, path := range []string{"/townhalls/" + thID, "/townhalls", "/consultations", "/policies", "/house-rules",
			"/api/v1/townhalls/" + thID, "/api/v1/house-rules", "/api/v1/consultations", "/"} {
			check(anon, path)
		}
		for _, path := range []string{"/moderate/townhalls/" + thID, "/staff/townhalls/" + thID, "/staff/house-rules",
			"/staff/consultations", "/staff/surveys", "/staff/policies", "/api/v1/townhalls/" + thID + "/moderation", "/staff"} {
			check(admin, path)
		}
		check(mayor, "/politician/townhalls/"+thID)
		webtest.Contains(t, anon.Get("/townhalls/"+thID), "&lt;script&gt;alert(1)&lt;/script&gt;")

		// The live stream carries the texts JSON-encoded.
		stream := readStream(t, e, "/api/v1/townhalls/"+thID+"/events", 1500*time.Millisecond)
		noRawMarkup(t, "event stream", stream)
		n := 0
		for _, line := range strings.Split(stream, "\n") {
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				n++
				if !json.Valid([]byte(d)) {
					t.Errorf("event data is not JSON: %s", d)
				}
			}
		}
		if n < len(xssPayloads) {
			t.Errorf("the stream replayed %d events, want at least %d", n, len(xssPayloads))
		}

		// Mails: the HTML part holds the texts escaped.
		var mails []models.OutboxMail
		if err := e.DB.Find(&mails).Error; err != nil {
			t.Fatal(err)
		}
		withUserText := 0
		for _, m := range mails {
			noRawMarkup(t, "mail "+m.Subject, m.HTMLBody)
			if strings.Contains(m.HTMLBody, "Cykelstier") || strings.Contains(m.HTMLBody, "Idé") {
				withUserText++
			}
		}
		if withUserText == 0 {
			t.Errorf("no mail (of %d) holds a citizen's or staff text", len(mails))
		}

		// Exports: no cell starts a formula.
		for _, sID := range surveys {
			for _, b := range []*webtest.Browser{staff, admin} {
				prefix := "/api/v1"
				if b == admin {
					prefix = "/staff"
				}
				a := expect(t, "csv", b.Get(prefix+"/surveys/"+sID+"/export.csv"), http.StatusOK)
				cells := csvCells(t, a.Body)
				formulaFree(t, "csv", cells)
				if !strings.Contains(a.Body, "HYPERLINK") {
					t.Errorf("csv lacks the answers")
				}
				x := expect(t, "xlsx", b.Get(prefix+"/surveys/"+sID+"/export.xlsx"), http.StatusOK)
				formulaFree(t, "xlsx", xlsxCells(t, x.Body))
			}
		}
	})
}

// TestPanelTextsComeBackEscaped puts the payloads in a panel's texts
// (name, description, profile field and choice labels), where citizens
// read them on the sign-up form, the confirmation mail and their member
// page, and staff on the panel page and the members export.
func TestPanelTextsComeBackEscaped(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		e.Account("comms@example.org", "staff")
		comms := e.Browser()
		comms.Login("comms@example.org", webtest.Password)
		for i, p := range xssPayloads {
			jp := jsonString(withText(p))
			id := jsonID(t, staff.PostJSON("/api/v1/panels", fmt.Sprintf(`{"name":{"da":%s},"description":{"da":%s},
				"profile_fields":[{"key":"district","label":{"da":%s},"choices":[{"key":"north","label":{"da":%s}},{"key":"south","label":{"da":"Syd"}}]}]}`,
				jp, jp, jsonString("Bydel "+p), jsonString("Nord "+p))), http.StatusCreated)
			email := fmt.Sprintf("member%d@example.org", i)
			c := e.Browser()
			check := func(b *webtest.Browser, path string) string {
				t.Helper()
				a := b.Get(path)
				if a.Status != http.StatusOK {
					t.Errorf("GET %s: %d", path, a.Status)
				}
				noRawMarkup(t, path, a.Body)
				return a.Body
			}
			check(c, "/panels/"+id+"/join")
			expect(t, "join", c.PostJSON("/api/v1/panels/"+id+"/members", `{"email":"`+email+`","language":"da","consent":true,"profile":{"district":"north"}}`), http.StatusAccepted)
			var m models.OutboxMail
			if err := e.DB.Where("to_addr = ?", email).Take(&m).Error; err != nil {
				t.Fatalf("confirmation mail: %v", err)
			}
			noRawMarkup(t, "mail "+m.Subject, m.HTMLBody)
			if !strings.Contains(m.HTMLBody+m.Subject, "Cykelstier langs havnen") {
				t.Errorf("the confirmation mail lacks the panel's name")
			}
			token := regexp.MustCompile(`/panels/member/([A-Za-z0-9_-]+)`).FindStringSubmatch(m.TextBody)
			if token == nil {
				t.Fatalf("no member link in %q", m.TextBody)
			}
			member := check(c, "/panels/member/"+token[1])
			if !strings.Contains(member, "Cykelstier langs havnen") {
				t.Errorf("the member page lacks the panel's name")
			}
			check(c, "/panels/member/"+token[1]+"/data")
			check(comms, "/staff/panels/"+id)
			check(comms, "/staff/panels")
			a := expect(t, "members.csv", comms.Get("/staff/panels/"+id+"/members.csv"), http.StatusOK)
			formulaFree(t, "members.csv", csvCells(t, a.Body))
			check(staff, "/api/v1/panels/"+id+"/stats")
		}
	})
}
