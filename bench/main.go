// Command bench is frontdoor's load benchmark (issue 7). One command builds
// (or reuses) a generated data set, starts `frontdoor serve` on it as a
// child process, signs workers in through the real sign-in flow (password,
// then a TOTP code computed from the secret the generator enrolled), drives
// a mixed workload over loopback, measures a bare net/http + html/template
// baseline on the same engine, and prints a table and one line per bar:
//
//	go run ./bench -scale 2000 -engine sqlite -duration 30s -users 32
//	go run ./bench -scale 2000 -engine postgres -duration 30s -users 32
//
// PostgreSQL comes from -database-url, else FRONTDOOR_TEST_DATABASE_URL,
// else postgres://postgres@127.0.0.1:5432/test; each data set lives in a
// schema of its own (bench_<scale>_<seed>), kept for reuse like the SQLite
// data dir (-data, default frontdoor-bench/<engine>-<scale>-<seed> in the
// user's cache dir, outside the checkout). -fresh rebuilds.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if os.Getenv(baselineEnv) != "" {
		if err := baselineMain(); err != nil {
			fmt.Fprintln(os.Stderr, "bench baseline:", err)
			os.Exit(1)
		}
		return
	}
	var c Config
	flag.IntVar(&c.Scale, "scale", 2000, "people in the data set (1000000 for the national-scale bars)")
	flag.StringVar(&c.Engine, "engine", "sqlite", "sqlite or postgres")
	flag.DurationVar(&c.Duration, "duration", 30*time.Second, "how long the mixed workload runs (the case-page-only and baseline phases run a third of it each, at least 2s)")
	flag.IntVar(&c.Users, "users", 32, "concurrent signed-in workers")
	flag.StringVar(&c.Data, "data", "", "data dir of the data set (default <user cache dir>/frontdoor-bench/<engine>-<scale>-<seed>); reused when it holds one")
	flag.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL server (default $FRONTDOOR_TEST_DATABASE_URL, else the local test server)")
	flag.StringVar(&c.Binary, "binary", "", "frontdoor binary to run (default: go build ./cmd/frontdoor)")
	flag.Int64Var(&c.Seed, "seed", 1, "generator seed")
	flag.StringVar(&c.CPUProfile, "cpuprofile", "", "have serve write a CPU profile of the run to this `file` (go tool pprof)")
	flag.IntVar(&c.AuditWrites, "audit-writes", 300, "pairs of writes (bare, audited) that measure what the audit append adds")
	flag.BoolVar(&c.Fresh, "fresh", false, "rebuild the data set even if one is there")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := Run(ctx, c, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
