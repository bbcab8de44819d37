package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
	"frontdoor/internal/vault"
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
	key := []string{"FRONTDOOR_MASTER_KEY=" + vault.NewMasterKey().Encode()}
	oneLineErr(t, testserve.Run(t, nil, "serve", "--database-url", "postgres://fd:pw@127.0.0.1:1/x?connect_timeout=2"), 1, "no master key", "FRONTDOOR_MASTER_KEY", "--key-file")
	oneLineErr(t, testserve.Run(t, key, "serve", "--data", data, "--database-url", "postgres://fd:pw-not-shown@127.0.0.1:1/x?connect_timeout=2"), 1, "cannot reach PostgreSQL")
	r := testserve.Run(t, key, "serve", "--data", data, "--database-url", "postgres://fd:pw-not-shown@127.0.0.1:1/x?connect_timeout=2")
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
		var args, env []string
		data := filepath.Join(t.TempDir(), "data")
		if d == store.Postgres {
			args = []string{"--database-url", storetest.PostgresURL(t)}
			env = []string{"FRONTDOOR_MASTER_KEY=" + vault.NewMasterKey().Encode()}
		} else {
			args = []string{"--data", data}
		}
		s := testserve.Start(t, env, args...)
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

var secretPattern = regexp.MustCompile(`<code id="secret">([A-Z2-7]+)</code>`)

// signInThroughLink follows a one-time link as a new person would: choose
// a password, enrol an authenticator, land on the home page. It returns
// the browser (cookie jar) and the TOTP secret.
func signInThroughLink(t *testing.T, link string, form url.Values) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(link, form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := secretPattern.FindSubmatch(b)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("setup through %s did not reach enrolment: %d\n%s", link, resp.StatusCode, b)
	}
	secret := string(m[1])
	code, _ := totp.GenerateCode(secret, time.Now())
	base := link[:strings.Index(link, "/setup/")]
	resp, err = c.PostForm(base+"/enrol", url.Values{"code": {code}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Welcome") {
		t.Fatalf("home after enrolment: %d\n%s", resp.StatusCode, b)
	}
	return c, secret
}

// Two nodes over one PostgreSQL database are one service: a session made
// on one is good on the other, a link printed by one works on the other.
func TestTwoNodesShareOneService(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	key := []string{"FRONTDOOR_MASTER_KEY=" + vault.NewMasterKey().Encode()}
	a := testserve.Start(t, key, "--database-url", dbURL)
	b := testserve.Start(t, key, "--database-url", dbURL)
	link := strings.Replace(b.SetupLink(t), b.URL, a.URL, 1)
	a.Personal("Node Admin", "nodeadmin", "shared across nodes")
	b.Personal("Node Admin", "nodeadmin", "shared across nodes")
	client, _ := signInThroughLink(t, link, url.Values{"organisation": {"Two Node Trust"}, "name": {"Node Admin"}, "username": {"nodeadmin"},
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
	// What both nodes recorded is one unbroken chain.
	r := testserve.Run(t, key, "audit", "verify", "--database-url", dbURL)
	if r.Code != 0 || !regexp.MustCompile(`audit chain intact: ([2-9]|\d{2,}) events`).MatchString(r.Stdout) {
		t.Fatalf("audit verify after two nodes: %+v", r)
	}
	r = testserve.Run(t, nil, "audit", "verify", "--database-url", dbURL)
	if r.Code == 0 || !strings.Contains(r.Stderr, "key") {
		t.Fatalf("audit verify without the key: %+v", r)
	}
}

// A backup taken while serving restores into a new data dir, and what the
// backup held of sign-ins is worthless there: a cookie signed in before
// the backup and a setup link issued before it are refused on the
// restored instance, whose audit trail records the restore by the
// backup's SHA-256; signing in afresh works.
func TestBackupWhileServingAndRestore(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	s := testserve.Start(t, nil, "--data", data)
	browser, secret := signInThroughLink(t, s.SetupLink(t), url.Values{"organisation": {"Backup Test Trust"}, "name": {"Backup Admin"}, "username": {"backupadmin"},
		"password": {"kept in the backup"}, "confirm": {"kept in the backup"}})
	r := testserve.Run(t, nil, "user", "add", "--data", data, "--username", "p.iqbal", "--name", "Parveen Iqbal", "--role", "front_door_worker", "--organisation", "Backup Test Trust")
	setupPath := regexp.MustCompile(`/setup/[A-Za-z0-9_-]{20,}`).FindString(r.Stdout)
	if r.Code != 0 || setupPath == "" {
		t.Fatalf("user add: %+v", r)
	}
	if code := pageCode(t, browser, s.URL+"/staff"); code != 200 {
		t.Fatalf("the signed-in browser before the backup: %d", code)
	}
	if code, _ := s.Get(t, setupPath); code != 200 {
		t.Fatalf("the setup link before the backup: %d", code)
	}
	file := filepath.Join(dir, "frontdoor.backup")
	if r := testserve.Run(t, nil, "backup", "--data", data, "--to", file); r.Code != 0 {
		t.Fatalf("backup while serving: %+v", r)
	}
	before, _ := url.Parse(s.URL)
	s.Stop(t)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	digest := fmt.Sprintf("%x", sha256.Sum256(b))
	oneLineErr(t, testserve.Run(t, nil, "restore", "--from", file, "--data", data), 1, "not empty")
	restored := filepath.Join(dir, "restored")
	r = testserve.Run(t, nil, "restore", "--from", file, "--data", restored)
	if r.Code != 0 {
		t.Fatalf("restore: %+v", r)
	}
	for _, want := range []string{"sha256 " + digest, "ended 1 session, voided 1 one-time link", "API tokens are kept",
		"audit event backup.restore naming sha256 " + digest + " is appended when frontdoor first opens", "master.key"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("restore does not say %q:\n%s", want, r.Stdout)
		}
	}
	// The backup holds no key: without it the restored data cannot be read,
	// and frontdoor says which key it needs rather than making a new one.
	r = testserve.Run(t, nil, "serve", "--data", restored, "--listen", "127.0.0.1:0")
	if r.Code == 0 || !strings.Contains(r.Stderr, "key") {
		t.Fatalf("serving a restored backup without its key: %+v", r)
	}
	key, err := os.ReadFile(filepath.Join(data, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(restored, "master.key"), key, 0o600)
	s = testserve.Start(t, nil, "--data", restored)

	// The cookie from before the backup, sent to the restored instance,
	// signs nobody in; nor does the setup link.
	after, _ := url.Parse(s.URL)
	browser.Jar.SetCookies(after, browser.Jar.Cookies(before))
	if len(browser.Jar.Cookies(after)) == 0 {
		t.Fatal("the browser has no cookie to send")
	}
	if code := pageCode(t, browser, s.URL+"/staff"); code == 200 {
		t.Fatal("a session from before the backup is signed in on the restored instance")
	}
	if code, _ := s.Get(t, setupPath); code == 200 {
		t.Fatal("a setup link from before the backup opens on the restored instance")
	}
	resp, err := http.PostForm(s.URL+setupPath, url.Values{"password": {"chosen after the restore"}, "confirm": {"chosen after the restore"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 || resp.StatusCode == http.StatusSeeOther {
		t.Fatalf("a setup link from before the backup set a password: %d", resp.StatusCode)
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err = c.PostForm(s.URL+"/signin", url.Values{"username": {"backupadmin"}, "password": {"kept in the backup"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	time.Sleep(time.Until(time.Now().Truncate(30 * time.Second).Add(30*time.Second + 50*time.Millisecond)))
	code, _ := totp.GenerateCode(secret, time.Now())
	resp, err = c.PostForm(s.URL+"/signin/code", url.Values{"code": {code}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Backup Test Trust") {
		t.Fatalf("restored instance does not have the organisation: %d\n%s", resp.StatusCode, body)
	}
	s.Stop(t)
	if !strings.Contains(s.Stdout()+s.Stderr(), "restored from backup sha256:"+digest) {
		t.Errorf("serve does not say it recorded the restore:\n%s\n%s", s.Stdout(), s.Stderr())
	}
	// The first start with the key appended the event, once; the chain
	// is whole.
	if got := restoreEvents(t, restored); len(got) != 1 || !strings.Contains(got[0], "sha256:"+digest) || !strings.Contains(got[0], "ended 1 session, voided 1 one-time link") {
		t.Fatalf("restore events in the restored trail: %q", got)
	}
	if r := testserve.Run(t, nil, "audit", "verify", "--data", restored); r.Code != 0 {
		t.Fatalf("audit verify of the restored instance: %+v", r)
	}
	if got := restoreEvents(t, restored); len(got) != 1 {
		t.Fatalf("another open appended the event again: %q", got)
	}

	// With the key given, restore records the restore at once.
	again := filepath.Join(dir, "restored-with-key")
	r = testserve.Run(t, nil, "restore", "--from", file, "--data", again, "--key-file", filepath.Join(data, "master.key"))
	if r.Code != 0 || !strings.Contains(r.Stdout, "Appended the audit event backup.restore naming sha256 "+digest) {
		t.Fatalf("restore with the key: %+v", r)
	}
	if got := restoreEvents(t, again); len(got) != 1 || !strings.Contains(got[0], digest) {
		t.Fatalf("restore events after a restore with the key: %q", got)
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

// An instance can be run without the web pages: accounts and partner
// tokens from the command line, every change in the audit trail.
func TestAccountAndTokenCommands(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if r := testserve.Run(t, nil, "demo", "--data", data); r.Code != 0 {
		t.Fatalf("demo: %+v", r)
	}
	// The demo's people are audited as they are recorded; count from here.
	events := func() int {
		r := testserve.Run(t, nil, "audit", "verify", "--data", data)
		m := regexp.MustCompile(`audit chain intact: (\d+) events`).FindStringSubmatch(r.Stdout)
		if r.Code != 0 || m == nil {
			t.Fatalf("audit verify: %+v", r)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	before := events()
	r := testserve.Run(t, nil, "user", "invite", "--data", data, "--username", "admin")
	if r.Code != 0 || !regexp.MustCompile(`/setup/[A-Za-z0-9_-]{20,}`).MatchString(r.Stdout) {
		t.Fatalf("user invite: %+v", r)
	}
	oneLineErr(t, testserve.Run(t, nil, "user", "disable", "--data", data, "--username", "admin"), 2, "--reason is required")
	oneLineErr(t, testserve.Run(t, nil, "user", "disable", "--data", data, "--username", "admin", "--reason", "short"), 2, "--reason", "at least 10 characters")
	oneLineErr(t, testserve.Run(t, nil, "user", "disable", "--data", data, "--username", "nobody", "--reason", "no such person here"), 2, "no account is called")
	for _, verb := range []string{"disable", "enable", "reset-factors"} {
		if r := testserve.Run(t, nil, "user", verb, "--data", data, "--username", "admin", "--reason", "checked with the service manager by phone"); r.Code != 0 {
			t.Fatalf("user %s: %+v", verb, r)
		}
	}
	r = testserve.Run(t, nil, "user", "list", "--data", data)
	if !regexp.MustCompile(`admin\s+administrator\s+invited`).MatchString(r.Stdout) {
		t.Errorf("admin after enable: %s", r.Stdout)
	}

	oneLineErr(t, testserve.Run(t, nil, "token", "create", "--data", data, "--organisation", "Hollinshire Constabulary", "--name", "Police", "--scopes", "record.read"), 2, "--scopes")
	r = testserve.Run(t, nil, "token", "create", "--data", data, "--organisation", "Hollinshire Constabulary", "--name", "Police referrals", "--scopes", "referral.create,referral.read")
	m := regexp.MustCompile(`Token (\S+) for .*\n.*\n(fdt_\S+)`).FindStringSubmatch(r.Stdout)
	if r.Code != 0 || m == nil {
		t.Fatalf("token create: %+v", r)
	}
	if r := testserve.Run(t, nil, "token", "revoke", "--data", data, "--id", m[1]); r.Code != 0 {
		t.Fatalf("token revoke: %+v", r)
	}
	r = testserve.Run(t, nil, "token", "list", "--data", data)
	if !strings.Contains(r.Stdout, "Police referrals") || !strings.Contains(r.Stdout, "revoked") || strings.Contains(r.Stdout, m[2]) {
		t.Fatalf("token list: %+v", r)
	}
	// invite, disable, enable, reset-factors, token create and revoke.
	if n := events() - before; n != 6 {
		t.Fatalf("the account and token commands appended %d audit events, want 6", n)
	}
	// A staff token acts as one member of staff, for accommodation by
	// default; the administrator, whose role does no case work, gets none.
	r = testserve.Run(t, nil, "user", "list", "--data", data)
	m = regexp.MustCompile(`(?m)^(\S+)\s+refuge_worker\s`).FindStringSubmatch(r.Stdout)
	if m == nil {
		t.Fatalf("the demo has no refuge worker:\n%s", r.Stdout)
	}
	worker := m[1]
	oneLineErr(t, testserve.Run(t, nil, "token", "create", "--data", data, "--staff", worker, "--name", "Board sync", "--scopes", "referral.read"), 2, "--scopes")
	oneLineErr(t, testserve.Run(t, nil, "token", "create", "--data", data, "--staff", "nobody", "--name", "Board sync"), 2, "no account is called")
	oneLineErr(t, testserve.Run(t, nil, "token", "create", "--data", data, "--staff", "admin", "--name", "Board sync"), 2, "--scopes", "administrator", "accommodation")
	r = testserve.Run(t, nil, "token", "create", "--data", data, "--staff", worker, "--name", "Board sync")
	if r.Code != 0 || !strings.Contains(r.Stdout, "acting as "+worker+", scopes accommodation") {
		t.Fatalf("staff token create: %+v", r)
	}
	if r = testserve.Run(t, nil, "token", "list", "--data", data); !regexp.MustCompile(`Board sync\s+` + regexp.QuoteMeta(worker) + `\s+accommodation`).MatchString(r.Stdout) {
		t.Fatalf("token list does not say whom the staff token acts as: %+v", r)
	}
	// The demo's commissioning board sends no referrals.
	oneLineErr(t, testserve.Run(t, nil, "token", "create", "--data", data, "--organisation", "Hollinshire Joint Commissioning Board", "--name", "Board referrals"), 2, "--scopes", "commissioner", "referral.create")
}

// Someone with the database file drops a trigger that guards the audit
// trail: frontdoor refuses to serve rather than carry on unguarded.
func TestServeRefusesWithoutAuditGuards(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if r := testserve.Run(t, nil, "migrate", "--data", data); r.Code != 0 {
		t.Fatalf("migrate: %+v", r)
	}
	db, err := store.Open(context.Background(), store.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	db.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(context.Background(), `DROP TRIGGER audit_events_no_update`)
		return err
	})
	db.Close()
	oneLineErr(t, testserve.Run(t, nil, "serve", "--data", data, "--listen", "127.0.0.1:0"), 1, "audit trail's guards are missing", "audit_events_no_update")
}
