package auth_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

const backupDigest = "3f7a0c1e9b2d4a6f8e0c2b4d6f8a0c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a"

// liveSignIns is an instance in use: a full session, a sign-in waiting
// for its code, a newcomer enrolling a passkey (a session at the enrolment
// stage and a ceremony), an unused setup link and a partner API token.
type liveSignIns struct {
	full, partial, enrolling, link, apiToken string
	open                                     int // open sessions
}

func signInsInUse(t *testing.T, s *auth.Service, c *clock) liveSignIns {
	t.Helper()
	admin, secret := setUp(t, s, c)
	var l liveSignIns
	l.full = signIn(t, s, c, "admin", "lighthouse keeper", secret)
	var err error
	if l.partial, _, err = s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.10"); err != nil {
		t.Fatal(err)
	}
	invited, err := s.AddStaff(ctx, auth.NewStaff{OrganisationID: admin.OrganisationID, Username: "p.iqbal", DisplayName: "Parveen Iqbal", Role: access.RoleFrontDoorWorker})
	if err != nil {
		t.Fatal(err)
	}
	if l.link, err = s.IssueSetupLink(ctx, invited.ID); err != nil {
		t.Fatal(err)
	}
	newcomer, err := s.AddStaff(ctx, auth.NewStaff{OrganisationID: admin.OrganisationID, Username: "n.okafor", DisplayName: "Ngozi Okafor", Role: access.RoleIDVA})
	if err != nil {
		t.Fatal(err)
	}
	link, err := s.IssueSetupLink(ctx, newcomer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l.enrolling, _, err = s.CompleteSetup(ctx, link, auth.SetupForm{Password: "harbour master's log", Confirm: "harbour master's log"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginPasskeyEnrolment(ctx, l.enrolling, rp); err != nil {
		t.Fatal(err)
	}
	if l.apiToken, _, err = s.CreateToken(ctx, admin.ID, admin.OrganisationID, "Police referrals", []string{"referral.create"}, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE ended_at IS NULL`, nil, &l.open)
	})
	// Each works before the sign-ins end.
	if _, err := s.SessionStaff(ctx, l.full); err != nil {
		t.Fatalf("full session: %v", err)
	}
	if _, err := s.SetupLink(ctx, l.link); err != nil {
		t.Fatalf("setup link: %v", err)
	}
	if l.open < 3 || count(t, s.DB, "webauthn_ceremonies") != 1 {
		t.Fatalf("%d open sessions, %d ceremonies", l.open, count(t, s.DB, "webauthn_ceremonies"))
	}
	return l
}

// wantAllEnded checks that nothing of l signs anyone in any more, and that
// the API token still works.
func wantAllEnded(t *testing.T, s *auth.Service, l liveSignIns) {
	t.Helper()
	for name, tok := range map[string]string{"full": l.full, "partial": l.partial, "enrolling": l.enrolling} {
		if _, err := s.Session(ctx, tok); errs.CodeOf(err) != errs.Unauthenticated {
			t.Errorf("the %s session still works: %v", name, err)
		}
	}
	if _, err := s.SetupLink(ctx, l.link); errs.As(err).Key != "setup.link_invalid" {
		t.Errorf("the setup link still works: %v", err)
	}
	if _, _, err := s.CompleteSetup(ctx, l.link, auth.SetupForm{Password: "a brand new password", Confirm: "a brand new password"}); err == nil {
		t.Error("the setup link set a password")
	}
	if _, err := s.BeginEnrolment(ctx, l.enrolling); err == nil {
		t.Error("the enrolling session still reaches enrolment")
	}
	if n := count(t, s.DB, "webauthn_ceremonies"); n != 0 {
		t.Errorf("%d passkey challenges left", n)
	}
	if _, err := s.AuthenticateToken(ctx, l.apiToken); err != nil {
		t.Errorf("the API token was ended too: %v", err)
	}
}

// A restored database's sessions and links end the moment it is restored,
// without the key; the audit event naming the backup is appended once,
// when the key is at hand, and not lost if appending fails.
func TestRestoreEndsEverySignInAndIsAuditedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		l := signInsInUse(t, s, c)
		c.Advance(time.Minute)
		restoredAt := c.Now()
		if _, err := auth.EndForRestore(ctx, s.DB, "not a digest", restoredAt); err == nil {
			t.Fatal("a restore without a digest was accepted")
		}
		e, err := auth.EndForRestore(ctx, s.DB, backupDigest, restoredAt)
		if err != nil {
			t.Fatal(err)
		}
		if e != (auth.Ended{Sessions: l.open, Links: 1, Ceremonies: 1}) {
			t.Fatalf("ended %+v, want %d sessions, 1 link, 1 ceremony", e, l.open)
		}
		wantAllEnded(t, s, l)
		var reason string
		s.DB.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT DISTINCT ended_reason FROM sessions`, nil, &reason)
		})
		if reason != "restored" {
			t.Errorf("sessions ended for %q", reason)
		}

		// The audit trail is not reachable: the note waits.
		boom := errors.New("audit trail unavailable")
		failing := func(context.Context, *store.Tx, audit.Event) error { return boom }
		if _, err := auth.AuditRestores(ctx, s.DB, failing); !errors.Is(err, boom) {
			t.Fatalf("a failed append: %v", err)
		}
		var got []audit.Event
		rec := func(_ context.Context, _ *store.Tx, ev audit.Event) error { got = append(got, ev); return nil }
		digests, err := auth.AuditRestores(ctx, s.DB, rec)
		if err != nil || !slices.Equal(digests, []string{backupDigest}) || len(got) != 1 {
			t.Fatalf("audit restores: %v %v %+v", digests, err, got)
		}
		ev := got[0]
		if ev.Action != "backup.restore" || ev.RecordID != "sha256:"+backupDigest || !ev.At.Equal(restoredAt) || ev.ActorID != "" ||
			!strings.Contains(ev.Purpose, "sha256:"+backupDigest) || !strings.Contains(ev.Purpose, "1 one-time link") {
			t.Fatalf("restore event %+v", ev)
		}
		// Once only.
		if digests, err := auth.AuditRestores(ctx, s.DB, rec); err != nil || len(digests) != 0 || len(got) != 1 {
			t.Fatalf("second audit: %v %v, %d events", digests, err, len(got))
		}
		// After the restore, signing in works as ever.
		if _, _, err := s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.10"); err != nil {
			t.Fatalf("signing in after the restore: %v", err)
		}
	})
}

// frontdoor sessions end-all: the same ending with its audit event in the
// same transaction, for a reason (kept sealed) or for a backup restored
// with other tools (naming its digest).
func TestEndAllEndsEverySignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		l := signInsInUse(t, s, c)
		if _, err := s.EndAll(ctx, "", "leak"); errs.As(err).Field != "reason" {
			t.Fatalf("a short reason: %v", err)
		}
		if _, err := s.EndAllRestored(ctx, "", "ABC"); err == nil {
			t.Fatal("a restore without a digest was accepted")
		}
		if _, err := s.SessionStaff(ctx, l.full); err != nil {
			t.Fatalf("a refused end-all ended the session: %v", err)
		}
		e, err := s.EndAll(ctx, "", "the session table may have been copied")
		if err != nil || e != (auth.Ended{Sessions: l.open, Links: 1, Ceremonies: 1}) {
			t.Fatalf("end all: %+v %v", e, err)
		}
		wantAllEnded(t, s, l)
		v, _ := audits.Load(t)
		log := v.(*auditLog)
		i := slices.IndexFunc(log.events, func(ev audit.Event) bool { return ev.Action == "sessions.end_all" })
		if i < 0 || log.events[i].Purpose == "" || strings.Contains(log.events[i].Purpose, "copied") {
			t.Fatalf("end-all not audited with a sealed reason: %+v", log.events)
		}

		// Again, after a pg_restore: nothing is left to end, and the
		// event names the backup.
		e, err = s.EndAllRestored(ctx, "", backupDigest)
		if err != nil || e != (auth.Ended{}) {
			t.Fatalf("end all restored: %+v %v", e, err)
		}
		last := log.events[len(log.events)-1]
		if last.Action != "backup.restore" || !strings.Contains(last.Purpose, "sha256:"+backupDigest) {
			t.Fatalf("restore event %+v", last)
		}
	})
}
