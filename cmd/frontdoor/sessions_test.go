package main

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
)

// frontdoor sessions end-all signs everyone out on either engine (what a
// PostgreSQL operator runs after pg_restore): a signed-in browser and an
// unused setup link stop working while frontdoor serves, API tokens are
// kept, and the audit trail has the event, naming the backup restored.
func TestSessionsEndAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		in := newInstance(t, d)
		s := testserve.Start(t, in.env, in.args...)
		browser, _ := signInThroughLink(t, s.SetupLink(t), url.Values{"organisation": {"End All Trust"}, "name": {"End All Admin"}, "username": {"endalladmin"},
			"password": {"signed out by command"}, "confirm": {"signed out by command"}})
		r := in.run(t, "user", "add", "--username", "p.iqbal", "--name", "Parveen Iqbal", "--role", "front_door_worker", "--organisation", "End All Trust")
		setupPath := regexp.MustCompile(`/setup/[A-Za-z0-9_-]{20,}`).FindString(r.Stdout)
		if r.Code != 0 || setupPath == "" {
			t.Fatalf("user add: %+v", r)
		}
		r = in.run(t, "token", "create", "--organisation", "End All Trust", "--name", "Referrals")
		secret := regexp.MustCompile(`fdt_\S+`).FindString(r.Stdout)
		if r.Code != 0 || secret == "" {
			t.Fatalf("token create: %+v", r)
		}
		if code := pageCode(t, browser, s.URL+"/staff"); code != 200 {
			t.Fatalf("signed in: %d", code)
		}

		oneLineErr(t, in.run(t, "sessions", "end-all"), 2, "--restored-from", "--reason")
		oneLineErr(t, in.run(t, "sessions", "end-all", "--reason", "leak"), 2, "--reason", "at least 10 characters")
		oneLineErr(t, in.run(t, "sessions", "end-all", "--restored-from", filepath.Join(t.TempDir(), "missing.dump")), 2, "--restored-from", "missing.dump")
		if code := pageCode(t, browser, s.URL+"/staff"); code != 200 {
			t.Fatalf("a refused end-all signed the browser out: %d", code)
		}

		r = in.run(t, "sessions", "end-all", "--reason", "the session table may have been copied")
		if r.Code != 0 || !strings.Contains(r.Stdout, "ended 1 session, voided 1 one-time link") || !strings.Contains(r.Stdout, "sessions.end_all") {
			t.Fatalf("sessions end-all: %+v", r)
		}
		if code := pageCode(t, browser, s.URL+"/staff"); code == 200 {
			t.Fatal("the browser is still signed in after end-all")
		}
		if code, _ := s.Get(t, setupPath); code == 200 {
			t.Fatal("the setup link still opens after end-all")
		}
		// API tokens are kept.
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/referrals/0190f2a0-0000-7000-8000-000000000999", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized {
			t.Fatal("end-all ended the API token")
		}

		// After a pg_restore: the event names the dump's SHA-256.
		dump := filepath.Join(t.TempDir(), "frontdoor.dump")
		os.WriteFile(dump, []byte("a pg_dump file, as far as this test cares"), 0o600)
		digest := fmt.Sprintf("%x", sha256.Sum256([]byte("a pg_dump file, as far as this test cares")))
		r = in.run(t, "sessions", "end-all", "--restored-from", dump)
		if r.Code != 0 || !strings.Contains(r.Stdout, "ended 0 sessions, voided 0 one-time links") || !strings.Contains(r.Stdout, "backup.restore naming sha256 "+digest) {
			t.Fatalf("sessions end-all --restored-from: %+v", r)
		}
		s.Stop(t)
		if got := auditPurposes(t, in.cfg, "sessions.end_all"); len(got) != 1 || strings.Contains(got[0], "copied") {
			t.Fatalf("end-all events (the reason sealed): %q", got)
		}
		if got := auditPurposes(t, in.cfg, "backup.restore"); len(got) != 1 || !strings.Contains(got[0], "sha256:"+digest) {
			t.Fatalf("restore events: %q", got)
		}
		if r := in.run(t, "audit", "verify"); r.Code != 0 {
			t.Fatalf("audit verify: %+v", r)
		}
	})
}
