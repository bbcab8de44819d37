package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// testVault builds a vault in memory from a seed: the same seed gives the
// same keys and the same nonces, so a fuzzing worker can reproduce what
// the coordinator sealed.
func testVault(seed uint64) *Vault {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	r := rand.NewChaCha8(s)
	key := func() []byte { b := make([]byte, 32); r.Read(b); return b }
	fk, err := newFieldKey(fmt.Sprintf("%08x", uint32(seed)), key())
	if err != nil {
		panic(err)
	}
	return &Vault{
		masterID: "test",
		sealKey:  fk,
		fields:   map[[keyIDLen]byte]*fieldKey{fk.id: fk},
		blind:    key(),
		audit:    key(),
		rand:     r,
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	v := testVault(1)
	aad := AAD("people", "0190a1b2-0000-7000-8000-000000000001", "name")
	for _, p := range []string{"", "a", "Morwenna Tregothnan", strings.Repeat("x", 15), strings.Repeat("x", 16),
		strings.Repeat("x", 17), "ends in pad-like bytes\x80\x00\x00", "\x80", "\x00", "Zoë Ó Súilleabháin 😀", strings.Repeat("note ", 2000)} {
		ct := v.Seal([]byte(p), aad)
		if len(ct) < MinCiphertextLen || (len(ct)-MinCiphertextLen)%16 != 0 {
			t.Errorf("len(Seal(%d bytes)) = %d", len(p), len(ct))
		}
		got, err := v.Open(ct, aad)
		if err != nil || string(got) != p {
			t.Errorf("Open(Seal(%.20q)) = %.20q, %v", p, got, err)
		}
		s := v.SealString(p, "people", "id", "name")
		got2, err := v.OpenString(s, "people", "id", "name")
		if err != nil || got2 != p {
			t.Errorf("OpenString(SealString(%.20q)) = %.20q, %v", p, got2, err)
		}
	}
}

func TestSealStringIsSealOfAAD(t *testing.T) {
	v := testVault(2)
	s := v.SealString("Morwenna", "people", "1", "name")
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := v.Open(b, AAD("people", "1", "name")); err != nil || string(p) != "Morwenna" {
		t.Fatalf("Open(SealString) with AAD(parts) = %q, %v", p, err)
	}
}

// Sealed tells this vault's ciphertexts from anything else a column could
// hold: plaintext, a blind index, another vault's ciphertext, a damaged one.
func TestSealedRecognisesCiphertexts(t *testing.T) {
	v := testVault(2)
	for _, s := range []string{"", "yes", "high", "Ashby District Council", "Band B"} {
		if c := v.SealString(s, "t", "1", "f"); !v.Sealed(c) {
			t.Errorf("Sealed(SealString(%q)) = false", s)
		}
	}
	other := testVault(3).SealString("high", "t", "1", "f")
	c := v.SealString("high", "t", "1", "f")
	b, _ := base64.StdEncoding.DecodeString(c)
	for _, s := range []string{"", "high", "not_known", strings.Repeat("A", 92), v.BlindIndex("p", "x"), other,
		c[:len(c)-4], base64.StdEncoding.EncodeToString(b[:len(b)-1]), base64.StdEncoding.EncodeToString(append([]byte{2}, b[1:]...))} {
		if v.Sealed(s) {
			t.Errorf("Sealed(%q) = true", s)
		}
	}
}

func TestLengthIsHiddenWithinABlock(t *testing.T) {
	v := testVault(3)
	short, long := v.Seal([]byte("Al"), nil), v.Seal([]byte("Bartholomew Tre"), nil)
	if len(short) != len(long) {
		t.Fatalf("a 2-byte and a 15-byte value give %d and %d bytes", len(short), len(long))
	}
	if empty := v.Seal(nil, nil); len(empty) != len(short) {
		t.Fatalf("the empty value shows: %d bytes against %d", len(empty), len(short))
	}
}

func TestOpenRefusesWrongAAD(t *testing.T) {
	v := testVault(4)
	ct := v.SealString("07700 900123", "people", "A", "phone")
	for _, aad := range [][]string{
		{"people", "B", "phone"},  // another record
		{"people", "A", "mobile"}, // another field
		{"staff", "A", "phone"},   // another table
		{},                        // none
		{"peopleA", "phone"},      // parts run together
		{"people", "A", "phone", ""},
	} {
		if p, err := v.OpenString(ct, aad...); !errors.Is(err, ErrCiphertext) || p != "" {
			t.Errorf("opened with aad %q: %q, %v", aad, p, err)
		}
	}
	if bytes.Equal(AAD("ab", "c"), AAD("a", "bc")) || bytes.Equal(AAD("a", ""), AAD("a")) {
		t.Fatal("AAD is ambiguous")
	}
}

func TestOpenRefusesTampering(t *testing.T) {
	v := testVault(5)
	aad := AAD("t", "1", "f")
	ct := v.Seal([]byte("1987-03-14"), aad)
	for i := range ct {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(ct)
			bad[i] ^= bit
			if p, err := v.Open(bad, aad); err == nil {
				t.Fatalf("flipping bit %#x of byte %d still opens: %q", bit, i, p)
			}
		}
	}
	for _, bad := range [][]byte{nil, ct[:len(ct)-1], ct[:MinCiphertextLen-1], append(bytes.Clone(ct), 0), append(bytes.Clone(ct), make([]byte, 16)...)} {
		if _, err := v.Open(bad, aad); !errors.Is(err, ErrCiphertext) {
			t.Errorf("opened a %d-byte truncation or extension", len(bad))
		}
	}
	for _, s := range []string{"", "not base64!", "AAAA", base64.StdEncoding.EncodeToString(ct)[1:]} {
		if _, err := v.OpenString(s, "t", "1", "f"); !errors.Is(err, ErrCiphertext) {
			t.Errorf("OpenString(%q) did not fail with ErrCiphertext: %v", s, err)
		}
	}
}

func TestOpenRefusesAnotherVault(t *testing.T) {
	a, b := testVault(6), testVault(7)
	ct := a.Seal([]byte("Morwenna"), nil)
	if _, err := b.Open(ct, nil); !errors.Is(err, ErrCiphertext) {
		t.Fatalf("another vault opened it: %v", err)
	}
	// Same key ID, other key: still refused.
	c := testVault(6 + 1<<32)
	if c.sealKey.id != a.sealKey.id {
		t.Fatal("test setup: key IDs differ")
	}
	if _, err := c.Open(ct, nil); !errors.Is(err, ErrCiphertext) {
		t.Fatalf("a key with the same ID opened it: %v", err)
	}
}

func TestSealTwiceDiffers(t *testing.T) {
	v := testVault(8)
	seen := map[string]bool{}
	for range 100 {
		s := v.SealString("Morwenna Tregothnan", "t", "1", "f")
		if seen[s] {
			t.Fatal("the same plaintext sealed to the same ciphertext twice")
		}
		seen[s] = true
	}
}

func TestOpenPicksKeyByID(t *testing.T) {
	old := testVault(9)
	ct := old.Seal([]byte("sealed before the field key changed"), nil)
	v := testVault(10)
	v.fields[old.sealKey.id] = old.sealKey // old key kept (retired) for opening
	if p, err := v.Open(ct, nil); err != nil || string(p) != "sealed before the field key changed" {
		t.Fatalf("Open with a retired key = %q, %v", p, err)
	}
	if ct2 := v.Seal([]byte("new"), nil); !bytes.Equal(ct2[1:headerLen], v.sealKey.id[:]) {
		t.Fatal("Seal did not use the key in use")
	}
}

func TestBlindIndex(t *testing.T) {
	a, b := testVault(11), testVault(12)
	x := a.BlindIndex("person.phone", "07700900123")
	if x != a.BlindIndex("person.phone", "07700900123") {
		t.Fatal("not deterministic")
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(x) || len(x) != BlindIndexLen {
		t.Fatalf("blind index %q is not %d hex digits", x, BlindIndexLen)
	}
	for _, other := range []string{
		a.BlindIndex("person.mobile", "07700900123"),
		a.BlindIndex("person.phone", "07700900124"),
		a.BlindIndex("person.phone0", "7700900123"), // purpose and value run together
		b.BlindIndex("person.phone", "07700900123"),
	} {
		if other == x {
			t.Fatal("unrelated inputs gave the same blind index")
		}
	}
	for _, bad := range []string{"", "a\x00b"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("purpose %q accepted", bad)
				}
			}()
			a.BlindIndex(bad, "x")
		}()
	}
}

func TestAuditKey(t *testing.T) {
	v := testVault(13)
	k := v.AuditKey()
	if len(k) != 32 {
		t.Fatalf("audit key is %d bytes", len(k))
	}
	k[0] ^= 1
	if bytes.Equal(k, v.AuditKey()) {
		t.Fatal("AuditKey returned the vault's own slice")
	}
	if bytes.Equal(v.AuditKey(), v.blind) {
		t.Fatal("audit and blind-index keys are the same")
	}
}

func TestNormalisePhone(t *testing.T) {
	for in, want := range map[string]string{
		"+44 7700 900123":     "07700900123",
		"07700-900123":        "07700900123",
		"0044 7700 900 123":   "07700900123",
		"+44 (0)7700 900123":  "07700900123",
		"447700900123":        "07700900123",
		"(07700) 900.123":     "07700900123",
		" 07700 900123 ":      "07700900123",
		"０７７００９００１２３":         "07700900123",
		"020 7946 0018":       "02079460018",
		"+33 6 12 34 56 78":   "+33612345678",
		"0033 6 12 34 56 78":  "+33612345678",
		"":                    "",
		"none":                "",
		"4477009001":          "4477009001", // too short to be +44: left as typed
		"+353 (0)1 234 5678 ": "+353012345678",
	} {
		if got := NormalisePhone(in); got != want {
			t.Errorf("NormalisePhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormaliseName(t *testing.T) {
	for in, want := range map[string]string{
		"Morwenna Tregothnan":      "morwenna tregothnan",
		"  MORWENNA   tregothnan ": "morwenna tregothnan",
		"Zoë":                      "zoe",
		"Zoe\u0308":                "zoe", // decomposed already
		"Siobhán Ó Súilleabháin":   "siobhan o suilleabhain",
		"Łukasz Żółć":              "lukasz zolc",
		"Anne-Marie Smith":         "anne marie smith",
		"O’Brien":                  "obrien",
		"O'Brien":                  "obrien",
		"Strauß":                   "strauss",
		"Ærø":                      "aero",
		"Ｍｏｒｗｅｎｎａ":                 "morwenna", // full width
		"Renée\tDupont":            "renee dupont",
		"":                         "",
		"--":                       "",
	} {
		if got := NormaliseName(in); got != want {
			t.Errorf("NormaliseName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormaliseDate(t *testing.T) {
	for in, want := range map[string]string{
		"1987-03-14":    "1987-03-14",
		"14/03/1987":    "1987-03-14",
		"14/3/1987":     "1987-03-14",
		"14-03-1987":    "1987-03-14",
		"14.03.1987":    "1987-03-14",
		"1987/03/14":    "1987-03-14",
		" 14 Mar 1987 ": "1987-03-14",
		"14 march 1987": "1987-03-14",
		"29/02/2000":    "2000-02-29",
	} {
		if got, err := NormaliseDate(in); err != nil || got != want {
			t.Errorf("NormaliseDate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "14/03/87", "31/02/1987", "29/02/1987", "1987-13-01", "03/14/1987", "yesterday", "1987-3-14x"} {
		if got, err := NormaliseDate(bad); err == nil {
			t.Errorf("NormaliseDate(%q) = %q, want an error", bad, got)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("the error repeats the value: %v", err)
		}
	}
}

// FuzzOpen: arbitrary bytes never panic and never open, except the exact
// ciphertexts Seal made (which the seed corpus holds, so mutations of them
// are explored).
func FuzzOpen(f *testing.F) {
	v := testVault(42) // deterministic: every worker seals the same seeds
	type sealed struct{ plaintext, aad string }
	made := map[string]sealed{}
	for i, p := range []string{"", "Morwenna Tregothnan", "07700900123", "1987-03-14", strings.Repeat("long note ", 20)} {
		aad := string(AAD("t", fmt.Sprint(i), "f"))
		ct := v.Seal([]byte(p), []byte(aad))
		made[string(ct)] = sealed{p, aad}
		f.Add(ct, []byte(aad))
		f.Add(ct, []byte(nil))
	}
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1, 0, 0, 0, 0}, []byte("x"))
	f.Fuzz(func(t *testing.T, ct, aad []byte) {
		p, err := v.Open(ct, aad)
		s, ok := made[string(ct)]
		if err == nil {
			if !ok || s.aad != string(aad) || s.plaintext != string(p) {
				t.Fatalf("Open accepted a ciphertext Seal did not make (or with other AAD): %x", ct)
			}
		} else if ok && s.aad == string(aad) {
			t.Fatalf("a ciphertext Seal made does not open: %v", err)
		} else if !errors.Is(err, ErrCiphertext) {
			t.Fatalf("unexpected error %v", err)
		}
		if _, err := v.OpenString(string(ct), string(aad)); err == nil && !ok {
			t.Fatalf("OpenString accepted %q", ct)
		}
	})
}
