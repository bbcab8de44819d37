package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"frontdoor/internal/api"
	"frontdoor/internal/audit"
	"frontdoor/internal/i18n"
	"frontdoor/internal/intake"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
	"frontdoor/internal/web"
)

type serveFlags struct {
	db              dbFlags
	keys            keyFlags
	listen          *string
	baseURL         *string
	tlsCert         *string
	tlsKey          *string
	behindProxy     *bool
	demo            *bool
	demoSeed        *int64
	logFormat       *string
	logLevel        *string
	shutdownTimeout *time.Duration
	sessionIdle     *time.Duration
	sessionMax      *time.Duration
	settings        serviceSettings
	loneWorking     loneWorkingSettings
	cpuProfile      *string
	memoryLimit     *string
}

func addServeFlags(f *flagSet) serveFlags {
	return serveFlags{
		db:              addDBFlags(f),
		keys:            addKeyFlags(f),
		listen:          f.String("listen", "127.0.0.1:8080", "`address` to listen on; a non-loopback address needs --tls-cert and --tls-key, or --behind-proxy"),
		baseURL:         f.String("base-url", "", "public `url` people use to reach frontdoor, for links it prints (default: from --listen)"),
		tlsCert:         f.String("tls-cert", "", "TLS certificate `file` (PEM); serve HTTPS directly"),
		tlsKey:          f.String("tls-key", "", "TLS private key `file` (PEM)"),
		behindProxy:     f.Bool("behind-proxy", false, "a TLS-terminating proxy is in front: allow a non-loopback --listen without --tls-cert and mark cookies Secure"),
		demo:            f.Bool("demo", false, "fill an empty instance with a fictional service to try frontdoor out"),
		demoSeed:        f.Int64("demo-seed", 1, "`seed` of the fictional service; the same seed makes the same service"),
		logFormat:       f.String("log-format", "text", "log `format`: text or json (logs never hold personal data)"),
		logLevel:        f.String("log-level", "info", "log `level`: debug, info, warn or error"),
		shutdownTimeout: f.Duration("shutdown-timeout", 30*time.Second, "how long to let requests in flight finish on SIGTERM or SIGINT"),
		sessionIdle:     f.Duration("session-idle", 30*time.Minute, "sign a person out after this long without using frontdoor"),
		sessionMax:      f.Duration("session-max", 12*time.Hour, "sign a person out this long after they signed in, however active"),
		settings:        addServiceSettings(f),
		loneWorking:     addLoneWorkingSettings(f),
		memoryLimit:     f.String("memory-limit", defaultMemoryLimit, "soft `limit` on the server's memory (for example 128MiB or 1GiB; off for none): above it the collector works harder instead of the process growing. GOMEMLIMIT, when set, wins"),
		cpuProfile:      f.String("cpu-profile", "", "write a CPU profile of this run to `file` when serve stops (for diagnosing performance; go tool pprof reads it)"),
	}
}

// isLoopback reports whether a listen address only accepts connections
// from this machine. An empty host means every interface.
func isLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("--listen %q is not host:port (for example 127.0.0.1:8080)", addr)
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("serve: --log-level %q is not debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("serve: --log-format %q is not text or json", format)}
}

func runServe(ctx context.Context, args []string, out, errOut io.Writer) error {
	f := newFlagSet("serve", "Run the frontdoor web application. Applies pending migrations at start (under a lock, so several nodes can start together).", out)
	sf := addServeFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	logger, err := newLogger(errOut, *sf.logFormat, *sf.logLevel)
	if err != nil {
		return err
	}
	if err := applyMemoryLimit(*sf.memoryLimit); err != nil {
		return err
	}
	if *sf.cpuProfile != "" {
		stop, err := startCPUProfile(*sf.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	// The service's targets are checked before anything is opened.
	if err := sf.settings.apply(capabilities{intake: &intake.Service{}, risk: &risk.Service{}}); err != nil {
		return err
	}
	cat := i18n.MustLoad()
	msg := cat.Printer(i18n.Default)

	// Everything that can be checked without side effects is checked
	// first, so that a mistake stops start-up with nothing created.
	loopback, err := isLoopback(*sf.listen)
	if err != nil {
		return usageError{"serve: " + err.Error()}
	}
	if (*sf.tlsCert == "") != (*sf.tlsKey == "") {
		return usageError{"serve: --tls-cert and --tls-key go together; give both or neither"}
	}
	useTLS := *sf.tlsCert != ""
	if !loopback && !useTLS && !*sf.behindProxy {
		return usageError{fmt.Sprintf("serve: refusing to listen on %s without TLS: personal data would cross the network in clear. Give --tls-cert and --tls-key, or --behind-proxy if a TLS proxy is in front, or listen on 127.0.0.1", *sf.listen)}
	}
	var tlsConfig *tls.Config
	if useTLS {
		cert, err := tls.LoadX509KeyPair(*sf.tlsCert, *sf.tlsKey)
		if err != nil {
			return fmt.Errorf("cannot load the TLS certificate and key: %v", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if *sf.db.databaseURL == "" {
		if _, err := store.CheckDataDir(*sf.db.data); err != nil {
			return err
		}
	} else if _, err := vault.LoadMasterKey(sf.keys.source(sf.db, false)); err != nil {
		// Without the key nothing personal can be read or written: say so
		// before touching the database.
		return err
	}
	ln, err := net.Listen("tcp", *sf.listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %v; is another program using the port? choose another with --listen", *sf.listen, errors.Unwrap(err))
	}
	defer ln.Close()

	db, _, err := openMigrated(ctx, sf.db, &sf.keys, true)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := audit.CheckGuards(ctx, db); err != nil {
		return err
	}

	// SQLite keeps its key in the data dir and makes it on first start;
	// PostgreSQL nodes share a key the operator provides.
	v, err := openVault(ctx, db, sf.keys, sf.db, *sf.db.databaseURL == "", func(m string) { logger.Info("vault: " + m) })
	if err != nil {
		return err
	}
	accounts := newAccounts(db, v)
	accounts.IdleTimeout, accounts.AbsoluteTimeout = *sf.sessionIdle, *sf.sessionMax
	rec := recorder(v)
	caps := newCapabilities(db, v, rec, time.Now)
	if err := sf.settings.apply(caps); err != nil {
		return err
	}
	// Audited reads share commits. Closed last (deferred before the
	// server's shutdown returns), so reads in flight are recorded.
	reads := audit.NewBatcher(db, v.AuditKey(), audit.BatcherOptions{})
	defer reads.Close()
	readLog := audit.NewReadLog(reads, requestID)
	caps.logReadsBy(readLog)
	grants, clients, matches, risks, inbound := caps.grants, caps.people, caps.matches, caps.risk, caps.intake
	partnerAPI, err := api.New(api.Options{DB: db, Auth: accounts, Intake: inbound, Refuge: caps.refuge, Outreach: caps.outreach, Catalogue: cat, Logger: logger,
		Record: rec, ReadLog: readLog})
	if err != nil {
		return err
	}
	srv, err := web.New(web.Options{DB: db, Auth: accounts, Grants: grants, People: clients, Risk: risks, Intake: inbound, Refuge: caps.refuge, Outreach: caps.outreach, Matches: matches, Record: rec, ReadLog: readLog, Review: caps.review(accounts, readLog), Catalogue: cat, Logger: logger, Secure: useTLS || *sf.behindProxy,
		BehindProxy: *sf.behindProxy, BaseURL: strings.TrimRight(*sf.baseURL, "/"), API: partnerAPI.Handler()})
	if err != nil {
		return err
	}

	base := strings.TrimRight(*sf.baseURL, "/")
	if base == "" {
		scheme := "http"
		if useTLS {
			scheme = "https"
		}
		base = scheme + "://" + ln.Addr().String()
	}
	if err := sf.loneWorking.apply(caps.outreach, base); err != nil {
		return err
	}

	// What to tell the operator once serving: the demo's or the first
	// administrator's one-time link, while no administrator can sign in.
	var notices strings.Builder
	if *sf.demo {
		if err := startDemo(ctx, db, v, accounts, *sf.demoSeed, 1, base, &notices, msg); err != nil {
			return err
		}
	}
	need, err := accounts.NeedsFirstAdministrator(ctx)
	if err != nil {
		return err
	}
	if need && !*sf.demo {
		token, err := accounts.IssueSetupLink(ctx, "")
		if err != nil {
			return err
		}
		fmt.Fprintln(&notices, msg.T("cli.first_admin_link", base+"/setup/"+token))
	}

	hs := &http.Server{
		Handler:           srv.Handler(),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// Holds past their time are released by every query that looks at a
	// unit; the sweep also marks their referrals expired for the turnaway
	// figures.
	sweepCtx, stopSweep := context.WithCancel(ctx)
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		sweepRefugeHolds(sweepCtx, caps.refuge, time.Minute, logger)
	}()
	// Overdue home-visit check-ins are escalated to the duty managers
	// within half a minute of falling due.
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		watchLoneWorking(sweepCtx, caps.outreach, 30*time.Second, logger)
	}()
	defer func() {
		stopSweep()
		<-sweepDone
		<-watchDone
	}()
	errc := make(chan error, 1)
	go func() {
		if useTLS {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	fmt.Fprintln(out, msg.T("cli.serving", base))
	fmt.Fprint(out, notices.String())
	logger.Info("serving", "address", ln.Addr().String(), "database", string(db.Dialect()), "tls", useTLS, "behind_proxy", *sf.behindProxy)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Stop accepting, let requests in flight finish (each commits or
	// rolls back its own transaction), then close the database.
	fmt.Fprintln(out, msg.T("cli.stopping"))
	stopSweep()
	sctx, cancel := context.WithTimeout(context.Background(), *sf.shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		logger.Warn("shutdown did not finish in time", "err", err)
	}
	logger.Info("stopped")
	return nil
}

// holdSweeper is the refuge service's background sweep.
type holdSweeper interface {
	ReleaseExpired(ctx context.Context) (int, error)
}

// sweepRefugeHolds releases expired refuge holds every interval until ctx
// ends. Several nodes may sweep at once: each sweep is one transaction of
// idempotent updates, and a referral already marked expired is not
// counted again. It logs counts only, never who or where.
func sweepRefugeHolds(ctx context.Context, s holdSweeper, every time.Duration, logger *slog.Logger) {
	repeat(ctx, every, func() {
		n, err := s.ReleaseExpired(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
		case err != nil:
			logger.Warn("refuge hold sweep failed; retrying next interval", "err", err)
		case n > 0:
			logger.Info("refuge holds released", "expired", n)
		}
	})
}

// repeat runs job every interval until ctx ends: the loop of each
// background job (a failed run is logged by the job and tried again).
func repeat(ctx context.Context, every time.Duration, job func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		job()
	}
}

// startCPUProfile profiles the process into path until the returned
// function is called. A profile holds function names and counts, never
// data.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpu-profile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpu-profile: %v", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// defaultMemoryLimit keeps a node's resident memory near what the
// service needs: sign-in's password hashing takes 46 MiB at a time, and
// without a limit the collector let the heap (and so the process) grow to
// twice the peak before collecting.
const defaultMemoryLimit = "128MiB"

// applyMemoryLimit sets the runtime's soft memory limit from --memory-limit,
// unless GOMEMLIMIT is set (the runtime has applied it already).
func applyMemoryLimit(v string) error {
	if os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	n, err := parseBytes(v)
	if err != nil {
		return usageError{"serve: --memory-limit " + err.Error()}
	}
	if n > 0 {
		debug.SetMemoryLimit(n)
	}
	return nil
}

// parseBytes reads a size as 160MiB, 1GiB, 512KiB or a number of bytes;
// "off" or 0 is no limit.
func parseBytes(v string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "off" || v == "0" {
		return 0, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSuffix(v, u.suffix), u.m
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q: give a size such as 160MiB or 1GiB, or off", v)
	}
	if n*mult < 32<<20 {
		return 0, fmt.Errorf("%q: below 32MiB the server could not sign anyone in (a password check takes 46MiB)", v)
	}
	return n * mult, nil
}
