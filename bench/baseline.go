package main

// The bare baseline: a minimal net/http + html/template server that does
// one primary-key lookup per request on the same engine, with rows the
// size of a sealed client row (its names and details document), as many
// rows as the data set has clients.
//
// It runs as a separate process (this same executable, re-run with
// BENCH_BASELINE set), not as a second listener in the harness: in the
// harness it would share the load generator's CPU time, garbage collector
// and scheduler, and its memory could not be told apart; as its own
// process it stands exactly where `frontdoor serve` stands, so the ratio
// compares the two servers and nothing else.

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, as internal/store uses

	"frontdoor/internal/risk"
)

const baselineEnv = "BENCH_BASELINE" // engine; with BENCH_BASELINE_DATA, BENCH_BASELINE_DSN

// riskKeys are the default checklist's items, for the risk form.
var riskKeys = func() []string {
	var ks []string
	for _, it := range risk.DefaultSet().Items {
		ks = append(ks, it.Key)
	}
	return ks
}()

// sqliteDSN has internal/store's pragmas (WAL, synchronous FULL, busy
// timeout), so the baseline's SQLite is configured as frontdoor's is.
func sqliteDSN(path string, readOnly bool) string {
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_time_format=sqlite"
	if readOnly {
		return dsn + "&_pragma=query_only(1)"
	}
	return dsn + "&_txlock=immediate"
}

var baselinePage = template.Must(template.New("row").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Row {{.ID}}</title></head>
<body><main><h1>Row {{.ID}}</h1><pre>{{.Payload}}</pre></main></body></html>
`))

func baselineID(n int) string { return fmt.Sprintf("b%035d", n) }

// baselineMain prepares the baseline table (once) and serves it.
func baselineMain() error {
	ctx := context.Background()
	engine, data, dsn := os.Getenv(baselineEnv), os.Getenv("BENCH_BASELINE_DATA"), os.Getenv("BENCH_BASELINE_DSN")
	var write, read *sql.DB
	var err error
	ph := func(i int) string { return "$" + strconv.Itoa(i) }
	switch engine {
	case "sqlite":
		// The frontdoor database is only read, for the row size; the
		// baseline's table is a database file of its own beside it.
		app, err := sql.Open("sqlite", sqliteDSN(filepath.Join(data, "frontdoor.db"), true))
		if err != nil {
			return err
		}
		defer app.Close()
		read = app
		path := filepath.Join(data, "bench-baseline.db")
		if write, err = sql.Open("sqlite", sqliteDSN(path, false)); err != nil {
			return err
		}
		write.SetMaxOpenConns(1)
		size, rows, err := rowShape(ctx, app)
		if err != nil {
			return err
		}
		if err := fill(ctx, write, size, rows, ph); err != nil {
			return err
		}
		if read, err = sql.Open("sqlite", sqliteDSN(path, true)); err != nil {
			return err
		}
		read.SetMaxOpenConns(max(4, runtime.NumCPU()))
	case "postgres":
		if write, err = sql.Open("pgx", dsn); err != nil {
			return err
		}
		size, rows, err := rowShape(ctx, write)
		if err != nil {
			return err
		}
		if err := fill(ctx, write, size, rows, ph); err != nil {
			return err
		}
		read = write
	default:
		return fmt.Errorf("unknown engine %q", engine)
	}
	var rows int
	if err := read.QueryRowContext(ctx, `SELECT count(*) FROM bench_baseline`).Scan(&rows); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /row/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.PathValue("n"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		var p struct{ ID, Payload string }
		p.ID = baselineID(n)
		err = read.QueryRowContext(r.Context(), `SELECT payload FROM bench_baseline WHERE id = `+ph(1), p.ID).Scan(&p.Payload)
		if errors.Is(err, sql.ErrNoRows) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, "database error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		baselinePage.Execute(w, p)
	})
	fmt.Printf("baseline serving at http://%s rows %d\n", ln.Addr(), rows)
	return http.Serve(ln, mux)
}

// rowShape is the average size of a sealed client row (names and details)
// and the number of clients.
func rowShape(ctx context.Context, db *sql.DB) (size, rows int, err error) {
	var avg float64
	err = db.QueryRowContext(ctx, `SELECT COALESCE(avg(length(given_name_sealed) + length(family_name_sealed) + length(details_sealed)), 0), count(*) FROM clients`).Scan(&avg, &rows)
	return max(int(avg), 64), max(rows, 1), err
}

// fill makes the baseline table with rows rows of size characters, unless
// it is there already.
func fill(ctx context.Context, db *sql.DB, size, rows int, ph func(int) string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_baseline (id TEXT PRIMARY KEY, payload TEXT NOT NULL)`); err != nil {
		return err
	}
	var have int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM bench_baseline`).Scan(&have); err != nil {
		return err
	}
	if have == rows {
		return nil
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM bench_baseline`); err != nil {
		return err
	}
	// 100 rows a statement (SQLite parses statements with thousands of
	// named parameters slowly), 5,000 a transaction.
	raw := make([]byte, size)
	for start := 0; start < rows; start += 5000 {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for from := start; from < min(rows, start+5000); from += 100 {
			var q strings.Builder
			q.WriteString(`INSERT INTO bench_baseline (id, payload) VALUES `)
			var args []any
			for n := from; n < min(rows, from+100); n++ {
				if n > from {
					q.WriteString(", ")
				}
				fmt.Fprintf(&q, "(%s, %s)", ph(len(args)+1), ph(len(args)+2))
				crand.Read(raw)
				args = append(args, baselineID(n), base64.RawStdEncoding.EncodeToString(raw)[:size])
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

type baselineProc struct {
	cmd  *exec.Cmd
	url  string
	rows int
	done chan struct{}
}

var baselineLine = regexp.MustCompile(`baseline serving at (\S+) rows (\d+)`)

// startBaseline re-runs this executable as the baseline server.
func startBaseline(ctx context.Context, engine, data, dsn string) (*baselineProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p := &baselineProc{done: make(chan struct{})}
	p.cmd = exec.Command(self)
	p.cmd.Env = append(os.Environ(), baselineEnv+"="+engine, "BENCH_BASELINE_DATA="+data, "BENCH_BASELINE_DSN="+dsn)
	log := &ring{}
	p.cmd.Stderr = log
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := baselineLine.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m
			}
		}
		p.cmd.Wait()
		close(p.done)
	}()
	select {
	case m := <-ready:
		p.url = m[1]
		p.rows, _ = strconv.Atoi(m[2])
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("baseline exited: %s", log.tail())
	case <-time.After(5 * time.Minute):
		p.stop()
		return nil, errors.New("baseline not serving after 5 minutes")
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
}

func (p *baselineProc) stop() {
	p.cmd.Process.Kill()
	<-p.done
}

func baselineLookup(rows int) func(w *worker, r *rand.Rand) error {
	return func(w *worker, r *rand.Rand) error {
		resp, err := w.client.Get(w.base + "/row/" + strconv.Itoa(r.IntN(rows)))
		return expect(resp, err, 200, "baseline row")
	}
}
