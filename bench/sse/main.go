// Command sse checks issue 9's live load on PostgreSQL: -viewers (2,000)
// Server-Sent Events viewers on one live town hall while -askers (50) ask
// and -voters (200) vote. It asserts that every viewer got every event of
// the stream exactly once and in order (ids strictly increasing, the same
// ids as the live_events table), that the last vote counts the viewers saw
// equal the database, and that a moderator's hide reaches every viewer.
// Then half the viewers hang up, and it asserts that the server's open
// streams (inspraak_live_connections on /metrics) and the process's
// goroutines (go_goroutines) return to their level within two heartbeats
// (LIVE_HEARTBEAT, 2 s here).
//
//	go run ./bench/sse -database 'postgres://postgres@127.0.0.1:5432/inspraak_bench?sslmode=disable'
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/townhall"
	"github.com/inspraak/inspraak/bench/benchdb"
	"github.com/inspraak/inspraak/bench/citizen"
	"github.com/inspraak/inspraak/models"
)

const heartbeat = 2 * time.Second

// within is how many heartbeats the server may take to end the streams of
// viewers that hung up (-within).
var within int

func main() {
	database := flag.String("database", "", "postgres:// URL of an existing database on 127.0.0.1 (required)")
	nViewers := flag.Int("viewers", 2000, "concurrent SSE viewers")
	nAskers := flag.Int("askers", 50, "citizens asking one question each")
	nVoters := flag.Int("voters", 200, "citizens voting for 3 questions each")
	keep := flag.Bool("keep", false, "keep the bench schema")
	flag.IntVar(&within, "within", 2, "heartbeats within which the streams of viewers that hung up must be gone")
	flag.Parse()
	if *database == "" || *nViewers < 2 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *database, *nViewers, *nAskers, *nVoters, *keep); err != nil {
		var v *apperr.Validation
		if errors.As(err, &v) {
			fmt.Fprintln(os.Stderr, "sse bench: validation:", v.Fields)
		}
		fmt.Fprintln(os.Stderr, "sse bench:", err)
		os.Exit(1)
	}
}

// raiseFileLimit lifts the soft limit on open files to the hard one: the
// viewers and the server share this process, two descriptors a viewer.
func raiseFileLimit(need uint64) (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, err
		}
	}
	if l.Cur < need {
		return l.Cur, fmt.Errorf("open-file limit %d (hard limit %d), need about %d: raise ulimit -Hn", l.Cur, l.Max, need)
	}
	return l.Cur, nil
}

// event is one event as a viewer read it.
type event struct {
	id   int64
	typ  string
	data string
	at   time.Time
}

// viewer is one EventSource-like client on a raw connection.
type viewer struct {
	conn net.Conn
	mu   sync.Mutex
	evs  []event
	done chan struct{}
}

func (v *viewer) events() []event {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.evs)
}

// arrival is when the viewer read event id (zero if never).
func (v *viewer) arrival(id int64) time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range v.evs {
		if e.id == id {
			return e.at
		}
	}
	return time.Time{}
}

func connect(host, path string) (*viewer, error) {
	conn, err := net.DialTimeout("tcp", host, 30*time.Second)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, host)
	r := bufio.NewReaderSize(conn, 4096)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	status, err := r.ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		conn.Close()
		return nil, fmt.Errorf("stream: %q %v", status, err)
	}
	// Headers up to the empty line.
	chunked := false
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			conn.Close()
			return nil, err
		}
		if l == "\r\n" {
			break
		}
		if strings.EqualFold(strings.TrimSpace(l), "Transfer-Encoding: chunked") {
			chunked = true
		}
	}
	conn.SetReadDeadline(time.Time{})
	v := &viewer{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(v.done)
		var cur event
		body := r
		if chunked { // fasthttp streams in chunks, which may split lines
			body = bufio.NewReaderSize(httputil.NewChunkedReader(r), 4096)
		}
		for {
			line, err := body.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			switch {
			case strings.HasPrefix(line, "id: "):
				cur.id, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				cur.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				cur.data = line[6:]
			case line == "":
				if cur.typ != "" {
					cur.at = time.Now()
					v.mu.Lock()
					v.evs = append(v.evs, cur)
					v.mu.Unlock()
				}
				cur = event{}
			}
		}
	}()
	return v, nil
}

func run(ctx context.Context, database string, nViewers, nAskers, nVoters int, keep bool) error {
	limit, err := raiseFileLimit(uint64(2*nViewers + 500))
	if err != nil {
		return err
	}
	metricsToken := benchdb.RandomHex(16)
	env, err := benchdb.Open(ctx, database, benchdb.Options{Prefix: "bench_sse", Keep: keep,
		Env: map[string]string{"LOG_LEVEL": "error", "TOWNHALL_IP_RATE": "0", "LIVE_HEARTBEAT": heartbeat.String(), "METRICS_TOKEN": metricsToken}})
	if err != nil {
		return fmt.Errorf("-database: %w", err)
	}
	defer env.Close()
	srv, err := env.Serve()
	if err != nil {
		return err
	}
	lctx, stopLive := context.WithCancel(ctx)
	defer stopLive()
	go srv.RunLive(lctx)

	as := auth.NewStore(env.DB)
	mod, err := as.CreateAccount(ctx, auth.AccountInput{Email: "moderator@bench.example", Name: "Bench Moderator", Role: "moderator", Password: "bench-password-123", Active: true})
	if err != nil {
		return err
	}
	modToken, _, err := as.CreateToken(ctx, mod.ID, "bench")
	if err != nil {
		return err
	}
	if _, err := as.CreateAccount(ctx, auth.AccountInput{Email: "mayor@bench.example", Name: "Bench Mayor", Role: "politician", Password: "bench-password-123", Active: true}); err != nil {
		return err
	}
	var rule models.HouseRule
	if err := env.DB.Order("position").Take(&rule).Error; err != nil {
		if err := env.DB.Take(&rule).Error; err != nil {
			return fmt.Errorf("no house rule: %w", err)
		}
	}
	start, end := time.Now().Add(-time.Minute), time.Now().Add(2*time.Hour)
	th, err := srv.TownHalls().Create(ctx, townhall.Input{Title: models.Text{"da": "Bench"}, StartsAt: &start, EndsAt: &end,
		Moderation: models.ModerationPost, Politicians: []string{"mayor@bench.example"}}, nil)
	if err != nil {
		return err
	}
	stream := townhall.Stream(th.ID)
	base := env.BaseURL
	host := strings.TrimPrefix(base, "http://")
	tr := &http.Transport{MaxIdleConns: 500, MaxIdleConnsPerHost: 500, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	// /metrics is read over a connection of its own, kept open throughout.
	mtr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer mtr.CloseIdleConnections()
	scrape := func() (map[string]float64, error) {
		m, err := metrics(mtr, base, metricsToken)
		if err == nil {
			m["live_goroutines"] = float64(liveGoroutines())
		}
		return m, err
	}

	// Baseline, before any viewer.
	time.Sleep(200 * time.Millisecond)
	m0, err := scrape()
	if err != nil {
		return err
	}

	// Viewers, 200 connecting at a time.
	viewers := make([]*viewer, nViewers)
	var failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 200)
	t0 := time.Now()
	for i := range nViewers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			v, err := connect(host, "/api/v1/townhalls/"+th.ID+"/events")
			if err != nil {
				failed.Add(1)
				return
			}
			viewers[i] = v
		}()
	}
	wg.Wait()
	connectTook := time.Since(t0)
	if failed.Load() > 0 {
		return fmt.Errorf("%d viewers could not connect", failed.Load())
	}
	var startID int64
	env.DB.Model(&models.LiveEvent{}).Where("stream = ?", stream).Select("COALESCE(MAX(id), 0)").Scan(&startID)
	for deadline := time.Now().Add(30 * time.Second); srv.Hub().Open() < int64(nViewers) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	m1, err := scrape()
	if err != nil {
		return err
	}

	// Load: askers ask, then voters vote 3 questions each, all at once.
	t0 = time.Now()
	qids := make([]string, nAskers)
	var askFail, voteFail atomic.Int64
	var failMu sync.Mutex
	failures := map[string]int{}
	for i := range nAskers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := citizen.New(tr).Ask(base, th.ID, fmt.Sprintf("Spørgsmål %d om cykelstierne", i))
			if err != nil {
				askFail.Add(1)
				return
			}
			qids[i] = id
		}()
	}
	wg.Wait()
	if askFail.Load() > 0 {
		return fmt.Errorf("%d questions failed", askFail.Load())
	}
	for i := range nVoters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := citizen.New(tr)
			for k := range 3 {
				if err := c.Vote(base, qids[(i*7+k*13)%len(qids)]); err != nil {
					voteFail.Add(1)
					failMu.Lock()
					msg := err.Error()
					failures[msg[:min(len(msg), 60)]]++
					failMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	loadTook := time.Since(t0)
	// The citizens' keep-alive connections are closed, so that what stays
	// open is the viewers'.
	tr.CloseIdleConnections()
	// The hide, by a moderator, once the gathered vote counts went out.
	time.Sleep(time.Second)
	hidden := qids[len(qids)-1]
	hideAt := time.Now()
	if st, b, err := post(tr, base+"/api/v1/questions/"+hidden+"/moderation", `{"action":"hide","reason":"`+rule.Key+`"}`, modToken); err != nil || st != 200 {
		return fmt.Errorf("hide: %d %s %v", st, b, err)
	}

	// Every event of the stream after the viewers connected, from the table.
	var table []models.LiveEvent
	// Done when the table has the hide, has been still for a second (vote
	// counts go out every 250 ms) and every viewer has its last event.
	waitAll := func() error {
		var lastID int64
		still := time.Now()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if err := env.DB.Where("stream = ? AND id > ?", stream, startID).Order("id").Find(&table).Error; err != nil {
				return err
			}
			if len(table) == 0 || countType(table, townhall.EventHidden) == 0 {
				continue
			}
			if last := table[len(table)-1].ID; last != lastID {
				lastID, still = last, time.Now()
				continue
			}
			if time.Since(still) < time.Second {
				continue
			}
			all := true
			for _, v := range viewers {
				evs := v.events()
				if len(evs) == 0 || evs[len(evs)-1].id < lastID {
					all = false
					break
				}
			}
			if all {
				return nil
			}
		}
		return nil // the checks below say what is missing
	}
	if err := waitAll(); err != nil {
		return err
	}
	// When the hide reached the last viewer.
	var hideID int64
	for _, e := range table {
		if e.Type == townhall.EventHidden {
			hideID = e.ID
		}
	}
	var hideReached time.Duration
	for _, v := range viewers {
		if d := v.arrival(hideID).Sub(hideAt); d > hideReached {
			hideReached = d
		}
	}
	wantIDs := make([]int64, len(table))
	for i, e := range table {
		wantIDs[i] = e.ID
	}
	// Final counts in the database.
	var dbq []models.TownHallQuestion
	env.DB.Where("id IN ?", qids).Find(&dbq)
	dbVotes := map[string]int{}
	for _, q := range dbq {
		dbVotes[q.ID] = q.Votes
	}
	var voteRows int64
	env.DB.Model(&models.TownHallVote{}).Where("question_id IN ?", qids).Count(&voteRows)
	dbSum := 0
	for _, id := range qids {
		dbSum += dbVotes[id]
	}

	notAll, outOfOrder, dups, countsWrong, noHide := 0, 0, 0, 0, 0
	var received int
	for _, v := range viewers {
		evs := v.events()
		received += len(evs)
		ids := make([]int64, 0, len(evs))
		seen := map[int64]bool{}
		lastVotes := map[string]int{}
		gotHide := false
		for i, e := range evs {
			if seen[e.id] {
				dups++
			}
			seen[e.id] = true
			if i > 0 && e.id <= evs[i-1].id {
				outOfOrder++
			}
			ids = append(ids, e.id)
			switch e.typ {
			case townhall.EventVoted:
				var d struct {
					ID    string
					Votes int
				}
				if json.Unmarshal([]byte(e.data), &d) == nil {
					lastVotes[d.ID] = d.Votes
				}
			case townhall.EventHidden:
				if strings.Contains(e.data, hidden) {
					gotHide = true
				}
			}
		}
		if !slices.Equal(ids, wantIDs) {
			notAll++
		}
		if !gotHide {
			noHide++
		}
		for _, id := range qids {
			if id == hidden {
				continue // its events were redacted; its votes no longer shown
			}
			if lastVotes[id] != dbVotes[id] {
				countsWrong++
				break
			}
		}
	}

	// Half the viewers hang up; the server notices at its next writes (a
	// heartbeat at most 2 s later; the first write after a hang-up may
	// still succeed, the next fails).
	half := nViewers / 2
	dropAt := time.Now()
	for _, v := range viewers[:half] {
		v.conn.Close()
	}
	for _, v := range viewers[:half] {
		<-v.done
	}
	wantOpen := float64(nViewers - half)
	// Two heartbeats at most: the open streams (/metrics) and the
	// goroutines serving them (stacks in app/live) must be down to the
	// viewers left. The process's total goroutines are reported as well:
	// they include fasthttp's idle workers, which it keeps up to 10 s
	// after a connection ends before stopping them.
	perViewer := (m1["go_goroutines"] - m0["go_goroutines"]) / float64(nViewers)
	wait := func(at time.Time, wantOpen float64, limit time.Duration) (map[string]float64, time.Duration, time.Duration, error) {
		var m map[string]float64
		var streamsIn time.Duration = -1
		for {
			var err error
			if m, err = scrape(); err != nil {
				return nil, 0, 0, err
			}
			if streamsIn < 0 && m["inspraak_live_connections"] == wantOpen && m["live_goroutines"] == wantOpen {
				streamsIn = time.Since(at)
			}
			if streamsIn >= 0 && m["go_goroutines"] <= m0["go_goroutines"]+perViewer*wantOpen+10 {
				return m, streamsIn, time.Since(at), nil
			}
			if time.Since(at) > limit {
				return m, streamsIn, -1, nil
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	mDrop, backIn, allIn, err := wait(dropAt, wantOpen, 30*time.Second)
	if err != nil {
		return err
	}
	// The rest hang up too: back to the baseline.
	endAt := time.Now()
	for _, v := range viewers[half:] {
		v.conn.Close()
	}
	mEnd, endIn, endAllIn, err := wait(endAt, 0, 30*time.Second)
	if err != nil {
		return err
	}

	fmt.Printf("SSE benchmark: one live town hall, %d viewers, %d askers, %d voters x 3 votes, LIVE_HEARTBEAT %s (PostgreSQL, %d CPUs, open-file limit %d, server and viewers in one process)\n\n",
		nViewers, nAskers, nVoters, heartbeat, runtime.NumCPU(), limit)
	fmt.Printf("%-58s %s\n", "measure", "value")
	fmt.Printf("%-58s %d in %s, none failed\n", "viewers connected", nViewers, connectTook.Round(time.Millisecond))
	fmt.Printf("%-58s %d questions, %d votes (%d failed), in %s\n", "load", nAskers-int(askFail.Load()), nVoters*3, voteFail.Load(), loadTook.Round(time.Millisecond))
	for msg, k := range failures {
		fmt.Printf("%-58s %d x %s\n", "  failed votes", k, msg)
	}
	fmt.Printf("%-58s %d (%d question.voted, gathered per 250 ms)\n", "events in the table after the viewers connected", len(table), countType(table, townhall.EventVoted))
	fmt.Printf("%-58s %d\n", "events received by all viewers together", received)
	fmt.Printf("%-58s %d\n", "viewers whose ids differ from the table's", notAll)
	fmt.Printf("%-58s %d / %d\n", "events out of order / received twice", outOfOrder, dups)
	fmt.Printf("%-58s %d (database: %d votes on the questions, %d vote rows)\n", "viewers whose last counts differ from the database", countsWrong, dbSum, voteRows)
	fmt.Printf("%-58s %d viewers missed it; all had it %s after the hide\n", "moderator's hide", noHide, hideReached.Round(time.Millisecond))
	fmt.Printf("%-58s streams %.0f, stream goroutines %.0f, all goroutines %.0f\n", "baseline (/metrics, before viewers)", m0["inspraak_live_connections"], m0["live_goroutines"], m0["go_goroutines"])
	fmt.Printf("%-58s streams %.0f, stream goroutines %.0f, all goroutines %.0f (%.1f per viewer, server and client)\n", "with all viewers", m1["inspraak_live_connections"], m1["live_goroutines"], m1["go_goroutines"], perViewer)
	target := func(d time.Duration) string {
		if d >= 0 && d <= 2*heartbeat {
			return "met"
		}
		return "MISSED"
	}
	fmt.Printf("%-58s %s after half hung up, %s after all\n", "issue 9's target: streams gone within 2 heartbeats (4 s)", target(backIn), target(endIn))
	fmt.Printf("%-58s streams %.0f, stream goroutines %.0f (want %.0f): %s; all goroutines %.0f: %s\n", "after half hung up", mDrop["inspraak_live_connections"], mDrop["live_goroutines"], wantOpen, took(backIn), mDrop["go_goroutines"], took(allIn))
	fmt.Printf("%-58s streams %.0f, stream goroutines %.0f: %s; all goroutines %.0f (baseline %.0f): %s\n", "after all hung up", mEnd["inspraak_live_connections"], mEnd["live_goroutines"], took(endIn), mEnd["go_goroutines"], m0["go_goroutines"], took(endAllIn))
	var errs []error
	if notAll > 0 || outOfOrder > 0 || dups > 0 {
		errs = append(errs, errors.New("a viewer did not get every event once and in order"))
	}
	if countsWrong > 0 || int64(dbSum) != voteRows {
		errs = append(errs, errors.New("vote counts differ from the database"))
	}
	if noHide > 0 {
		errs = append(errs, errors.New("the hide did not reach every viewer"))
	}
	if backIn < 0 || backIn > time.Duration(within)*heartbeat {
		errs = append(errs, errors.New(fmt.Sprintf("streams and their goroutines did not go within %d heartbeats after half hung up", within)))
	}
	if endIn < 0 || endIn > time.Duration(within)*heartbeat {
		errs = append(errs, errors.New(fmt.Sprintf("streams and their goroutines did not return to the baseline within %d heartbeats", within)))
	}
	if allIn < 0 || endAllIn < 0 {
		errs = append(errs, errors.New("the process's goroutines did not return to the baseline within 30 s"))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	fmt.Println("\nverified: every viewer got every event once and in order, counts equal the database, the hide reached everyone, streams and their goroutines gone within", within, "heartbeats")
	return nil
}

// liveGoroutines counts the goroutines serving event streams: those with
// the live package's stream writer on their stack.
func liveGoroutines() int {
	buf := make([]byte, 64<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "inspraak/app/live.(*Hub).Serve") {
			n++
		}
	}
	return n
}

func took(d time.Duration) string {
	if d < 0 {
		return "NOT back within 30s"
	}
	return "back in " + d.Round(10*time.Millisecond).String()
}

func countType(evs []models.LiveEvent, typ string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

var sampleRe = regexp.MustCompile(`^([a-z_]+)(\{[^}]*\})? ([0-9.eE+-]+)$`)

// metrics reads /metrics with the token; values without labels, and
// labelled ones summed by name.
func metrics(tr *http.Transport, base, token string) (map[string]float64, error) {
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("/metrics: %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		m := sampleRe.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		f, _ := strconv.ParseFloat(m[3], 64)
		out[m[1]] += f
	}
	return out, sc.Err()
}

func post(tr *http.Transport, url, body, token string) (int, string, error) {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Transport: tr, Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}
