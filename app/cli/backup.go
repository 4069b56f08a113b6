package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/inspraak/inspraak/app/db"
)

// backup writes a consistent copy of the SQLite database while the server
// may be running (VACUUM INTO reads one snapshot). PostgreSQL has its own
// tools (pg_dump), which the README shows.
func backup(env Env, args []string) error {
	var to string
	if err := flags(env, "backup --to FILE", "Writes a consistent copy of the SQLite database to FILE (which must not exist);\nthe server may keep running. For PostgreSQL use pg_dump (see README.md).", args, func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", "", "the file to write")
	}); err != nil {
		return err
	}
	if to == "" {
		fmt.Fprintln(env.Stderr, "inspraak backup: --to FILE is required")
		return errUsage
	}
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("%s exists: choose a new file", to)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	_, _, gdb, err := open(env)
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	if db.Dialect(gdb) != db.SQLite {
		return errors.New("this database is PostgreSQL: back it up with pg_dump (see README.md)")
	}
	if err := gdb.Exec("VACUUM INTO ?", to).Error; err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(env.Stdout, "wrote %s\n", to)
	return nil
}
