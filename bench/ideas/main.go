// Command ideas measures idea lists on PostgreSQL (issue: ideas): a
// consultation with -ideas ideas (10,000), -supports supports (100,000,
// skewed: a few ideas have most) and -comments comments is written with
// COPY, then every list the API and the page offer is requested -n times
// through the real HTTP server (p50/p95/p99, requests per second): by
// supports (first page and deeper pages by the `next` cursor), new,
// comments, a category and status filter, a search, and the consultation's
// HTML page. Target: the list by supports at p50 <= 50 ms.
//
// Then a support storm: -storm participants, each with its own session
// cookie, support the -top most supported ideas in parallel (and each idea
// twice); afterwards every idea's supports must equal its support rows.
//
//	go run ./bench/ideas -database 'postgres://postgres@127.0.0.1:5432/inspraak_bench?sslmode=disable'
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/bench/benchdb"
	"github.com/inspraak/inspraak/bench/seed"
	"github.com/inspraak/inspraak/models"
)

func main() {
	database := flag.String("database", "", "postgres:// URL of an existing database on 127.0.0.1 (required)")
	o := opts{}
	flag.IntVar(&o.ideas, "ideas", 10_000, "ideas in the consultation")
	flag.IntVar(&o.supports, "supports", 100_000, "supports, spread over the ideas by a Zipf-like law")
	flag.IntVar(&o.comments, "comments", 3_000, "comments (a fifth of them replies)")
	flag.IntVar(&o.n, "n", 200, "requests per case (after 5 unmeasured)")
	flag.IntVar(&o.c, "c", 1, "concurrent clients per case")
	flag.IntVar(&o.storm, "storm", 1_000, "participants in the support storm")
	flag.IntVar(&o.top, "top", 5, "most supported ideas each storm participant supports")
	flag.BoolVar(&o.explain, "explain", false, "print EXPLAIN (ANALYZE, BUFFERS) of the list queries")
	flag.BoolVar(&o.keep, "keep", false, "keep the schema")
	flag.Parse()
	if *database == "" || o.ideas < 100 || o.n < 1 || o.c < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *database, o); err != nil {
		fmt.Fprintln(os.Stderr, "ideas bench:", err)
		os.Exit(1)
	}
}

type opts struct {
	ideas, supports, comments, n, c, storm, top int
	explain, keep                               bool
}

var categories = []string{"sikre-ruter", "cykelparkering", "supercykelstier", "vintervedligeholdelse", "boern-og-skoleveje", "kryds-og-signaler"}

func run(ctx context.Context, database string, o opts) error {
	env, err := benchdb.Open(ctx, database, benchdb.Options{Prefix: "bench_ideas", Keep: o.keep,
		// Every simulated citizen comes from 127.0.0.1: no per-address limit.
		Env: map[string]string{"LOG_LEVEL": "error", "TOWNHALL_IP_RATE": "0"}})
	if err != nil {
		return err
	}
	defer env.Close()
	store := ideas.NewStore(env.DB, nil, []byte(benchdb.RandomHex(32)), nil)
	now := time.Now().UTC()
	opens, closes := now.Add(-30*24*time.Hour), now.Add(30*24*time.Hour)
	in := ideas.ConsultationInput{Title: models.Text{"da": "Cykelstrategi (bench)", "en": "Cycling strategy (bench)"},
		Description: models.Text{"da": "Benchmark"}, OpensAt: &opens, ClosesAt: &closes, Moderation: models.ModerationPost}
	for _, k := range categories {
		in.Categories = append(in.Categories, models.Category{Key: k, Label: models.Text{"da": k}})
	}
	cons, err := store.CreateConsultation(ctx, in, nil)
	if err != nil {
		return err
	}
	t0 := time.Now()
	sum, err := fill(ctx, env.DB, store, cons, o)
	if err != nil {
		return err
	}
	if err := env.DB.Exec("ANALYZE").Error; err != nil {
		return err
	}
	seeded := time.Since(t0)

	if _, err := env.Serve(); err != nil {
		return err
	}
	base := env.BaseURL
	tr := &http.Transport{MaxIdleConns: 1000, MaxIdleConnsPerHost: 1000, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	list := base + "/api/v1/consultations/" + cons.ID + "/ideas"

	// Cursors of deeper pages, by following `next`.
	cursors := map[int]string{}
	next := ""
	for p := 1; p <= 50; p++ {
		var page struct {
			Ideas []json.RawMessage `json:"ideas"`
			Next  *string           `json:"next"`
		}
		u := list + "?sort=supports"
		if next != "" {
			u += "&cursor=" + url.QueryEscape(next)
		}
		if err := getJSON(client, u, &page); err != nil {
			return err
		}
		if page.Next == nil {
			break
		}
		next = *page.Next
		cursors[p+1] = next
	}
	type kase struct{ name, url string }
	cases := []kase{
		{"sort=supports, page 1", list + "?sort=supports"},
		{"sort=supports, page 2 (next)", list + "?sort=supports&cursor=" + url.QueryEscape(cursors[2])},
		{"sort=supports, page 10 (next)", list + "?sort=supports&cursor=" + url.QueryEscape(cursors[10])},
		{"sort=supports, page 50 (next)", list + "?sort=supports&cursor=" + url.QueryEscape(cursors[50])},
		{"sort=supports, limit=100", list + "?sort=supports&limit=100"},
		{"sort=new", list + "?sort=new"},
		{"sort=comments", list + "?sort=comments"},
		{"category + status=adopted", list + "?sort=supports&category=vintervedligeholdelse&status=adopted"},
		{"category + status=none", list + "?sort=supports&category=vintervedligeholdelse&status=none"},
		{"q=nørrebrogade", list + "?sort=supports&q=" + url.QueryEscape("nørrebrogade")},
		{"q=nørrebrogade, category", list + "?sort=supports&category=kryds-og-signaler&q=" + url.QueryEscape("nørrebrogade")},
		{"q=vinterbadning (no match)", list + "?sort=supports&q=vinterbadning"},
		{"HTML /consultations/{id}", base + "/consultations/" + cons.ID},
	}
	type result struct {
		name          string
		p50, p95, p99 time.Duration
		rps           float64
		bytes         int
		fails         int64
	}
	var results []result
	for _, k := range cases {
		if strings.HasSuffix(k.url, "cursor=") {
			continue // fewer pages than that
		}
		for range 5 {
			if _, err := get(client, k.url); err != nil {
				return fmt.Errorf("%s: %w", k.name, err)
			}
		}
		lat, wall, size, fails := measure(client, k.url, o.n, o.c)
		results = append(results, result{k.name, pct(lat, .5), pct(lat, .95), pct(lat, .99), float64(len(lat)) / wall.Seconds(), size, fails})
	}

	// The support storm.
	var top []models.Idea
	if err := env.DB.Where("consultation_id = ? AND visibility = ?", cons.ID, models.PostPublished).
		Order("supports DESC, id").Limit(o.top).Find(&top).Error; err != nil {
		return err
	}
	storm := stormResult{}
	if o.storm > 0 {
		storm = supportStorm(tr, base, top, o.storm)
	}
	var off int64
	if err := env.DB.Raw(`SELECT COUNT(*) FROM ideas i WHERE i.consultation_id = ? AND i.supports <>
		(SELECT COUNT(*) FROM idea_supports s WHERE s.idea_id = i.id)`, cons.ID).Scan(&off).Error; err != nil {
		return err
	}
	var gained []int64
	for _, t := range top {
		var n int64
		env.DB.Model(&models.Idea{}).Where("id = ?", t.ID).Select("supports").Scan(&n)
		gained = append(gained, n-int64(t.Supports))
	}

	var rows, pages int64
	env.DB.Raw("SELECT pg_total_relation_size('ideas')").Scan(&pages)
	env.DB.Model(&models.Idea{}).Where("consultation_id = ?", cons.ID).Count(&rows)
	fmt.Printf("\nIdea list bench (PostgreSQL, %d CPUs, -c %d, -n %d)\n", runtime.NumCPU(), o.c, o.n)
	fmt.Printf("seeded in %s: %d ideas (%d published), %d supports (top idea %d, median %d), %d comments; ideas table %.1f MiB\n\n",
		seeded.Round(time.Millisecond), rows, sum.published, sum.supports, sum.max, sum.median, sum.comments, float64(pages)/(1<<20))
	fmt.Printf("%-34s %9s %9s %9s %9s %9s %s\n", "case", "p50 ms", "p95 ms", "p99 ms", "req/s", "bytes", "failed")
	for _, r := range results {
		fmt.Printf("%-34s %9.2f %9.2f %9.2f %9.0f %9d %d\n", r.name, ms(r.p50), ms(r.p95), ms(r.p99), r.rps, r.bytes, r.fails)
	}
	target := "MET"
	if ms(results[0].p50) > 50 {
		target = "NOT MET"
	}
	fmt.Printf("\ntarget: list by supports p50 %.2f ms <= 50 ms: %s\n", ms(results[0].p50), target)
	if o.storm > 0 {
		fmt.Printf("\nsupport storm: %d participants x %d ideas (each idea posted twice, in parallel): %d requests in %s (%.0f req/s), p50 %.1f ms, p99 %.1f ms, %d failed\n",
			o.storm, len(top), storm.requests, storm.wall.Round(time.Millisecond), float64(storm.requests)/storm.wall.Seconds(), ms(storm.p50), ms(storm.p99), storm.failed)
		fmt.Printf("supports gained by the top ideas: %v (want %d each)\n", gained, o.storm)
	}
	verdict := "verified"
	if off != 0 {
		verdict = "MISMATCH"
	}
	fmt.Printf("ideas whose supports differ from COUNT(*) of their idea_supports: %d of %d (%s)\n", off, rows, verdict)

	if o.explain {
		return explain(ctx, env.DB, store, cons, cursors[10])
	}
	return nil
}

type summary struct {
	published, supports, comments, max, median int
}

var words = strings.Fields(`cykelsti cykelstien cykler cyklister bred smal sikker tryg farlig kryds lyskryds grøn bølge
	skolevej børn parkering stativer ladcykel vinter sne salt glat lys mørkt hul asfalt bus lastbil bilister
	fortov overhale myldretid morgen aften weekend rute supercykelsti pendler station bro havn park skole`)

var places = []string{"Nørrebrogade", "Amagerbrogade", "Vesterbrogade", "Jagtvej", "Frederikssundsvej", "Dronning Louises Bro",
	"Østerbrogade", "Valby Langgade", "Gothersgade", "Lygten", "Ørestads Boulevard", "Sydhavnsgade", "Tagensvej", "Amager Strandvej", ""}

// fill writes the ideas, supports and comments with COPY. Supports follow
// a Zipf-like law (idea of rank r gets a share ~ 1/(r+20)), by distinct
// participants; comments are spread the same way, a fifth replies, 3 %
// hidden. Every count on an idea is its rows.
func fill(ctx context.Context, gdb *gorm.DB, store *ideas.Store, cons *models.Consultation, o opts) (summary, error) {
	rng := rand.New(rand.NewPCG(10_000, 100_000))
	n := o.ideas
	// Popularity: a random rank per idea.
	rank := rng.Perm(n)
	w := make([]float64, n)
	var wsum float64
	for i := range w {
		w[i] = 1 / (float64(rank[i]) + 20)
		wsum += w[i]
	}
	sup := make([]int, n)
	given := 0
	for i := range sup {
		sup[i] = int(float64(o.supports) * w[i] / wsum)
		given += sup[i]
	}
	for i := 0; given < o.supports; i = (i + 1) % n {
		if rank[i] < n/10 {
			sup[i]++
			given++
		}
	}
	// Participants: enough distinct keys for the most supported idea.
	np := max(slices.Max(sup)*2, 20_000)
	keys := make([]string, np)
	for i := range keys {
		keys[i] = store.ParticipantKey(cons.ID, "p", fmt.Sprintf("bench-%d", i))
	}
	start := cons.OpensAt
	span := time.Since(start) - time.Hour
	type idea struct {
		id, cat, status, vis, title, body, place string
		supports, comments                       int
		at                                       time.Time
	}
	list := make([]idea, n)
	var s summary
	for i := range list {
		place := places[rng.IntN(len(places))]
		var b strings.Builder
		for range 30 + rng.IntN(40) {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte(' ')
		}
		if place != "" {
			b.WriteString("ved " + place + ".")
		}
		title := fmt.Sprintf("%s %s %s", words[rng.IntN(len(words))], words[rng.IntN(len(words))], words[rng.IntN(len(words))])
		vis := models.PostPublished
		switch r := rng.IntN(100); {
		case r < 2:
			vis = models.PostHidden
		case r < 3:
			vis = models.PostPending
		}
		status := ""
		if rng.IntN(100) < 6 {
			status = models.IdeaStatuses[rng.IntN(len(models.IdeaStatuses))]
		}
		list[i] = idea{id: fmt.Sprintf("bi%08d%s", i, benchdb.RandomHex(5)), cat: categories[rng.IntN(len(categories))], status: status, vis: vis,
			title: title, body: b.String(), place: place, supports: sup[i], at: start.Add(time.Duration(rng.Float64() * float64(span))).Truncate(time.Microsecond)}
		if vis == models.PostPublished {
			s.published++
		}
		s.supports += sup[i]
	}
	// Comments on published ideas, by the same law.
	type comment struct {
		id, idea, parent, vis string
		at                    time.Time
	}
	var comments []comment
	var tops []int // per idea, the index of its last top-level comment (-1: none)
	tops = make([]int, n)
	for i := range tops {
		tops[i] = -1
	}
	wmax := slices.Max(w)
	for len(comments) < o.comments {
		i := rng.IntN(n)
		if list[i].vis != models.PostPublished || rng.Float64() > 4*w[i]/wmax {
			continue
		}
		cm := comment{id: fmt.Sprintf("bc%08d%s", len(comments), benchdb.RandomHex(5)), idea: list[i].id, vis: models.PostPublished,
			at: list[i].at.Add(time.Duration(rng.IntN(3600*24)) * time.Second)}
		if rng.IntN(100) < 3 {
			cm.vis = models.PostHidden
		}
		if tops[i] >= 0 && rng.IntN(5) == 0 {
			cm.parent = comments[tops[i]].id
			cm.at = comments[tops[i]].at.Add(time.Minute)
		} else {
			tops[i] = len(comments)
		}
		if cm.vis == models.PostPublished {
			list[i].comments++
		}
		comments = append(comments, cm)
	}
	s.comments = len(comments)
	sorted := slices.Clone(sup)
	slices.Sort(sorted)
	s.max, s.median = sorted[n-1], sorted[n/2]

	err := seed.CopyTx(ctx, gdb, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"ideas"}, []string{"id", "consultation_id", "participant", "display_name", "title", "body", "category",
			"place_label", "language", "visibility", "status", "explanation", "supports", "comments", "created_at", "updated_at"},
			pgx.CopyFromSlice(n, func(i int) ([]any, error) {
				d := list[i]
				expl := "{}"
				if d.status != "" {
					expl = `{"da":"Forklaring"}`
				}
				return []any{d.id, cons.ID, keys[i%np], "", d.title, d.body, d.cat, d.place, "da", d.vis, d.status, expl,
					int32(d.supports), int32(d.comments), d.at, d.at}, nil
			}))
		if err != nil {
			return err
		}
		// Supports: an idea's supporters are consecutive keys from a
		// random offset, so they are distinct.
		type pair struct{ idea, key string }
		var rows []pair
		for _, d := range list {
			off := rng.IntN(np)
			for k := range d.supports {
				rows = append(rows, pair{d.id, keys[(off+k)%np]})
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"idea_supports"}, []string{"idea_id", "participant"},
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) { return []any{rows[i].idea, rows[i].key}, nil })); err != nil {
			return err
		}
		for _, replies := range []bool{false, true} {
			var part []comment
			for _, c := range comments {
				if (c.parent != "") == replies {
					part = append(part, c)
				}
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"idea_comments"}, []string{"id", "idea_id", "parent_id", "consultation_id", "participant", "body",
				"visibility", "created_at", "updated_at"},
				pgx.CopyFromSlice(len(part), func(i int) ([]any, error) {
					c := part[i]
					var parent any
					if c.parent != "" {
						parent = c.parent
					}
					return []any{c.id, c.idea, parent, cons.ID, keys[i%np], "Enig, det er en god idé.", c.vis, c.at, c.at}, nil
				})); err != nil {
				return err
			}
		}
		return nil
	})
	return s, err
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func pct(l []time.Duration, p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[min(len(l)-1, int(math.Ceil(float64(len(l))*p))-1)]
}

func get(client *http.Client, u string) (int, error) {
	resp, err := client.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("GET %s: %d", u, resp.StatusCode)
	}
	return int(n), err
}

func getJSON(client *http.Client, u string, out any) error {
	resp, err := client.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// measure requests u n times from c clients; it returns the sorted
// latencies of the successful requests, the wall time, the body size and
// the failures.
func measure(client *http.Client, u string, n, c int) ([]time.Duration, time.Duration, int, int64) {
	var mu sync.Mutex
	var lat []time.Duration
	var size atomic.Int64
	var fails atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				s := time.Now()
				b, err := get(client, u)
				d := time.Since(s)
				if err != nil {
					fails.Add(1)
					continue
				}
				size.Store(int64(b))
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	wall := time.Since(t0)
	slices.Sort(lat)
	return lat, wall, int(size.Load()), fails.Load()
}

type stormResult struct {
	requests, failed int64
	wall, p50, p99   time.Duration
}

// supportStorm: every participant (its own cookie jar) supports the first
// idea to get its session cookie, then all top ideas in parallel, each
// twice; the second support of an idea changes nothing.
func supportStorm(tr *http.Transport, base string, top []models.Idea, participants int) stormResult {
	var mu sync.Mutex
	var lat []time.Duration
	var failed, requests atomic.Int64
	post := func(c *http.Client, id string) {
		req, _ := http.NewRequest("POST", base+"/api/v1/ideas/"+id+"/supports", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		s := time.Now()
		resp, err := c.Do(req)
		d := time.Since(s)
		requests.Add(1)
		if err != nil {
			failed.Add(1)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			failed.Add(1)
			return
		}
		mu.Lock()
		lat = append(lat, d)
		mu.Unlock()
	}
	sem := make(chan struct{}, 200)
	var wg sync.WaitGroup
	t0 := time.Now()
	for range participants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Transport: tr, Jar: jar, Timeout: 60 * time.Second}
			post(c, top[0].ID) // sets the session cookie
			var inner sync.WaitGroup
			for i, idea := range top {
				for k := range 2 {
					if i == 0 && k == 0 {
						continue
					}
					inner.Add(1)
					go func() { defer inner.Done(); post(c, idea.ID) }()
				}
			}
			inner.Wait()
		}()
	}
	wg.Wait()
	wall := time.Since(t0)
	slices.Sort(lat)
	return stormResult{requests: requests.Load(), failed: failed.Load(), wall: wall, p50: pct(lat, .5), p99: pct(lat, .99)}
}

// explain prints the plans of the list queries the store runs, captured
// from GORM as it runs them.
func explain(ctx context.Context, gdb *gorm.DB, store *ideas.Store, cons *models.Consultation, cursor string) error {
	var captured []string
	var on atomic.Bool
	if err := gdb.Callback().Query().After("gorm:query").Register("bench:capture", func(d *gorm.DB) {
		if on.Load() && d.Statement.Table == "ideas" {
			captured = append(captured, d.Dialector.Explain(d.Statement.SQL.String(), d.Statement.Vars...))
		}
	}); err != nil {
		return err
	}
	queries := []ideas.ListQuery{{Sort: ideas.SortSupports}, {Sort: ideas.SortSupports, Cursor: cursor}, {Sort: ideas.SortNew}, {Sort: ideas.SortComments},
		{Sort: ideas.SortSupports, Category: "vintervedligeholdelse", Status: models.IdeaAdopted}, {Sort: ideas.SortSupports, Search: "nørrebrogade"}, {Sort: ideas.SortSupports, Search: "vinterbadning"}}
	for _, q := range queries {
		captured = captured[:0]
		on.Store(true)
		if _, err := store.List(ctx, cons, q); err != nil {
			return err
		}
		on.Store(false)
		for _, sql := range captured {
			var plan []string
			if err := gdb.Raw("EXPLAIN (ANALYZE, BUFFERS) " + sql).Scan(&plan).Error; err != nil {
				return err
			}
			fmt.Printf("\n-- %+v\n%s\n%s\n", q, sql, strings.Join(plan, "\n"))
		}
	}
	return nil
}
