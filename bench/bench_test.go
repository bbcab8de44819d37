package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
)

// TestMain lets the harness re-run the test binary as its baseline
// server, as it re-runs the bench command.
func TestMain(m *testing.M) {
	if os.Getenv(baselineEnv) != "" {
		if err := baselineMain(); err != nil {
			fmt.Fprintln(os.Stderr, "bench baseline:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// barLine is one of the lines the harness ends with.
var barLine = regexp.MustCompile(`^(ratio case_page|p95_ms intake_match|p95_ms vacancy_search|p95_ms hold_bedspace|p95_ms audit_append|rss_mb serve|binary_mb|cold_start_ms)=(-?[0-9.]+)$`)

// TestHarnessRuns runs the whole harness at a tiny scale on both engines:
// it proves the harness works (data set, server, real sign-in, workload,
// baseline, report), not how fast anything is; there are no wall-clock
// thresholds. PostgreSQL is required under CI=true (storetest).
func TestHarnessRuns(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			c := Config{Scale: 300, Engine: engine, Duration: 5 * time.Second, Users: 4, Seed: 1,
				Data: t.TempDir() + "/data", Binary: testserve.Binary(t)}
			if engine == "postgres" {
				// A schema of the test's own, dropped when it ends.
				c.DatabaseURL = storetest.PostgresURL(t)
				u, err := url.Parse(c.DatabaseURL)
				if err != nil {
					t.Fatal(err)
				}
				c.Schema = u.Query().Get("search_path")
			}
			var out, log bytes.Buffer
			sum, err := Run(context.Background(), c, &out, &log)
			if err != nil {
				t.Fatalf("harness: %v\n%s\n%s", err, log.String(), out.String())
			}
			t.Logf("%s", out.String())
			want := map[string]bool{}
			for _, m := range []string{"ratio case_page", "p95_ms intake_match", "p95_ms vacancy_search", "p95_ms hold_bedspace", "p95_ms audit_append", "rss_mb serve", "binary_mb", "cold_start_ms"} {
				want[m] = true
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) < len(want) {
				t.Fatalf("short output:\n%s", out.String())
			}
			// The bar lines come last, one each, each a positive number
			// but the audit append's, a difference that noise can make
			// negative.
			for _, l := range lines[len(lines)-len(want):] {
				m := barLine.FindStringSubmatch(l)
				if m == nil {
					t.Errorf("not a bar line: %q", l)
					continue
				}
				v, err := strconv.ParseFloat(m[2], 64)
				if err != nil || (v <= 0 && m[1] != "p95_ms audit_append") {
					t.Errorf("%s: %q is not a positive number", m[1], m[2])
				}
				if !want[m[1]] {
					t.Errorf("bar %s twice", m[1])
				}
				delete(want, m[1])
			}
			for m := range want {
				t.Errorf("no %s= line:\n%s", m, out.String())
			}
			// The reads the bars rest on must have worked every time.
			for _, o := range sum.Ops {
				switch o.Name {
				case "case_page", "intake_match", "vacancy_search", "hold_bedspace", "pk_lookup", "write_bare", "write_audited":
					if o.Errors > 0 || len(o.Lat) == 0 {
						t.Errorf("%s %s: %d done, %d failed (%s)", o.Phase, o.Name, len(o.Lat), o.Errors, o.FirstError)
					}
				}
			}
		})
	}
}
