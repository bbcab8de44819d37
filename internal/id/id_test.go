package id

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestNewIsVersion7AndValid(t *testing.T) {
	s := New()
	if !Valid(s) {
		t.Fatalf("New() = %q, not a valid ID", s)
	}
	if s[14] != '7' {
		t.Fatalf("version nibble = %c, want 7 in %q", s[14], s)
	}
	if !strings.ContainsRune("89ab", rune(s[19])) {
		t.Fatalf("variant nibble = %c, want 8-b in %q", s[19], s)
	}
}

func TestIDsSortByTime(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := NewAt(t0, bytes.NewReader(bytes.Repeat([]byte{0xff}, 10)))
	b := NewAt(t0.Add(time.Millisecond), bytes.NewReader(make([]byte, 10)))
	if !(a < b) {
		t.Fatalf("later ID %q does not sort after earlier %q", b, a)
	}
}

func TestNewIsUnique(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		s := New()
		if seen[s] {
			t.Fatalf("duplicate ID %q after %d", s, i)
		}
		seen[s] = true
	}
}

func TestValidRejects(t *testing.T) {
	for _, s := range []string{"", "1", "../../etc/passwd", strings.Repeat("a", 36),
		"0190f2a0-0000-7000-8000-00000000000G", "0190F2A0-0000-7000-8000-000000000000"} {
		if Valid(s) {
			t.Errorf("Valid(%q) = true", s)
		}
	}
}

func FuzzValid(f *testing.F) {
	f.Add(New())
	f.Add("not-an-id")
	f.Fuzz(func(t *testing.T, s string) {
		if Valid(s) && len(s) != 36 {
			t.Fatalf("Valid accepted %q of length %d", s, len(s))
		}
	})
}
