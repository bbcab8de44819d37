package main

import "testing"

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"160MiB", 160 << 20, true}, {"1GiB", 1 << 30, true}, {"65536KiB", 64 << 20, true}, {"104857600", 100 << 20, true},
		{"off", 0, true}, {"0", 0, true},
		{"", 0, false}, {"lots", 0, false}, {"-5MiB", 0, false}, {"1MiB", 0, false}, {"160MB", 0, false}, {"99999999999GiB", 0, false},
	} {
		got, err := parseBytes(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseBytes(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
