package outreach_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor/internal/outreach"
)

// fakeSMTP is a one-connection SMTP server that keeps what it was sent.
type fakeSMTP struct {
	ln   net.Listener
	mu   sync.Mutex
	from string
	to   []string
	data string
}

func newFakeSMTP(t *testing.T) *fakeSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go f.serve()
	return f
}

func (f *fakeSMTP) serve() {
	c, err := f.ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	say := func(s string) { w.WriteString(s + "\r\n"); w.Flush() }
	say("220 fake ESMTP")
	inData := false
	var data strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if inData {
			if line == ".\r\n" {
				inData = false
				f.mu.Lock()
				f.data = data.String()
				f.mu.Unlock()
				say("250 queued")
				continue
			}
			data.WriteString(line)
			continue
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 fake")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			f.mu.Lock()
			f.from = strings.TrimSpace(line[len("MAIL FROM:"):])
			f.mu.Unlock()
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			f.mu.Lock()
			f.to = append(f.to, strings.TrimSpace(line[len("RCPT TO:"):]))
			f.mu.Unlock()
			say("250 ok")
		case cmd == "DATA":
			inData = true
			say("354 go on")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

// The email notice reaches every duty address, says what happened and
// where to sign in, and names no one.
func TestEmailChannel(t *testing.T) {
	f := newFakeSMTP(t)
	e := &outreach.Email{Addr: f.ln.Addr().String(), From: "frontdoor@example.org", To: []string{"duty@example.org", "lead@example.org"}}
	due := time.Date(2026, 12, 1, 14, 30, 0, 0, time.UTC)
	if err := e.Send(context.Background(), outreach.Notice{EscalationID: "e1", DueAt: due, Link: "https://fd.example/outreach/escalations"}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.from != "<frontdoor@example.org>" || strings.Join(f.to, ",") != "<duty@example.org>,<lead@example.org>" {
		t.Errorf("envelope from %q to %q", f.from, f.to)
	}
	for _, want := range []string{"Subject: Lone working: overdue check-in", "overdue since 1 Dec 14:30 UTC", "https://fd.example/outreach/escalations"} {
		if !strings.Contains(f.data, want) {
			t.Errorf("email lacks %q:\n%s", want, f.data)
		}
	}
	// A server that is not there is an error to retry, not a silent loss.
	dead := &outreach.Email{Addr: "127.0.0.1:1", From: "frontdoor@example.org", To: []string{"duty@example.org"}}
	if err := dead.Send(context.Background(), outreach.Notice{DueAt: due}); err == nil {
		t.Error("sending to a closed port succeeded")
	}
}

// A webhook that answers anything but 2xx is a failure to retry.
func TestWebhookFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTooManyRequests) }))
	defer srv.Close()
	err := (&outreach.Webhook{URL: srv.URL, Secret: "s"}).Send(context.Background(), outreach.Notice{DueAt: time.Now()})
	if err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("a 429 answer: %v", err)
	}
}
