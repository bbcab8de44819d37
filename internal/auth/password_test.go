package auth

import (
	"strings"
	"testing"

	"frontdoor/internal/errs"
)

func TestHashAndCheck(t *testing.T) {
	h := HashPassword("correct horse battery staple")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=47104,t=1,p=1$") {
		t.Fatalf("hash %q does not record argon2id parameters", h)
	}
	if !CheckPassword(h, "correct horse battery staple") {
		t.Fatal("the right password was refused")
	}
	if CheckPassword(h, "correct horse battery stapl") {
		t.Fatal("a wrong password was accepted")
	}
	if HashPassword("same password here") == HashPassword("same password here") {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$argon2i$v=19$m=8,t=1,p=1$AAAA$AAAA"} {
		if CheckPassword(bad, "") {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	cases := map[string]string{
		"short":                  "password.too_short",
		"eleven char":            "password.too_short",
		"twelve chars":           "",
		"ééééééééééé1":           "",
		strings.Repeat("x", 257): "password.too_long",
	}
	for pw, want := range cases {
		err := ValidatePassword("password", pw)
		if want == "" {
			if err != nil {
				t.Errorf("%q refused: %v", pw, err)
			}
			continue
		}
		e := errs.As(err)
		if err == nil || e.Key != want || e.Field != "password" {
			t.Errorf("%q: got %v, want %s on field password", pw, err, want)
		}
	}
}

func FuzzCheckPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", "pw")
	f.Add("$$$$$", "")
	f.Fuzz(func(t *testing.T, encoded, pw string) {
		if len(encoded) > 200 {
			return
		}
		// Must not panic or allocate without bound on hostile input; a
		// random string never verifies.
		if CheckPassword(encoded, pw) && !strings.HasPrefix(encoded, "$argon2id$") {
			t.Fatalf("non-argon2id hash %q verified", encoded)
		}
	})
}
