package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"gorm.io/gorm"

	"github.com/inspraak/inspraak/app/apperr"
	"github.com/inspraak/inspraak/app/auth"
	"github.com/inspraak/inspraak/app/config"
	"github.com/inspraak/inspraak/app/db"
	"github.com/inspraak/inspraak/app/i18n"
	"github.com/inspraak/inspraak/app/ideas"
	"github.com/inspraak/inspraak/app/live"
	"github.com/inspraak/inspraak/app/moderation"
	"github.com/inspraak/inspraak/app/panels"
	"github.com/inspraak/inspraak/app/policy"
	"github.com/inspraak/inspraak/app/results"
	"github.com/inspraak/inspraak/app/surveys"
	"github.com/inspraak/inspraak/app/townhall"
	"github.com/inspraak/inspraak/app/web"
	"github.com/inspraak/inspraak/models"
)

// DemoPassword is the password of every demo account. It is public: the
// demo is for trying the platform, and the README says to change it.
const DemoPassword = "inspraak-demo"

// demoAccounts are one person per role, from the municipalities in the
// documents behind the project.
var demoAccounts = []auth.AccountInput{
	{Email: "admin@inspraak.example", Name: "Anne Admin", Role: "admin", Language: "da"},
	{Email: "staff@inspraak.example", Name: "Søren Kommunikation", Role: "staff", Language: "da"},
	{Email: "moderator@inspraak.example", Name: "Mette Moderator", Role: "moderator", Language: "da"},
	{Email: "mayor@inspraak.example", Name: "Borgmester Jens Jensen", Role: "politician", Language: "da"},
}

func demo(env Env, args []string) error {
	if err := flags(env, "demo", "Loads demo content (accounts, a survey with simulated responses and a citizen panel invited to it, town halls, an idea collection and a published channel policy built on them) and prints the demo logins. Running it again changes nothing.", args, func(*flag.FlagSet) {}); err != nil {
		return err
	}
	cfg, log, gdb, err := open(env)
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	if err := loadDemo(env, cfg, log, gdb); err != nil {
		return err
	}
	return nil
}

// loadDemo adds whatever demo content is missing and prints the logins.
func loadDemo(env Env, cfg config.Config, log *slog.Logger, gdb *gorm.DB) error {
	store := auth.NewStore(gdb)
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Demo logins (password for all: "+DemoPassword+")")
	fmt.Fprintln(tw, "ROLE\tEMAIL\tNAME")
	for _, in := range demoAccounts {
		in.Password, in.Active = DemoPassword, true
		_, err := store.AccountByEmail(context.Background(), in.Email)
		if errors.Is(err, apperr.ErrNotFound) {
			_, err = store.CreateAccount(context.Background(), in)
		}
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", in.Role, in.Email, in.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// The demo survey is the admin's; should that account be gone, nobody's.
	var createdBy *string
	admin, err := store.AccountByEmail(context.Background(), demoAccounts[0].Email)
	switch {
	case err == nil:
		createdBy = &admin.ID
	case !errors.Is(err, apperr.ErrNotFound):
		return err
	}
	sv, _, err := surveys.SeedDemo(context.Background(), gdb, createdBy)
	if err != nil {
		return err
	}
	n, err := surveys.NewStore(gdb).ResponseCount(context.Background(), sv.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Survey %q open at /surveys/%s with %d responses\n", sv.Title.In("en"), sv.ID, n)
	dp, err := panels.SeedDemo(context.Background(), gdb, sv, createdBy, time.Now())
	if err != nil {
		return err
	}
	var active, answered int64
	if err := gdb.Model(&models.PanelMember{}).Where("panel_id = ? AND status = ?", dp.Panel.ID, models.MemberActive).Count(&active).Error; err != nil {
		return err
	}
	if err := gdb.Model(&models.PanelInvitation{}).Where("panel_id = ? AND survey_id = ? AND used = ?", dp.Panel.ID, sv.ID, true).Count(&answered).Error; err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Panel %q at /staff/panels/%s with %d active members, %d of whom answered the survey\n", dp.Panel.Name.In("en"), dp.Panel.ID, active, answered)
	mayor, err := store.AccountByEmail(context.Background(), demoAccounts[3].Email)
	switch {
	case err == nil:
		if err := townhall.SeedDemo(context.Background(), gdb, mayor.ID, mayor.Name, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Town halls: the finished one at /townhalls/%s (about 70 answered questions), a live one at /townhalls/%s\n", townhall.DemoArchiveID, townhall.DemoLiveID)
	case !errors.Is(err, apperr.ErrNotFound):
		return err
	}
	cons, err := ideas.SeedDemo(context.Background(), gdb, createdBy, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Idea collection %q at /consultations/%s (about 40 ideas, %d supports, %d comments)\n", cons.Title.In("en"), cons.ID, ideas.DemoSupports, ideas.DemoComments)
	// A channel policy cites public figures only: the demo survey's
	// results page is published.
	if !sv.PublishResults {
		if err := surveys.NewStore(gdb).SetPublishResults(context.Background(), sv.ID, true); err != nil {
			return err
		}
	}
	refs := policy.DemoRefs{SurveyID: sv.ID, ConsultationID: cons.ID}
	var th int64
	if err := gdb.Model(&models.TownHall{}).Where("id = ?", townhall.DemoArchiveID).Count(&th).Error; err != nil {
		return err
	}
	if th > 0 {
		refs.TownHallID = townhall.DemoArchiveID
	}
	ps, err := demoPolicyStore(env, cfg, log, gdb)
	if err != nil {
		return err
	}
	pol, _, err := policy.SeedDemo(context.Background(), ps, refs, createdBy)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Channel policy %q published at /policies/%s (measured at /staff/measurements)\n", pol.Title.In("en"), pol.ID)
	return nil
}

// demoPolicyStore is the channel policy store wired as the server wires
// it, so that the demo policy's baselines are the figures the pages show.
func demoPolicyStore(env Env, cfg config.Config, log *slog.Logger, gdb *gorm.DB) (*policy.Store, error) {
	zone, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, err
	}
	bundle, err := i18n.Load(env.Assets.Locales, config.Languages, cfg.DefaultLanguage, zone)
	if err != nil {
		return nil, err
	}
	svs := surveys.NewStore(gdb).WithZone(zone)
	mod := moderation.NewStore(gdb, nil)
	return web.NewPolicyStore(web.PolicyDeps{DB: gdb, Zone: zone, Bundle: bundle, Surveys: svs, Results: results.NewStore(gdb, svs),
		TownHalls: townhall.NewStore(gdb, live.New(gdb, log), mod, nil, townhall.WithLogger(log)),
		Ideas:     ideas.NewStore(gdb, mod, nil, nil)}), nil
}
