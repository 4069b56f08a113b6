// Package cli is the inspraak command: serve, migrate, user, token and demo.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/assets"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
)

// Env is what a command runs with; tests fill it with buffers and a map.
type Env struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv config.Getenv
	Assets assets.FS
	// Ctx ends the server; nil means "until SIGINT or SIGTERM".
	Ctx context.Context
}

// errUsage marks bad arguments: exit code 2 after the usage text.
var errUsage = errors.New("usage")

const usage = `Inspraak: citizen surveys, panels, town halls and idea collection.

Usage:
  inspraak [serve]                 start the web server (ADDR, default :8080)
  inspraak migrate                 apply pending database migrations
  inspraak user add --email E --name N --role admin|staff|moderator|politician
                                   add an account; the password is read from standard input
  inspraak token create --email E [--name N]
                                   print a new API token for the account (shown once)
  inspraak demo                    load demo content and print the demo logins
  inspraak healthcheck             exit 0 when the server on ADDR answers /healthz
  inspraak backup --to FILE        write a consistent copy of the SQLite database (online)
  inspraak help                    show this text

Settings come from environment variables (see README.md): DATABASE_URL selects
PostgreSQL; without it an SQLite file in DATA_DIR is used.
`

// Main runs the command in env.Args and returns the exit code.
func Main(env Env) int {
	args := env.Args
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(env, args)
	case "migrate":
		err = migrate(env, args)
	case "user":
		err = user(env, args)
	case "token":
		err = token(env, args)
	case "demo":
		err = demo(env, args)
	case "healthcheck":
		err = healthcheck(env, args)
	case "backup":
		err = backup(env, args)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(env.Stdout, usage)
		return 0
	default:
		fmt.Fprintf(env.Stderr, "inspraak: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(env.Stderr, "inspraak %s: %v\n", cmd, err)
		return 1
	}
}

// flags parses a subcommand's flags, printing its help on -h and a clear
// message on bad or extra arguments.
func flags(env Env, name, help string, args []string, define func(fs *flag.FlagSet)) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: inspraak %s\n\n%s\n", name, help)
		fs.PrintDefaults()
	}
	define(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "inspraak %s: unexpected argument %q\n", name, fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// open loads the configuration, connects and migrates.
func open(env Env) (config.Config, *slog.Logger, *gorm.DB, error) {
	cfg, err := config.Load(env.Getenv)
	if err != nil {
		return cfg, nil, nil, fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg, env.Stderr)
	gdb, err := db.Open(cfg, log)
	if err != nil {
		return cfg, log, nil, err
	}
	applied, err := db.Migrate(context.Background(), gdb, env.Assets.Migrations)
	if err != nil {
		_ = db.Close(gdb)
		return cfg, log, nil, err
	}
	if len(applied) > 0 {
		log.Info("applied migrations", "dialect", db.Dialect(gdb), "files", applied)
	}
	return cfg, log, gdb, nil
}

func migrate(env Env, args []string) error {
	if err := flags(env, "migrate", "Applies every pending migration and exits.", args, func(*flag.FlagSet) {}); err != nil {
		return err
	}
	_, _, gdb, err := open(env)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "database %s is up to date\n", db.Dialect(gdb))
	return db.Close(gdb)
}

func signalContext(env Env) (context.Context, context.CancelFunc) {
	if env.Ctx != nil {
		return context.WithCancel(env.Ctx)
	}
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
