package main

import (
	"context"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"time"

	"frontdoor/internal/outreach"
)

// loneWorkingSettings say how overdue home-visit check-ins reach the duty
// managers besides their screens: a webhook (an SMS gateway) and email.
// Secrets are best given in the environment (FRONTDOOR_LONE_WORKING_
// WEBHOOK_SECRET, FRONTDOOR_SMTP_PASSWORD), where ps does not show them.
type loneWorkingSettings struct {
	grace         *time.Duration
	webhook       *string
	webhookSecret *string
	emailTo       *string
	smtpAddr      *string
	smtpFrom      *string
	smtpUser      *string
	smtpPassword  *string
	smsGateway    *string
	smsSecret     *string
}

func addLoneWorkingSettings(f *flagSet) loneWorkingSettings {
	return loneWorkingSettings{
		grace: f.Duration("checkin-grace", outreach.DefaultCheckInGrace,
			"how long after a home visit's planned end a missing check-in is escalated to the duty managers"),
		webhook:       f.String("lone-working-webhook", "", "`url` (https) to POST overdue check-in notices to, for an SMS gateway; signed with the secret"),
		webhookSecret: f.String("lone-working-webhook-secret", "", "shared `secret` that signs webhook notices (HMAC-SHA256); better given as FRONTDOOR_LONE_WORKING_WEBHOOK_SECRET"),
		emailTo:       f.String("lone-working-email", "", "comma-separated `addresses` (the duty managers' shared mailbox) to email overdue check-in notices to"),
		smtpAddr:      f.String("smtp-addr", "", "SMTP server `host:port` for email notices"),
		smtpFrom:      f.String("smtp-from", "", "sender `address` of email notices"),
		smtpUser:      f.String("smtp-user", "", "SMTP `username`, if the server needs one"),
		smtpPassword:  f.String("smtp-password", "", "SMTP `password`; better given as FRONTDOOR_SMTP_PASSWORD"),
		smsGateway:    f.String("reminder-sms-gateway", "", "`url` (https) of an SMS gateway to text clients' appointment reminders to, where their safe-contact rules allow texts"),
		smsSecret:     f.String("reminder-sms-secret", "", "shared `secret` that signs reminder requests to the gateway; better given as FRONTDOOR_REMINDER_SMS_SECRET"),
	}
}

// apply checks the settings and configures the outreach service.
func (ls loneWorkingSettings) apply(svc *outreach.Service, baseURL string) error {
	if *ls.grace < time.Minute || *ls.grace > 4*time.Hour {
		return usageError{"--checkin-grace must be between 1m and 4h"}
	}
	svc.CheckInGrace, svc.BaseURL = *ls.grace, baseURL
	svc.Channels = nil
	if u := strings.TrimSpace(*ls.webhook); u != "" {
		if !httpsOrLocal(u) {
			return usageError{"--lone-working-webhook must be an https:// URL (http:// only to this machine)"}
		}
		if *ls.webhookSecret == "" {
			return usageError{"--lone-working-webhook needs --lone-working-webhook-secret (or FRONTDOOR_LONE_WORKING_WEBHOOK_SECRET), so the receiver can tell notices are ours"}
		}
		svc.Channels = append(svc.Channels, &outreach.Webhook{URL: u, Secret: *ls.webhookSecret})
	}
	svc.Texts = nil
	if u := strings.TrimSpace(*ls.smsGateway); u != "" {
		if !httpsOrLocal(u) {
			return usageError{"--reminder-sms-gateway must be an https:// URL (http:// only to this machine)"}
		}
		if *ls.smsSecret == "" {
			return usageError{"--reminder-sms-gateway needs --reminder-sms-secret (or FRONTDOOR_REMINDER_SMS_SECRET)"}
		}
		svc.Texts = &outreach.SMSGateway{URL: u, Secret: *ls.smsSecret}
	}
	if to := strings.TrimSpace(*ls.emailTo); to != "" {
		list, err := mail.ParseAddressList(to)
		if err != nil {
			return usageError{"--lone-working-email: " + err.Error()}
		}
		from, err := mail.ParseAddress(*ls.smtpFrom)
		if err != nil || *ls.smtpAddr == "" || !strings.Contains(*ls.smtpAddr, ":") {
			return usageError{"--lone-working-email needs --smtp-addr host:port and --smtp-from"}
		}
		e := &outreach.Email{Addr: *ls.smtpAddr, From: from.Address, Username: *ls.smtpUser, Password: *ls.smtpPassword}
		for _, a := range list {
			e.To = append(e.To, a.Address)
		}
		svc.Channels = append(svc.Channels, e)
	}
	return nil
}

// httpsOrLocal accepts an https URL, or http to this machine only: a
// notice or a client's number must not cross a network in clear.
func httpsOrLocal(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	h := p.Hostname()
	return p.Scheme == "https" || p.Scheme == "http" && (h == "localhost" || h == "127.0.0.1" || h == "::1")
}

// loneWorker is the outreach service's background work: the escalation
// job and the appointment reminders.
type loneWorker interface {
	Escalate(ctx context.Context) (int, error)
	Deliver(ctx context.Context) (int, error)
	SendReminders(ctx context.Context) (int, error)
}

// watchLoneWorking runs the outreach background work every interval until
// ctx ends, each job in its own loop so that a channel that hangs never
// holds back the escalations themselves: raising an escalation for each
// home visit whose check-in is overdue, sending the pending notices, and
// texting appointment reminders. Several nodes may run them at once (see
// the outreach package). It logs counts only.
func watchLoneWorking(ctx context.Context, s loneWorker, every time.Duration, logger *slog.Logger) {
	job := func(run func(context.Context) (int, error), failed, done string, level slog.Level) func() {
		return func() {
			repeat(ctx, every, func() {
				n, err := run(ctx)
				switch {
				case ctx.Err() != nil:
				case err != nil:
					logger.Warn(failed+"; retrying next interval", "err", err)
				case n > 0:
					logger.Log(ctx, level, done, "count", n)
				}
			})
		}
	}
	var wg sync.WaitGroup
	wg.Go(job(s.Escalate, "lone working escalation failed", "lone working: overdue check-ins escalated", slog.LevelWarn))
	wg.Go(job(s.Deliver, "lone working notices failed", "lone working notices sent", slog.LevelInfo))
	wg.Go(job(s.SendReminders, "appointment reminders failed", "appointment reminders sent", slog.LevelInfo))
	wg.Wait()
}
