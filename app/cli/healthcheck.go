package cli

import (
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/inspraak/inspraak/app/config"
)

// healthcheck asks the running server's /healthz; the container image has
// no curl, so its HEALTHCHECK runs the binary itself.
func healthcheck(env Env, args []string) error {
	if err := flags(env, "healthcheck", "Exits 0 when the server on ADDR answers /healthz, 1 otherwise.", args, func(*flag.FlagSet) {}); err != nil {
		return err
	}
	cfg, err := config.Load(env.Getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	addr := cfg.Addr
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %d", resp.StatusCode)
	}
	fmt.Fprintln(env.Stdout, "ok")
	return nil
}
