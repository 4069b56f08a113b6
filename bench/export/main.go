// Command export measures the survey exports of issue 4 on PostgreSQL: it
// seeds a 20-question survey with -n responses (bench/seed), then fetches
// GET /api/v1/surveys/{id}/export.csv and export.xlsx over HTTP from the
// real server running in this process, and prints per export the bytes,
// seconds, rows per second, the peak Go heap sampled during the export and
// the process's maximum RSS. Memory should be flat: about the same peak for
// 10,000 and 100,000 responses.
//
// It works in a schema of its own (bench_export_<random>) in the given
// database, which it drops at the end unless -keep is set. Only loopback
// databases are accepted.
//
//	go run ./bench/export -db 'postgres://postgres@127.0.0.1:5432/inspraak_bench?sslmode=disable' -n 100000
package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/bench/benchdb"
	"github.com/inspraak/inspraak/bench/seed"
)

type options struct {
	database string
	n        int
	formats  string
	lang     string
	keep     bool
	explain  bool
	cpuprof  string
}

func main() {
	var o options
	flag.StringVar(&o.database, "db", "", "postgres:// URL of an existing database on 127.0.0.1 (required)")
	flag.IntVar(&o.n, "n", 10000, "responses to seed and export")
	flag.StringVar(&o.formats, "formats", "csv,xlsx", "exports to run, in order")
	flag.StringVar(&o.lang, "lang", "da", "label language of the exports")
	flag.BoolVar(&o.keep, "keep", false, "keep the bench schema instead of dropping it")
	flag.BoolVar(&o.explain, "explain", false, "print EXPLAIN (ANALYZE, BUFFERS) of the export query")
	flag.StringVar(&o.cpuprof, "cpuprofile", "", "write a CPU profile of the exports to this file")
	flag.Parse()
	if o.database == "" || o.n < 0 || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/export:", err)
		os.Exit(1)
	}
}

// result is one export's measurement.
type result struct {
	format    string
	status    int
	bytes     int64
	rows      int // data rows counted in the file
	firstByte time.Duration
	elapsed   time.Duration
	baseHeap  uint64 // live heap after a GC, before the export
	peakHeap  uint64 // largest heap (live and not yet collected) sampled during it
	peakTotal uint64 // largest memory mapped by the Go runtime during it
	maxRSS    uint64 // the process's maximum resident set so far, after it
}

func run(ctx context.Context, o options) error {
	env, err := benchdb.Open(ctx, o.database, benchdb.Options{Prefix: "bench_export", Keep: o.keep})
	if err != nil {
		return fmt.Errorf("-db: %w", err)
	}
	defer env.Close()
	admin, gdb, base, schema, baseURL := env.Admin, env.DB, env.Base, env.Schema, env.BaseURL

	fmt.Printf("Inspraak export benchmark (issue 4)\n")
	var version string
	admin.WithContext(ctx).Raw("SHOW server_version").Scan(&version)
	fmt.Printf("machine:   %d CPUs, %s/%s, %s, GOMAXPROCS %d\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), runtime.GOMAXPROCS(0))
	fmt.Printf("database:  PostgreSQL %s at %s, schema %s\n", version, base.Host, schema)

	start := time.Now()
	surveyID, err := seed.Survey(ctx, gdb, o.n)
	if err != nil {
		return err
	}
	seeded := time.Since(start)
	var answers, attrs int64
	gdb.Raw("SELECT COUNT(*) FROM response_answers WHERE survey_id = ?", surveyID).Scan(&answers)
	gdb.Raw("SELECT COUNT(*) FROM response_attributes").Scan(&attrs)
	if err := gdb.Exec("ANALYZE").Error; err != nil {
		return err
	}
	fmt.Printf("seeded:    %d responses, %d answer rows, %d profile values in %.1f s (bench/seed, COPY), then ANALYZE\n\n",
		o.n, answers, attrs, seeded.Seconds())

	token, err := staffToken(ctx, gdb)
	if err != nil {
		return err
	}
	if _, err := env.Serve(); err != nil {
		return err
	}
	client := &http.Client{Timeout: 30 * time.Minute, Transport: &http.Transport{DisableCompression: true}}

	if o.cpuprof != "" {
		pf, err := os.Create(o.cpuprof)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var results []result
	for _, f := range strings.Split(o.formats, ",") {
		f = strings.TrimSpace(f)
		fmt.Printf("exporting %s ...\n", f)
		r, err := measure(ctx, client, baseURL+"/api/v1/surveys/"+surveyID+"/export."+f+"?lang="+o.lang, token, f)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if r.status != http.StatusOK {
			return fmt.Errorf("%s: status %d", f, r.status)
		}
		if r.rows != o.n {
			return fmt.Errorf("%s: the file holds %d rows, want %d", f, r.rows, o.n)
		}
		results = append(results, r)
	}
	report(o.n, results)
	if o.explain {
		return explain(ctx, gdb, surveyID)
	}
	return nil
}

// measure fetches one export, counting its bytes and rows as they arrive,
// while a sampler records the heap every 5 ms.
func measure(ctx context.Context, client *http.Client, target, token, format string) (result, error) {
	r := result{format: format}
	runtime.GC()
	r.baseHeap = sample().live
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			s := sample()
			r.peakHeap = max(r.peakHeap, s.heap)
			r.peakTotal = max(r.peakTotal, s.total)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	err := fetch(ctx, client, target, token, format, &r, start)
	r.elapsed = time.Since(start)
	close(stop)
	wg.Wait()
	r.maxRSS = maxRSS()
	return r, err
}

func fetch(ctx context.Context, client *http.Client, target, token, format string, r *result, start time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	r.status = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	if _, err := br.Peek(1); err != nil {
		return err
	}
	r.firstByte = time.Since(start)
	switch format {
	case "csv":
		// The seeded texts hold no line breaks: one line per row.
		lines := 0
		buf := make([]byte, 64<<10)
		for {
			n, err := br.Read(buf)
			r.bytes += int64(n)
			lines += bytes.Count(buf[:n], []byte{'\n'})
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
		}
		r.rows = lines - 1
	default:
		// Kept on disk, then the rows counted in the sheet's XML as a stream.
		f, err := os.CreateTemp("", "bench-export-*.xlsx")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		if r.bytes, err = io.Copy(f, br); err != nil {
			return err
		}
		if r.rows, err = xlsxRows(f, r.bytes); err != nil {
			return err
		}
	}
	return nil
}

// xlsxRows counts the <row> elements of the first sheet, less the header.
func xlsxRows(f *os.File, size int64) (int, error) {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return 0, err
	}
	for _, zf := range zr.File {
		if zf.Name != "xl/worksheets/sheet1.xml" {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return 0, err
		}
		defer rc.Close()
		// Each chunk is read after the last 4 bytes of the one before, so a
		// "<row " cut in two is counted once, and none twice.
		n, buf := 0, make([]byte, 4+64<<10)
		carry := 0
		for {
			k, err := rc.Read(buf[carry:])
			chunk := buf[:carry+k]
			n += bytes.Count(chunk, []byte("<row "))
			carry = copy(buf, chunk[max(0, len(chunk)-4):])
			if errors.Is(err, io.EOF) {
				return n - 1, nil
			}
			if err != nil {
				return 0, err
			}
		}
	}
	return 0, errors.New("no sheet1.xml in the workbook")
}

type heapSample struct{ live, heap, total uint64 }

var samples = []metrics.Sample{
	{Name: "/gc/heap/live:bytes"},
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/total:bytes"},
}

func sample() heapSample {
	s := make([]metrics.Sample, len(samples))
	copy(s, samples)
	metrics.Read(s)
	return heapSample{live: s[0].Value.Uint64(), heap: s[1].Value.Uint64(), total: s[2].Value.Uint64()}
}

// maxRSS is the process's peak resident set size (getrusage), in bytes.
func maxRSS() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return uint64(ru.Maxrss) * 1024 // kilobytes on Linux
}

func report(n int, results []result) {
	mb := func(b uint64) float64 { return float64(b) / (1 << 20) }
	fmt.Printf("\n%-7s %10s %12s %9s %9s %11s %10s %10s %11s %10s\n", "export", "responses", "bytes", "TTFB s", "seconds", "rows/s",
		"base heap", "peak heap", "Go memory", "max RSS")
	for _, r := range results {
		fmt.Printf("%-7s %10d %12d %9.2f %9.2f %11.0f %8.1f MB %8.1f MB %9.1f MB %7.1f MB\n", r.format, n, r.bytes,
			r.firstByte.Seconds(), r.elapsed.Seconds(), float64(r.rows)/r.elapsed.Seconds(), mb(r.baseHeap), mb(r.peakHeap), mb(r.peakTotal), mb(r.maxRSS))
	}
	fmt.Println("(client, server and PostgreSQL share the machine; base heap: live heap after a GC before the export;")
	fmt.Println(" peak heap: largest heap incl. garbage not yet collected, sampled every 5 ms; Go memory: all memory the")
	fmt.Println(" Go runtime had mapped; max RSS: the process's peak resident set since it started, from getrusage)")
}

// explain shows what PostgreSQL does for the export query.
func explain(ctx context.Context, gdb *gorm.DB, surveyID string) error {
	rows, err := gdb.WithContext(ctx).Raw(`EXPLAIN (ANALYZE, BUFFERS) SELECT r.id, r.channel, r.submitted_on, r.submitted_at, 1 AS kind,
	a.question_key, a.seq, a.option_key, a.row_key, a.number, a.text, a.rank
FROM responses r LEFT JOIN response_answers a ON a.response_id = r.id
WHERE r.survey_id = ?
UNION ALL
SELECT r.id, r.channel, r.submitted_on, r.submitted_at, 0, t.field, 0, '', '', NULL, t.value, 0
FROM response_attributes t JOIN responses r ON r.id = t.response_id
WHERE r.survey_id = ?
ORDER BY 1, 5, 6, 7`, surveyID, surveyID).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	fmt.Println("\nEXPLAIN (ANALYZE, BUFFERS) of the export query (with profile values):")
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		fmt.Println("  " + line)
	}
	return rows.Err()
}

func staffToken(ctx context.Context, gdb *gorm.DB) (string, error) {
	st := auth.NewStore(gdb)
	a, err := st.CreateAccount(ctx, auth.AccountInput{Email: "bench-export@inspraak.example", Name: "Bench", Role: "staff", Password: benchdb.RandomHex(16), Active: true})
	if err != nil {
		return "", err
	}
	token, _, err := st.CreateToken(ctx, a.ID, "bench")
	return token, err
}
