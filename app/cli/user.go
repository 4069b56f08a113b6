package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"golang.org/x/term"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/models"
)

func user(env Env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(env.Stdout, "Usage: inspraak user add --email E --name N --role admin|staff|moderator|politician\n")
			return flag.ErrHelp
		}
		fmt.Fprint(env.Stderr, "Usage: inspraak user add --email E --name N --role admin|staff|moderator|politician\n")
		return errUsage
	}
	var email, name, role, lang string
	err := flags(env, "user add", "Adds an account. The password is read from standard input (typed twice at a terminal), never from arguments.", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the account's email address (required)")
		fs.StringVar(&name, "name", "", "the name shown to others (required)")
		fs.StringVar(&role, "role", "", "admin, staff, moderator or politician (required)")
		fs.StringVar(&lang, "language", "", "preferred language: da, nl or en")
	})
	if err != nil {
		return err
	}
	var missing []string
	for _, f := range []struct{ n, v string }{{"--email", email}, {"--name", name}, {"--role", role}} {
		if f.v == "" {
			missing = append(missing, f.n)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(env.Stderr, "inspraak user add: missing %s\n", strings.Join(missing, ", "))
		return errUsage
	}
	if !models.Role(role).Valid() {
		fmt.Fprintf(env.Stderr, "inspraak user add: unknown role %q: use admin, staff, moderator or politician\n", role)
		return errUsage
	}
	pw, err := readPassword(env)
	if err != nil {
		return err
	}
	_, _, gdb, err := open(env)
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	a, err := auth.NewStore(gdb).CreateAccount(context.Background(), auth.AccountInput{Email: email, Name: name, Role: role, Password: pw, Language: lang, Active: true})
	if err != nil {
		return explain(err)
	}
	fmt.Fprintf(env.Stdout, "added %s <%s> as %s (id %s)\n", a.Name, a.Email, a.Role, a.ID)
	return nil
}

// readPassword reads the password from a terminal (without echo, twice) or
// the first line of standard input.
func readPassword(env Env) (string, error) {
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(env.Stderr, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(env.Stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("no password on standard input (e.g. printf '%s\\n' \"$PASSWORD\" | inspraak user add ...)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// explain turns a validation or conflict error into a sentence for the terminal.
func explain(err error) error {
	var v *apperr.Validation
	var c *apperr.Conflict
	switch {
	case errors.As(err, &c) && c.MessageID == "account.email_taken":
		return errors.New("an account with this email already exists")
	case errors.As(err, &v):
		msgs := map[string]string{
			"validation.required":       "is required",
			"validation.too_long":       "is too long",
			"validation.invalid_text":   "holds invalid characters",
			"validation.email_invalid":  "is not a valid email address",
			"validation.password_short": fmt.Sprintf("must have at least %d characters", auth.MinPasswordLen),
			"validation.role_invalid":   "must be admin, staff, moderator or politician",
			"validation.choice_invalid": "is not one of the choices",
		}
		var parts []string
		for f, id := range v.Fields {
			m := msgs[id]
			if m == "" {
				m = "is invalid"
			}
			parts = append(parts, f+" "+m)
		}
		sort.Strings(parts)
		return errors.New(strings.Join(parts, "; "))
	}
	return err
}

func token(env Env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(env.Stdout, "Usage: inspraak token create --email E [--name N]\n")
			return flag.ErrHelp
		}
		fmt.Fprint(env.Stderr, "Usage: inspraak token create --email E [--name N]\n")
		return errUsage
	}
	var email, name string
	err := flags(env, "token create", "Prints a new API token for the account. It is shown once and stored only as a hash.", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the account's email address (required)")
		fs.StringVar(&name, "name", "cli", "a name that says what the token is for")
	})
	if err != nil {
		return err
	}
	if email == "" {
		fmt.Fprint(env.Stderr, "inspraak token create: missing --email\n")
		return errUsage
	}
	_, _, gdb, err := open(env)
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	store := auth.NewStore(gdb)
	a, err := store.AccountByEmail(context.Background(), email)
	if errors.Is(err, apperr.ErrNotFound) {
		return fmt.Errorf("no account with email %s", email)
	}
	if err != nil {
		return err
	}
	if !a.Active {
		return fmt.Errorf("the account %s is deactivated", email)
	}
	plain, _, err := store.CreateToken(context.Background(), a.ID, name)
	if err != nil {
		return explain(err)
	}
	fmt.Fprintln(env.Stdout, plain)
	return nil
}
