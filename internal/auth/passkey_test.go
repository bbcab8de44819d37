package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// The ceremonies themselves (a real authenticator's signatures) are
// exercised in headless Chromium with a virtual authenticator
// (e2e/passkey_test.go); these tests cover what surrounds them.

var rp = auth.RelyingParty{ID: "localhost", Origin: "http://localhost:8080"}

// addPasskey stores a passkey for an account as registration would.
func addPasskey(t *testing.T, s *auth.Service, c *clock, staffID, credID, name string) {
	t.Helper()
	b, err := json.Marshal(webauthn.Credential{ID: []byte(credID), PublicKey: []byte{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	id := base64.RawURLEncoding.EncodeToString([]byte(credID))
	if err := s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO staff_passkeys (credential_id, staff_id, credential, name_sealed, created_at) VALUES ($1, $2, $3, $4, $5)`,
			id, staffID, string(b), s.Vault.SealString(name, "staff_passkeys", id, "name"), c.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// newcomer is an account that has chosen a password and not yet enrolled.
func newcomer(t *testing.T, s *auth.Service) (*auth.Staff, string) {
	t.Helper()
	token, _ := s.IssueSetupLink(ctx, "")
	session, st, err := s.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "Org", DisplayName: "Admin", Username: "admin", Password: "lighthouse keeper", Confirm: "lighthouse keeper"})
	if err != nil {
		t.Fatal(err)
	}
	return st, session
}

func wantKey(t *testing.T, err error, key string) {
	t.Helper()
	if errs.As(err).Key != key {
		t.Fatalf("got %v, want %s", err, key)
	}
}

func TestPasskeyOnlyAccountGetsTheSecondFactorStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		st, _ := newcomer(t, s)
		// Without a factor the password never leads to the second-factor step.
		if _, se, err := s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.10"); err == nil && se.Stage == auth.StageSecondFactor {
			t.Fatalf("without a factor: stage %s", se.Stage)
		}
		addPasskey(t, s, c, st.ID, "cred-1", "work laptop")
		partial, se, err := s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.10")
		if err != nil || se.Stage != auth.StageSecondFactor {
			t.Fatalf("with a passkey only: %v, %+v", err, se)
		}
		// The options name the account's passkey, and the ceremony is kept.
		opts, err := s.BeginPasskeySignIn(ctx, partial, rp)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			PublicKey struct {
				Challenge        string `json:"challenge"`
				RPID             string `json:"rpId"`
				AllowCredentials []struct {
					ID string `json:"id"`
				} `json:"allowCredentials"`
			} `json:"publicKey"`
		}
		if err := json.Unmarshal(opts, &got); err != nil {
			t.Fatal(err)
		}
		if got.PublicKey.RPID != "localhost" || len(got.PublicKey.Challenge) < 22 || len(got.PublicKey.AllowCredentials) != 1 ||
			got.PublicKey.AllowCredentials[0].ID != base64.RawURLEncoding.EncodeToString([]byte("cred-1")) {
			t.Fatalf("sign-in options: %s", opts)
		}
		if n := count(t, s.DB, "webauthn_ceremonies"); n != 1 {
			t.Fatalf("%d ceremonies kept", n)
		}
		// A passkey cannot be used at the enrolment step, nor a full
		// session's registration with a partial token.
		if _, err := s.BeginPasskeyEnrolment(ctx, partial, rp); err == nil {
			t.Fatal("enrolment options for a session at the second-factor step")
		}
		if _, err := s.BeginPasskeyRegistration(ctx, partial, rp); err == nil {
			t.Fatal("registration options for a partial session")
		}
	})
}

func TestPasskeySignInWithoutPasskey(t *testing.T) {
	s, c := newService(t, store.SQLite)
	setUp(t, s, c) // TOTP only
	partial, _, err := s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.10")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.BeginPasskeySignIn(ctx, partial, rp)
	wantKey(t, err, "passkey.none")
}

func TestCeremoniesAreSingleUseAndExpire(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		_, session := newcomer(t, s)
		opts, err := s.BeginPasskeyEnrolment(ctx, session, rp)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(opts), `"id":"localhost"`) {
			t.Fatalf("registration options: %s", opts)
		}
		// Reloading the page restarts the ceremony: still one.
		if _, err := s.BeginPasskeyEnrolment(ctx, session, rp); err != nil {
			t.Fatal(err)
		}
		if n := count(t, s.DB, "webauthn_ceremonies"); n != 1 {
			t.Fatalf("%d ceremonies for one session", n)
		}
		// A bad answer uses the ceremony up: the next try needs new options.
		_, _, err = s.FinishPasskeyEnrolment(ctx, session, rp, "", []byte(`{"id":"x"}`))
		wantField(t, err, "passkey", "passkey.failed")
		_, _, err = s.FinishPasskeyEnrolment(ctx, session, rp, "", []byte(`{"id":"x"}`))
		wantField(t, err, "passkey", "passkey.expired")
		if n := count(t, s.DB, "webauthn_ceremonies"); n != 0 {
			t.Fatalf("%d ceremonies after use", n)
		}
		// Options older than five minutes are refused.
		if _, err := s.BeginPasskeyEnrolment(ctx, session, rp); err != nil {
			t.Fatal(err)
		}
		c.Advance(5*time.Minute + time.Second)
		_, _, err = s.FinishPasskeyEnrolment(ctx, session, rp, "", []byte(`{"id":"x"}`))
		wantField(t, err, "passkey", "passkey.expired")
		// An overlong name is refused before anything else.
		_, _, err = s.FinishPasskeyEnrolment(ctx, session, rp, strings.Repeat("n", 101), nil)
		wantField(t, err, "passkey_name", "field.too_long")
	})
}

func TestFailedPasskeysCountTowardsTheThrottle(t *testing.T) {
	s, c := newService(t, store.SQLite)
	st, _ := newcomer(t, s)
	addPasskey(t, s, c, st.ID, "cred-1", "")
	partial, _, err := s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.10")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := s.BeginPasskeySignIn(ctx, partial, rp); err != nil {
			t.Fatal(err)
		}
		_, err := s.FinishPasskeySignIn(ctx, partial, rp, []byte(`{"id":"x"}`), "192.0.2.10")
		wantField(t, err, "passkey", "passkey.failed")
	}
	if _, err := s.BeginPasskeySignIn(ctx, partial, rp); err != nil {
		t.Fatal(err)
	}
	_, err = s.FinishPasskeySignIn(ctx, partial, rp, []byte(`{"id":"x"}`), "192.0.2.10")
	wantKey(t, err, "signin.throttled")
	failed := 0
	for _, a := range auditedActions(t) {
		if a == "signin.failed" {
			failed++
		}
	}
	if failed != 5 {
		t.Fatalf("%d failed sign-ins audited, want 5: %v", failed, auditedActions(t))
	}
	if slices.Contains(auditedActions(t), "signin") {
		t.Fatal("a sign-in was audited as completed")
	}
}

func TestListingPasskeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		st, _ := newcomer(t, s)
		if list, err := s.Passkeys(ctx, st.ID); err != nil || len(list) != 0 {
			t.Fatalf("no passkeys yet: %v, %v", list, err)
		}
		addPasskey(t, s, c, st.ID, "cred-1", "work laptop")
		c.Advance(time.Hour)
		addPasskey(t, s, c, st.ID, "cred-2", "")
		list, err := s.Passkeys(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Name != "work laptop" || list[1].Name != "" || !list[1].CreatedAt.Equal(c.Now()) || list[0].LastUsedAt != nil {
			t.Fatalf("passkeys: %+v", list)
		}
		// The name is sealed at rest.
		var n int
		s.DB.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM staff_passkeys WHERE name_sealed LIKE '%laptop%'`, nil, &n)
		})
		if n != 0 {
			t.Fatal("a passkey's name is stored in clear")
		}
	})
}

// A passkey-only account can still sign in with a recovery code, and a
// factor reset removes passkeys too.
func TestPasskeyOnlyRecoveryAndReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		st, session := newcomer(t, s)
		_, _, codes := enrol(t, s, c, session)
		// Make the account passkey-only: no TOTP, one passkey.
		s.DB.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `DELETE FROM staff_totp WHERE staff_id = $1`, st.ID)
			return err
		})
		addPasskey(t, s, c, st.ID, "cred-recovery", "phone")
		partial, se, err := s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.70")
		if err != nil || se.Stage != auth.StageSecondFactor {
			t.Fatalf("passkey-only sign-in: %+v %v", se, err)
		}
		if _, err := s.VerifySecondFactor(ctx, partial, "123456", "192.0.2.70"); errs.As(err).Key != "factor.code_wrong" {
			t.Fatalf("a code on a passkey-only account: %v", err)
		}
		if _, err := s.VerifySecondFactor(ctx, partial, codes[1], "192.0.2.70"); err != nil {
			t.Fatalf("recovery code on a passkey-only account: %v", err)
		}
		if err := s.ResetFactors(ctx, "", st.ID, "lost the phone with the passkey on it"); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.Passkeys(ctx, st.ID); len(list) != 0 {
			t.Fatalf("%d passkeys survived a factor reset", len(list))
		}
		if _, _, err := s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.70"); errs.As(err).Key != "signin.needs_setup_link" {
			t.Fatalf("after the reset: %v", err)
		}
	})
}
