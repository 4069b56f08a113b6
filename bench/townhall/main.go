// Command townhall measures live town halls on PostgreSQL (issue 6): one
// instance holds -n concurrent SSE viewers (10,000 by default) while 50
// citizens ask and 500 vote; it measures the time from an answer being
// posted to its arrival at every viewer (p50, p99, max), the memory per
// connection (heap and RSS growth / n), and that 1,000 participants voting
// 5 times each in parallel end with exactly 1,000 votes.
//
// The viewers run in a child process (the same binary, re-executed), so the
// server's and the clients' sockets do not share one file limit.
//
//	go run ./bench/townhall -database 'postgres://postgres@127.0.0.1:5432/inspraak_bench?sslmode=disable'
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/townhall"
	"github.com/inspraak/inspraak/bench/benchdb"
	"github.com/inspraak/inspraak/bench/citizen"
	"github.com/inspraak/inspraak/models"
)

func main() {
	database := flag.String("database", "", "postgres:// URL of an existing database on 127.0.0.1 (required)")
	n := flag.Int("n", 10_000, "concurrent SSE viewers")
	answers := flag.Int("answers", 5, "answers posted (and timed) during the load")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write the server's CPU profile during the load to this file")
	child := flag.String("viewers-child", "", "internal: run the viewers against this stream URL")
	flag.Parse()
	raiseFileLimit()
	if *child != "" {
		viewers(*child, *n)
		return
	}
	if *database == "" || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *database, *n, *answers); err != nil {
		fmt.Fprintln(os.Stderr, "townhall bench:", err)
		os.Exit(1)
	}
}

// raiseFileLimit lifts the soft limit on open files to the hard one.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func fileLimit() uint64 {
	var l syscall.Rlimit
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
	return l.Cur
}

func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// cpuProfile names the file for the server's CPU profile during the load.
var cpuProfile string

func run(ctx context.Context, database string, n, nAnswers int) error {
	env, err := benchdb.Open(ctx, database, benchdb.Options{Prefix: "bench_townhall",
		// Every simulated citizen comes from 127.0.0.1: no per-address limit.
		Env: map[string]string{"LOG_LEVEL": "error", "TOWNHALL_IP_RATE": "0"}})
	if err != nil {
		return err
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
	mayor, err := as.CreateAccount(ctx, auth.AccountInput{Email: "mayor@bench.example", Name: "Bench Mayor", Role: "politician", Password: "bench-password-123", Active: true})
	if err != nil {
		return err
	}
	token, _, err := as.CreateToken(ctx, mayor.ID, "bench")
	if err != nil {
		return err
	}
	start, end := time.Now().Add(-time.Minute), time.Now().Add(2*time.Hour)
	th, err := srv.TownHalls().Create(ctx, townhall.Input{Title: models.Text{"da": "Bench"}, StartsAt: &start, EndsAt: &end,
		Moderation: models.ModerationPost, Politicians: []string{"mayor@bench.example"}}, nil)
	if err != nil {
		return err
	}
	base := env.BaseURL
	tr := &http.Transport{MaxIdleConns: 2000, MaxIdleConnsPerHost: 2000, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}

	// A first question, so that answers have something to answer.
	first := citizen.New(tr)
	qid, err := first.Ask(base, th.ID, "Første spørgsmål")
	if err != nil {
		return err
	}

	// Viewers in a child process.
	heap0, rss0 := heap(), rss()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, "-viewers-child", base+"/api/v1/townhalls/"+th.ID+"/events", "-n", strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stdin = nil
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	connectStart := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	rd := bufio.NewReader(out)
	line, err := rd.ReadString('\n')
	if err != nil {
		return fmt.Errorf("viewers: %w", err)
	}
	var ready struct{ Connected, Failed int }
	if err := json.Unmarshal([]byte(line), &ready); err != nil {
		return fmt.Errorf("viewers said %q", line)
	}
	connectTime := time.Since(connectStart)
	// Let every subscription settle, then measure memory.
	deadline := time.Now().Add(30 * time.Second)
	for srv.Hub().Subscribers(townhall.Stream(th.ID)) < ready.Connected && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	subs := srv.Hub().Subscribers(townhall.Stream(th.ID))
	heap1, rss1 := heap(), rss()

	// Load: 50 citizens ask, 500 vote, while answers are posted.
	if cpuProfile != "" {
		pf, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	var askErr, voteErr atomic.Int64
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	qids := make(chan string, 100)
	qids <- qid
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := citizen.New(tr)
			id, err := c.Ask(base, th.ID, fmt.Sprintf("Spørgsmål nummer %d om trafikken", i))
			if err != nil {
				askErr.Add(1)
				return
			}
			select {
			case qids <- id:
			default:
			}
		}()
	}
	var asked []string
	collectDone := make(chan struct{})
	go func() {
		defer close(collectDone)
		for {
			select {
			case id := <-qids:
				asked = append(asked, id)
			case <-loadCtx.Done():
				return
			}
		}
	}()
	time.Sleep(500 * time.Millisecond)
	for range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := citizen.New(tr)
			for range 3 { // the second and third change nothing
				if err := c.Vote(base, qid); err != nil {
					voteErr.Add(1)
				}
			}
		}()
	}
	// Answers, timed by the viewers.
	posted := make([]int64, 0, nAnswers)
	var postTook []time.Duration
	for i := range nAnswers {
		time.Sleep(300 * time.Millisecond)
		body := fmt.Sprintf(`{"text":"Svar %d fra borgmesteren"}`, i)
		req, _ := http.NewRequest("POST", base+"/api/v1/questions/"+qid+"/answers", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		t0 := time.Now().UnixNano()
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			return fmt.Errorf("answer: %d", resp.StatusCode)
		}
		posted = append(posted, t0)
		postTook = append(postTook, time.Duration(time.Now().UnixNano()-t0))
	}
	wg.Wait()
	stopLoad()
	<-collectDone
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	// Ask the viewers for their arrival times.
	fmt.Fprintf(stdin, "%d\n", nAnswers)
	var arrivals struct {
		Times    [][]int64 // per answer, per viewer that saw it
		Missing  int
		Finished int
	}
	line, err = rd.ReadString('\n')
	if err != nil {
		return fmt.Errorf("viewers: %w", err)
	}
	if err := json.Unmarshal([]byte(line), &arrivals); err != nil {
		return err
	}
	stdin.Close()
	_ = cmd.Wait()
	// Two clocks: from the moment the politician sends the answer (its
	// request may queue behind the vote storm), and from the moment it is
	// stored and acknowledged (201) to its arrival.
	var lat, fromStored []time.Duration
	for i, ts := range arrivals.Times {
		for _, t := range ts {
			lat = append(lat, time.Duration(t-posted[i]))
			fromStored = append(fromStored, max(0, time.Duration(t-posted[i])-postTook[i]))
		}
	}
	slices.Sort(lat)
	slices.Sort(fromStored)
	pctOf := func(l []time.Duration, p float64) time.Duration {
		if len(l) == 0 {
			return 0
		}
		return l[min(len(l)-1, int(float64(len(l))*p))]
	}
	pct := func(p float64) time.Duration { return pctOf(lat, p) }

	// 1,000 participants, 5 parallel votes each, on one fresh question.
	vq, err := citizen.New(tr).Ask(base, th.ID, "Stemmeprøve")
	if err != nil {
		return err
	}
	var vwg sync.WaitGroup
	var vfail atomic.Int64
	sem := make(chan struct{}, 200)
	for range 1000 {
		vwg.Add(1)
		go func() {
			defer vwg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c := citizen.New(tr)
			if err := c.Cookie(base, th.ID); err != nil {
				vfail.Add(1)
				return
			}
			var inner sync.WaitGroup
			for range 5 {
				inner.Add(1)
				go func() {
					defer inner.Done()
					if err := c.Vote(base, vq); err != nil {
						vfail.Add(1)
					}
				}()
			}
			inner.Wait()
		}()
	}
	vwg.Wait()
	var votes, rows int64
	// Every acknowledged vote moved the count on the question in its own
	// transaction: the count is read at once.
	env.DB.Model(&models.TownHallQuestion{}).Where("id = ?", vq).Select("votes").Scan(&votes)
	env.DB.Model(&models.TownHallVote{}).Where("question_id = ?", vq).Count(&rows)

	fmt.Printf("\nTown hall bench (PostgreSQL, %d CPUs, open-file limit %d)\n\n", runtime.NumCPU(), fileLimit())
	fmt.Printf("%-48s %s\n", "measure", "value")
	fmt.Printf("%-48s %d of %d (%d failed), in %s\n", "SSE viewers connected", ready.Connected, n, ready.Failed, connectTime.Round(time.Millisecond))
	fmt.Printf("%-48s %d\n", "subscribers on the server", subs)
	fmt.Printf("%-48s %d asked (%d failed), %d got through\n", "citizens asking", 50, askErr.Load(), len(asked))
	fmt.Printf("%-48s %d voting x3 (%d failed)\n", "citizens voting during the answers", 500, voteErr.Load())
	fmt.Printf("%-48s %d answers x %d viewers = %d arrivals, %d missing\n", "answers delivered", nAnswers, ready.Connected, len(lat), arrivals.Missing)
	fmt.Printf("%-48s p50 %s  p99 %s  max %s\n", "answer posted -> arrived at viewer", pct(0.5).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), pct(1).Round(time.Millisecond))
	fmt.Printf("%-48s p50 %s  p99 %s  max %s\n", "answer stored (201) -> arrived at viewer", pctOf(fromStored, 0.5).Round(time.Millisecond), pctOf(fromStored, 0.99).Round(time.Millisecond), pctOf(fromStored, 1).Round(time.Millisecond))
	took := slices.Clone(postTook)
	slices.Sort(took)
	fmt.Printf("%-48s %v\n", "the answers' POSTs took (sorted)", took)
	if ready.Connected > 0 {
		fmt.Printf("%-48s heap+stacks %.1f KiB, RSS %.1f KiB\n", "server memory per connection",
			float64(int64(heap1)-int64(heap0))/float64(ready.Connected)/1024, float64(int64(rss1)-int64(rss0))/float64(ready.Connected)/1024)
	}
	fmt.Printf("%-48s %d votes counted, %d vote rows (want 1000), %d requests failed\n", "1,000 participants x 5 parallel votes", votes, rows, vfail.Load())
	return nil
}

// viewers (child process) opens n streams, reports when connected, records
// when each "question.answered" event arrives, and reports the times when
// asked on standard input.
func viewers(streamURL string, n int) {
	addr := strings.TrimPrefix(streamURL, "http://")
	host, path, _ := strings.Cut(addr, "/")
	path = "/" + path
	type result struct{ times []int64 }
	results := make([]*result, n)
	var mu sync.Mutex
	var connected, failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 200)
	for i := range n {
		results[i] = &result{}
		wg.Add(1)
		go func() {
			sem <- struct{}{}
			conn, err := net.DialTimeout("tcp", host, 30*time.Second)
			if err != nil {
				<-sem
				failed.Add(1)
				wg.Done()
				return
			}
			fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, host)
			r := bufio.NewReaderSize(conn, 4096)
			status, err := r.ReadString('\n')
			<-sem
			if err != nil || !strings.Contains(status, " 200 ") {
				failed.Add(1)
				wg.Done()
				return
			}
			connected.Add(1)
			wg.Done()
			answered := false
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if strings.HasPrefix(line, "event: question.answered") {
					answered = true
				} else if answered && strings.HasPrefix(line, "data: ") {
					now := time.Now().UnixNano()
					mu.Lock()
					results[i].times = append(results[i].times, now)
					mu.Unlock()
					answered = false
				}
			}
		}()
	}
	wg.Wait()
	b, _ := json.Marshal(map[string]int64{"Connected": connected.Load(), "Failed": failed.Load()})
	fmt.Println(string(b))
	var k int
	if _, err := fmt.Fscan(os.Stdin, &k); err != nil {
		return
	}
	// Wait until every viewer has k answers, or 10 s.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		done := 0
		for _, r := range results {
			if len(r.times) >= k {
				done++
			}
		}
		mu.Unlock()
		if int64(done) >= connected.Load() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	out := struct {
		Times    [][]int64
		Missing  int
		Finished int
	}{Times: make([][]int64, k)}
	for _, r := range results {
		for j := range k {
			if j < len(r.times) {
				out.Times[j] = append(out.Times[j], r.times[j])
			} else if len(r.times) > 0 || j >= 0 {
				out.Missing++
			}
		}
	}
	mu.Unlock()
	// Viewers that never connected are not missing answers.
	out.Missing -= int(failed.Load()) * k
	b, _ = json.Marshal(out)
	fmt.Println(string(b))
}
