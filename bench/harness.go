package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the data set's schema

	"frontdoor/internal/demo"
)

// Config is one harness run.
type Config struct {
	Scale       int
	Engine      string // "sqlite" or "postgres"
	Duration    time.Duration
	Users       int
	Data        string
	DatabaseURL string
	Binary      string
	Seed        int64
	Fresh       bool
	// CPUProfile, when set, is where serve writes its CPU profile.
	CPUProfile string
	// AuditWrites is how many pairs of writes (bare, audited) measure
	// the audit append's cost (default 300).
	AuditWrites int
	// Schema is the PostgreSQL schema of the data set (default
	// bench_<scale>_<seed>); DropSchema drops it when the run ends (tests).
	Schema     string
	DropSchema bool
}

// defaultPostgresURL is the test command's PostgreSQL (see storetest).
const defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Summary is what a run measured; Bars holds the numbers of the last lines.
type Summary struct {
	Ops  []*OpStats
	Bars []Bar
}

// Bar is one "name=value" line of the output.
type Bar struct {
	Prefix, Name string // "ratio", "case_page"; Prefix empty for "binary_mb=..."
	Value        float64
}

func (b Bar) String() string {
	v := strconv.FormatFloat(b.Value, 'f', 2, 64)
	if b.Prefix == "ratio" {
		v = strconv.FormatFloat(b.Value, 'f', 4, 64)
	}
	if b.Prefix == "" {
		return b.Name + "=" + v
	}
	return b.Prefix + " " + b.Name + "=" + v
}

// OpStats is one operation's latencies in one phase.
type OpStats struct {
	Phase, Name string
	Lat         []time.Duration
	Errors      int
	FirstError  string
	Elapsed     time.Duration
}

func (o *OpStats) rps() float64 { return float64(len(o.Lat)) / o.Elapsed.Seconds() }

func (o *OpStats) at(q float64) time.Duration {
	if len(o.Lat) == 0 {
		return 0
	}
	s := slices.Clone(o.Lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func sumOf(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Run runs the harness: data set, server, sign-in, the three phases, the
// report on out. Progress and the server's failures go to log.
func Run(ctx context.Context, c Config, out, log io.Writer) (*Summary, error) {
	if c.Scale < 1 || c.Users < 1 || c.Duration <= 0 {
		return nil, errors.New("-scale, -users and -duration must be positive")
	}
	if c.AuditWrites <= 0 {
		c.AuditWrites = 300
	}
	if c.Engine != "sqlite" && c.Engine != "postgres" {
		return nil, fmt.Errorf("-engine %q: say sqlite or postgres", c.Engine)
	}
	if c.Data == "" {
		// Outside the checkout: a 1 M-people data set is gigabytes.
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		c.Data = filepath.Join(cache, "frontdoor-bench", fmt.Sprintf("%s-%d-%d", c.Engine, c.Scale, c.Seed))
	}
	data, err := filepath.Abs(c.Data)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "frontdoor-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	// The binary, as an operator would run it.
	bin := c.Binary
	if bin == "" {
		bin = filepath.Join(tmp, "frontdoor")
		fmt.Fprintln(log, "bench: building frontdoor")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/frontdoor")
		cmd.Dir = moduleRoot()
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build: %v\n%s", err, b)
		}
	}
	st, err := os.Stat(bin)
	if err != nil {
		return nil, err
	}
	binaryMB := float64(st.Size()) / (1 << 20)

	// The engine.
	args := []string{"--data", data}
	var pgURL, pgBase string
	if c.Fresh {
		if err := os.RemoveAll(data); err != nil {
			return nil, err
		}
	}
	if c.Engine == "postgres" {
		if c.Schema == "" {
			c.Schema = fmt.Sprintf("bench_%d_%d", c.Scale, c.Seed)
		}
		base := c.DatabaseURL
		if base == "" {
			base = os.Getenv("FRONTDOOR_TEST_DATABASE_URL")
		}
		if base == "" {
			base = defaultPostgresURL
		}
		pgBase = base
		if pgURL, err = prepareSchema(ctx, base, c.Schema, c.Fresh); err != nil {
			return nil, err
		}
		if c.DropSchema {
			defer dropSchema(base, c.Schema)
		}
		if err := os.MkdirAll(data, 0o700); err != nil {
			return nil, err
		}
		key := filepath.Join(data, "master.key")
		if _, err := os.Stat(key); errors.Is(err, os.ErrNotExist) {
			if b, err := command(ctx, bin, "keys", "generate", "--to", key).CombinedOutput(); err != nil {
				return nil, fmt.Errorf("keys generate: %v\n%s", err, b)
			}
		}
		args = append(args, "--database-url", pgURL, "--key-file", key)
	}

	// The data set: built once, reused while its credentials file is there.
	credPath := filepath.Join(data, demo.BenchFileName)
	if _, err := os.Stat(credPath); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(log, "bench: building a data set of %d people on %s in %s\n", c.Scale, c.Engine, data)
		cmd := command(ctx, bin, append([]string{"demo", "--scale", strconv.Itoa(c.Scale), "--seed", strconv.FormatInt(c.Seed, 10),
			"--bench-users", strconv.Itoa(max(c.Users, 4))}, args...)...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("frontdoor demo --scale %d: %v", c.Scale, err)
		}
	} else {
		fmt.Fprintf(log, "bench: reusing the data set in %s\n", data)
	}
	bf, err := demo.ReadBenchFile(credPath)
	if err != nil {
		return nil, err
	}
	if len(bf.Users) == 0 || len(bf.HeavyClients) == 0 || len(bf.Clients) == 0 || len(bf.SearchNames) == 0 {
		return nil, fmt.Errorf("%s lacks users or clients to work on; rebuild with -fresh", credPath)
	}

	// The server, and how long it takes to answer ready. A worker here
	// holds far more vacancies an hour than anyone at a front door: the
	// service's limit (5) is lifted so the holds are measured, not refused.
	serveArgs := append(slices.Clone(args), "--refuge-holds-per-hour", "10000")
	if c.CPUProfile != "" {
		abs, err := filepath.Abs(c.CPUProfile)
		if err != nil {
			return nil, err
		}
		serveArgs = append(serveArgs, "--cpu-profile", abs)
	}
	srv, err := startServe(ctx, bin, serveArgs)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	fmt.Fprintf(log, "bench: frontdoor serving at %s (ready in %v)\n", srv.url, srv.cold.Round(time.Millisecond))

	workers, err := signIn(ctx, srv.url, bf, c.Users)
	if err != nil {
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, srv.log.tail())
	}
	fmt.Fprintf(log, "bench: %d workers signed in as %d accounts\n", len(workers), min(len(bf.Users), c.Users))

	sum := &Summary{}
	// The server's resident set, sampled through the workload phases
	// (after sign-in, whose password hashing is a peak of its own).
	sampler := sampleRSS(srv.cmd.Process.Pid)
	short := max(c.Duration/3, 2*time.Second).Round(100 * time.Millisecond)

	// Phase 1: the mixed workload.
	fmt.Fprintf(log, "bench: mixed workload for %v\n", c.Duration)
	sum.Ops = append(sum.Ops, drive(ctx, "mixed", workers, mixedOps(bf), c.Duration)...)
	rssMixed := sampler.max()

	// Phase 2: the case page alone, for its throughput.
	fmt.Fprintf(log, "bench: case page alone for %v\n", short)
	caseOnly := drive(ctx, "alone", workers, []op{{name: "case_page", weight: 1, do: casePage(bf)}}, short)
	sum.Ops = append(sum.Ops, caseOnly...)
	rss := sampler.stop()
	_, hwm := procMemory(srv.cmd.Process.Pid)

	// Phase 3: the bare baseline, in a process of its own (see baseline.go).
	fmt.Fprintf(log, "bench: bare baseline for %v\n", short)
	bl, err := startBaseline(ctx, c.Engine, data, pgURL)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	baseWorkers := make([]*worker, len(workers))
	for i := range baseWorkers {
		baseWorkers[i] = &worker{base: bl.url, client: &http.Client{Transport: workers[0].client.Transport}}
	}
	base := drive(ctx, "baseline", baseWorkers, []op{{name: "pk_lookup", weight: 1, do: baselineLookup(bl.rows)}}, short)
	sum.Ops = append(sum.Ops, base...)
	baseRSS, _ := procMemory(bl.cmd.Process.Pid)
	bl.stop()

	// What the audit append adds to a write, on a scratch database.
	fmt.Fprintf(log, "bench: audit append cost, %d writes\n", 2*c.AuditWrites)
	bare, audited, err := auditCost(ctx, c.Engine, auditScratch(data), pgBase, c.AuditWrites)
	if err != nil {
		return nil, fmt.Errorf("audit append cost: %w", err)
	}
	bareOps := &OpStats{Phase: "audit", Name: "write_bare", Lat: bare, Elapsed: sumOf(bare)}
	auditedOps := &OpStats{Phase: "audit", Name: "write_audited", Lat: audited, Elapsed: sumOf(audited)}
	sum.Ops = append(sum.Ops, bareOps, auditedOps)

	// The report.
	fmt.Fprintf(out, "\nfrontdoor bench: %s, %d people (%d heavy clients), %d workers, %v mixed + %v case page alone + %v baseline\n",
		c.Engine, bf.People, len(bf.HeavyClients), len(workers), c.Duration, short, short)
	fmt.Fprintf(out, "%-9s %-16s %8s %8s %9s %9s %9s %7s\n", "phase", "operation", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")
	for _, o := range sum.Ops {
		fmt.Fprintf(out, "%-9s %-16s %8d %8.1f %9.2f %9.2f %9.2f %7d\n", o.Phase, o.Name, len(o.Lat), o.rps(), ms(o.at(0.50)), ms(o.at(0.95)), ms(o.at(0.99)), o.Errors)
	}
	for _, o := range sum.Ops {
		if o.Errors > 0 {
			fmt.Fprintf(out, "first %s %s error: %s\n", o.Phase, o.Name, o.FirstError)
		}
	}
	fmt.Fprintf(out, "server RSS under load: %.1f MB max in the mixed phase, %.1f MB max in both (the bar); process peak %.1f MB (VmHWM, includes sign-in's password hashing); baseline RSS %.1f MB\n", rssMixed, rss, hwm, baseRSS)
	if failed := slices.ContainsFunc(sum.Ops, func(o *OpStats) bool { return o.Errors > 0 }); failed {
		fmt.Fprintf(log, "bench: some requests failed; the server's last errors:\n%s\n", srv.log.failed(10))
	}
	find := func(phase, name string) *OpStats {
		for _, o := range sum.Ops {
			if o.Phase == phase && o.Name == name {
				return o
			}
		}
		return &OpStats{Elapsed: time.Second}
	}
	ratio := 0.0
	if b := find("baseline", "pk_lookup").rps(); b > 0 {
		ratio = find("alone", "case_page").rps() / b
	}
	sum.Bars = []Bar{
		{"ratio", "case_page", ratio},
		{"p95_ms", "intake_match", ms(find("mixed", "intake_match").at(0.95))},
		{"p95_ms", "vacancy_search", ms(find("mixed", "vacancy_search").at(0.95))},
		{"p95_ms", "hold_bedspace", ms(find("mixed", "hold_bedspace").at(0.95))},
		// Negative when the difference is below the machine's noise.
		{"p95_ms", "audit_append", ms(auditedOps.at(0.95) - bareOps.at(0.95))},
		{"rss_mb", "serve", rss},
		{"", "binary_mb", binaryMB},
		{"", "cold_start_ms", ms(srv.cold)},
	}
	for _, b := range sum.Bars {
		fmt.Fprintln(out, b)
	}
	return sum, nil
}

// moduleRoot is the checkout this harness was built from.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..")
}

// command runs the frontdoor binary without the developer's FRONTDOOR_*
// settings, so the flags alone say what it works on.
func command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FRONTDOOR_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

func prepareSchema(ctx context.Context, base, schema string, fresh bool) (string, error) {
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return "", fmt.Errorf("no PostgreSQL at %s: %v", redact(base), err)
	}
	if fresh {
		if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			return "", err
		}
	}
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		return "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func dropSchema(base, schema string) {
	db, err := sql.Open("pgx", base)
	if err != nil {
		return
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

// ---- The server ----

type server struct {
	cmd  *exec.Cmd
	url  string
	cold time.Duration
	log  *ring
	done chan struct{}
}

var servingLine = regexp.MustCompile(`frontdoor is serving at (\S+)`)

// startServe starts `frontdoor serve` and waits for /readyz to answer 200:
// the time from exec to that answer is the cold start.
func startServe(ctx context.Context, bin string, args []string) (*server, error) {
	s := &server{log: &ring{}, done: make(chan struct{})}
	s.cmd = command(context.Background(), bin, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	s.cmd.Stderr = s.log
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.log.Write([]byte(sc.Text() + "\n"))
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- strings.TrimRight(m[1], "/"):
				default:
				}
			}
		}
		s.cmd.Wait()
		close(s.done)
	}()
	timeout := time.After(60 * time.Second)
	select {
	case s.url = <-addr:
	case <-s.done:
		return nil, fmt.Errorf("frontdoor serve exited:\n%s", s.log.tail())
	case <-timeout:
		s.stop()
		return nil, fmt.Errorf("frontdoor serve did not say where it serves in 60s:\n%s", s.log.tail())
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	for {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				s.cold = time.Since(start)
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("frontdoor serve exited:\n%s", s.log.tail())
		case <-timeout:
			s.stop()
			return nil, fmt.Errorf("frontdoor serve not ready in 60s:\n%s", s.log.tail())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// ring keeps the last 32 KiB written to it, and the last 32 lines that
// report a failure (the server logs every request, so those scroll away).
type ring struct {
	mu       sync.Mutex
	buf      []byte
	failures []string
	partial  []byte
}

func (r *ring) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, p...)
	if len(r.buf) > 32<<10 {
		r.buf = r.buf[len(r.buf)-32<<10:]
	}
	r.partial = append(r.partial, p...)
	for {
		i := bytes.IndexByte(r.partial, '\n')
		if i < 0 {
			break
		}
		if l := string(r.partial[:i]); strings.Contains(l, "level=ERROR") || strings.Contains(l, "level=WARN") || strings.Contains(l, "status=5") {
			r.failures = append(r.failures, l)
			if len(r.failures) > 32 {
				r.failures = r.failures[1:]
			}
		}
		r.partial = r.partial[i+1:]
	}
	if len(r.partial) > 64<<10 {
		r.partial = nil
	}
	return len(p), nil
}

func (r *ring) failed(n int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.failures[max(0, len(r.failures)-n):], "\n")
}

func (r *ring) tail() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.buf)
}

// rssSampler records a process's largest resident set every 50 ms.
type rssSampler struct {
	mu   sync.Mutex
	top  float64
	quit chan struct{}
	done chan struct{}
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			rss, _ := procMemory(pid)
			s.mu.Lock()
			s.top = max(s.top, rss)
			s.mu.Unlock()
			select {
			case <-s.quit:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return s
}

func (s *rssSampler) max() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.top
}

func (s *rssSampler) stop() float64 {
	close(s.quit)
	<-s.done
	return s.max()
}

// procMemory is a process's resident set now and at its peak, in MB.
func procMemory(pid int) (rss, hwm float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

// ---- Workers and the workload ----

// worker is one signed-in browser: its own cookies, a shared transport.
type worker struct {
	base   string
	client *http.Client
}

// signIn signs in one worker per account through the real form: POST
// /signin with the password, then POST /signin/code with a TOTP code.
// More workers than accounts share sessions.
func signIn(ctx context.Context, base string, bf *demo.BenchFile, users int) ([]*worker, error) {
	tr := &http.Transport{MaxIdleConns: 2 * users, MaxIdleConnsPerHost: 2 * users, IdleConnTimeout: time.Minute}
	n := min(users, len(bf.Users))
	sessions := make([]*worker, n)
	errc := make(chan error, n)
	// One at a time, as staff arrive over a morning: each sign-in hashes
	// the password with Argon2 (46 MiB), and a burst of them would set the
	// server's resident set rather than the workload would.
	sem := make(chan struct{}, 1)
	for i := range n {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			jar, _ := cookiejar.New(nil)
			w := &worker{base: base, client: &http.Client{Transport: tr, Jar: jar, Timeout: 30 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
			u := bf.Users[i]
			resp, err := w.client.PostForm(base+"/signin", url.Values{"username": {u.Username}, "password": {u.Password}})
			if err != nil {
				errc <- err
				return
			}
			resp.Body.Close()
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/signin/code" {
				errc <- fmt.Errorf("sign in as %s: %d to %q (want 303 to /signin/code)", u.Username, resp.StatusCode, loc)
				return
			}
			// The next step's code (accepted within one step of drift) is
			// never the enrolment's. A run started within the same step
			// as the last one on this data set finds it used (a code is
			// good once): it waits for the step to turn and tries again.
			for attempt := 0; ; attempt++ {
				code, err := demo.TOTPCode(u.TOTPSecret, time.Now().Add(30*time.Second))
				if err != nil {
					errc <- err
					return
				}
				resp, err = w.client.PostForm(base+"/signin/code", url.Values{"code": {code}})
				if err != nil {
					errc <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnprocessableEntity || attempt == 2 {
					break
				}
				time.Sleep(time.Until(time.Now().Truncate(30 * time.Second).Add(31 * time.Second)))
			}
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
				errc <- fmt.Errorf("code for %s: %d to %q (want 303 to /)", u.Username, resp.StatusCode, loc)
				return
			}
			sessions[i] = w
			errc <- nil
		}()
	}
	var err error
	for range n {
		err = errors.Join(err, <-errc)
	}
	if err != nil {
		return nil, err
	}
	out := make([]*worker, users)
	for i := range out {
		out[i] = sessions[i%n]
	}
	return out, ctx.Err()
}

// op is one kind of request; do returns an error for an unexpected answer.
type op struct {
	name   string
	weight int
	do     func(w *worker, r *rand.Rand) error
	// timed, instead of do, times only its own part of a longer errand
	// (the hold, not the search before it nor the release after);
	// skip means the errand could not be run this time and counts as
	// nothing.
	timed func(w *worker, r *rand.Rand) (d time.Duration, skip bool, err error)
}

func expect(resp *http.Response, err error, want int, what string) error {
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		title := ""
		if m := regexp.MustCompile(`<title>([^<]*)</title>`).FindSubmatch(body); m != nil {
			title = string(bytes.TrimSpace(m[1]))
		}
		return fmt.Errorf("%s: %d (want %d) %s", what, resp.StatusCode, want, title)
	}
	return nil
}

func casePage(bf *demo.BenchFile) func(w *worker, r *rand.Rand) error {
	return func(w *worker, r *rand.Rand) error {
		resp, err := w.client.Get(w.base + "/people/" + bf.HeavyClients[r.IntN(len(bf.HeavyClients))] + "/timeline")
		return expect(resp, err, 200, "case page")
	}
}

// mixedOps is the workload of a front door: case pages of clients with
// long timelines, people searches (the intake duplicate and perpetrator
// check), vacancy searches, contacts logged, risk checklists completed.
func mixedOps(bf *demo.BenchFile) []op {
	return []op{
		{name: "case_page", weight: 35, do: casePage(bf)},
		{name: "intake_match", weight: 25, do: func(w *worker, r *rand.Rand) error {
			resp, err := w.client.PostForm(w.base+"/people/search", url.Values{"q": {bf.SearchNames[r.IntN(len(bf.SearchNames))]}})
			return expect(resp, err, 200, "people search")
		}},
		{name: "vacancy_search", weight: 20, do: func(w *worker, r *rand.Rand) error {
			// For a client, as a worker searches: her unsafe areas are
			// left out, the service comes from her record, and the read is
			// audited.
			resp, err := w.client.PostForm(w.base+"/vacancies/search", url.Values{"adults": {"1"},
				"child_age": {strconv.Itoa(r.IntN(17)), strconv.Itoa(r.IntN(12)), "", "", "", ""}, "child_boy": {strconv.Itoa(r.IntN(2)), "0", "0", "0", "0", "0"},
				"client": {bf.Clients[r.IntN(len(bf.Clients))]}})
			return expect(resp, err, 200, "vacancy search")
		}},
		{name: "log_contact", weight: 15, do: func(w *worker, r *rand.Rand) error {
			resp, err := w.client.PostForm(w.base+"/contacts/new", url.Values{"channel": {"phone"}, "direction": {"in"}, "caller_type": {"victim"},
				"service_line": {"main"}, "outcome": {"advice_given"}, "client": {bf.Clients[r.IntN(len(bf.Clients))]},
				"note": {"Benchmark contact: options discussed, safe contact details checked."}})
			return expect(resp, err, http.StatusSeeOther, "log contact")
		}},
		{name: "hold_bedspace", weight: 5, timed: holdBedspace(bf)},
		{name: "risk_assessment", weight: 5, do: func(w *worker, r *rand.Rand) error {
			cid := bf.Clients[r.IntN(len(bf.Clients))]
			f := url.Values{"source": {"client"}, "police_callouts": {strconv.Itoa(r.IntN(3))}}
			for _, k := range riskKeys {
				a := "no"
				if r.IntN(4) == 0 {
					a = "yes"
				}
				f.Set("a_"+k, a)
			}
			resp, err := w.client.PostForm(w.base+"/people/"+cid+"/risk", f)
			return expect(resp, err, http.StatusSeeOther, "risk assessment")
		}},
	}
}

var (
	holdForm    = regexp.MustCompile(`action="/vacancies/units/([0-9a-f-]{36})/hold"`)
	referralURL = regexp.MustCompile(`^/refuge/referrals/([0-9a-f-]{36})$`)
)

// holdBedspace is a worker holding a bedspace for a client: a search for
// a woman on her own, a hold on one of the units found (timed: 303 to the
// referral, or 409 when another worker took it first or the client holds
// a space already, answers the worker may get), then, untimed, the client
// declining it, so the run does not fill the service's bedspaces. A
// client the hold refuses (422: her record says she is a man, or the
// unit does not fit what it says) counts as nothing.
func holdBedspace(bf *demo.BenchFile) func(w *worker, r *rand.Rand) (time.Duration, bool, error) {
	household := url.Values{"adults": {"1"}, "child_age": {"", "", "", "", "", ""}, "child_boy": {"0", "0", "0", "0", "0", "0"}, "service": {"women"}}
	return func(w *worker, r *rand.Rand) (time.Duration, bool, error) {
		resp, err := w.client.PostForm(w.base+"/vacancies/search", household)
		if err != nil {
			return 0, false, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, false, fmt.Errorf("search before a hold: %d", resp.StatusCode)
		}
		units := holdForm.FindAllSubmatch(body, -1)
		if len(units) == 0 {
			return 0, true, nil // nothing free for her just now
		}
		f := url.Values{"client": {bf.Clients[r.IntN(len(bf.Clients))]}}
		for k, v := range household {
			f[k] = v
		}
		t := time.Now()
		resp, err = w.client.PostForm(w.base+"/vacancies/units/"+string(units[r.IntN(len(units))][1])+"/hold", f)
		took := time.Since(t)
		if err != nil {
			return 0, false, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusConflict:
			return took, false, nil
		case http.StatusUnprocessableEntity:
			return 0, true, nil
		case http.StatusSeeOther:
		default:
			return 0, false, fmt.Errorf("hold: %d (want 303 or 409)", resp.StatusCode)
		}
		m := referralURL.FindStringSubmatch(resp.Header.Get("Location"))
		if m == nil {
			return 0, false, fmt.Errorf("hold: redirected to %q, not a referral", resp.Header.Get("Location"))
		}
		resp, err = w.client.PostForm(w.base+"/refuge/referrals/"+m[1]+"/decline", url.Values{"by": {"client"}, "reason": {"client_declined"}})
		if err := expect(resp, err, http.StatusSeeOther, "release the hold"); err != nil {
			return 0, false, err
		}
		return took, false, nil
	}
}

// drive runs ops on every worker for d, closed loop, and returns each
// op's latencies.
func drive(ctx context.Context, phase string, workers []*worker, ops []op, d time.Duration) []*OpStats {
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	type result struct {
		lat  [][]time.Duration
		errs []int
		msg  []string
	}
	results := make([]result, len(workers))
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			res := result{lat: make([][]time.Duration, len(ops)), errs: make([]int, len(ops)), msg: make([]string, len(ops))}
			for time.Now().Before(deadline) && ctx.Err() == nil {
				k, pick := 0, r.IntN(total)
				for pick >= ops[k].weight {
					pick -= ops[k].weight
					k++
				}
				t := time.Now()
				var took time.Duration
				var skip bool
				var err error
				if ops[k].timed != nil {
					took, skip, err = ops[k].timed(w, r)
				} else {
					err = ops[k].do(w, r)
					took = time.Since(t)
				}
				if err != nil {
					res.errs[k]++
					if res.msg[k] == "" {
						res.msg[k] = err.Error()
					}
					continue
				}
				if !skip {
					res.lat[k] = append(res.lat[k], took)
				}
			}
			results[i] = res
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var out []*OpStats
	for k, o := range ops {
		s := &OpStats{Phase: phase, Name: o.name, Elapsed: elapsed}
		for _, res := range results {
			s.Lat = append(s.Lat, res.lat[k]...)
			s.Errors += res.errs[k]
			if s.FirstError == "" {
				s.FirstError = res.msg[k]
			}
		}
		out = append(out, s)
	}
	return out
}
