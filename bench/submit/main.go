// Command submit measures how many 20-question survey responses per second
// the platform stores on PostgreSQL, with p50/p90/p99 latency, and runs
// pgbench on the equivalent SQL (one response row plus its answer rows in
// one transaction) in the same run for comparison (issue 3).
//
// It works in a schema of its own (bench_<random>) in the given database,
// which it drops at the end unless -keep is set. The web server runs in this
// process on a free 127.0.0.1 port; only loopback databases are accepted.
//
//	go run ./bench/submit -database 'postgres://postgres@127.0.0.1:5432/inspraak_bench?sslmode=disable'
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
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/bench/benchdb"
)

// target is the requirement: at least half of pgbench's rate.
const target = 0.5

type options struct {
	database   string
	conc       int
	duration   time.Duration
	warmup     time.Duration
	keep       bool
	cpuprofile string
	pgbench    string
	mode       string
}

func main() {
	var o options
	flag.StringVar(&o.database, "database", "", "postgres:// URL of an existing database on 127.0.0.1 (required)")
	flag.IntVar(&o.conc, "c", 32, "concurrent clients (HTTP workers, and pgbench -c)")
	flag.DurationVar(&o.duration, "d", 20*time.Second, "measured duration of each phase (and pgbench -T)")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "warm-up before each platform phase, not measured")
	flag.BoolVar(&o.keep, "keep", false, "keep the bench schema and the pgbench script instead of deleting them")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the measured identified phase to this file")
	flag.StringVar(&o.pgbench, "pgbench", "pgbench", "pgbench executable")
	flag.StringVar(&o.mode, "pgbench-mode", "simple", "pgbench query mode: simple, extended or prepared (the platform's driver uses prepared statements)")
	flag.Parse()
	if o.database == "" || o.conc < 1 || o.duration <= 0 || o.warmup < 0 || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/submit:", err)
		os.Exit(1)
	}
}

// result is one phase's measurement.
type result struct {
	name  string
	ok    int             // 201s (transactions for pgbench) completed in the measured window
	errs  int             // failures in the measured window
	rate  float64         // ok per second
	lat   []time.Duration // latencies of the ok ones
	cpu   usage           // CPU use during the window
	app   time.Duration   // of it, by the client and server: this process, or pgbench
	notes []string
}

func run(ctx context.Context, o options) error {
	if _, err := exec.LookPath(o.pgbench); err != nil {
		return fmt.Errorf("pgbench not found: %w", err)
	}
	// A schema of our own, dropped at the end, and the platform configured
	// as `inspraak serve` would be (DB_MAX_OPEN_CONNS and friends may come
	// from the environment), on a free loopback port.
	env, err := benchdb.Open(ctx, o.database, benchdb.Options{Keep: o.keep})
	if err != nil {
		return fmt.Errorf("-database: %w", err)
	}
	defer env.Close()
	admin, gdb, cfg, base, schema, baseURL := env.Admin, env.DB, env.Config, env.Base, env.Schema, env.BaseURL
	var statements atomic.Int64
	if err := countStatements(gdb, &statements); err != nil {
		return err
	}
	token, err := adminToken(ctx, gdb)
	if err != nil {
		return err
	}
	if _, err := env.Serve(); err != nil {
		return err
	}

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: o.conc, MaxIdleConnsPerHost: o.conc, IdleConnTimeout: time.Minute, DisableCompression: true,
	}}
	api := &apiClient{http: client, base: baseURL + "/api/v1", token: token}
	qs := questionnaire()
	identified, err := api.openSurvey(ctx, "Bench: identified, several responses", qs, false, true)
	if err != nil {
		return err
	}
	anonymous, err := api.openSurvey(ctx, "Bench: anonymous, one response each", qs, true, false)
	if err != nil {
		return err
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	bodies := make([][]byte, 1000)
	for i := range bodies {
		bodies[i], _ = json.Marshal(map[string]any{"answers": answers(qs, rng)})
	}
	perResponse := answerRows(qs)

	header(ctx, admin, o, cfg, base, schema, qs, perResponse)
	sqlDB, _ := gdb.DB()

	var results []result
	for _, p := range []struct {
		name     string
		surveyID string
		markers  bool
		profile  string
	}{
		{"platform, identified + allow_multiple (1 tx)", identified, false, o.cpuprofile},
		{"platform, anonymous + one each (marker tx + 1 tx)", anonymous, true, ""},
	} {
		fmt.Printf("running %s ...\n", p.name)
		if err := reset(ctx, admin, schema); err != nil {
			return err
		}
		before, pool := statements.Load(), sqlDB.Stats()
		r, created, err := load(ctx, client, api.base+"/surveys/"+p.surveyID+"/responses", bodies, o, p.profile)
		if err != nil {
			return err
		}
		r.name = p.name
		after := sqlDB.Stats()
		if created > 0 {
			r.notes = append(r.notes, fmt.Sprintf("%.1f SQL statements per response (GORM; BEGIN/COMMIT not counted)", float64(statements.Load()-before)/float64(created)))
		}
		r.notes = append(r.notes, fmt.Sprintf("DB pool (max %d): waited for a connection %d times, %.1f ms on average; %d connections closed as surplus idle",
			cfg.DBMaxOpenConns, after.WaitCount-pool.WaitCount, avgMs(after.WaitDuration-pool.WaitDuration, after.WaitCount-pool.WaitCount), after.MaxIdleClosed-pool.MaxIdleClosed))
		msg, err := verify(ctx, admin, schema, p.surveyID, created, perResponse, p.markers)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		r.notes = append(r.notes, msg)
		results = append(results, r)
	}

	fmt.Printf("running pgbench ...\n")
	if err := reset(ctx, admin, schema); err != nil {
		return err
	}
	pg, err := runPgbench(ctx, o, base, schema, identified, qs)
	if err != nil {
		return err
	}
	results = append(results, pg)
	report(results, pg.rate)
	return nil
}

// --- the questionnaire ------------------------------------------------------

// question is one of the bench survey's questions.
type question struct {
	Key, Type string
	Min, Max  int // scale or number range
}

const optionCount = 5

// questionnaire is 20 questions in a realistic mix: 6 single choice, 2
// multiple choice (answered with 2 picks), 6 scales, 3 numbers, 3 short texts.
func questionnaire() []question {
	types := []string{"single", "scale", "single", "multiple", "scale", "number", "text", "single", "scale", "single",
		"scale", "number", "multiple", "single", "scale", "text", "single", "scale", "number", "text"}
	qs := make([]question, len(types))
	for i, t := range types {
		qs[i] = question{Key: fmt.Sprintf("q%02d", i+1), Type: t}
		switch {
		case t == "scale" && i%2 == 0:
			qs[i].Min, qs[i].Max = 0, 10
		case t == "scale":
			qs[i].Min, qs[i].Max = 1, 5
		case t == "number":
			qs[i].Min, qs[i].Max = 0, 120
		}
	}
	return qs
}

// definition is the API's JSON for the questions.
func definition(qs []question) []map[string]any {
	var out []map[string]any
	for i, q := range qs {
		d := map[string]any{"key": q.Key, "type": q.Type, "required": true,
			"text": map[string]string{"en": fmt.Sprintf("Question %d: what do you think about this part of the municipality's work?", i+1)}}
		switch q.Type {
		case "single", "multiple":
			var opts []map[string]any
			for o := 1; o <= optionCount; o++ {
				opts = append(opts, map[string]any{"key": fmt.Sprintf("o%d", o), "text": map[string]string{"en": fmt.Sprintf("Option %d", o)}})
			}
			d["options"] = opts
			if q.Type == "multiple" {
				d["max_selections"] = 3
			}
		case "scale":
			d["scale"] = map[string]any{"min": q.Min, "max": q.Max, "min_label": map[string]string{"en": "Not at all"}, "max_label": map[string]string{"en": "Very much"}}
		case "number":
			d["min"], d["max"] = q.Min, q.Max
		}
		out = append(out, d)
	}
	return out
}

var phrases = []string{
	"More information on the website, please.",
	"The opening hours of the town hall are fine.",
	"I would like to hear about road works earlier.",
	"Facebook and the local newspaper.",
	"Shorter answers, quicker.",
	"Nothing to add.",
}

// answers is one valid, varied response to qs.
func answers(qs []question, rng *mrand.Rand) map[string]any {
	a := map[string]any{}
	for _, q := range qs {
		switch q.Type {
		case "single":
			a[q.Key] = fmt.Sprintf("o%d", 1+rng.IntN(optionCount))
		case "multiple":
			p := rng.Perm(optionCount)
			a[q.Key] = []string{fmt.Sprintf("o%d", 1+p[0]), fmt.Sprintf("o%d", 1+p[1])}
		case "scale", "number":
			a[q.Key] = q.Min + rng.IntN(q.Max-q.Min+1)
		case "text":
			a[q.Key] = phrases[rng.IntN(len(phrases))]
		}
	}
	return a
}

// answerRows is how many response_answers rows one response makes.
func answerRows(qs []question) int {
	n := 0
	for _, q := range qs {
		if q.Type == "multiple" {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// --- setup ------------------------------------------------------------------

func adminToken(ctx context.Context, gdb *gorm.DB) (string, error) {
	st := auth.NewStore(gdb)
	a, err := st.CreateAccount(ctx, auth.AccountInput{Email: "bench@inspraak.example", Name: "Bench", Role: "admin", Password: benchdb.RandomHex(16), Active: true})
	if err != nil {
		return "", err
	}
	token, _, err := st.CreateToken(ctx, a.ID, "bench")
	return token, err
}

type apiClient struct {
	http        *http.Client
	base, token string
}

func (c *apiClient) post(ctx context.Context, path string, in any, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
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

// openSurvey creates a survey through the API, opens it and returns its id.
func (c *apiClient) openSurvey(ctx context.Context, title string, qs []question, anonymous, allowMultiple bool) (string, error) {
	var sv struct {
		ID string `json:"id"`
	}
	in := map[string]any{"title": map[string]string{"en": title}, "languages": []string{"en"},
		"anonymous": anonymous, "allow_multiple": allowMultiple, "questions": definition(qs)}
	if err := c.post(ctx, "/surveys", in, &sv); err != nil {
		return "", err
	}
	return sv.ID, c.post(ctx, "/surveys/"+sv.ID+"/open", map[string]any{}, &struct{}{})
}

// countStatements counts every statement GORM runs (BEGIN and COMMIT are not
// GORM statements and are not counted).
func countStatements(gdb *gorm.DB, n *atomic.Int64) error {
	inc := func(*gorm.DB) { n.Add(1) }
	cb := gdb.Callback()
	return errors.Join(
		cb.Create().After("gorm:create").Register("bench:count", inc),
		cb.Query().After("gorm:query").Register("bench:count", inc),
		cb.Update().After("gorm:update").Register("bench:count", inc),
		cb.Delete().After("gorm:delete").Register("bench:count", inc),
		cb.Row().After("gorm:row").Register("bench:count", inc),
		cb.Raw().After("gorm:raw").Register("bench:count", inc),
	)
}

// reset empties the tables the phases write and takes a checkpoint, so that
// every phase starts from the same state.
func reset(ctx context.Context, admin *gorm.DB, schema string) error {
	err := admin.WithContext(ctx).Exec(fmt.Sprintf("TRUNCATE %[1]s.response_answers, %[1]s.response_attributes, %[1]s.responses, %[1]s.response_markers, %[1]s.answer_totals, %[1]s.survey_totals, %[1]s.sessions", schema)).Error
	if err != nil {
		return err
	}
	_ = admin.WithContext(ctx).Exec("CHECKPOINT").Error // needs superuser or pg_checkpoint; fine without
	return nil
}

// --- load -------------------------------------------------------------------

// load runs o.conc workers posting responses (without cookies, so each is a
// new participant) for the warm-up plus the measured duration. It returns the
// measurement of requests completed in the measured window, and the number
// of 201s in all (for verification).
func load(ctx context.Context, client *http.Client, target string, bodies [][]byte, o options, profile string) (result, int, error) {
	var pf *os.File
	if profile != "" {
		var err error
		if pf, err = os.Create(profile); err != nil {
			return result{}, 0, err
		}
		defer pf.Close()
	}
	start := time.Now()
	from, to := start.Add(o.warmup), start.Add(o.warmup+o.duration)
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		r       result
		created int
		errMsgs = map[string]int{}
	)
	for w := 0; w < o.conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var lat []time.Duration
			ok, errs, all := 0, 0, 0
			failed := map[string]int{}
			for i := w; ctx.Err() == nil; i += o.conc {
				t0 := time.Now()
				if !t0.Before(to) {
					break
				}
				err := submit(ctx, client, target, bodies[i%len(bodies)])
				t1 := time.Now()
				if err == nil {
					all++
				}
				if t1.Before(from) || !t1.Before(to) {
					continue
				}
				if err != nil {
					errs++
					failed[err.Error()]++
					continue
				}
				ok++
				lat = append(lat, t1.Sub(t0))
			}
			mu.Lock()
			r.ok, r.errs, created = r.ok+ok, r.errs+errs, created+all
			r.lat = append(r.lat, lat...)
			for m, n := range failed {
				errMsgs[m] += n
			}
			mu.Unlock()
		}(w)
	}

	sleepUntil(ctx, from)
	cpu0 := snapshot()
	profiling := pf != nil && pprof.StartCPUProfile(pf) == nil
	sleepUntil(ctx, to)
	if profiling {
		pprof.StopCPUProfile()
	}
	r.cpu = between(cpu0, snapshot())
	r.app = r.cpu.self
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return r, created, err
	}
	r.rate = float64(r.ok) / o.duration.Seconds()
	for m, n := range errMsgs {
		r.notes = append(r.notes, fmt.Sprintf("error ×%d: %s", n, m))
	}
	return r, created, nil
}

func sleepUntil(ctx context.Context, t time.Time) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(t)):
	}
}

func submit(ctx context.Context, client *http.Client, target string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("%s: %.200s", resp.Status, b)
	}
	return nil
}

// verify checks that every 201 stored one response with all its answer rows
// (and, for one-response-per-participant surveys, one marker).
func verify(ctx context.Context, gdb *gorm.DB, schema, surveyID string, created, perResponse int, markers bool) (string, error) {
	var responses, wrong, markerRows int64
	err := gdb.WithContext(ctx).Raw("SELECT count(*) FROM "+schema+".responses WHERE survey_id = ?", surveyID).Scan(&responses).Error
	if err == nil {
		err = gdb.WithContext(ctx).Raw(`SELECT count(*) FROM (SELECT r.id FROM `+schema+`.responses r LEFT JOIN `+schema+`.response_answers a ON a.response_id = r.id
			WHERE r.survey_id = ? GROUP BY r.id HAVING count(a.response_id) <> ?) x`, surveyID, perResponse).Scan(&wrong).Error
	}
	if err == nil && markers {
		err = gdb.WithContext(ctx).Raw("SELECT count(*) FROM "+schema+".response_markers WHERE survey_id = ?", surveyID).Scan(&markerRows).Error
	}
	switch {
	case err != nil:
		return "", err
	case responses != int64(created):
		return "", fmt.Errorf("verification failed: %d responses stored, %d answered 201", responses, created)
	case wrong > 0:
		return "", fmt.Errorf("verification failed: %d responses lack some of their %d answer rows", wrong, perResponse)
	case markers && markerRows != responses:
		return "", fmt.Errorf("verification failed: %d markers for %d responses", markerRows, responses)
	}
	msg := fmt.Sprintf("verified: %d responses (= 201s), each with %d answer rows", responses, perResponse)
	if markers {
		msg += ", and as many markers"
	}
	return msg, nil
}

// --- pgbench ----------------------------------------------------------------

// pgbenchScript is the SQL the platform runs for one identified response:
// one transaction with the response row and one multi-row INSERT of the
// answer rows (as GORM's batch insert does).
func pgbenchScript(surveyID string, qs []question) string {
	id := "substr(md5(:rid::text), 1, 20)"
	var rows []string
	row := func(q string, seq int, option, number, text string) {
		rows = append(rows, fmt.Sprintf("(%s, '%s', %d, '%s', '', %s, '%s', 0)", id, q, seq, option, number, strings.ReplaceAll(text, "'", "''")))
	}
	a := answers(qs, mrand.New(mrand.NewPCG(3, 4)))
	for _, q := range qs {
		switch v := a[q.Key].(type) {
		case string:
			if q.Type == "text" {
				row(q.Key, 0, "", "NULL", v)
			} else {
				row(q.Key, 0, v, "NULL", "")
			}
		case []string:
			for i, o := range v {
				row(q.Key, i, o, "NULL", "")
			}
		case int:
			row(q.Key, 0, "", strconv.Itoa(v), "")
		}
	}
	return fmt.Sprintf(`\set rid random(1, 9000000000000000000)
BEGIN;
INSERT INTO responses (id, survey_id, channel, submitted_on, submitted_at, participant_id) VALUES (%s, '%s', 'pgbench', '%s', now(), substr(md5(random()::text), 1, 20));
INSERT INTO response_answers (response_id, question_key, seq, option_key, row_key, number, text, rank) VALUES %s;
COMMIT;
`, id, surveyID, time.Now().UTC().Format("2006-01-02"), strings.Join(rows, ", "))
}

var (
	tpsRe    = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)
	doneRe   = regexp.MustCompile(`(?m)^number of transactions actually processed: ([0-9]+)`)
	failedRe = regexp.MustCompile(`(?m)^number of failed transactions: ([0-9]+)`)
)

// runPgbench runs the script with the same concurrency and duration and
// reads tps and per-transaction latencies (from its -l log).
func runPgbench(ctx context.Context, o options, base *url.URL, schema, surveyID string, qs []question) (result, error) {
	r := result{name: "pgbench, same SQL (1 tx)"}
	dir, err := os.MkdirTemp("", "bench-submit-")
	if err != nil {
		return r, err
	}
	script := filepath.Join(dir, "submit.sql")
	if o.keep {
		r.notes = append(r.notes, "script and latency logs kept in "+dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if err := os.WriteFile(script, []byte(pgbenchScript(surveyID, qs)), 0o600); err != nil {
		return r, err
	}
	args := []string{"-n", "-M", o.mode, "-c", strconv.Itoa(o.conc), "-j", "2", "-T", strconv.Itoa(int(math.Ceil(o.duration.Seconds()))),
		"-h", base.Hostname()}
	if p := base.Port(); p != "" {
		args = append(args, "-p", p)
	}
	if u := base.User.Username(); u != "" {
		args = append(args, "-U", u)
	}
	dbname := strings.TrimPrefix(base.Path, "/")
	r.notes = append(r.notes, fmt.Sprintf("PGOPTIONS='-c search_path=%s' pgbench %s -f SCRIPT %s (plus -l for the latencies)", schema, strings.Join(args, " "), dbname))
	args = append(args, "-f", script, "-l", "--log-prefix", filepath.Join(dir, "log"), dbname)
	cmd := exec.CommandContext(ctx, o.pgbench, args...)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c search_path="+schema)
	if pw, ok := base.User.Password(); ok {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+pw)
	}
	if m := base.Query().Get("sslmode"); m != "" {
		cmd.Env = append(cmd.Env, "PGSSLMODE="+m) // as the platform connects
	}
	cpu0 := snapshot()
	out, err := cmd.CombinedOutput()
	cpu1 := snapshot()
	// Give pgbench's backends a moment to exit and be counted by the postmaster.
	time.Sleep(300 * time.Millisecond)
	settled := snapshot()
	settled.total, settled.idle = cpu1.total, cpu1.idle
	r.cpu = between(cpu0, settled)
	r.app = r.cpu.children
	if err != nil {
		return r, fmt.Errorf("pgbench: %w\n%s", err, out)
	}
	m := tpsRe.FindSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	r.rate, _ = strconv.ParseFloat(string(m[1]), 64)
	if m := doneRe.FindSubmatch(out); m != nil {
		r.ok, _ = strconv.Atoi(string(m[1]))
	}
	if m := failedRe.FindSubmatch(out); m != nil {
		r.errs, _ = strconv.Atoi(string(m[1]))
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "log.*"))
	for _, f := range logs {
		lat, err := readPgbenchLog(f)
		if err != nil {
			return r, err
		}
		r.lat = append(r.lat, lat...)
	}
	return r, nil
}

// readPgbenchLog reads the latency (third field, microseconds) of each
// transaction in a pgbench -l log.
func readPgbenchLog(path string) ([]time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []time.Duration
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		us, err := strconv.ParseInt(fields[2], 10, 64)
		if err == nil {
			out = append(out, time.Duration(us)*time.Microsecond)
		}
	}
	return out, sc.Err()
}

// --- output -----------------------------------------------------------------

func header(ctx context.Context, admin *gorm.DB, o options, cfg config.Config, base *url.URL, schema string, qs []question, perResponse int) {
	var version string
	admin.WithContext(ctx).Raw("SHOW server_version").Scan(&version)
	pgb, _ := exec.Command(o.pgbench, "--version").Output()
	counts := map[string]int{}
	for _, q := range qs {
		counts[q.Type]++
	}
	fmt.Printf("Inspraak submit benchmark (issue 3)\n")
	fmt.Printf("machine:   %d CPUs%s, %s/%s, %s, GOMAXPROCS %d\n", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, runtime.Version(), runtime.GOMAXPROCS(0))
	fmt.Printf("database:  PostgreSQL %s at %s, database %s, schema %s; %s", version, base.Host, strings.TrimPrefix(base.Path, "/"), schema, pgb)
	fmt.Printf("settings:  -c %d clients, -d %s measured per phase after -warmup %s; DB_MAX_OPEN_CONNS %d, DB_MAX_IDLE_CONNS %d\n",
		o.conc, o.duration, o.warmup, cfg.DBMaxOpenConns, cfg.DBMaxIdleConns)
	fmt.Printf("survey:    %d questions (%d single, %d multiple with 2 picks, %d scale, %d number, %d short text) = %d answer rows per response\n",
		len(qs), counts["single"], counts["multiple"], counts["scale"], counts["number"], counts["text"], perResponse)
	fmt.Printf("note:      the HTTP load generator runs in the same process as the server; it, the server and PostgreSQL share the CPUs\n\n")
}

func report(results []result, pgbenchRate float64) {
	width := len("phase")
	for _, r := range results {
		width = max(width, len(r.name))
	}
	fmt.Printf("\n%-*s %8s %7s %12s %7s %7s %7s %9s %11s %11s %11s\n", width, "phase", "ok", "errors", "responses/s", "p50 ms", "p90 ms", "p99 ms",
		"CPU busy", "app CPU ms", "PG CPU ms", "vs pgbench")
	for _, r := range results {
		slices.Sort(r.lat)
		fmt.Printf("%-*s %8d %7d %12.0f %7.1f %7.1f %7.1f %8.0f%% %11.2f %11.2f %11.2f\n", width, r.name, r.ok, r.errs, r.rate,
			ms(pct(r.lat, 50)), ms(pct(r.lat, 90)), ms(pct(r.lat, 99)), 100*r.cpu.busy, perOK(r.app, r.ok), perOK(r.cpu.pg, r.ok), r.rate/pgbenchRate)
	}
	fmt.Println("(CPU busy: the whole machine; app / PG CPU ms: CPU time per response of this process, or of pgbench's client, and of PostgreSQL)")
	for _, r := range results {
		fmt.Printf("\n%s:\n", r.name)
		for _, n := range r.notes {
			fmt.Printf("  %s\n", n)
		}
	}
	ratio := results[0].rate / pgbenchRate
	verdict := "MET"
	if ratio < target {
		verdict = "NOT MET"
	}
	fmt.Printf("\nplatform (identified, 1 tx) / pgbench = %.0f / %.0f = %.3f; target >= %.1f: %s\n", results[0].rate, pgbenchRate, ratio, target, verdict)
}

// pct is the p-th percentile of sorted durations (nearest rank).
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func perOK(cpu time.Duration, ok int) float64 {
	if ok == 0 {
		return math.NaN()
	}
	return ms(cpu) / float64(ok)
}

func avgMs(total time.Duration, n int64) float64 {
	if n == 0 {
		return 0
	}
	return ms(total) / float64(n)
}

// cpuSnap is the CPU time used so far, in clock ticks: by the whole
// machine (from /proc/stat) and by each process (from /proc/PID/stat).
// Where there is no /proc it stays empty.
type cpuSnap struct {
	total, idle uint64
	procs       map[int]proc
}

type proc struct {
	comm     string
	own      int64 // user + system time
	children int64 // of its children that have exited
}

// tick is a clock tick of /proc (USER_HZ, 100 on Linux).
const tick = 10 * time.Millisecond

func snapshot() cpuSnap {
	c := cpuSnap{procs: map[int]proc{}}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		for i, f := range strings.Fields(line)[1:] {
			v, _ := strconv.ParseUint(f, 10, 64)
			c.total += v
			if i == 3 || i == 4 { // idle, iowait
				c.idle += v
			}
		}
	}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if err != nil || open < 0 || end < open {
			continue
		}
		f := strings.Fields(string(b[end+1:])) // fields 3 (state) and on
		if len(f) < 15 {
			continue
		}
		n := func(i int) int64 { v, _ := strconv.ParseInt(f[i], 10, 64); return v }
		c.procs[pid] = proc{comm: string(b[open+1 : end]), own: n(11) + n(12), children: n(13) + n(14)}
	}
	return c
}

// usage is the CPU used between two snapshots.
type usage struct {
	busy     float64       // share of the machine's CPU time that was not idle
	self     time.Duration // by this process
	children time.Duration // by this process's children that exited (pgbench)
	pg       time.Duration // by PostgreSQL: its processes, and the backends that exited
}

func between(a, b cpuSnap) usage {
	u := usage{busy: math.NaN()}
	if b.total > a.total {
		u.busy = 1 - float64(b.idle-a.idle)/float64(b.total-a.total)
	}
	self := os.Getpid()
	pg := func(comm string) bool { return comm == "postgres" || comm == "postmaster" }
	var own, children, pgTicks int64
	for pid, p := range b.procs {
		q, ok := a.procs[pid]
		if !ok || q.comm != p.comm {
			q = proc{}
		}
		switch {
		case pid == self:
			own, children = p.own-q.own, p.children-q.children
		case pg(p.comm):
			// The postmaster's children time holds the whole CPU time of
			// backends that exited, before the window too (subtracted below).
			pgTicks += p.own - q.own + p.children - q.children
		}
	}
	for pid, q := range a.procs {
		if _, ok := b.procs[pid]; !ok && pg(q.comm) {
			pgTicks -= q.own
		}
	}
	u.self, u.children, u.pg = time.Duration(own)*tick, time.Duration(children)*tick, time.Duration(pgTicks)*tick
	return u
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return " (" + strings.TrimSpace(v) + ")"
		}
	}
	return ""
}
