// Command faults runs the platform's fault scenarios of issue 9 against the
// real binary (built with `go build`, started as a child process with
// DATABASE_URL) on PostgreSQL, and prints a table of figures per scenario:
//
//   - pgrestart: PostgreSQL is restarted (pg_ctlcluster ... restart -m fast)
//     in the middle of a submission load;
//   - sigkill: the app is killed with SIGKILL at random moments during
//     submissions and while its mail worker sends a queue of mail, and
//     restarted each time;
//   - pool: a small database pool (DB_MAX_OPEN_CONNS=4) exhausted by a flood
//     of slow results requests, plus slowloris connections, while SSE
//     viewers watch a live town hall and a client times light requests.
//
// Clients submit survey responses through POST /api/v1/surveys/{id}/responses,
// each logical submission with its own Idempotency-Key, retrying on any error
// with the same key. Afterwards it checks that every acknowledged (201)
// submission is stored exactly once with all its answers, and that no
// response lacks answers and no answer lacks its response.
//
// The pgrestart scenario restarts the machine's PostgreSQL: other programs
// connected to it lose their connections for a moment.
//
//	go run ./bench/faults -database 'postgres://postgres@127.0.0.1:5432/inspraak_bench?sslmode=disable' pgrestart sigkill pool
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/auth"
	appmail "github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/townhall"
	"github.com/inspraak/inspraak/bench/benchdb"
	"github.com/inspraak/inspraak/bench/seed"
	"github.com/inspraak/inspraak/bench/smtpsink"
	"github.com/inspraak/inspraak/models"
)

type options struct {
	database string
	conc     int
	kills    int
	mails    int
	keep     bool

	poolConns, flood, loris, viewers, responses int
	attack, requestTimeout                      time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.database, "database", "", "postgres:// URL of an existing database on 127.0.0.1 (required)")
	flag.IntVar(&o.conc, "c", 16, "concurrent submitting clients")
	flag.IntVar(&o.kills, "kills", 10, "sigkill: how many times the app is killed")
	flag.IntVar(&o.mails, "mails", 3000, "sigkill: mails queued before the kills")
	flag.BoolVar(&o.keep, "keep", false, "keep the bench schemas")
	flag.IntVar(&o.poolConns, "pool-conns", 4, "pool: DB_MAX_OPEN_CONNS of the app")
	flag.IntVar(&o.flood, "flood", 64, "pool: concurrent clients requesting filtered results of the big survey")
	flag.IntVar(&o.loris, "loris", 200, "pool: slowloris connections")
	flag.IntVar(&o.viewers, "viewers", 20, "pool: SSE viewers of a live town hall")
	flag.IntVar(&o.responses, "responses", 20000, "pool: responses in the big survey")
	flag.DurationVar(&o.attack, "attack", 40*time.Second, "pool: how long the flood and slowloris last")
	flag.DurationVar(&o.requestTimeout, "request-timeout", 2*time.Second, "pool: REQUEST_TIMEOUT of the app (0: the app's default)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: faults -database URL [flags] pgrestart|sigkill|pool ...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if o.database == "" || flag.NArg() == 0 || o.conc < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bin, cleanup, err := build(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/faults:", err)
		os.Exit(1)
	}
	defer cleanup()
	failed := false
	for _, name := range flag.Args() {
		var err error
		switch name {
		case "pgrestart":
			err = pgRestart(ctx, o, bin)
		case "sigkill":
			err = sigKill(ctx, o, bin)
		case "pool":
			err = poolScenario(ctx, o, bin)
		default:
			err = fmt.Errorf("unknown scenario %q", name)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench/faults %s: %v\n", name, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// build compiles the platform as it ships, into a temporary directory.
func build(ctx context.Context) (string, func(), error) {
	dir, err := os.MkdirTemp("", "inspraak-faults-")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(dir, "inspraak")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("go build (run from the repository's root): %w", err)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// --- the app as a child process ----------------------------------------------

// app is the platform's binary running as `inspraak serve`.
type app struct {
	bin  string
	env  []string
	base string
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

func newApp(bin string, env *benchdb.Env, extra map[string]string) (*app, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	vars := map[string]string{
		"DATABASE_URL": env.Config.DatabaseURL, "ADDR": addr, "BASE_URL": "http://" + addr,
		"SESSION_SECRET": benchdb.RandomHex(24), "LOG_LEVEL": "warn",
	}
	for k, v := range extra {
		vars[k] = v
	}
	a := &app{bin: bin, base: "http://" + addr}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); vars[k] == "" {
			a.env = append(a.env, kv)
		}
	}
	for k, v := range vars {
		a.env = append(a.env, k+"="+v)
	}
	if a.log, err = os.CreateTemp("", "inspraak-faults-*.log"); err != nil {
		return nil, err
	}
	return a, nil
}

// start runs the binary and waits until /readyz answers 200.
func (a *app) start(ctx context.Context) (time.Duration, error) {
	t0 := time.Now()
	a.cmd = exec.Command(a.bin, "serve")
	a.cmd.Env = a.env
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	if err := a.cmd.Start(); err != nil {
		return 0, err
	}
	a.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(a.cmd, a.done)
	for time.Since(t0) < 60*time.Second {
		if ready(ctx, a.base) {
			return time.Since(t0), nil
		}
		select {
		case <-a.done:
			return 0, fmt.Errorf("the app exited at start; its log: %s", a.log.Name())
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return 0, errors.New("the app did not become ready within 60 s")
}

func (a *app) kill() {
	_ = a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.done
}

func (a *app) stop() {
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		a.kill()
	}
	a.log.Close()
	if os.Getenv("FAULTS_KEEP_LOG") != "" {
		fmt.Println("app log kept:", a.log.Name())
	} else {
		os.Remove(a.log.Name())
	}
}

var probe = &http.Client{Timeout: 2 * time.Second}

func ready(ctx context.Context, base string) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	resp, err := probe.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// --- the survey and the load ---------------------------------------------------

// answersPerResponse is the answer rows of one response to the survey below.
const answersPerResponse = 5

var questions = []map[string]any{
	{"key": "q1", "type": "single", "required": true, "text": map[string]string{"en": "Which?"},
		"options": []map[string]any{{"key": "o1", "text": map[string]string{"en": "One"}}, {"key": "o2", "text": map[string]string{"en": "Two"}}, {"key": "o3", "text": map[string]string{"en": "Three"}}}},
	{"key": "q2", "type": "multiple", "required": true, "max_selections": 3, "text": map[string]string{"en": "Which ones?"},
		"options": []map[string]any{{"key": "o1", "text": map[string]string{"en": "One"}}, {"key": "o2", "text": map[string]string{"en": "Two"}}, {"key": "o3", "text": map[string]string{"en": "Three"}}}},
	{"key": "q3", "type": "scale", "required": true, "text": map[string]string{"en": "How much?"},
		"scale": map[string]any{"min": 1, "max": 5, "min_label": map[string]string{"en": "Little"}, "max_label": map[string]string{"en": "Much"}}},
	{"key": "q4", "type": "text", "required": true, "text": map[string]string{"en": "Your key"}},
}

// setup creates an admin token in the schema.
func adminToken(ctx context.Context, gdb *gorm.DB) (string, error) {
	st := auth.NewStore(gdb)
	a, err := st.CreateAccount(ctx, auth.AccountInput{Email: "faults@inspraak.example", Name: "Faults", Role: "admin", Password: benchdb.RandomHex(16), Active: true})
	if err != nil {
		return "", err
	}
	token, _, err := st.CreateToken(ctx, a.ID, "faults")
	return token, err
}

func apiPost(ctx context.Context, base, token, path string, in, out any) error {
	b, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1"+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, body)
	}
	return json.Unmarshal(body, out)
}

func openSurvey(ctx context.Context, base, token string) (string, error) {
	var sv struct {
		ID string `json:"id"`
	}
	in := map[string]any{"title": map[string]string{"en": "Faults"}, "languages": []string{"en"}, "allow_multiple": true, "questions": questions}
	if err := apiPost(ctx, base, token, "/surveys", in, &sv); err != nil {
		return "", err
	}
	return sv.ID, apiPost(ctx, base, token, "/surveys/"+sv.ID+"/open", map[string]any{}, &struct{}{})
}

// load is the submitting clients. Each logical submission has its own
// Idempotency-Key, which its text answer also holds, and is retried with
// the same key until it is acknowledged (or gives up after giveUp).
type load struct {
	target string
	client *http.Client
	giveUp time.Duration

	next      atomic.Int64
	attempts  atomic.Int64
	errs      atomic.Int64 // failed attempts (network errors, 5xx, 409 ...)
	conflicts atomic.Int64 // of them 409 (the first attempt still "in progress")
	replays   atomic.Int64 // 201s answered from the stored first answer
	mu        sync.Mutex
	acked     map[string]bool // key -> acknowledged
	failedBy  map[int]int     // failed attempts by status (0: no answer)
	gaveUp    []string
	errTimes  []time.Time
	okTimes   []time.Time
}

func newLoad(base, surveyID string) *load {
	return &load{
		target: base + "/api/v1/surveys/" + surveyID + "/responses",
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}},
		giveUp: 60 * time.Second,
		acked:  map[string]bool{}, failedBy: map[int]int{},
	}
}

func (l *load) run(ctx context.Context, clients int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(uint64(w), 9))
			for ctx.Err() == nil {
				l.one(ctx, rng)
			}
		}()
	}
	return &wg
}

// one submits one logical response until it is acknowledged. A submission
// started before ctx ends is still finished (retried until giveUp), so
// every key is either acknowledged or counted as given up.
func (l *load) one(ctx context.Context, rng *mrand.Rand) {
	key := fmt.Sprintf("k%06d-%s", l.next.Add(1), benchdb.RandomHex(4))
	body, _ := json.Marshal(map[string]any{"answers": map[string]any{
		"q1": fmt.Sprintf("o%d", 1+rng.IntN(3)), "q2": []string{"o1", "o3"}, "q3": 1 + rng.IntN(5), "q4": key,
	}})
	t0 := time.Now()
	for time.Since(t0) < l.giveUp {
		l.attempts.Add(1)
		status, replayed, err := l.post(key, body)
		if err == nil && status == http.StatusCreated {
			if replayed {
				l.replays.Add(1)
			}
			l.mu.Lock()
			l.acked[key] = true
			l.okTimes = append(l.okTimes, time.Now())
			l.mu.Unlock()
			return
		}
		l.errs.Add(1)
		if status == http.StatusConflict {
			l.conflicts.Add(1)
		}
		l.mu.Lock()
		l.errTimes = append(l.errTimes, time.Now())
		if err != nil {
			status = 0
		}
		l.failedBy[status]++
		l.mu.Unlock()
		time.Sleep(100*time.Millisecond + time.Duration(rng.IntN(100))*time.Millisecond)
	}
	l.mu.Lock()
	l.gaveUp = append(l.gaveUp, key)
	l.mu.Unlock()
}

func (l *load) post(key string, body []byte) (int, bool, error) {
	req, err := http.NewRequest(http.MethodPost, l.target, bytes.NewReader(body))
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, false, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Idempotent-Replayed") == "true", nil
}

// check is what the database holds after a load.
type check struct {
	submissions, acked, stored, keysStoredTwice, ackedMissing, halfWritten, orphanAnswers int
	storedNotAcked                                                                        int
	gaveUp                                                                                int // submissions never acknowledged
}

func verify(ctx context.Context, env *benchdb.Env, surveyID string, l *load) (check, error) {
	var c check
	c.submissions = int(l.next.Load())
	c.acked = len(l.acked)
	c.gaveUp = len(l.gaveUp)
	type row struct {
		Key string
		N   int
	}
	var rows []row
	s := env.Schema
	if err := env.Admin.WithContext(ctx).Raw(`SELECT a.text AS key, count(*) AS n FROM `+s+`.responses r JOIN `+s+`.response_answers a
		ON a.response_id = r.id AND a.question_key = 'q4' WHERE r.survey_id = ? GROUP BY a.text`, surveyID).Scan(&rows).Error; err != nil {
		return c, err
	}
	stored := map[string]bool{}
	for _, r := range rows {
		stored[r.Key] = true
		c.stored += r.N
		if r.N > 1 {
			c.keysStoredTwice++
		}
		if !l.acked[r.Key] {
			c.storedNotAcked++
		}
	}
	for k := range l.acked {
		if !stored[k] {
			c.ackedMissing++
		}
	}
	var n int64
	if err := env.Admin.WithContext(ctx).Raw(`SELECT count(*) FROM (SELECT r.id FROM `+s+`.responses r LEFT JOIN `+s+`.response_answers a
		ON a.response_id = r.id WHERE r.survey_id = ? GROUP BY r.id HAVING count(a.response_id) <> ?) x`, surveyID, answersPerResponse).Scan(&n).Error; err != nil {
		return c, err
	}
	c.halfWritten = int(n)
	if err := env.Admin.WithContext(ctx).Raw(`SELECT count(*) FROM ` + s + `.response_answers a LEFT JOIN ` + s + `.responses r ON r.id = a.response_id WHERE r.id IS NULL`).Scan(&n).Error; err != nil {
		return c, err
	}
	c.orphanAnswers = int(n)
	return c, nil
}

func (c check) failures() []string {
	var f []string
	if c.ackedMissing > 0 {
		f = append(f, fmt.Sprintf("%d acknowledged submissions not stored", c.ackedMissing))
	}
	if c.keysStoredTwice > 0 {
		f = append(f, fmt.Sprintf("%d Idempotency-Keys stored more than once", c.keysStoredTwice))
	}
	if c.halfWritten > 0 {
		f = append(f, fmt.Sprintf("%d responses without all their %d answers", c.halfWritten, answersPerResponse))
	}
	if c.orphanAnswers > 0 {
		f = append(f, fmt.Sprintf("%d answers without a response", c.orphanAnswers))
	}
	if c.gaveUp > 0 {
		f = append(f, fmt.Sprintf("%d submissions never acknowledged although retried for a minute with their Idempotency-Key (%d stored but not acknowledged)", c.gaveUp, c.storedNotAcked))
	}
	return f
}

// --- scenario 1: PostgreSQL restarted -------------------------------------------

func pgRestart(ctx context.Context, o options, bin string) error {
	fmt.Println("== pgrestart: PostgreSQL restarted during a submission load ==")
	env, err := benchdb.Open(ctx, o.database, benchdb.Options{Prefix: "bench_faults", Keep: o.keep})
	if err != nil {
		return err
	}
	defer env.Close()
	token, err := adminToken(ctx, env.DB)
	if err != nil {
		return err
	}
	a, err := newApp(bin, env, nil)
	if err != nil {
		return err
	}
	if _, err := a.start(ctx); err != nil {
		return err
	}
	defer a.stop()
	surveyID, err := openSurvey(ctx, a.base, token)
	if err != nil {
		return err
	}
	l := newLoad(a.base, surveyID)
	lctx, stopLoad := context.WithCancel(ctx)
	wg := l.run(lctx, o.conc)
	time.Sleep(5 * time.Second)
	fmt.Println("restarting PostgreSQL ...")
	down := time.Now()
	out, err := restartPostgres(ctx)
	up := time.Now()
	if err != nil {
		stopLoad()
		wg.Wait()
		return fmt.Errorf("restart PostgreSQL: %v: %s", err, out)
	}
	// Recovery: /readyz back to 200 and the first submission acknowledged
	// after PostgreSQL accepted connections again.
	var readyAt time.Time
	for time.Since(up) < 60*time.Second {
		if ready(ctx, a.base) {
			readyAt = time.Now()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(5 * time.Second)
	stopLoad()
	wg.Wait()
	var firstOK time.Time
	errsOutage := 0
	l.mu.Lock()
	for _, t := range l.okTimes {
		if t.After(up) && (firstOK.IsZero() || t.Before(firstOK)) {
			firstOK = t
		}
	}
	for _, t := range l.errTimes {
		if !t.Before(down) {
			errsOutage++
		}
	}
	l.mu.Unlock()
	c, err := verify(ctx, env, surveyID, l)
	if err != nil {
		return err
	}
	since := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return fmt.Sprintf("%.2f s", t.Sub(up).Seconds())
	}
	fmt.Println()
	fmt.Println("| measure | value |")
	fmt.Println("| --- | ---: |")
	fmt.Printf("| clients | %d |\n", o.conc)
	fmt.Printf("| submissions (distinct Idempotency-Keys) | %d |\n", c.submissions)
	fmt.Printf("| acknowledged (201) | %d |\n", c.acked)
	fmt.Printf("| stored responses | %d |\n", c.stored)
	fmt.Printf("| acknowledged but not stored | %d |\n", c.ackedMissing)
	fmt.Printf("| stored but never acknowledged (given up) | %d (%d given up) |\n", c.storedNotAcked, len(l.gaveUp))
	fmt.Printf("| keys stored more than once | %d |\n", c.keysStoredTwice)
	fmt.Printf("| responses missing answers / answers without response | %d / %d |\n", c.halfWritten, c.orphanAnswers)
	fmt.Printf("| attempts / failed attempts during the outage and after | %d / %d |\n", l.attempts.Load(), errsOutage)
	fmt.Printf("| of them 409 (key in progress) | %d |\n", l.conflicts.Load())
	fmt.Printf("| 201s replayed (an earlier attempt had committed) | %d |\n", l.replays.Load())
	fmt.Printf("| failed attempts by status (0: no answer) | %v |\n", l.failedBy)
	fmt.Printf("| outage (pg_ctlcluster restart took) | %.2f s |\n", up.Sub(down).Seconds())
	fmt.Printf("| /readyz 200 again after PostgreSQL was up | %s |\n", since(readyAt))
	fmt.Printf("| first 201 after PostgreSQL was up | %s |\n", since(firstOK))
	fmt.Println()
	return verdict(c.failures(), readyAt.IsZero() || firstOK.IsZero(), "the app did not recover by itself")
}

func verdict(f []string, extraFail bool, extra string) error {
	if extraFail {
		f = append(f, extra)
	}
	if len(f) > 0 {
		return errors.New("FAILED: " + strings.Join(f, "; "))
	}
	fmt.Println("verified: every acknowledged submission stored once with all its answers, nothing half-written")
	return nil
}

// restartPostgres restarts the machine's PostgreSQL cluster with a fast
// shutdown (pg_ctl restart -m fast).
func restartPostgres(ctx context.Context) ([]byte, error) {
	versions, _ := filepath.Glob("/etc/postgresql/*")
	if len(versions) != 1 {
		return nil, fmt.Errorf("want one cluster version under /etc/postgresql, found %v", versions)
	}
	v := filepath.Base(versions[0])
	out, err := exec.CommandContext(ctx, "pg_ctlcluster", "--skip-systemctl-redirect", v, "main", "restart", "-m", "fast").CombinedOutput()
	if err != nil {
		out, err = exec.CommandContext(ctx, "pg_ctlcluster", "--skip-systemctl-redirect", v, "main", "restart", "--", "-m", "fast").CombinedOutput()
	}
	return out, err
}

// --- scenario 2: the app killed -------------------------------------------------

func sigKill(ctx context.Context, o options, bin string) error {
	fmt.Printf("== sigkill: the app killed %d times during submissions and mail ==\n", o.kills)
	sink, err := smtpsink.Start()
	if err != nil {
		return err
	}
	defer sink.Close()
	env, err := benchdb.Open(ctx, o.database, benchdb.Options{Prefix: "bench_faults", Keep: o.keep})
	if err != nil {
		return err
	}
	defer env.Close()
	token, err := adminToken(ctx, env.DB)
	if err != nil {
		return err
	}
	// The mail queue, as a producer (e.g. panel invitations) writes it.
	outbox := appmail.NewOutbox(env.DB, nil)
	for i := range o.mails {
		if _, err := outbox.Enqueue(ctx, nil, appmail.Mail{DedupeKey: fmt.Sprintf("faults:%d", i), To: fmt.Sprintf("m%05d@faults.example", i),
			Language: "en", Subject: "Faults", Text: "Hello", HTML: "<p>Hello</p>"}); err != nil {
			return err
		}
	}
	a, err := newApp(bin, env, map[string]string{"SMTP_URL": "smtp://" + sink.Addr + "?tls=none", "MAIL_FROM": "Faults <faults@inspraak.example>"})
	if err != nil {
		return err
	}
	if _, err := a.start(ctx); err != nil {
		return err
	}
	surveyID, err := openSurvey(ctx, a.base, token)
	if err != nil {
		a.stop()
		return err
	}
	l := newLoad(a.base, surveyID)
	lctx, stopLoad := context.WithCancel(ctx)
	wg := l.run(lctx, o.conc)
	rng := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 3))
	var restarts []time.Duration
	for range o.kills {
		time.Sleep(time.Duration(300+rng.IntN(1700)) * time.Millisecond)
		a.kill()
		d, err := a.start(ctx)
		if err != nil {
			stopLoad()
			wg.Wait()
			return err
		}
		restarts = append(restarts, d)
	}
	time.Sleep(3 * time.Second)
	stopLoad()
	wg.Wait()
	// Mails claimed by a killed process stay leased for mail.Lease (10
	// minutes) before another worker may take them; rather than wait, the
	// bench ends those leases, as the passing of time would, and lets the
	// running worker drain the queue.
	var leased int64
	if err := env.Admin.WithContext(ctx).Raw("SELECT count(*) FROM " + env.Schema + ".mail_outbox WHERE status = 'sending'").Scan(&leased).Error; err != nil {
		a.stop()
		return err
	}
	if err := env.Admin.WithContext(ctx).Exec("UPDATE " + env.Schema + ".mail_outbox SET lease_until = now() - interval '1 second' WHERE status = 'sending'").Error; err != nil {
		a.stop()
		return err
	}
	drained := false
	t0 := time.Now()
	for time.Since(t0) < 5*time.Minute {
		var left int64
		if err := env.Admin.WithContext(ctx).Raw("SELECT count(*) FROM " + env.Schema + ".mail_outbox WHERE status <> 'sent'").Scan(&left).Error; err != nil {
			a.stop()
			return err
		}
		if left == 0 {
			drained = true
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	a.stop()
	c, err := verify(ctx, env, surveyID, l)
	if err != nil {
		return err
	}
	var maxAttempts int64
	env.Admin.WithContext(ctx).Raw("SELECT coalesce(max(attempts), 0) FROM " + env.Schema + ".mail_outbox").Scan(&maxAttempts)
	to, dupIDs, total := sink.Stats()
	missing, twice := 0, 0
	for i := range o.mails {
		switch n := to[fmt.Sprintf("m%05d@faults.example", i)]; {
		case n == 0:
			missing++
		case n > 1:
			twice++
		}
	}
	var avg time.Duration
	for _, d := range restarts {
		avg += d
	}
	if len(restarts) > 0 {
		avg /= time.Duration(len(restarts))
	}
	fmt.Println()
	fmt.Println("| measure | value |")
	fmt.Println("| --- | ---: |")
	fmt.Printf("| clients / kills | %d / %d |\n", o.conc, len(restarts))
	fmt.Printf("| restart to /readyz 200 (average) | %.2f s |\n", avg.Seconds())
	fmt.Printf("| submissions (distinct Idempotency-Keys) | %d |\n", c.submissions)
	fmt.Printf("| acknowledged (201) | %d |\n", c.acked)
	fmt.Printf("| stored responses | %d |\n", c.stored)
	fmt.Printf("| acknowledged but not stored | %d |\n", c.ackedMissing)
	fmt.Printf("| stored but never acknowledged (given up after %s) | %d (%d given up) |\n", l.giveUp, c.storedNotAcked, len(l.gaveUp))
	fmt.Printf("| keys stored more than once | %d |\n", c.keysStoredTwice)
	fmt.Printf("| responses missing answers / answers without response | %d / %d |\n", c.halfWritten, c.orphanAnswers)
	fmt.Printf("| attempts / failed attempts / of them 409 | %d / %d / %d |\n", l.attempts.Load(), l.errs.Load(), l.conflicts.Load())
	fmt.Printf("| 201s replayed (the killed attempt had committed) | %d |\n", l.replays.Load())
	fmt.Printf("| failed attempts by status (0: no answer) | %v |\n", l.failedBy)
	fmt.Printf("| mails queued / received | %d / %d |\n", o.mails, total)
	fmt.Printf("| recipients missing / received twice or more | %d / %d |\n", missing, twice)
	fmt.Printf("| Message-IDs received twice | %d |\n", dupIDs)
	fmt.Printf("| mails left leased by killed processes | %d |\n", leased)
	fmt.Printf("| most attempts on one mail | %d |\n", maxAttempts)
	fmt.Printf("| queue drained after the last restart | %v |\n", drained)
	fmt.Println()
	f := c.failures()
	if missing > 0 || !drained {
		f = append(f, fmt.Sprintf("%d mails not received (queue drained: %v)", missing, drained))
	}
	if twice > 0 {
		fmt.Printf("note: %d mails were received twice: the mail worker sends at least once; a kill between the SMTP server's acceptance and the mark-sent UPDATE sends that mail again after its lease ends\n", twice)
	}
	return verdict(f, false, "")
}

// --- scenario 3: pool exhausted, slow clients ----------------------------------

func poolScenario(ctx context.Context, o options, bin string) error {
	fmt.Printf("== pool: DB_MAX_OPEN_CONNS=%d, %d slow results requests, %d slowloris connections, %d SSE viewers ==\n", o.poolConns, o.flood, o.loris, o.viewers)
	env, err := benchdb.Open(ctx, o.database, benchdb.Options{Prefix: "bench_faults", Keep: o.keep})
	if err != nil {
		return err
	}
	defer env.Close()
	token, err := adminToken(ctx, env.DB)
	if err != nil {
		return err
	}
	fmt.Printf("seeding a survey with %d responses ...\n", o.responses)
	big, err := seed.Survey(ctx, env.DB, o.responses)
	if err != nil {
		return err
	}
	env.Admin.Exec("ANALYZE " + env.Schema + ".response_answers")
	srv, err := env.Server()
	if err != nil {
		return err
	}
	if _, err := auth.NewStore(env.DB).CreateAccount(ctx, auth.AccountInput{Email: "mayor@faults.example", Name: "Mayor", Role: "politician", Password: benchdb.RandomHex(16), Active: true}); err != nil {
		return err
	}
	start, end := time.Now().Add(-time.Minute), time.Now().Add(2*time.Hour)
	th, err := srv.TownHalls().Create(ctx, townhall.Input{Title: models.Text{"en": "Faults"}, StartsAt: &start, EndsAt: &end,
		Moderation: models.ModerationPost, Politicians: []string{"mayor@faults.example"}}, nil)
	if err != nil {
		return err
	}
	vars := map[string]string{"DB_MAX_OPEN_CONNS": strconv.Itoa(o.poolConns), "DB_MAX_IDLE_CONNS": strconv.Itoa(o.poolConns), "LIVE_HEARTBEAT": "1s"}
	if o.requestTimeout > 0 {
		vars["REQUEST_TIMEOUT"] = o.requestTimeout.String()
	}
	a, err := newApp(bin, env, vars)
	if err != nil {
		return err
	}
	if _, err := a.start(ctx); err != nil {
		return err
	}
	defer a.stop()
	small, err := openSurvey(ctx, a.base, token)
	if err != nil {
		return err
	}
	healthyURL := a.base + "/api/v1/surveys/" + small
	slowURL := a.base + "/api/v1/surveys/" + big + "/results?channel=facebook&segment=respondent:resident"

	// SSE viewers of the live town hall, counting what arrives.
	var sseLines atomic.Int64
	var sseOpen atomic.Int64
	sctx, stopSSE := context.WithCancel(ctx)
	defer stopSSE()
	sseErr := make(chan error, o.viewers)
	for range o.viewers {
		go func() { sseErr <- viewer(sctx, a.base+"/api/v1/townhalls/"+th.ID+"/events", &sseLines, &sseOpen) }()
	}
	time.Sleep(2 * time.Second)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	before := healthy(ctx, hc, healthyURL, token, 3*time.Second)

	// The attack: a flood of slow results requests, and slowloris.
	actx, stopAttack := context.WithTimeout(ctx, o.attack)
	defer stopAttack()
	var fl floodStats
	var wg sync.WaitGroup
	fc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.flood, MaxConnsPerHost: o.flood}}
	for range o.flood {
		wg.Add(1)
		go func() { defer wg.Done(); fl.run(actx, fc, slowURL, token) }()
	}
	lr := make(chan time.Duration, o.loris)
	for range o.loris {
		go func() { lr <- slowloris(ctx, strings.TrimPrefix(a.base, "http://"), o.attack+40*time.Second) }()
	}
	sseAt := sseLines.Load()
	t0 := time.Now()
	during := healthy(actx, hc, healthyURL, token, o.attack)
	sseDuring := sseLines.Load() - sseAt
	attackTook := time.Since(t0)
	wg.Wait()
	var cut []time.Duration
	for range o.loris {
		cut = append(cut, <-lr)
	}
	slices.Sort(cut)
	after := healthy(ctx, hc, healthyURL, token, 3*time.Second)
	openAfter := sseOpen.Load()
	stopSSE()

	fmt.Println()
	fmt.Println("| measure | value |")
	fmt.Println("| --- | ---: |")
	fmt.Printf("| DB_MAX_OPEN_CONNS / REQUEST_TIMEOUT / flood clients / slowloris connections / SSE viewers | %d / %s / %d / %d / %d |\n", o.poolConns, o.requestTimeout, o.flood, o.loris, o.viewers)
	fmt.Printf("| healthy GET before: p50 / p99 / failed | %s |\n", before)
	fmt.Printf("| healthy GET during the attack (%.0f s): p50 / p99 / failed | %s |\n", attackTook.Seconds(), during)
	fmt.Printf("| healthy GET after: p50 / p99 / failed | %s |\n", after)
	fmt.Printf("| flood requests answered: 200 / 503 / 429 / other / client timeout | %s |\n", fl.String())
	fmt.Printf("| flood: share answered 503 or 429 | %.1f %% |\n", fl.shareRefused())
	if len(fl.codes) > 0 || len(during.status) > 1 {
		fmt.Printf("| other statuses: flood / healthy during the attack | %v / %v |\n", fl.codes, during.status)
	}
	fmt.Printf("| flood latency: p50 / p99 of 200s; p50 / p99 of 503/429 | %s |\n", fl.latencies())
	fmt.Printf("| SSE lines (heartbeats, 1 s apart, and events) received during the attack, all viewers | %d |\n", sseDuring)
	fmt.Printf("| SSE viewers still connected after %.0f s (ReadTimeout 30 s) | %d of %d |\n", time.Since(t0).Seconds()+5, openAfter, o.viewers)
	fmt.Printf("| slowloris connections closed by the server: min / p50 / max after | %s / %s / %s |\n", fmtDur(cut[0]), fmtDur(cut[len(cut)/2]), fmtDur(cut[len(cut)-1]))
	fmt.Println()
	var f []string
	if openAfter < int64(o.viewers) {
		f = append(f, "SSE streams were cut")
	}
	if sseDuring == 0 {
		f = append(f, "SSE received nothing during the attack")
	}
	if cut[len(cut)-1] >= o.attack+40*time.Second {
		f = append(f, "slowloris connections were not cut")
	}
	if len(during.lat) > 0 && o.requestTimeout > 0 && pct(during.lat, 99) > 2*o.requestTimeout {
		f = append(f, fmt.Sprintf("healthy requests waited up to %s (p99), more than twice REQUEST_TIMEOUT", pct(during.lat, 99)))
	}
	if fl.timeouts.Load() > 0 {
		f = append(f, fmt.Sprintf("%d flood requests hung until the client's 60 s timeout", fl.timeouts.Load()))
	}
	if fl.other.Load() > 0 {
		f = append(f, fmt.Sprintf("%d flood requests answered neither 200 nor 503/429 (%v)", fl.other.Load(), fl.codes))
	}
	if during.failed*10 > len(during.lat)+during.failed {
		f = append(f, fmt.Sprintf("the healthy request failed %d times of %d during the attack (results computations use at most RESULTS_CONCURRENCY of the pool)", during.failed, len(during.lat)+during.failed))
	}
	if len(f) > 0 {
		return errors.New("FAILED: " + strings.Join(f, "; "))
	}
	fmt.Println("verified: SSE kept flowing, slowloris cut by the server, no request hung")
	return nil
}

func fmtDur(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// viewer reads an SSE stream until ctx ends, counting heartbeat and event
// lines.
func viewer(ctx context.Context, url string, lines, open *atomic.Int64) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("SSE: %s", resp.Status)
	}
	open.Add(1)
	defer open.Add(-1)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, ":") || strings.HasPrefix(l, "data:") {
			lines.Add(1)
		}
	}
	return sc.Err()
}

// healthy times one light API request after another for d.
type latencies struct {
	lat    []time.Duration
	failed int
	status map[int]int
}

func (l latencies) String() string {
	if len(l.lat) == 0 {
		return fmt.Sprintf("- / - / %d", l.failed)
	}
	out := fmt.Sprintf("%.1f ms / %.1f ms / %d of %d", ms(pct(l.lat, 50)), ms(pct(l.lat, 99)), l.failed, len(l.lat)+l.failed)
	if n := l.status[http.StatusServiceUnavailable]; n > 0 {
		out += fmt.Sprintf(" (%d of them 503)", n)
	}
	return out
}

func healthy(ctx context.Context, c *http.Client, url, token string, d time.Duration) latencies {
	out := latencies{status: map[int]int{}}
	end := time.Now().Add(d)
	for time.Now().Before(end) && ctx.Err() == nil {
		t0 := time.Now()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.Do(req)
		if err != nil {
			out.failed++
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		out.status[resp.StatusCode]++
		if resp.StatusCode != http.StatusOK {
			out.failed++
			time.Sleep(50 * time.Millisecond)
		} else {
			out.lat = append(out.lat, time.Since(t0))
		}
		time.Sleep(50 * time.Millisecond)
	}
	slices.Sort(out.lat)
	return out
}

type floodStats struct {
	mu                       sync.Mutex
	ok, unavailable, limited []time.Duration
	other, timeouts          atomic.Int64
	codes                    map[int]int // other statuses
}

func (f *floodStats) run(ctx context.Context, c *http.Client, url, token string) {
	for ctx.Err() == nil {
		t0 := time.Now()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.Do(req)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Timeout") {
				f.timeouts.Add(1)
			} else {
				f.other.Add(1)
			}
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		f.mu.Lock()
		switch resp.StatusCode {
		case http.StatusOK:
			f.ok = append(f.ok, d)
		case http.StatusServiceUnavailable:
			f.unavailable = append(f.unavailable, d)
		case http.StatusTooManyRequests:
			f.limited = append(f.limited, d)
		default:
			f.other.Add(1)
			if f.codes == nil {
				f.codes = map[int]int{}
			}
			f.codes[resp.StatusCode]++
		}
		f.mu.Unlock()
		if resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests {
			time.Sleep(100 * time.Millisecond) // a well-behaved client backs off a little
		}
	}
}

func (f *floodStats) String() string {
	return fmt.Sprintf("%d / %d / %d / %d / %d", len(f.ok), len(f.unavailable), len(f.limited), f.other.Load(), f.timeouts.Load())
}

func (f *floodStats) shareRefused() float64 {
	n := len(f.ok) + len(f.unavailable) + len(f.limited) + int(f.other.Load()+f.timeouts.Load())
	if n == 0 {
		return 0
	}
	return 100 * float64(len(f.unavailable)+len(f.limited)) / float64(n)
}

func (f *floodStats) latencies() string {
	p := func(l []time.Duration, q float64) string {
		if len(l) == 0 {
			return "-"
		}
		s := slices.Clone(l)
		slices.Sort(s)
		return fmt.Sprintf("%.0f ms", ms(pct(s, q)))
	}
	refused := append(slices.Clone(f.unavailable), f.limited...)
	return fmt.Sprintf("%s / %s; %s / %s", p(f.ok, 50), p(f.ok, 99), p(refused, 50), p(refused, 99))
}

// slowloris opens a connection and sends a request's headers one byte a
// second; it returns how long the server kept the connection (max when it
// never closed it).
func slowloris(ctx context.Context, addr string, max time.Duration) time.Duration {
	t0 := time.Now()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0
	}
	defer conn.Close()
	closed := make(chan struct{})
	go func() {
		buf := make([]byte, 512)
		for {
			if _, err := conn.Read(buf); err != nil {
				close(closed)
				return
			}
		}
	}()
	req := "GET /api/v1/house-rules HTTP/1.1\r\nHost: " + addr + "\r\n"
	for i := 0; ; i++ {
		b := byte('a' + i%26)
		if i < len(req) {
			b = req[i]
		} else if i%20 == 19 {
			b = '\n'
		}
		_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := conn.Write([]byte{b}); err != nil {
			return time.Since(t0)
		}
		select {
		case <-closed:
			return time.Since(t0)
		case <-ctx.Done():
			return time.Since(t0)
		case <-time.After(time.Second):
		}
		if time.Since(t0) >= max {
			return max
		}
	}
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
