package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

var ctx = context.Background()

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newService(t *testing.T, d store.Dialect) (*auth.Service, *clock) {
	c := &clock{t: time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)}
	return auth.NewService(storetest.Open(t, d), c.Now), c
}

func count(t *testing.T, db *store.DB, table string) int {
	var n int
	if err := db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, `SELECT count(*) FROM `+table, nil, &n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantField(t *testing.T, err error, field, key string) {
	t.Helper()
	e := errs.As(err)
	if err == nil || e.Field != field || e.Key != key {
		t.Fatalf("got %v, want %s on field %q", err, key, field)
	}
}

func TestFirstAdministratorSetup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, _ := newService(t, d)
		need, err := s.NeedsFirstAdministrator(ctx)
		if err != nil || !need {
			t.Fatalf("empty instance: NeedsFirstAdministrator = %v, %v", need, err)
		}
		token, err := s.IssueSetupLink(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		good := auth.SetupForm{OrganisationName: "Calder Women's Aid", DisplayName: "Ada Byrne", Username: "A.Byrne", Password: "a long enough password", Confirm: "a long enough password"}

		// Bad input names the field and leaves nothing behind.
		bad := good
		bad.Confirm = "something else entirely"
		_, _, err = s.CompleteSetup(ctx, token, bad)
		wantField(t, err, "confirm", "password.mismatch")
		bad = good
		bad.Password, bad.Confirm = "short", "short"
		_, _, err = s.CompleteSetup(ctx, token, bad)
		wantField(t, err, "password", "password.too_short")
		bad = good
		bad.Username = "a b"
		_, _, err = s.CompleteSetup(ctx, token, bad)
		wantField(t, err, "username", "username.invalid")
		bad = good
		bad.OrganisationName = "  "
		_, _, err = s.CompleteSetup(ctx, token, bad)
		wantField(t, err, "organisation", "field.required")
		if n := count(t, s.DB, "staff") + count(t, s.DB, "organisations") + count(t, s.DB, "sessions"); n != 0 {
			t.Fatalf("failed setups left %d rows", n)
		}

		session, st, err := s.CompleteSetup(ctx, token, good)
		if err != nil {
			t.Fatal(err)
		}
		if st.Role != access.RoleAdministrator || st.Username != "a.byrne" {
			t.Fatalf("created %+v", st)
		}
		got, err := s.SessionStaff(ctx, session)
		if err != nil || got.ID != st.ID {
			t.Fatalf("session after setup: %+v, %v", got, err)
		}
		if _, _, err := s.CompleteSetup(ctx, token, good); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("setup link used twice: %v", err)
		}
		if need, _ := s.NeedsFirstAdministrator(ctx); need {
			t.Fatal("still needs an administrator after setup")
		}
	})
}

func TestSetupLinkExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		token, _ := s.IssueSetupLink(ctx, "")
		c.Advance(auth.SetupLinkTTL)
		if _, err := s.SetupLink(ctx, token); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("expired link: %v", err)
		}
		if _, err := s.SetupLink(ctx, "made-up"); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("unknown link: %v", err)
		}
	})
}

func setUp(t *testing.T, s *auth.Service) *auth.Staff {
	t.Helper()
	token, _ := s.IssueSetupLink(ctx, "")
	_, st, err := s.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "Org", DisplayName: "Admin", Username: "admin", Password: "first password!", Confirm: "first password!"})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		admin := setUp(t, s)
		worker, err := s.AddStaff(ctx, auth.NewStaff{OrganisationID: admin.OrganisationID, Username: "p.iqbal", DisplayName: "Parveen Iqbal", Role: access.RoleFrontDoorWorker})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddStaff(ctx, auth.NewStaff{OrganisationID: admin.OrganisationID, Username: "P.Iqbal", DisplayName: "Someone", Role: access.RoleIDVA}); errs.As(err).Key != "username.taken" {
			t.Fatalf("duplicate username: %v", err)
		}
		// An account without a password cannot sign in, with the same answer as a wrong password.
		_, _, errNoPw := s.SignIn(ctx, "p.iqbal", "")
		_, _, errWrong := s.SignIn(ctx, "admin", "not the password")
		_, _, errUnknown := s.SignIn(ctx, "nobody", "first password!")
		for _, err := range []error{errNoPw, errWrong, errUnknown} {
			if e := errs.As(err); e.Code != errs.Unauthenticated || e.Key != "signin.failed" {
				t.Fatalf("failed sign-in answered %v", err)
			}
		}
		token, err := s.IssueSetupLink(ctx, worker.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CompleteSetup(ctx, token, auth.SetupForm{Password: "worker password 1", Confirm: "worker password 1"}); err != nil {
			t.Fatal(err)
		}
		session, _, err := s.SignIn(ctx, " P.IQBAL ", "worker password 1")
		if err != nil {
			t.Fatalf("sign in: %v", err)
		}
		// Idle timeout: used within 30 minutes stays; 30 idle minutes ends it.
		c.Advance(20 * time.Minute)
		if _, err := s.SessionStaff(ctx, session); err != nil {
			t.Fatalf("after 20 min: %v", err)
		}
		c.Advance(29 * time.Minute)
		if _, err := s.SessionStaff(ctx, session); err != nil {
			t.Fatalf("29 min after last use: %v", err)
		}
		c.Advance(30 * time.Minute)
		if _, err := s.SessionStaff(ctx, session); errs.CodeOf(err) != errs.Unauthenticated {
			t.Fatalf("after 30 idle minutes: %v", err)
		}
		// Absolute lifetime: even a session in constant use ends after 12 h.
		session, _, _ = s.SignIn(ctx, "p.iqbal", "worker password 1")
		for range 12 * 4 {
			c.Advance(15 * time.Minute)
			s.SessionStaff(ctx, session)
		}
		if _, err := s.SessionStaff(ctx, session); errs.CodeOf(err) != errs.Unauthenticated {
			t.Fatalf("after 12 h: %v", err)
		}
		// Sign-out ends the session.
		session, _, _ = s.SignIn(ctx, "p.iqbal", "worker password 1")
		if err := s.SignOut(ctx, session); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionStaff(ctx, session); errs.CodeOf(err) != errs.Unauthenticated {
			t.Fatalf("after sign-out: %v", err)
		}
	})
}

func TestNewPasswordEndsOtherSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, _ := newService(t, d)
		admin := setUp(t, s)
		old, _, err := s.SignIn(ctx, "admin", "first password!")
		if err != nil {
			t.Fatal(err)
		}
		token, _ := s.IssueSetupLink(ctx, admin.ID)
		if _, _, err := s.CompleteSetup(ctx, token, auth.SetupForm{Password: "second password!", Confirm: "second password!"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionStaff(ctx, old); errs.CodeOf(err) != errs.Unauthenticated {
			t.Fatalf("session from before the password change: %v", err)
		}
		if _, _, err := s.SignIn(ctx, "admin", "first password!"); err == nil {
			t.Fatal("old password still works")
		}
	})
}

func TestTokensAreNotStoredInClear(t *testing.T) {
	s, _ := newService(t, store.SQLite)
	token, _ := s.IssueSetupLink(ctx, "")
	var n int
	s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM one_time_links WHERE token_hash = $1`, []any{token}, &n)
	})
	if n != 0 {
		t.Fatal("the setup token is stored as it was handed out")
	}
}
