// Command inspraak is the Inspraak platform: one binary serving the web
// pages and JSON API, with subcommands for operators (see `inspraak help`).
package main

import (
	"fmt"
	"os"
	_ "time/tzdata" // time zones without the host's zoneinfo (scratch image)

	"github.com/inspraak/inspraak/app/cli"
)

func main() {
	a, err := bundledAssets()
	if err != nil {
		fmt.Fprintln(os.Stderr, "inspraak:", err)
		os.Exit(1)
	}
	os.Exit(cli.Main(cli.Env{
		Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Assets: a,
	}))
}
