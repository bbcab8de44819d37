package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/intake"
	"frontdoor/internal/refuge"
	"frontdoor/internal/risk"
)

func TestServiceSettings(t *testing.T) {
	levels := []string{"high", "medium", "standard", "not_known"}
	got, err := levelDurations("first-contact-target", " high=12h , medium=48h,not_known=6h", levels)
	if err != nil || got["high"] != 12*time.Hour || got["medium"] != 48*time.Hour || got["not_known"] != 6*time.Hour || len(got) != 3 {
		t.Fatalf("parsed %v, %v", got, err)
	}
	for v, want := range map[string]string{
		"urgent=3h":          `"urgent" is not a risk level`,
		"high=24h,high=12h":  "high is given twice",
		"high":               "is not level=duration",
		"high=0s":            "is not a duration",
		"high=-1h":           "is not a duration",
		"high=9000h":         "is not a duration",
		"high=a day":         "is not a duration",
		"medium=24h,x=1h,,,": `"x" is not a risk level`,
	} {
		if _, err := levelDurations("first-contact-target", v, levels); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--first-contact-target") {
			t.Errorf("%q: %v, want an error naming the flag and saying %q", v, err, want)
		}
	}

	// Applied, the services use them; levels not given keep their defaults.
	fc, ra, calls, months, hold, perHour := "high=6h", "medium=240h", 5, 6, 72*time.Hour, 8
	c := capabilities{intake: &intake.Service{}, risk: &risk.Service{}, refuge: &refuge.Service{}}
	if err := (serviceSettings{&fc, &ra, &calls, &months, &hold, &perHour}).apply(c); err != nil {
		t.Fatal(err)
	}
	if c.intake.Target(intake.RiskHigh) != 6*time.Hour || c.intake.Target(intake.RiskMedium) != intake.DefaultFirstContactTarget[intake.RiskMedium] {
		t.Errorf("first-contact targets: high %v, medium %v", c.intake.Target(intake.RiskHigh), c.intake.Target(intake.RiskMedium))
	}
	if c.risk.ReviewAfter[risk.Medium] != 240*time.Hour || c.risk.EscalationCallouts != 5 || c.risk.EscalationMonths != 6 {
		t.Errorf("risk settings: %+v", c.risk)
	}
	if c.refuge.HoldFor != 72*time.Hour || c.refuge.HoldsPerHour != 8 {
		t.Errorf("refuge hold: %v, %d per hour", c.refuge.HoldFor, c.refuge.HoldsPerHour)
	}
	bad := 0
	if err := (serviceSettings{&fc, &ra, &bad, &months, &hold, &perHour}).apply(c); err == nil || !strings.Contains(err.Error(), "--escalation-callouts") {
		t.Errorf("zero call-outs: %v", err)
	}
	for _, h := range []time.Duration{0, -time.Hour, 59 * time.Minute, 15 * 24 * time.Hour} {
		if err := (serviceSettings{&fc, &ra, &calls, &months, &h, &perHour}).apply(c); err == nil || !strings.Contains(err.Error(), "--refuge-hold") {
			t.Errorf("refuge hold %v: %v", h, err)
		}
	}
	for _, n := range []int{0, -1, 10001} {
		if err := (serviceSettings{&fc, &ra, &calls, &months, &hold, &n}).apply(c); err == nil || !strings.Contains(err.Error(), "--refuge-holds-per-hour") {
			t.Errorf("refuge holds per hour %d: %v", n, err)
		}
	}
	// Checked before anything is opened, without a refuge service.
	if err := (serviceSettings{&fc, &ra, &calls, &months, &hold, &perHour}).apply(capabilities{intake: &intake.Service{}, risk: &risk.Service{}}); err != nil {
		t.Errorf("settings checked without services: %v", err)
	}
}

type fakeSweeper struct {
	calls chan struct{}
	fail  bool
}

func (f *fakeSweeper) ReleaseExpired(ctx context.Context) (int, error) {
	select {
	case f.calls <- struct{}{}:
	default:
	}
	if f.fail {
		return 0, errors.New("database is locked")
	}
	return 2, nil
}

// The sweep runs every interval, keeps going after an error, logs counts
// only, and stops when its context ends.
func TestSweepRefugeHolds(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	f := &fakeSweeper{calls: make(chan struct{}, 10), fail: true}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sweepRefugeHolds(ctx, f, time.Millisecond, logger)
	}()
	<-f.calls
	<-f.calls
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the sweep did not stop with its context")
	}
	if !strings.Contains(logs.String(), "refuge hold sweep failed") {
		t.Errorf("logs: %s", logs.String())
	}
}
