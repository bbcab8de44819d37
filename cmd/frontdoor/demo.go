package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"frontdoor/internal/auth"
	"frontdoor/internal/demo"
	"frontdoor/internal/i18n"
	"frontdoor/internal/store"
)

// startDemo loads the demo (once) and prints a one-time sign-in link for
// its administrator while that account has no password.
func startDemo(ctx context.Context, db *store.DB, accounts *auth.Service, seed int64, base string, out io.Writer, msg i18n.Printer) error {
	res, err := demo.Load(ctx, db, accounts, demo.Config{Seed: seed})
	if err != nil {
		return err
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
	scale := f.Int("scale", 1, "size `factor`: 1 is a small service; 1000 is about 1,000,000 people for benchmarks")
	baseURL := f.String("base-url", "http://127.0.0.1:8080", "the `url` frontdoor is reached at, for the printed link")
	if err := f.parse(args); err != nil {
		return err
	}
	if *scale < 1 {
		return usageError{"demo: --scale must be 1 or more"}
	}
	db, accounts, err := openAccounts(ctx, d, k, true, func(m string) { fmt.Fprintln(errOut, m) })
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	res, err := demo.Load(ctx, db, accounts, demo.Config{Seed: *seed, Scale: *scale})
	if err != nil {
		return err
	}
	if res.Loaded {
		fmt.Fprintf(out, "Demo loaded in %s: %d organisations, %d teams, %d staff accounts.\n", time.Since(start).Round(time.Millisecond), res.Organisations, res.Teams, res.Staff)
	}
	return startDemo(ctx, db, accounts, *seed, strings.TrimRight(*baseURL, "/"), out, i18n.MustLoad().Printer(i18n.Default))
}
