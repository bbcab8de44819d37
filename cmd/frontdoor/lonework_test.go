package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"frontdoor/internal/outreach"
)

func loneFlags(t *testing.T, args ...string) loneWorkingSettings {
	t.Helper()
	f := newFlagSet("serve", "", io.Discard)
	ls := addLoneWorkingSettings(f)
	if err := f.fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestLoneWorkingSettings(t *testing.T) {
	svc := &outreach.Service{}
	if err := loneFlags(t).apply(svc, "https://fd.example"); err != nil || len(svc.Channels) != 0 || svc.CheckInGrace != outreach.DefaultCheckInGrace || svc.BaseURL != "https://fd.example" {
		t.Fatalf("defaults: %v %+v", err, svc)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--checkin-grace", "10s"}, "--checkin-grace"},
		{[]string{"--lone-working-webhook", "http://sms.example/hook", "--lone-working-webhook-secret", "s"}, "https://"},
		{[]string{"--lone-working-webhook", "https://sms.example/hook"}, "secret"},
		{[]string{"--lone-working-email", "duty@example.org"}, "--smtp-addr"},
		{[]string{"--reminder-sms-gateway", "http://sms.example/send", "--reminder-sms-secret", "s"}, "https://"},
		{[]string{"--reminder-sms-gateway", "https://sms.example/send"}, "--reminder-sms-secret"},
		{[]string{"--lone-working-email", "not an address", "--smtp-addr", "mail:25", "--smtp-from", "fd@example.org"}, "--lone-working-email"},
	} {
		err := loneFlags(t, tc.args...).apply(&outreach.Service{}, "")
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a usage error saying %q", tc.args, err, tc.want)
		}
	}
	svc = &outreach.Service{}
	err := loneFlags(t, "--checkin-grace", "20m", "--lone-working-webhook", "https://sms.example/hook", "--lone-working-webhook-secret", "s3cret",
		"--lone-working-email", "Duty <duty@example.org>, lead@example.org", "--smtp-addr", "mail.example.org:587", "--smtp-from", "frontdoor@example.org").apply(svc, "")
	if err != nil || len(svc.Channels) != 2 || svc.CheckInGrace != 20*time.Minute {
		t.Fatalf("both channels: %v %+v", err, svc)
	}
	if e, ok := svc.Channels[1].(*outreach.Email); !ok || strings.Join(e.To, ",") != "duty@example.org,lead@example.org" {
		t.Errorf("email channel %+v", svc.Channels[1])
	}
	svc = &outreach.Service{}
	if err := loneFlags(t, "--reminder-sms-gateway", "https://sms.example/send", "--reminder-sms-secret", "s").apply(svc, ""); err != nil || svc.Texts == nil {
		t.Fatalf("reminder gateway: %v %+v", err, svc)
	}
}

type fakeLoneWorker struct {
	escalations, deliveries, reminders atomic.Int32
	fail                               bool
}

func (f *fakeLoneWorker) Escalate(context.Context) (int, error) {
	f.escalations.Add(1)
	if f.fail {
		return 0, errors.New("database busy")
	}
	return 1, nil
}

func (f *fakeLoneWorker) Deliver(context.Context) (int, error) {
	f.deliveries.Add(1)
	return 1, nil
}

func (f *fakeLoneWorker) SendReminders(context.Context) (int, error) {
	f.reminders.Add(1)
	return 1, nil
}

// ran says whether each of the three jobs has run at least n times; they run
// in their own loops, so one may lag the others.
func (f *fakeLoneWorker) ran(n int32) bool {
	return f.escalations.Load() >= n && f.deliveries.Load() >= n && f.reminders.Load() >= n
}

// The watcher escalates, delivers and sends reminders every interval, each in
// its own loop, keeps going after a failure, logs counts only and stops with
// its context.
func TestWatchLoneWorking(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	f := &fakeLoneWorker{fail: true}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchLoneWorking(ctx, f, time.Millisecond, logger)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !f.ran(3) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the watcher did not stop with its context")
	}
	if !f.ran(3) {
		t.Fatalf("%d escalation runs, %d deliveries, %d reminder runs", f.escalations.Load(), f.deliveries.Load(), f.reminders.Load())
	}
	if !strings.Contains(logs.String(), "lone working escalation failed") || !strings.Contains(logs.String(), "lone working notices sent") || !strings.Contains(logs.String(), "appointment reminders sent") {
		t.Errorf("logs: %s", logs.String())
	}
}
