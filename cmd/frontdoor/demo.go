package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"frontdoor/internal/auth"
	"frontdoor/internal/demo"
	"frontdoor/internal/i18n"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// demoHouseholds is how many of the fictional households the demo loads
// people for: enough to fill caseloads, queues and MARAC agendas while
// keeping a demo start to seconds.
const demoHouseholds = 120

// startDemo loads the demo (once) and prints a one-time sign-in link for
// its administrator while that account has no password.
func startDemo(ctx context.Context, db *store.DB, v *vault.Vault, accounts *auth.Service, seed int64, scale int, base string, out io.Writer, msg i18n.Printer) error {
	start := time.Now()
	res, err := demo.Load(ctx, db, accounts, demo.Config{Seed: seed, Scale: scale})
	if err != nil {
		return err
	}
	if res.Loaded {
		fmt.Fprintf(out, "Demo loaded in %s: %d organisations, %d teams, %d staff accounts.\n", time.Since(start).Round(time.Millisecond), res.Organisations, res.Teams, res.Staff)
	}
	// The people go through the capability services, with a clock set to
	// each event's time in the fictional history.
	clock := &demo.Clock{}
	caps := newCapabilities(db, v, recorder(v), clock.Now)
	cfg := demo.Config{Seed: seed, Scale: scale}
	// The refuges and satellite units (once), before the people whose
	// stays fill them.
	props, err := demo.LoadProperties(ctx, caps.refuge, nil, cfg)
	if err != nil {
		return err
	}
	if props.Loaded {
		fmt.Fprintf(out, "Demo properties: %d properties, %d units, %d bedspaces.\n", props.Properties, props.Units, props.Bedspaces)
	}
	pr, err := demo.LoadPeople(ctx, demo.Services{DB: db, People: caps.people, Intake: caps.intake, Risk: caps.risk, Refuge: caps.refuge, Outreach: caps.outreach}, clock, cfg, demoHouseholds)
	if err != nil {
		return err
	}
	if pr.Loaded {
		fmt.Fprintf(out, "Demo people: %d clients, %d children, %d perpetrators, %d contacts, %d referrals (%d awaiting triage), %d risk assessments, %d closed cases, %d MARAC meetings with %d referrals on their agendas.\n",
			pr.Clients, pr.Children, pr.Perpetrators, pr.Contacts, pr.Referrals, pr.AwaitingTriage, pr.Assessments, pr.ClosedCases, pr.Meetings, pr.OnAgenda)
		fmt.Fprintf(out, "Demo stays: %d refuge stays (%d departed), %d turnaways.\n", pr.Stays, pr.Departures, pr.Turnaways)
		fmt.Fprintf(out, "Demo outreach: %d support plans, %d sessions.\n", pr.Plans, pr.Sessions)
	}
	if !res.Loaded {
		fmt.Fprintln(out, msg.T("cli.demo_already_loaded", fmt.Sprint(res.Seed)))
	}
	admin, err := accounts.StaffByUsername(ctx, "admin")
	if err != nil {
		return err
	}
	if !admin.HasPassword {
		token, err := accounts.IssueSetupLink(ctx, admin.ID)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, msg.T("cli.demo_admin_link", base+"/setup/"+token))
	}
	return nil
}

func runDemo(ctx context.Context, args []string, out, errOut io.Writer) error {
	f := newFlagSet("demo", "Fill an empty instance with a fictional service (organisations, teams, staff in every role) and print a one-time link for its administrator. 'frontdoor serve --demo' does the same at start.", out)
	d := addDBFlags(f)
	k := addKeyFlags(f)
	seed := f.Int64("seed", 1, "`seed` of the fictional service; the same seed makes the same service")
	scale := f.Int("scale", 0, "build a benchmark data set of about this many `people` (clients, children, perpetrators, with their timelines) instead of the demo; 1000000 is the national-scale set")
	benchUsers := f.Int("bench-users", 64, "with --scale: front door workers whose password and TOTP secret are written to "+demo.BenchFileName+" in --data (mode 0600), for the load harness (bench/)")
	baseURL := f.String("base-url", "http://127.0.0.1:8080", "the `url` frontdoor is reached at, for the printed link")
	cpuProfile := f.String("cpu-profile", "", "write a CPU profile of the build to `file` (go tool pprof reads it)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if *scale < 0 || *benchUsers < 0 {
		return usageError{"demo: --scale and --bench-users must be 0 or more"}
	}
	db, _, err := openMigrated(ctx, d, &k, true)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := openVault(ctx, db, k, d, *d.databaseURL == "", func(m string) { fmt.Fprintln(errOut, m) })
	if err != nil {
		return err
	}
	accounts := newAccounts(db, v)
	if *scale > 0 {
		return runScale(ctx, db, v, accounts, *seed, *scale, *benchUsers, filepath.Join(*d.data, demo.BenchFileName), out, errOut)
	}
	return startDemo(ctx, db, v, accounts, *seed, 1, strings.TrimRight(*baseURL, "/"), out, i18n.MustLoad().Printer(i18n.Default))
}

// runScale builds the benchmark data set (demo.LoadScale) with a progress
// bar on errOut, and writes the harness's credentials file.
func runScale(ctx context.Context, db *store.DB, v *vault.Vault, accounts *auth.Service, seed int64, n, users int, credentials string, out, errOut io.Writer) error {
	clock := &demo.Clock{}
	caps := newCapabilities(db, v, recorder(v), clock.Now)
	var bar *progressbar.ProgressBar
	res, bf, err := demo.LoadScale(ctx, demo.ScaleServices{DB: db, Vault: v, Accounts: accounts, People: caps.people, Risk: caps.risk,
		Refuge: caps.refuge, Matches: caps.matches}, clock, demo.ScaleConfig{People: n, Seed: seed, BenchUsers: users,
		Progress: func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(errOut), progressbar.OptionSetDescription("Writing people"),
					progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("people"),
					progressbar.OptionSetWidth(30), progressbar.OptionThrottle(200*time.Millisecond))
			}
			_ = bar.Set(done)
		}})
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(errOut)
	}
	if err != nil {
		return err
	}
	if err := demo.WriteBenchFile(credentials, bf); err != nil {
		return err
	}
	fmt.Fprintf(out, "Benchmark data set: %d people (%d clients, %d children, %d perpetrators; %d with ~200 events), %d timeline events (%d contacts, %d referrals, %d case changes, %d risk assessments), %d properties, %d bedspaces, %d staff, in %s (%.0f people/s, %.0f events/s).\n",
		res.People, res.Clients, res.Children, res.Perpetrators, res.HeavyClients, res.Events, res.Contacts, res.Referrals, res.CaseEvents, res.Assessments,
		res.Properties, res.Bedspaces, res.Staff, res.Elapsed.Round(time.Second), res.PeoplePerSecond, res.EventsPerSecond)
	fmt.Fprintf(out, "Time: %s people and timelines in batches, %s risk assessments (within the batches), %s matching index, %s benchmark accounts.\n",
		res.BatchTime.Round(time.Millisecond), res.RiskTime.Round(time.Millisecond), res.IndexTime.Round(time.Millisecond), res.UsersTime.Round(time.Millisecond))
	fmt.Fprintf(out, "Credentials of %d benchmark workers (password and TOTP secret) written to %s (mode 0600).\n", len(bf.Users), credentials)
	return nil
}
