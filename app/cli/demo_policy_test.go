package cli

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/models"
)

// checkDemoPolicy checks, after two demo runs, the one published demo
// channel policy: published once, its figures recorded once. out is the
// first run's output.
func checkDemoPolicy(t *testing.T, c *cliEnv, out string) {
	t.Helper()
	if !strings.Contains(out, "published at /policies/"+policy.DemoPolicyID) {
		t.Fatalf("demo output names no channel policy: %q", out)
	}
	gdb, err := db.Open(testConfig(c), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	var ps []models.Policy
	if err := gdb.Find(&ps).Error; err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].ID != policy.DemoPolicyID || ps[0].Version != 1 {
		t.Fatalf("policies after demo twice: %+v", ps)
	}
	var versions, cited, baselines, figures int64
	gdb.Model(&models.PolicyVersion{}).Count(&versions)
	gdb.Model(&models.PolicyEvidence{}).Count(&cited)
	gdb.Model(&models.PolicyEvidence{}).Where("baseline IS NOT NULL").Count(&baselines)
	gdb.Model(&models.ChannelMeasurement{}).Where("channel = ?", "facebook").Count(&figures)
	if versions != 1 || cited != 5 || baselines != cited || figures != 6 {
		t.Fatalf("versions %d, cited %d, with baselines %d, Facebook figures %d", versions, cited, baselines, figures)
	}
}
