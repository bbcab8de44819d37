// Package testserve builds the real frontdoor binary once per test process
// and starts it as a child process on a random loopback port, the way an
// operator would, so tests see exactly what a user sees: its output, its
// exit code, its HTTP answers.
package testserve

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary returns the path of a frontdoor binary built from this checkout.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "frontdoor-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "frontdoor")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/frontdoor")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Result is a finished command.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// Run runs frontdoor with args to completion, with env added to a clean
// environment (no FRONTDOOR_* from the developer's shell).
func Run(t testing.TB, env []string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary(t), args...)
	cmd.Env = append(cleanEnv(), env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run frontdoor %v: %v", args, err)
	}
	return Result{Code: code, Stdout: out.String(), Stderr: errOut.String()}
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FRONTDOOR_") {
			env = append(env, kv)
		}
	}
	return env
}

// Server is a running 'frontdoor serve'.
type Server struct {
	URL       string
	forbidden []string
	cmd       *exec.Cmd
	mu        sync.Mutex
	out       []string
	errs      strings.Builder
	done      chan struct{}
	err       error
}

var (
	servingLine = regexp.MustCompile(`frontdoor is serving at (\S+)`)
	linkLine    = regexp.MustCompile(`(https?://\S+/setup/[A-Za-z0-9_-]+)`)
)

// startWithin is how long a server may take to say where it serves: a
// hang detector, not a performance bar. 'serve --demo' starts in 5-8 s on
// a quiet 2-core machine, but in CI beside the other suites, under -race
// and with a disk busy with fsyncs, it once took over a minute.
const startWithin = 3 * time.Minute

// Start runs 'frontdoor serve --listen 127.0.0.1:0' with the extra args and
// waits until it says where it serves. It is stopped with SIGTERM when the
// test ends.
func Start(t testing.TB, env []string, args ...string) *Server {
	t.Helper()
	all := append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)
	s := &Server{cmd: exec.Command(Binary(t), all...), done: make(chan struct{})}
	s.cmd.Env = append(cleanEnv(), env...)
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = &lockedWriter{mu: &s.mu, w: &s.errs}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.out = append(s.out, line)
			s.mu.Unlock()
			if m := servingLine.FindStringSubmatch(line); m != nil {
				ready <- m[1]
			}
		}
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.Stop(t)
		// Logs never carry personal data: whatever a test typed or was
		// given as a secret must not be in the server's log.
		logs := s.Stderr()
		for _, v := range s.forbidden {
			if strings.Contains(logs, v) {
				t.Errorf("the server's log contains %q, a value the test marked personal or secret", v)
			}
		}
	})
	select {
	case u := <-ready:
		s.URL = u
	case <-s.done:
		t.Fatalf("frontdoor serve exited before serving: %v\nstdout:\n%s\nstderr:\n%s", s.err, s.Stdout(), s.Stderr())
	case <-time.After(startWithin):
		t.Fatalf("frontdoor serve did not start within %v\nstdout:\n%s\nstderr:\n%s", startWithin, s.Stdout(), s.Stderr())
	}
	return s
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Personal marks values (names typed, passwords, codes, secrets) that
// must never appear in the server's log; checked when the test ends.
func (s *Server) Personal(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if v != "" {
			s.forbidden = append(s.forbidden, v)
		}
	}
}

// Stdout is everything the server printed so far.
func (s *Server) Stdout() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.out, "\n")
}

// Stderr is the server's log so far.
func (s *Server) Stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errs.String()
}

// SetupLink returns the one-time link the server printed (it follows the
// "serving at" line, so wait a little for it), or fails.
func (s *Server) SetupLink(t testing.TB) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := linkLine.FindStringSubmatch(s.Stdout()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("frontdoor printed no one-time link:\n%s", s.Stdout())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitOutput waits until the server has printed text, or fails.
func (s *Server) WaitOutput(t testing.TB, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.Stdout(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("frontdoor did not print %q:\n%s", text, s.Stdout())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop sends SIGTERM and waits for a clean exit.
func (s *Server) Stop(t testing.TB) error {
	select {
	case <-s.done:
		return s.err
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		t.Errorf("frontdoor serve did not stop within 30 s of SIGTERM")
	}
	return s.err
}

// Done is closed when the process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Get fetches a path from the server.
func (s *Server) Get(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
