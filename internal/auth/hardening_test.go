package auth_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// A burst of parallel guesses gets no more tries than the limit: the
// attempt is written before the password is checked.
func TestParallelGuessesAreThrottled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		setUp(t, s, c)
		var checked atomic.Int32
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				_, _, err := s.SignIn(ctx, "admin", "wrong guess number "+string(rune('a'+i%26)), "192.0.2.50")
				if errs.As(err).Key == "signin.failed" {
					checked.Add(1)
				}
			})
		}
		wg.Wait()
		if n := checked.Load(); n > 5 {
			t.Fatalf("%d of 40 parallel guesses were checked; the limit is 5", n)
		}
	})
}

// One TOTP code, two sessions racing to spend it: only one wins.
func TestOneCodeCannotUpgradeTwoSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		_, secret := setUp(t, s, c)
		for round := range 5 {
			c.Advance(30 * time.Second)
			a, _, err := s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.60")
			if err != nil {
				t.Fatal(err)
			}
			b, _, _ := s.SignIn(ctx, "admin", "lighthouse keeper", "192.0.2.61")
			cd := code(t, secret, c.Now())
			var wins atomic.Int32
			var wg sync.WaitGroup
			for _, tok := range []string{a, b} {
				wg.Go(func() {
					if _, err := s.VerifySecondFactor(ctx, tok, cd, "192.0.2.62"); err == nil {
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("round %d: one code upgraded %d sessions", round, wins.Load())
			}
		}
	})
}

// A first-administrator link printed at an earlier start is worthless once
// an administrator exists; a newer link for an account voids older ones.
func TestStaleLinksAreWorthless(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, c := newService(t, d)
		early, _ := s.IssueSetupLink(ctx, "") // printed at a first start, left in a log
		admin, _ := setUp(t, s, c)
		form := auth.SetupForm{OrganisationName: "Rogue Org", DisplayName: "Rogue", Username: "rogue", Password: "a rogue password here", Confirm: "a rogue password here"}
		if _, _, err := s.CompleteSetup(ctx, early, form); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("stale first-administrator link: %v", err)
		}
		if _, err := s.StaffByUsername(ctx, "rogue"); err == nil {
			t.Fatal("a stale link made a second administrator")
		}
		w, _ := s.AddStaff(ctx, auth.NewStaff{OrganisationID: admin.OrganisationID, Username: "w.worker", DisplayName: "W", Role: access.RoleIDVA})
		first, _ := s.IssueSetupLink(ctx, w.ID)
		second, err := s.ReissueSetupLink(ctx, admin.ID, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetupLink(ctx, first); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("the older link still works after a new one: %v", err)
		}
		if _, err := s.SetupLink(ctx, second); err != nil {
			t.Fatalf("the newest link: %v", err)
		}
	})
}

// Someone else who has the password and an enrolment-stage session does
// not see the secret another session is enrolling.
func TestEnrolmentSecretBelongsToItsSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		s, _ := newService(t, d)
		token, _ := s.IssueSetupLink(ctx, "")
		mine, _, err := s.CompleteSetup(ctx, token, auth.SetupForm{OrganisationName: "O", DisplayName: "A", Username: "a.admin", Password: "plum orchard silence", Confirm: "plum orchard silence"})
		if err != nil {
			t.Fatal(err)
		}
		e1, err := s.BeginEnrolment(ctx, mine)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := s.StaffByUsername(ctx, "a.admin")
		link, _ := s.IssueSetupLink(ctx, st.ID)
		theirs, _, err := s.CompleteSetup(ctx, link, auth.SetupForm{Password: "plum orchard silence 2", Confirm: "plum orchard silence 2"})
		if err != nil {
			t.Fatal(err)
		}
		e2, err := s.BeginEnrolment(ctx, theirs)
		if err != nil {
			t.Fatal(err)
		}
		if e2.Secret == e1.Secret {
			t.Fatal("a second enrolment session was shown the first one's secret")
		}
	})
}
