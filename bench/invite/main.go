// Command invite measures inviting a large citizen panel to a survey on
// PostgreSQL (issue 5): it bulk-loads a panel of -n active members (100,000
// by default) with profiles, then times, through the platform's own code,
//
//   - queueing: the staff action (panels.Store.Invite, which writes one
//     invitation row per member) and the mail producer the worker runs
//     (panels.Store.QueueMails, which renders each invitation in the
//     member's language and writes its mail_outbox row);
//   - sending: -workers mail workers (mail.Worker, as each instance runs
//     one) sending every queued mail over SMTP (SMTP_URL) to an SMTP server
//     in this process that counts and discards what it receives.
//
// At the end it checks that every member got exactly one mail and that no
// mail arrived twice (by Message-ID), and prints the figures.
//
// It works in a schema of its own in the given database and drops it at
// the end (unless -keep); only loopback databases are accepted.
//
//	go run ./bench/invite -database 'postgres://postgres@127.0.0.1:5432/inspraak_bench?sslmode=disable'
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	mailer "github.com/inspraak/inspraak/app/mail"
	"github.com/inspraak/inspraak/app/panels"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/bench/benchdb"
	"github.com/inspraak/inspraak/bench/seed"
	"github.com/inspraak/inspraak/bench/smtpsink"
	"github.com/inspraak/inspraak/models"
)

func main() {
	database := flag.String("database", "", "postgres:// URL of an existing database on 127.0.0.1 (required)")
	n := flag.Int("n", 100_000, "active panel members to invite")
	workers := flag.Int("workers", 1, "mail workers sending at the same time (one per instance in production)")
	batch := flag.Int("batch", 0, "mails one worker claims at a time (0: the worker's default)")
	keep := flag.Bool("keep", false, "keep the bench schema")
	flag.Parse()
	if *database == "" || *n < 1 || *workers < 1 || *batch < 0 || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *database, *n, *workers, *batch, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "invite bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, database string, n, workers, batch int, keep bool) error {
	sink, err := smtpsink.Start()
	if err != nil {
		return err
	}
	defer sink.Close()
	env, err := benchdb.Open(ctx, database, benchdb.Options{Keep: keep, Env: map[string]string{
		"BASE_URL":  "https://inspraak.example-kommune.dk",
		"SMTP_URL":  "smtp://" + sink.Addr + "?tls=none",
		"MAIL_FROM": "Borgerpanelet <panel@example-kommune.dk>",
	}})
	if err != nil {
		return fmt.Errorf("-database: %w", err)
	}
	defer env.Close()
	gdb, cfg, log := env.DB, env.Config, env.Log
	srv, err := env.Server()
	if err != nil {
		return err
	}
	store := srv.Panels()

	// A panel and a survey, as staff would make them.
	panel, err := store.Create(ctx, panels.PanelInput{Name: models.Text{"da": "Borgerpanelet", "nl": "Burgerpanel", "en": "Citizen panel"},
		Fields: panels.DemoPanelFields()}, nil)
	if err != nil {
		return err
	}
	t, ok := surveys.TemplateByKey(surveys.SocialMediaTemplate)
	if !ok {
		return fmt.Errorf("no survey template %s", surveys.SocialMediaTemplate)
	}
	svStore := surveys.NewStore(gdb)
	sv, err := svStore.Create(ctx, t.Meta, t.Definition, t.Key, nil)
	if err != nil {
		return err
	}
	if _, err := svStore.SetStatus(ctx, sv.ID, models.SurveyOpen); err != nil {
		return err
	}
	t0 := time.Now()
	if err := loadMembers(ctx, gdb, store, panel.ID, n); err != nil {
		return err
	}
	loaded := time.Since(t0)
	if err := gdb.Exec("ANALYZE").Error; err != nil {
		return err
	}

	// (a) Queueing: the staff action, then the producer that writes the
	// outbox rows (the worker runs it before it sends).
	t0 = time.Now()
	invited, err := store.Invite(ctx, panel.ID, panels.InviteInput{SurveyID: sv.ID}, nil)
	if err != nil {
		return err
	}
	inviteTook := time.Since(t0)
	if invited != n {
		return fmt.Errorf("invited %d of %d members", invited, n)
	}
	t0 = time.Now()
	for {
		if err := store.QueueMails(ctx); err != nil {
			return err
		}
		var left int64
		if err := gdb.Model(&models.PanelInvitation{}).Where("mailed_at IS NULL").Count(&left).Error; err != nil {
			return err
		}
		if left == 0 {
			break
		}
	}
	produceTook := time.Since(t0)
	var queued int64
	if err := gdb.Model(&models.OutboxMail{}).Where("status = ?", models.MailQueued).Count(&queued).Error; err != nil {
		return err
	}
	if queued != int64(n) {
		return fmt.Errorf("%d mails queued for %d invitations", queued, n)
	}

	// (b) Sending: workers as every instance runs them, on the server's
	// outbox, through an SMTP sender for SMTP_URL that records how long
	// each mail takes.
	smtpSender, err := mailer.NewSMTPSender(cfg.SMTPURL, cfg.MailFrom)
	if err != nil {
		return err
	}
	timed := &timingSender{next: smtpSender}
	wctx, stopWorkers := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var w *mailer.Worker // the last one, for its settings
	for range workers {
		ww := mailer.NewWorker(srv.MailWorker().Outbox(), timed, log)
		if batch > 0 {
			ww.Batch = batch
		}
		w = ww
		wg.Add(1)
		go func() { defer wg.Done(); ww.Run(wctx) }()
	}
	t0 = time.Now()
	var sent int64
	for {
		if err := gdb.Model(&models.OutboxMail{}).Where("status = ?", models.MailSent).Count(&sent).Error; err != nil {
			stopWorkers()
			return err
		}
		if sent >= int64(n) || ctx.Err() != nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	sendTook := time.Since(t0)
	stopWorkers()
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}

	// Checks: one mail per member at the sink, none twice, all marked sent once.
	var emails []string
	if err := gdb.Model(&models.PanelMember{}).Where("panel_id = ?", panel.ID).Pluck("email", &emails).Error; err != nil {
		return err
	}
	got, dupIDs, total := sink.Stats()
	missing, twice := 0, 0
	for _, e := range emails {
		switch got[e] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	var attempts []struct {
		Attempts int
		N        int64
	}
	gdb.Model(&models.OutboxMail{}).Select("attempts, COUNT(*) AS n").Group("attempts").Scan(&attempts)
	lat := timed.sorted()

	fmt.Printf("Invitation benchmark: panel of %d active members (loaded with COPY in %s), one survey, PostgreSQL\n", n, loaded.Round(time.Millisecond))
	fmt.Printf("worker: %d worker(s), batch %d mails per claim, one mail at a time per worker, a new SMTP connection per mail; rounds back to back while mail is due, %s pause when idle\n\n",
		workers, w.Batch, w.Interval)
	fmt.Printf("%-44s %12s %12s\n", "step", "seconds", "mails/s")
	row := func(name string, d time.Duration) {
		fmt.Printf("%-44s %12.2f %12.0f\n", name, d.Seconds(), float64(n)/d.Seconds())
	}
	row("invite (staff action: invitation rows)", inviteTook)
	row("queue mails (producer: render + outbox rows)", produceTook)
	row("queue, in all", inviteTook+produceTook)
	row("send (workers -> SMTP sink, all marked sent)", sendTook)
	if len(lat) > 0 {
		fmt.Printf("\nper-mail SMTP send (dial, EHLO, MAIL, RCPT, DATA, QUIT): p50 %.2f ms, p99 %.2f ms, max %.2f ms over %d sends\n",
			ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), ms(lat[len(lat)-1]), len(lat))
	}
	fmt.Printf("\nsink: %d mails received, %d members of %d got exactly one, %d got none, %d got more than one, %d Message-IDs seen twice\n",
		total, len(emails)-missing-twice, len(emails), missing, twice, dupIDs)
	fmt.Print("outbox attempts:")
	for _, a := range attempts {
		fmt.Printf(" %d attempt(s): %d", a.Attempts, a.N)
	}
	fmt.Println()
	if missing > 0 || twice > 0 || dupIDs > 0 || total != n {
		return fmt.Errorf("delivery check failed")
	}
	fmt.Println("delivery check: every member got exactly one mail, none sent twice")
	return nil
}

// loadMembers writes n active members with profiles (age, gender,
// district, language) straight into the tables with COPY.
func loadMembers(ctx context.Context, gdb *gorm.DB, store *panels.Store, panelID string, n int) error {
	fields := panels.DemoPanelFields()
	langs := []string{"da", "da", "da", "da", "da", "da", "nl", "en"}
	rng := mrand.New(mrand.NewPCG(1, 2))
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
				return []any{ids[i], panelID, fmt.Sprintf("member%06d@bench.example.org", i), langs[i%len(langs)], models.MemberActive,
					hex.EncodeToString(sum[:]), "import", now, 1, now, now, now}, nil
			}))
		if err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"panel_member_profiles"}, []string{"member_id", "panel_id", "field", "value"},
			pgx.CopyFromSlice(n*len(fields), func(k int) ([]any, error) {
				i, f := k/len(fields), fields[k%len(fields)]
				return []any{ids[i], panelID, f.Key, f.Choices[rng.IntN(len(f.Choices))].Key}, nil
			}))
		return err
	})
}

// timingSender records how long each send takes.
type timingSender struct {
	next mailer.Sender
	mu   sync.Mutex
	took []time.Duration
}

func (s *timingSender) Send(ctx context.Context, m models.OutboxMail) error {
	t0 := time.Now()
	err := s.next.Send(ctx, m)
	d := time.Since(t0)
	s.mu.Lock()
	s.took = append(s.took, d)
	s.mu.Unlock()
	return err
}

func (s *timingSender) sorted() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.took)
	slices.Sort(out)
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
