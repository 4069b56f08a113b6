package panels_test

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inspraak/inspraak/app/web"
	"github.com/inspraak/inspraak/app/webtest"
	"github.com/inspraak/inspraak/models"
)

// tableNames lists the tables of the test database.
func tableNames(t *testing.T, e *webtest.Env) []string {
	t.Helper()
	var names []string
	q := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if e.DB.Dialector.Name() == "postgres" {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	if err := e.DB.Raw(q).Scan(&names).Error; err != nil || len(names) < 10 {
		t.Fatalf("tables: %v %v", names, err)
	}
	return names
}

// dumpTable is every row of a table, each as the text of its values.
func dumpTable(t *testing.T, e *webtest.Env, table string) (cols []string, rows []string) {
	t.Helper()
	r, err := e.DB.Table(table).Select("*").Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cols, _ = r.Columns()
	for r.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, v := range vals {
			if x, ok := v.([]byte); ok {
				v = string(x)
			}
			fmt.Fprintf(&b, "%s=%v\x1f", cols[i], v)
		}
		rows = append(rows, b.String())
	}
	return cols, rows
}

// words splits a dumped row into the values and words it holds.
func words(row string) []string {
	out := strings.FieldsFunc(row, func(r rune) bool {
		return r == 0x1f || r == '=' || r == ' ' || r == '"' || r == ',' || r == ':' || r == '{' || r == '}' || r == '[' || r == ']'
	})
	return out
}

// spearman is the rank correlation of two lists of distinct ranks.
func spearman(a, b []int) float64 {
	n := float64(len(a))
	var d2 float64
	for i := range a {
		d := float64(a[i] - b[i])
		d2 += d * d
	}
	return 1 - 6*d2/(n*(n*n-1))
}

// TestAnonymousPanelResponsesCannotBeLinked: 1,000 members answer an
// anonymous survey with their invitation tokens, in a random order. No
// column of the response tables names a member, a token, a session or an
// address, no value of them holds one, and the responses' order as stored
// says nothing about the order the tokens were used in.
func TestAnonymousPanelResponsesCannotBeLinked(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		const n = 1000
		staff := e.APIClient("staff@example.org", "staff")
		panelID := createPanel(t, staff)
		sv := openSurvey(t, staff, true)
		ages := []string{"young", "middle", "old"}
		members := addMembers(t, e, panelID, n, langOf, func(i int) map[string]string {
			return map[string]string{"age": ages[i%3], "gender": "woman", "district": "noord"}
		})
		if a := staff.PostJSON("/api/v1/panels/"+panelID+"/invitations", `{"survey_id":"`+sv+`"}`); a.Status != http.StatusCreated {
			t.Fatalf("invite: %d %s", a.Status, a.Body)
		}
		var invs []models.PanelInvitation
		if err := e.DB.Where("survey_id = ?", sv).Find(&invs).Error; err != nil || len(invs) != n {
			t.Fatalf("%d invitations: %v", len(invs), err)
		}
		tokens := make([]string, n)
		secrets := map[string]bool{}
		for i, inv := range invs {
			tokens[i] = e.Srv.Panels().InvitationToken(inv.ID)
			secrets[tokens[i]] = true
			secrets[inv.ID] = true
			secrets[inv.TokenHash] = true
			secrets[inv.RoundID] = true // a round may hold a single member
		}
		var ms []models.PanelMember
		e.DB.Where("panel_id = ?", panelID).Find(&ms)
		for _, m := range ms {
			secrets[m.ID] = true
			secrets[m.Email] = true
			secrets[m.TokenHash] = true
		}
		if len(members) != n {
			t.Fatal("members")
		}

		// The invitation rows, and on PostgreSQL the transaction that last
		// wrote each, before any is used: answering must not touch them
		// (a write in the transaction beside the response's would pair the
		// member's invitation with the response by transaction id and row order).
		invitationRows := func() string {
			q := "SELECT id, used, used_on, reminders FROM panel_invitations WHERE survey_id = ? ORDER BY id"
			if e.DB.Dialector.Name() == "postgres" {
				q = "SELECT id, used, used_on, reminders, xmin::text AS xmin FROM panel_invitations WHERE survey_id = ? ORDER BY id"
			}
			var rows []map[string]any
			if err := e.DB.Raw(q, sv).Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(rows)
		}
		untouched := invitationRows()

		// Use the tokens in a random order, eight at a time, each answer
		// from its own browser; k counts the tokens as they are used.
		rng := rand.New(rand.NewSource(1))
		order := rng.Perm(n)
		ids := make([]string, n) // ids[k]: the response of the k-th token used
		start := time.Now()
		var mu sync.Mutex
		next := 0
		var wg sync.WaitGroup
		var failed atomic.Value
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					mu.Lock()
					k := next
					next++
					mu.Unlock()
					if k >= n || failed.Load() != nil {
						return
					}
					b := e.Browser()
					answer := []string{"yes", "no"}[order[k]%2]
					a := b.PostJSON("/api/v1/surveys/"+sv+"/responses", `{"answers":{"active":"`+answer+`"},"token":"`+tokens[order[k]]+`"}`)
					if a.Status != http.StatusCreated {
						failed.Store(fmt.Sprintf("response %d: %d %s", k, a.Status, a.Body))
						return
					}
					var out struct{ ID string }
					_ = json.Unmarshal([]byte(a.Body), &out)
					mu.Lock()
					ids[k] = out.ID
					for _, c := range []string{b.Cookies[web.SessionCookie], b.Cookies[web.ParticipantCookie]} {
						if c != "" {
							secrets[c] = true
						}
					}
					if p := e.Srv.ParticipantOf(b.Cookies[web.ParticipantCookie]); p != "" {
						secrets[p] = true
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if f := failed.Load(); f != nil {
			t.Fatal(f)
		}
		t.Logf("%d responses in %v", n, time.Since(start).Round(time.Millisecond))
		if invitationRows() != untouched {
			t.Error("answering through the tokens wrote to the invitation rows")
		}

		// The schema: no column that could name a person or a request.
		identifying := regexp.MustCompile(`(?i)member|token|session|(^|_)ip($|_)|addr|email|invit|participant|user|account|agent|cookie`)
		for _, table := range []string{"responses", "response_answers", "response_attributes", "panel_invitation_uses"} {
			cols, rows := dumpTable(t, e, table)
			for _, c := range cols {
				if identifying.MatchString(c) && !(table == "responses" && c == "participant_id") {
					t.Errorf("%s.%s could link a response to a person", table, c)
				}
			}
			for _, r := range rows {
				for _, word := range words(r) {
					if secrets[word] {
						t.Fatalf("%s holds %q: %s", table, word, r)
					}
				}
				if strings.Contains(r, "0.0.0.0") {
					t.Fatalf("%s holds the client address: %s", table, r)
				}
			}
		}
		// participant_id is for open surveys' one-response rule only: an
		// anonymous panel response leaves it empty.
		var linked int64
		e.DB.Model(&models.Response{}).Where("survey_id = ? AND participant_id IS NOT NULL", sv).Count(&linked)
		if linked != 0 {
			t.Errorf("%d anonymous responses hold a participant id", linked)
		}
		// No other table pairs a response with a member, token or invitation.
		respIDs := map[string]bool{}
		for _, id := range ids {
			respIDs[id] = true
		}
		for _, table := range tableNames(t, e) {
			if table == "responses" || table == "response_answers" || table == "response_attributes" {
				continue
			}
			_, rows := dumpTable(t, e, table)
			for _, r := range rows {
				for _, w := range words(r) {
					if respIDs[w] {
						t.Fatalf("%s holds a response id: %s", table, r)
					}
				}
			}
		}

		// Order: the stored responses, by id and by time, against the order
		// the tokens were used in.
		var rows []models.Response
		e.DB.Where("survey_id = ?", sv).Find(&rows)
		if len(rows) != n {
			t.Fatalf("%d responses stored", len(rows))
		}
		byID := append([]string(nil), ids...)
		sort.Strings(byID)
		rank := map[string]int{}
		for i, id := range byID {
			rank[id] = i
		}
		use := make([]int, n)
		stored := make([]int, n)
		for k, id := range ids {
			use[k] = k
			stored[k] = rank[id]
		}
		// Ids are random, so rho of unlinked orders is about N(0, 1/sqrt(999)):
		// 0.15 is 4.7 standard deviations (a false alarm about once in
		// 400,000 runs), while any real link (ids or times in use order)
		// gives rho near 1.
		if rho := spearman(use, stored); rho > 0.15 || rho < -0.15 {
			t.Errorf("token-use order and id order: rho = %.3f", rho)
		} else {
			t.Logf("rho(use, id) = %.3f", rho)
		}
		times := map[string]bool{}
		for _, r := range rows {
			if r.SubmittedAt != nil {
				times[r.SubmittedAt.String()] = true
			}
		}
		if len(times) > 1 {
			t.Errorf("anonymous responses keep %d distinct submission times: their order is the token-use order", len(times))
		}
		for _, r := range rows {
			if !respIDs[r.ID] {
				t.Fatalf("an unknown response %s", r.ID)
			}
		}
	})
}

// TestPanelMemberDataAndLeaving: a member's data download holds their
// address and profile and nothing of another member; after leaving, no
// table holds their address.
func TestPanelMemberDataAndLeaving(t *testing.T) {
	webtest.ForEachDB(t, func(t *testing.T, e *webtest.Env) {
		staff := e.APIClient("staff@example.org", "staff")
		panelID := createPanel(t, staff)
		ids := addMembers(t, e, panelID, 2, langOf, func(i int) map[string]string {
			return [](map[string]string){{"age": "young", "gender": "woman"}, {"age": "old", "gender": "man"}}[i]
		})
		var me, other models.PanelMember
		e.DB.Where("id = ?", ids[0]).Take(&me)
		e.DB.Where("id = ?", ids[1]).Take(&other)
		token := e.Srv.Panels().MemberToken(me.ID)
		b := e.Browser()
		a := b.Get("/panels/member/" + token + "/data")
		if a.Status != http.StatusOK {
			t.Fatalf("data: %d %s", a.Status, a.Body)
		}
		webtest.Contains(t, a, me.Email, "young", "woman")
		for _, s := range []string{other.Email, other.ID, "old", `"man"`} {
			if strings.Contains(a.Body, s) {
				t.Errorf("the download holds another member's %q", s)
			}
		}
		page := b.Get("/panels/member/" + token + "/leave")
		m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatalf("no leave form: %d", page.Status)
		}
		if a := b.PostForm("/panels/member/"+token+"/leave", url.Values{"_csrf": {m[1]}}); a.Status != http.StatusOK {
			t.Fatalf("leave: %d", a.Status)
		}
		for _, table := range tableNames(t, e) {
			_, rows := dumpTable(t, e, table)
			for _, r := range rows {
				if strings.Contains(strings.ToLower(r), strings.ToLower(me.Email)) {
					t.Errorf("after leaving, %s holds the address: %s", table, r)
				}
			}
		}
		if a := b.Get("/panels/member/" + token + "/data"); a.Status == http.StatusOK && strings.Contains(a.Body, me.Email) {
			t.Error("the data link still works after leaving")
		}
	})
}
