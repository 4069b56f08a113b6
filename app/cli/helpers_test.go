package cli

import "github.com/inspraak/inspraak/app/config"

func testConfig(c *cliEnv) config.Config {
	cfg, err := config.Load(func(k string) string { return c.vars[k] })
	if err != nil {
		c.t.Fatal(err)
	}
	return cfg
}
