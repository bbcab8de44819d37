package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
)

func oneLineErr(t *testing.T, r testserve.Result, code int, wants ...string) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.Code, code, r.Stdout, r.Stderr)
	}
	msg := strings.TrimRight(r.Stderr, "\n")
	if strings.Count(msg, "\n") != 0 || msg == "" {
		t.Fatalf("want one line on stderr, got:\n%s", r.Stderr)
	}
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q does not say %q", msg, w)
		}
	}
}

func TestVersion(t *testing.T) {
	r := testserve.Run(t, nil, "version")
	if r.Code != 0 || !regexp.MustCompile(`^frontdoor \S+ \(go1\.\d+.*schema version \d+\)\n$`).MatchString(r.Stdout) {
		t.Fatalf("version: %d %q", r.Code, r.Stdout)
	}
}

func TestBadCommandLines(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	oneLineErr(t, testserve.Run(t, nil, "serve", "--data", data, "--no-such-flag"), 2, "--no-such-flag", "frontdoor serve --help")
	oneLineErr(t, testserve.Run(t, nil, "bogus"), 2, `unknown command "bogus"`)
	oneLineErr(t, testserve.Run(t, nil, "serve", "--data", data, "--listen", "0.0.0.0:0"), 2, "refusing to listen on 0.0.0.0:0 without TLS", "--behind-proxy")
	oneLineErr(t, testserve.Run(t, []string{"FRONTDOOR_LISTEN=:0", "FRONTDOOR_DATA=" + data}, "serve"), 2, "refusing to listen")
	oneLineErr(t, testserve.Run(t, nil, "serve", "--data", data, "--tls-cert", "x.pem"), 2, "--tls-cert and --tls-key go together")
	oneLineErr(t, testserve.Run(t, []string{"FRONTDOOR_DEMO=perhaps"}, "serve", "--data", data), 2, "FRONTDOOR_DEMO")
	oneLineErr(t, testserve.Run(t, nil, "serve", "--data", data, "--database-url", "postgres://fd:pw-not-shown@127.0.0.1:1/x?connect_timeout=2"), 1, "cannot reach PostgreSQL")
	r := testserve.Run(t, nil, "serve", "--data", data, "--database-url", "postgres://fd:pw-not-shown@127.0.0.1:1/x?connect_timeout=2")
	if strings.Contains(r.Stderr, "pw-not-shown") {
		t.Error("the database password was printed")
	}
	if _, err := os.Stat(data); err == nil {
		t.Fatal("a refused start created the data dir")
	}

	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o755)
	os.Chmod(open, 0o755)
	oneLineErr(t, testserve.Run(t, nil, "serve", "--data", open), 1, "open to other users", "chmod 700")
	if entries, _ := os.ReadDir(open); len(entries) != 0 {
		t.Fatal("a refused start wrote into the data dir")
	}
}

func TestServeHelpDocumentsEveryFlagAndItsVariable(t *testing.T) {
	r := testserve.Run(t, nil, "serve", "--help")
	if r.Code != 0 {
		t.Fatalf("serve --help exit %d: %s", r.Code, r.Stderr)
	}
	for _, flag := range []string{"listen", "data", "database-url", "tls-cert", "tls-key", "behind-proxy", "demo", "shutdown-timeout", "session-idle"} {
		if !strings.Contains(r.Stdout, "--"+flag) || !strings.Contains(r.Stdout, envName(flag)) {
			t.Errorf("serve --help does not document --%s and %s", flag, envName(flag))
		}
	}
}

func TestNewerDatabaseIsRefused(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if r := testserve.Run(t, nil, "migrate", "--data", data); r.Code != 0 || !strings.Contains(r.Stdout, "schema version") {
		t.Fatalf("migrate: %+v", r)
	}
	db, err := store.Open(context.Background(), store.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	db.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'later', $1)`, time.Now().UTC())
		return err
	})
	db.Close()
	oneLineErr(t, testserve.Run(t, nil, "serve", "--data", data), 1, "schema version 9999", "newer frontdoor")
	oneLineErr(t, testserve.Run(t, nil, "migrate", "--data", data), 1, "newer frontdoor")
}

func TestEmptyInstancePrintsSetupLinkAndStopsCleanly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		var args []string
		data := filepath.Join(t.TempDir(), "data")
		if d == store.Postgres {
			args = []string{"--database-url", storetest.PostgresURL(t)}
		} else {
			args = []string{"--data", data}
		}
		s := testserve.Start(t, nil, args...)
		s.WaitOutput(t, "Set up the first administrator")
		link := s.SetupLink(t)
		if !strings.HasPrefix(link, s.URL+"/setup/") {
			t.Fatalf("link %q is not on %s", link, s.URL)
		}
		if code, body := s.Get(t, "/readyz"); code != 200 || body != "ready\n" {
			t.Fatalf("readyz: %d %q", code, body)
		}
		if code, _ := s.Get(t, strings.TrimPrefix(link, s.URL)); code != 200 {
			t.Fatalf("setup page: %d", code)
		}
		if d == store.SQLite {
			fi, err := os.Stat(data)
			if err != nil || fi.Mode().Perm() != 0o700 {
				t.Fatalf("data dir: %v %v", fi, err)
			}
		}
		if err := s.Stop(t); err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, s.Stderr())
		}
		if !strings.Contains(s.Stdout(), "finishing requests in flight") {
			t.Errorf("no shutdown notice:\n%s", s.Stdout())
		}
	})
}

func TestDemoLoadsOnceAndPrintsAdministratorLink(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s := testserve.Start(t, nil, "--data", data, "--demo")
	s.WaitOutput(t, "demo administrator")
	s.SetupLink(t)
	s.Stop(t)
	s = testserve.Start(t, nil, "--data", data, "--demo")
	s.WaitOutput(t, "already loaded")
	s.Stop(t)
	r := testserve.Run(t, nil, "user", "list", "--data", data)
	for _, role := range []string{"front_door_worker", "outreach_worker", "idva", "refuge_worker", "volunteer", "team_manager", "data_protection_lead", "administrator", "partner_agency_user", "commissioner"} {
		if !strings.Contains(r.Stdout, " "+role+" ") {
			t.Errorf("demo has no %s:\n%s", role, r.Stdout)
		}
	}
}

func signInThroughLink(t *testing.T, link string, form url.Values) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(link, form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Welcome") {
		t.Fatalf("setup through %s: %d\n%s", link, resp.StatusCode, b)
	}
	return c
}

// Two nodes over one PostgreSQL database are one service: a session made
// on one is good on the other, a link printed by one works on the other.
func TestTwoNodesShareOneService(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	a := testserve.Start(t, nil, "--database-url", dbURL)
	b := testserve.Start(t, nil, "--database-url", dbURL)
	link := strings.Replace(b.SetupLink(t), b.URL, a.URL, 1)
	client := signInThroughLink(t, link, url.Values{"organisation": {"Two Node Trust"}, "name": {"Node Admin"}, "username": {"nodeadmin"},
		"password": {"shared across nodes"}, "confirm": {"shared across nodes"}})
	u, _ := url.Parse(a.URL)
	ub, _ := url.Parse(b.URL)
	client.Jar.SetCookies(ub, client.Jar.Cookies(u))
	resp, err := client.Get(b.URL + "/staff")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "nodeadmin") {
		t.Fatalf("node B with node A's session: %d", resp.StatusCode)
	}
}

func TestBackupWhileServingAndRestore(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	s := testserve.Start(t, nil, "--data", data)
	signInThroughLink(t, s.SetupLink(t), url.Values{"organisation": {"Backup Test Trust"}, "name": {"Backup Admin"}, "username": {"backupadmin"},
		"password": {"kept in the backup"}, "confirm": {"kept in the backup"}})
	file := filepath.Join(dir, "frontdoor.backup")
	if r := testserve.Run(t, nil, "backup", "--data", data, "--to", file); r.Code != 0 {
		t.Fatalf("backup while serving: %+v", r)
	}
	s.Stop(t)
	oneLineErr(t, testserve.Run(t, nil, "restore", "--from", file, "--data", data), 1, "not empty")
	restored := filepath.Join(dir, "restored")
	if r := testserve.Run(t, nil, "restore", "--from", file, "--data", restored); r.Code != 0 {
		t.Fatalf("restore: %+v", r)
	}
	s = testserve.Start(t, nil, "--data", restored)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(s.URL+"/signin", url.Values{"username": {"backupadmin"}, "password": {"kept in the backup"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Backup Test Trust") {
		t.Fatalf("restored instance does not have the organisation: %d", resp.StatusCode)
	}
	oneLineErr(t, testserve.Run(t, nil, "backup", "--database-url", "postgres://x@127.0.0.1/x", "--to", filepath.Join(dir, "pg")), 1, "pg_dump")
}

func TestUserAddPrintsOneTimeLink(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	r := testserve.Run(t, nil, "user", "add", "--data", data, "--username", "first.admin", "--name", "First Admin", "--role", "administrator", "--organisation", "Calder Bridge Refuge Trust")
	if r.Code != 0 || !regexp.MustCompile(`http://127\.0\.0\.1:8080/setup/[A-Za-z0-9_-]{20,}`).MatchString(r.Stdout) {
		t.Fatalf("user add: %+v", r)
	}
	oneLineErr(t, testserve.Run(t, nil, "user", "add", "--data", data, "--username", "first.admin", "--name", "Again", "--role", "idva", "--organisation", "Calder Bridge Refuge Trust"), 2, "--username", "already has this username")
	oneLineErr(t, testserve.Run(t, nil, "user", "add", "--data", data, "--username", "x.y", "--name", "X", "--role", "boss", "--organisation", "Calder Bridge Refuge Trust"), 2, "--role")
	oneLineErr(t, testserve.Run(t, nil, "user", "add", "--data", data, "--username", "x.y", "--name", "X", "--role", "idva", "--organisation", "Typo Trust"), 2, "no organisation is called")
	r = testserve.Run(t, nil, "user", "list", "--data", data)
	if r.Code != 0 || !strings.Contains(r.Stdout, "first.admin") || !strings.Contains(r.Stdout, "invited") || strings.Contains(r.Stdout, "x.y") {
		t.Fatalf("user list: %+v", r)
	}
}
