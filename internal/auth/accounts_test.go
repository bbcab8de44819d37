package auth_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
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
	db := storetest.Open(t, d)
	return auth.NewService(db, testVault(t, db), recordAudit(t), c.Now), c
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
		got, err := s.Session(ctx, session)
		if err != nil || got.Staff.ID != st.ID || got.Stage != auth.StageEnrol {
			t.Fatalf("session after setup: %+v, %v; want the enrolment stage", got, err)
		}
		if _, err := s.SessionStaff(ctx, session); err == nil {
			t.Fatal("a password alone gave a full session")
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

// enrol takes a fresh enrolment-stage session through TOTP enrolment and
// returns the full session, the TOTP secret and the recovery codes.
func enrol(t *testing.T, s *auth.Service, c *clock, session string) (string, string, []string) {
	t.Helper()
	e, err := s.BeginEnrolment(ctx, session)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.QRPNG) < 100 || !strings.HasPrefix(e.URL, "otpauth://totp/") {
		t.Fatalf("enrolment: %d-byte QR, URL %q", len(e.QRPNG), e.URL)
	}
	again, err := s.BeginEnrolment(ctx, session)
	if err != nil || again.Secret != e.Secret {
		t.Fatalf("reloading the enrolment page changed the secret: %v", err)
	}
	if _, _, err := s.ConfirmEnrolment(ctx, session, "000000"); errs.As(err).Key != "factor.enrol_code_wrong" {
		t.Fatalf("wrong first code: %v", err)
	}
	full, codes, err := s.ConfirmEnrolment(ctx, session, code(t, e.Secret, c.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}
	if _, err := s.SessionStaff(ctx, session); err == nil {
		t.Fatal("the pre-enrolment token still works after the upgrade")
	}
	if _, err := s.SessionStaff(ctx, full); err != nil {
		t.Fatalf("full session after enrolment: %v", err)
	}
	return full, e.Secret, codes
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func setUp(t *testing.T, s *auth.Service, c *clock) (*auth.Staff, string) {
	t.Helper()
	token, _ := s.IssueSetupLink(ctx, "")
	session, st, err := s.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "Org", DisplayName: "Admin", Username: "admin", Password: "lighthouse keeper", Confirm: "lighthouse keeper"})
	if err != nil {
		t.Fatal(err)
	}
	_, secret, _ := enrol(t, s, c, session)
	return st, secret
}

// signIn does password then TOTP code and returns the full session.
func signIn(t *testing.T, s *auth.Service, c *clock, username, password, secret string) string {
	t.Helper()
	partial, se, err := s.SignIn(ctx, username, password, "192.0.2.10")
	if err != nil {
		t.Fatalf("password step: %v", err)
	}
	if se.Stage != auth.StageSecondFactor {
		t.Fatalf("stage after password: %s", se.Stage)
	}
	c.Advance(30 * time.Second) // a new time step: the last code cannot be replayed
	full, err := s.VerifySecondFactor(ctx, partial, code(t, secret, c.Now()), "192.0.2.10")
	if err != nil {
		t.Fatalf("code step: %v", err)
	}
	return full
}

func TestSignInNeedsPasswordAndSecondFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		admin, secret := setUp(t, s, c)
		worker, err := s.AddStaff(ctx, auth.NewStaff{OrganisationID: admin.OrganisationID, Username: "p.iqbal", DisplayName: "Parveen Iqbal", Role: access.RoleFrontDoorWorker})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddStaff(ctx, auth.NewStaff{OrganisationID: admin.OrganisationID, Username: "P.Iqbal", DisplayName: "Someone", Role: access.RoleIDVA}); errs.As(err).Key != "username.taken" {
			t.Fatalf("duplicate username: %v", err)
		}
		// Unknown user, wrong password and account without a password: one answer.
		_, _, errNoPw := s.SignIn(ctx, "p.iqbal", "", "192.0.2.1")
		_, _, errWrong := s.SignIn(ctx, "admin", "not the password", "192.0.2.1")
		_, _, errUnknown := s.SignIn(ctx, "nobody", "lighthouse keeper", "192.0.2.1")
		for _, err := range []error{errNoPw, errWrong, errUnknown} {
			if e := errs.As(err); e.Code != errs.Unauthenticated || e.Key != "signin.failed" {
				t.Fatalf("failed sign-in answered %v", err)
			}
		}
		full := signIn(t, s, c, "admin", "lighthouse keeper", secret)
		if st, err := s.SessionStaff(ctx, full); err != nil || st.ID != admin.ID {
			t.Fatalf("full session: %v", err)
		}

		// A replayed code is refused; a recovery code works once.
		partial, _, _ := s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.10")
		if _, err := s.VerifySecondFactor(ctx, partial, code(t, secret, c.Now()), "192.0.2.10"); errs.As(err).Key != "factor.code_wrong" {
			t.Fatalf("replayed code: %v", err)
		}

		// The worker's first sign-in goes to enrolment.
		wt, _ := s.IssueSetupLink(ctx, worker.ID)
		if _, _, err := s.CompleteSetup(ctx, wt, auth.SetupForm{Password: "correct horse battery", Confirm: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		// Enrolment happens from the link's session only: a password alone
		// does not reach it.
		if _, _, err := s.SignIn(ctx, " P.IQBAL ", "correct horse battery", "192.0.2.11"); errs.As(err).Key != "signin.needs_setup_link" {
			t.Fatalf("worker sign-in before enrolment: %v", err)
		}
		wt, _ = s.IssueSetupLink(ctx, worker.ID)
		partial, _, err = s.CompleteSetup(ctx, wt, auth.SetupForm{Password: "correct horse battery", Confirm: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		_, wsecret, codes := enrol(t, s, c, partial)

		partial, _, _ = s.SignIn(ctx, "p.iqbal", "correct horse battery", "192.0.2.11")
		if _, err := s.VerifySecondFactor(ctx, partial, strings.ToUpper(codes[3]), "192.0.2.11"); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		partial, _, _ = s.SignIn(ctx, "p.iqbal", "correct horse battery", "192.0.2.11")
		if _, err := s.VerifySecondFactor(ctx, partial, codes[3], "192.0.2.11"); err == nil {
			t.Fatal("a recovery code worked twice")
		}
		if n, _ := s.RecoveryCodesLeft(ctx, worker.ID); n != 9 {
			t.Fatalf("%d recovery codes left, want 9", n)
		}
		_ = wsecret
		got := strings.Join(auditedActions(t), " ")
		for _, want := range []string{"account.setup", "factor.enrol", "account.create", "signin.failed", "signin.password", "signin"} {
			if !strings.Contains(" "+got+" ", " "+want+" ") {
				t.Errorf("no %s event audited; got %s", want, got)
			}
		}
	})
}

func TestSessionLifetimes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		_, secret := setUp(t, s, c)
		session := signIn(t, s, c, "admin", "lighthouse keeper", secret)
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
		session = signIn(t, s, c, "admin", "lighthouse keeper", secret)
		for range 12 * 4 {
			c.Advance(15 * time.Minute)
			s.SessionStaff(ctx, session)
		}
		if _, err := s.SessionStaff(ctx, session); errs.CodeOf(err) != errs.Unauthenticated {
			t.Fatalf("after 12 h: %v", err)
		}
		// A half-finished sign-in does not wait for ever.
		partial, _, _ := s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.10")
		c.Advance(16 * time.Minute)
		if _, err := s.VerifySecondFactor(ctx, partial, code(t, secret, c.Now()), "192.0.2.10"); errs.CodeOf(err) != errs.Unauthenticated {
			t.Fatalf("code step 16 minutes after the password: %v", err)
		}
		session = signIn(t, s, c, "admin", "lighthouse keeper", secret)
		if err := s.SignOut(ctx, session); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionStaff(ctx, session); errs.CodeOf(err) != errs.Unauthenticated {
			t.Fatalf("after sign-out: %v", err)
		}
	})
}

func TestThrottling(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		_, secret := setUp(t, s, c)
		for i := range 5 {
			if _, _, err := s.SignIn(ctx, "admin", "wrong password "+string(rune('a'+i)), "192.0.2.20"); errs.As(err).Key != "signin.failed" {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		// Locked: even the right password gets the throttle answer, and so
		// does an unknown username after as many failures.
		if _, _, err := s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.21"); errs.As(err).Key != "signin.throttled" {
			t.Fatalf("sixth attempt: %v", err)
		}
		for range 5 {
			s.SignIn(ctx, "no.such.user", "whatever whatever", "192.0.2.22")
		}
		if _, _, err := s.SignIn(ctx, "no.such.user", "whatever whatever", "192.0.2.23"); errs.As(err).Key != "signin.throttled" {
			t.Fatalf("unknown user, sixth attempt: %v", err)
		}
		c.Advance(16 * time.Minute)
		signIn(t, s, c, "admin", "lighthouse keeper", secret)

		// Per source: many usernames from one address.
		for i := range 30 {
			s.SignIn(ctx, "user"+string(rune('a'+i%26))+string(rune('a'+i/26)), "guess guess guess", "198.51.100.7")
		}
		if _, _, err := s.SignIn(ctx, "admin", "lighthouse keeper", "198.51.100.7"); errs.As(err).Key != "signin.throttled" {
			t.Fatalf("31st attempt from one address: %v", err)
		}
		// Code guessing counts too: five wrong codes lock the account.
		c.Advance(16 * time.Minute)
		partial, _, err := s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.30")
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			s.VerifySecondFactor(ctx, partial, "123456", "192.0.2.30")
		}
		if _, err := s.VerifySecondFactor(ctx, partial, code(t, secret, c.Now()), "192.0.2.30"); errs.As(err).Key != "signin.throttled" {
			t.Fatalf("right code after five wrong ones: %v", err)
		}
	})
}

func TestPasswordAndFactorChangesEndOtherSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		admin, secret := setUp(t, s, c)
		a := signIn(t, s, c, "admin", "lighthouse keeper", secret)
		b := signIn(t, s, c, "admin", "lighthouse keeper", secret)
		if list, _ := s.Sessions(ctx, admin.ID); len(list) < 2 {
			t.Fatalf("sessions listed: %d", len(list))
		}
		if err := s.ChangePassword(ctx, a, "wrong current", "new lighthouse keeper", "new lighthouse keeper"); errs.As(err).Field != "current" {
			t.Fatalf("wrong current password: %v", err)
		}
		if err := s.ChangePassword(ctx, a, "lighthouse keeper", "password1234!", "password1234!"); errs.As(err).Key != "password.common" {
			t.Fatalf("common password: %v", err)
		}
		if err := s.ChangePassword(ctx, a, "lighthouse keeper", "new lighthouse keeper", "new lighthouse keeper"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionStaff(ctx, a); err != nil {
			t.Fatalf("the session that changed the password: %v", err)
		}
		if _, err := s.SessionStaff(ctx, b); err == nil {
			t.Fatal("another session survived a password change")
		}
		// Reset of factors needs a reason and sends the person back to enrolment.
		if err := s.ResetFactors(ctx, admin.ID, admin.ID, "lost"); errs.As(err).Field != "reason" {
			t.Fatalf("reset without a real reason: %v", err)
		}
		if err := s.ResetFactors(ctx, admin.ID, admin.ID, "phone lost on the bus, confirmed by phone call"); errs.As(err).Key != "staff.cannot_reset_self" {
			t.Fatalf("an administrator resetting their own factors: %v", err)
		}
		// From the command line (no actor), as the locked-out person's
		// colleague on the server would.
		if err := s.ResetFactors(ctx, "", admin.ID, "phone lost on the bus, confirmed by phone call"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionStaff(ctx, a); err == nil {
			t.Fatal("a session survived a factor reset")
		}
		if _, _, err := s.SignIn(ctx, "admin", "new lighthouse keeper", "192.0.2.10"); errs.As(err).Key != "signin.needs_setup_link" {
			t.Fatalf("after reset, a password alone: %v", err)
		}
	})
}

func TestDisabledAccountCannotSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		admin, _ := setUp(t, s, c)
		w, _ := s.AddStaff(ctx, auth.NewStaff{OrganisationID: admin.OrganisationID, Username: "leaver", DisplayName: "Leaver", Role: access.RoleIDVA})
		wt, _ := s.IssueSetupLink(ctx, w.ID)
		partial, _, _ := s.CompleteSetup(ctx, wt, auth.SetupForm{Password: "moving on quietly", Confirm: "moving on quietly"})
		full, _, _ := enrol(t, s, c, partial)
		if err := s.SetDisabled(ctx, admin.ID, admin.ID, true, "testing self disable"); err == nil {
			t.Fatal("an administrator disabled their own account")
		}
		if err := s.SetDisabled(ctx, admin.ID, w.ID, true, "left the organisation on Friday"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionStaff(ctx, full); err == nil {
			t.Fatal("a disabled account's session still works")
		}
		if _, _, err := s.SignIn(ctx, "leaver", "moving on quietly", "192.0.2.40"); errs.As(err).Key != "signin.failed" {
			t.Fatalf("disabled account signing in: %v", err)
		}
	})
}

func TestCommonPasswordsAreRefused(t *testing.T) {
	cases := map[string]bool{
		"password1234":           false,
		"Password1234!":          false,
		"!!football2024!!":       false,
		"aaaaaaaaaaaaaa":         false,
		"my frontdoor password":  false,
		"j.okafor is my name":    false,
		"lighthouse keeper":      true,
		"correct horse battery":  true,
		"seven ravens at dusk 4": true,
	}
	for pw, ok := range cases {
		err := auth.CheckNewPassword("password", pw, "j.okafor")
		if ok != (err == nil) {
			t.Errorf("%q: %v", pw, err)
		}
		if err != nil && errs.As(err).Field != "password" {
			t.Errorf("%q: error not on the password field", pw)
		}
	}
}

func TestAPITokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		admin, _ := setUp(t, s, c)
		if _, _, err := s.CreateToken(ctx, admin.ID, admin.OrganisationID, "Police referrals", []string{"record.read"}, time.Hour); errs.As(err).Field != "scopes" {
			t.Fatalf("a scope beyond referrals: %v", err)
		}
		if _, _, err := s.CreateToken(ctx, admin.ID, admin.OrganisationID, "Forever", []string{"referral.create"}, 5*365*24*time.Hour); errs.As(err).Field != "expires" {
			t.Fatalf("a five-year token: %v", err)
		}
		secret, tok, err := s.CreateToken(ctx, admin.ID, admin.OrganisationID, "Police referrals", []string{"referral.create"}, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.AuthenticateToken(ctx, secret)
		if err != nil || got.ID != tok.ID || !got.Allows("referral.create") || got.Allows("referral.read") {
			t.Fatalf("authenticate: %+v %v", got, err)
		}
		if _, err := s.AuthenticateToken(ctx, secret+"x"); err == nil {
			t.Fatal("a wrong token authenticated")
		}
		c.Advance(25 * time.Hour)
		if _, err := s.AuthenticateToken(ctx, secret); err == nil {
			t.Fatal("an expired token authenticated")
		}
		secret, tok, _ = s.CreateToken(ctx, admin.ID, admin.OrganisationID, "Housing", []string{"referral.read"}, 24*time.Hour)
		if err := s.RevokeToken(ctx, admin.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateToken(ctx, secret); err == nil {
			t.Fatal("a revoked token authenticated")
		}
		var stored int
		s.DB.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE token_hash = $1 OR name = $1`, []any{secret}, &stored)
		})
		if stored != 0 {
			t.Fatal("the token is stored in clear")
		}
	})
}

// What a stolen database file, its WAL, a backup or a pg_dump holds of a
// staff member: no name, no username, no second-factor secret, no recovery
// code, no password.
func TestNoStaffSecretsInClearAtRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		cfg := storetest.Config(t, d)
		db := storetest.OpenConfig(t, cfg)
		c := &clock{t: time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)}
		s := auth.NewService(db, vaulttest.New(t, db), recordAudit(t), c.Now)
		token, _ := s.IssueSetupLink(ctx, "")
		session, _, err := s.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "Calder Women's Aid", DisplayName: "Morwenna Tregothnan",
			Username: "m.tregothnan", Password: "saffron meadow lantern", Confirm: "saffron meadow lantern"})
		if err != nil {
			t.Fatal(err)
		}
		_, secret, codes := enrol(t, s, c, session)
		vaulttest.AssertNoPlaintext(t, db, cfg, "Morwenna Tregothnan", "Tregothnan", "m.tregothnan", secret, codes[0], strings.ReplaceAll(codes[0], "-", ""), "saffron meadow lantern", token)
		// And the check itself would see a name stored in clear.
		db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ('probe', 'Plaintext Probe Value')`)
			return err
		})
		if found := vaulttest.FindPlaintext(t, db, cfg, "Plaintext Probe Value"); len(found) == 0 {
			t.Fatal("the plaintext scan does not find a value stored in clear")
		}
	})
}
