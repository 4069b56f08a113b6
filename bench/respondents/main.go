// Command respondents checks issue 9's survey load on PostgreSQL: -n
// invited panel members (500) at the same moment open their personal
// invitation link, fetch the survey form through the real HTTP server, read
// its CSRF token and submit their answers through the form. Every request
// carries its own nonce in every free-text field, so that a buffer of
// Fiber's reused by another request would show up as a foreign nonce in a
// stored row. Then it checks: accepted submissions (303 to the thank-you
// page) equal stored responses, each with all its answers; each invitation
// used once, a second use refused; every stored text holds exactly its own
// request's text. It prints p50 and p99 of each step. It also runs under
// the race detector: go run -race ./bench/respondents -database ...
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/panels"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/bench/benchdb"
	"github.com/inspraak/inspraak/bench/seed"
	"github.com/inspraak/inspraak/models"
)

func main() {
	database := flag.String("database", "", "postgres:// URL of an existing database on 127.0.0.1 (required)")
	n := flag.Int("n", 500, "invited respondents, all at the same time")
	keep := flag.Bool("keep", false, "keep the bench schema")
	flag.Parse()
	if *database == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *database, *n, *keep); err != nil {
		var v *apperr.Validation
		if errors.As(err, &v) {
			fmt.Fprintln(os.Stderr, "respondents bench: validation:", v.Fields)
		}
		fmt.Fprintln(os.Stderr, "respondents bench:", err)
		os.Exit(1)
	}
}

// The survey: one page with a choice whose "other" carries a text, two
// short texts, a long text and a number: five answer rows per response,
// four of them texts that carry the respondent's nonce.
const definitionJSON = `{"sections": [{"key": "p1", "questions": [
  {"key": "role", "type": "single", "required": true, "allow_other": true,
   "text": {"da": "Hvem er du?", "nl": "Wie bent u?", "en": "Who are you?"},
   "options": [{"key": "resident", "text": {"da": "Borger", "nl": "Inwoner", "en": "Resident"}},
               {"key": "visitor", "text": {"da": "Besøgende", "nl": "Bezoeker", "en": "Visitor"}}]},
  {"key": "name", "type": "text", "required": true, "text": {"da": "Dit navn", "nl": "Uw naam", "en": "Your name"}},
  {"key": "street", "type": "text", "required": true, "text": {"da": "Din gade", "nl": "Uw straat", "en": "Your street"}},
  {"key": "remark", "type": "longtext", "required": true, "text": {"da": "Bemærkning", "nl": "Opmerking", "en": "Remark"}},
  {"key": "age", "type": "number", "required": true, "text": {"da": "Alder", "nl": "Leeftijd", "en": "Age"}}
]}]}`

// texts are the free-text answers of the respondent with nonce n, by
// question key: each holds the nonce once, in a different place.
func texts(n string) map[string]string {
	return map[string]string{
		"role":   "borger " + n,
		"name":   n + " Jensen",
		"street": "Nørrebrogade " + n + " 12",
		"remark": "Første linje " + n + "\nanden linje æøå",
	}
}

var (
	csrfRe  = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	nonceRe = regexp.MustCompile(`N[0-9a-f]{16}`)
)

type result struct {
	nonce                     string
	link, fetch, submit       time.Duration
	linkSt, fetchSt, submitSt int
	accepted                  bool
	err                       error
	replayLink, replayAPI     int
}

func run(ctx context.Context, database string, n int, keep bool) error {
	env, err := benchdb.Open(ctx, database, benchdb.Options{Prefix: "bench_resp", Keep: keep})
	if err != nil {
		return fmt.Errorf("-database: %w", err)
	}
	defer env.Close()
	gdb := env.DB
	srv, err := env.Serve()
	if err != nil {
		return err
	}
	store := srv.Panels()

	var def surveys.Definition
	if err := json.Unmarshal([]byte(definitionJSON), &def); err != nil {
		return err
	}
	svStore := surveys.NewStore(gdb)
	sv, err := svStore.Create(ctx, surveys.Meta{Title: models.Text{"da": "Belastning", "nl": "Belasting", "en": "Load"},
		Languages: []string{"da", "nl", "en"}, Anonymous: true}, def, "", nil)
	if err != nil {
		return err
	}
	if _, err := svStore.SetStatus(ctx, sv.ID, models.SurveyOpen); err != nil {
		return err
	}
	panel, err := store.Create(ctx, panels.PanelInput{Name: models.Text{"da": "Borgerpanelet", "nl": "Burgerpanel", "en": "Citizen panel"},
		Fields: panels.DemoPanelFields()}, nil)
	if err != nil {
		return err
	}
	if err := loadMembers(ctx, gdb, store, panel.ID, n); err != nil {
		return err
	}
	if invited, err := store.Invite(ctx, panel.ID, panels.InviteInput{SurveyID: sv.ID}, nil); err != nil {
		return err
	} else if invited != n {
		return fmt.Errorf("invited %d of %d", invited, n)
	}
	var invIDs []string
	if err := gdb.Model(&models.PanelInvitation{}).Where("survey_id = ?", sv.ID).Pluck("id", &invIDs).Error; err != nil {
		return err
	}
	tokens := make([]string, len(invIDs))
	for i, id := range invIDs {
		tokens[i] = store.InvitationToken(id)
	}

	tr := &http.Transport{MaxIdleConns: 2 * n, MaxIdleConnsPerHost: 2 * n, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	base := env.BaseURL
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			r.nonce = "N" + benchdb.RandomHex(8)
			<-start
			respond(ctx, tr, base, sv.ID, tokens[i], r)
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	wall := time.Since(t0)

	// Second uses of every token, after the load: the link, the API with
	// the token, and the same browser posting the form again.
	var rwg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := range n {
		rwg.Add(1)
		sem <- struct{}{}
		go func() {
			defer rwg.Done()
			defer func() { <-sem }()
			replay(ctx, tr, base, sv.ID, tokens[i], &results[i])
		}()
	}
	rwg.Wait()

	// Checks against the database.
	accepted := 0
	statuses := map[string]int{}
	var link, fetch, submit []time.Duration
	byNonce := map[string]bool{}
	for _, r := range results {
		if r.accepted {
			accepted++
			byNonce[r.nonce] = true
		}
		if r.err != nil {
			statuses["error: "+r.err.Error()]++
		}
		statuses[fmt.Sprintf("link %d, form %d, submit %d", r.linkSt, r.fetchSt, r.submitSt)]++
		link, fetch, submit = append(link, r.link), append(fetch, r.fetch), append(submit, r.submit)
	}
	var stored, used int64
	gdb.Model(&models.Response{}).Where("survey_id = ?", sv.ID).Count(&stored)
	gdb.Model(&models.PanelInvitation{}).Where("survey_id = ? AND used", sv.ID).Count(&used)
	var uses int64 // an anonymous survey's invitations are used through rows of their own
	gdb.Model(&models.PanelInvitationUse{}).Where("survey_id = ?", sv.ID).Count(&uses)
	used += uses
	var rows []models.Answer
	if err := gdb.Where("survey_id = ?", sv.ID).Find(&rows).Error; err != nil {
		return err
	}
	perResponse := map[string][]models.Answer{}
	for _, a := range rows {
		perResponse[a.ResponseID] = append(perResponse[a.ResponseID], a)
	}
	incomplete, foreign, seen := 0, 0, map[string]int{}
	for _, as := range perResponse {
		if len(as) != 5 {
			incomplete++
		}
		own := ""
		for _, a := range as {
			if a.Text == "" {
				continue
			}
			ns := nonceRe.FindAllString(a.Text, -1)
			if len(ns) != 1 || (own != "" && ns[0] != own) || texts(ns[0])[a.QuestionKey] != a.Text {
				foreign++
				continue
			}
			own = ns[0]
		}
		if own == "" || !byNonce[own] {
			foreign++
		}
		seen[own]++
	}
	twice := 0
	for _, k := range seen {
		if k > 1 {
			twice++
		}
	}
	replays := map[string]int{}
	for _, r := range results {
		replays[fmt.Sprintf("link %d, API %d", r.replayLink, r.replayAPI)]++
	}

	fmt.Printf("Respondents benchmark: %d invited panel members at once, each: GET /i/{token} -> GET the form page -> POST the form with its CSRF token (PostgreSQL, server in-process)\n\n", n)
	fmt.Printf("%-34s %10s %10s %10s\n", "step", "p50 ms", "p99 ms", "max ms")
	row := func(name string, ds []time.Duration) {
		slices.Sort(ds)
		fmt.Printf("%-34s %10.1f %10.1f %10.1f\n", name, ms(ds[len(ds)/2]), ms(ds[(len(ds)*99)/100]), ms(ds[len(ds)-1]))
	}
	row("invitation link (303)", link)
	row("fetch form page (200)", fetch)
	row("submit form (303 -> thanks)", submit)
	fmt.Printf("\nwall time %.2f s, %.0f respondents/s\n", wall.Seconds(), float64(n)/wall.Seconds())
	fmt.Println("\nstatuses:")
	for _, k := range slices.Sorted(maps.Keys(statuses)) {
		fmt.Printf("  %-40s %d\n", k, statuses[k])
	}
	fmt.Println("second use of each token (want 409 / 409):")
	for _, k := range slices.Sorted(maps.Keys(replays)) {
		fmt.Printf("  %-40s %d\n", k, replays[k])
	}
	fmt.Printf("\n%-52s %d\n", "accepted (303 to the thank-you page)", accepted)
	fmt.Printf("%-52s %d\n", "stored responses", stored)
	fmt.Printf("%-52s %d\n", "responses without all 5 answer rows", incomplete)
	fmt.Printf("%-52s %d\n", "invitations marked used", used)
	fmt.Printf("%-52s %d\n", "answer rows", len(rows))
	fmt.Printf("%-52s %d\n", "rows with a foreign, missing or mangled nonce", foreign)
	fmt.Printf("%-52s %d\n", "nonces stored in more than one response", twice)
	var failed []string
	if accepted != n {
		failed = append(failed, fmt.Sprintf("%d of %d accepted", accepted, n))
	}
	if int64(accepted) != stored || stored != used || len(perResponse) != int(stored) {
		failed = append(failed, "accepted, stored and used differ")
	}
	if incomplete > 0 || foreign > 0 || twice > 0 {
		failed = append(failed, "stored rows do not match their requests")
	}
	for _, r := range results {
		if r.replayLink != http.StatusConflict || r.replayAPI != http.StatusConflict {
			failed = append(failed, "a used token was not refused")
			break
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	fmt.Println("\nverified: every accepted submission stored once, whole, with only its own nonce; every token used once")
	return nil
}

// respondent is one browser: its own cookies, no redirects followed.
func respondent(tr *http.Transport) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Transport: tr, Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func respond(ctx context.Context, tr *http.Transport, base, surveyID, token string, r *result) {
	c := respondent(tr)
	var body string
	t := time.Now()
	r.linkSt, _, r.err = do(ctx, c, "GET", base+"/i/"+token, nil)
	r.link = time.Since(t)
	if r.err != nil || r.linkSt != http.StatusSeeOther {
		return
	}
	t = time.Now()
	r.fetchSt, body, r.err = do(ctx, c, "GET", base+"/surveys/"+surveyID+"/s/1?lang=da", nil)
	r.fetch = time.Since(t)
	m := csrfRe.FindStringSubmatch(body)
	if r.err != nil || m == nil {
		return
	}
	form := formFor(m[1], r.nonce)
	t = time.Now()
	var loc string
	r.submitSt, loc, r.err = do(ctx, c, "POST", base+"/surveys/"+surveyID+"/s/1", form)
	r.submit = time.Since(t)
	r.accepted = r.err == nil && r.submitSt == http.StatusSeeOther && strings.HasSuffix(loc, "/thanks")
}

func formFor(csrf, nonce string) url.Values {
	tx := texts(nonce)
	return url.Values{"_csrf": {csrf}, "action": {"next"},
		"q.role": {"other"}, "q.role.other": {tx["role"]}, "q.name": {tx["name"]}, "q.street": {tx["street"]},
		"q.remark": {tx["remark"]}, "q.age": {"42"}}
}

// replay uses the token again: a fresh browser opening the link, and the
// API with the token.
func replay(ctx context.Context, tr *http.Transport, base, surveyID, token string, r *result) {
	r.replayLink, _, _ = do(ctx, respondent(tr), "GET", base+"/i/"+token, nil)
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/surveys/"+surveyID+"/responses",
		strings.NewReader(`{"answers": {"role": "resident", "name": "x", "street": "y", "remark": "z", "age": 1}, "token": "`+token+`"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := (&http.Client{Transport: tr}).Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		r.replayAPI = resp.StatusCode
	}
}

// do sends one request; for a redirect it returns the Location instead of
// the body.
func do(ctx context.Context, c *http.Client, method, target string, form url.Values) (int, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return 0, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode/100 == 3 {
		return resp.StatusCode, resp.Header.Get("Location"), err
	}
	return resp.StatusCode, string(b), err
}

// loadMembers writes n active members with profiles with COPY, as
// bench/invite does.
func loadMembers(ctx context.Context, gdb *gorm.DB, store *panels.Store, panelID string, n int) error {
	fields := panels.DemoPanelFields()
	now := time.Now().UTC()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = models.NewID()
	}
	return seed.CopyTx(ctx, gdb, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"panel_members"},
			[]string{"id", "panel_id", "email", "language", "status", "token_hash", "source", "confirm_expires_at", "confirm_mails", "last_mail_at", "created_at", "confirmed_at"},
			pgx.CopyFromSlice(n, func(i int) ([]any, error) {
				sum := sha256.Sum256([]byte(store.MemberToken(ids[i])))
				return []any{ids[i], panelID, fmt.Sprintf("respondent%06d@bench.example.org", i), "da", models.MemberActive,
					hex.EncodeToString(sum[:]), "import", now, 1, now, now, now}, nil
			}))
		if err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"panel_member_profiles"}, []string{"member_id", "panel_id", "field", "value"},
			pgx.CopyFromSlice(n*len(fields), func(k int) ([]any, error) {
				i, f := k/len(fields), fields[k%len(fields)]
				return []any{ids[i], panelID, f.Key, f.Choices[i%len(f.Choices)].Key}, nil
			}))
		return err
	})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
