package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/intake"
	"frontdoor/internal/refuge"
	"frontdoor/internal/risk"
)

// serviceSettings are the service's own targets and thresholds: every
// node of a deployment must be given the same.
type serviceSettings struct {
	firstContact       *string
	reviewAfter        *string
	escalationCallouts *int
	escalationMonths   *int
	refugeHold         *time.Duration
	refugeHoldsPerHour *int
}

func addServiceSettings(f *flagSet) serviceSettings {
	return serviceSettings{
		firstContact: f.String("first-contact-target", "high=24h,medium=72h,standard=120h,not_known=24h",
			"how soon after a referral arrives the client should first be contacted, by initial risk `level=duration` (the triage queue flags referrals past it)"),
		reviewAfter: f.String("review-after", "high=720h,medium=1440h,standard=2160h",
			"re-assessment interval by risk `level=duration`; overdue reviews appear on workers' home pages"),
		escalationCallouts: f.Int("escalation-callouts", 3, "police call-outs within the escalation window from which a MARAC referral is suggested below high risk"),
		escalationMonths:   f.Int("escalation-months", 12, "the escalation window in `months`"),
		refugeHold: f.Duration("refuge-hold", refuge.DefaultHoldFor,
			"how long a vacancy is held for a referral (and kept after an offer or acceptance) before it is released automatically"),
		refugeHoldsPerHour: f.Int("refuge-holds-per-hour", refuge.DefaultHoldsPerHour,
			"how many vacancies one member of staff may hold in any rolling hour (pages and staff API tokens alike)"),
	}
}

// levelDurations parses "high=24h,medium=72h": each level at most once,
// each a known level, each duration positive and at most a year.
func levelDurations(flag, v string, levels []string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		level, d, ok := strings.Cut(part, "=")
		level = strings.TrimSpace(level)
		if !ok {
			return nil, usageError{fmt.Sprintf("--%s: %q is not level=duration (for example high=24h)", flag, part)}
		}
		if !slices.Contains(levels, level) {
			return nil, usageError{fmt.Sprintf("--%s: %q is not a risk level (%s)", flag, level, strings.Join(levels, ", "))}
		}
		if _, dup := out[level]; dup {
			return nil, usageError{fmt.Sprintf("--%s: %s is given twice", flag, level)}
		}
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur <= 0 || dur > 366*24*time.Hour {
			return nil, usageError{fmt.Sprintf("--%s: %s=%s is not a duration between 1s and 8784h (for example 24h)", flag, level, strings.TrimSpace(d))}
		}
		out[level] = dur
	}
	return out, nil
}

// apply checks the settings and puts them into the services.
func (ss serviceSettings) apply(c capabilities) error {
	var levels []string
	for _, l := range intake.RiskLevels {
		levels = append(levels, string(l))
	}
	fc, err := levelDurations("first-contact-target", *ss.firstContact, levels)
	if err != nil {
		return err
	}
	ra, err := levelDurations("review-after", *ss.reviewAfter, []string{string(risk.High), string(risk.Medium), string(risk.Standard)})
	if err != nil {
		return err
	}
	if *ss.escalationCallouts < 1 || *ss.escalationCallouts > 100 {
		return usageError{"--escalation-callouts must be between 1 and 100"}
	}
	if *ss.escalationMonths < 1 || *ss.escalationMonths > 60 {
		return usageError{"--escalation-months must be between 1 and 60"}
	}
	c.intake.FirstContactTarget = map[intake.RiskLevel]time.Duration{}
	for l, d := range fc {
		c.intake.FirstContactTarget[intake.RiskLevel(l)] = d
	}
	c.risk.ReviewAfter = map[risk.Level]time.Duration{}
	for l, d := range ra {
		c.risk.ReviewAfter[risk.Level(l)] = d
	}
	if *ss.refugeHold < time.Hour || *ss.refugeHold > 14*24*time.Hour {
		return usageError{"--refuge-hold must be between 1h and 336h (14 days)"}
	}
	if *ss.refugeHoldsPerHour < 1 || *ss.refugeHoldsPerHour > 10000 {
		return usageError{"--refuge-holds-per-hour must be between 1 and 10000"}
	}
	c.risk.EscalationCallouts, c.risk.EscalationMonths = *ss.escalationCallouts, *ss.escalationMonths
	if c.refuge != nil {
		c.refuge.HoldFor, c.refuge.HoldsPerHour = *ss.refugeHold, *ss.refugeHoldsPerHour
	}
	return nil
}
