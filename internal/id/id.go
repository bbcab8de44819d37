// Package id makes the opaque identifiers used in URLs, APIs and the
// database: UUIDv7 (RFC 9562). They sort by creation time, which keeps
// B-tree inserts local, yet carry 74 random bits so they cannot be guessed
// or enumerated the way sequential numbers can.
package id

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"time"
)

// New returns a new UUIDv7 string for the current time.
func New() string { return NewAt(time.Now(), rand.Reader) }

// NewAt returns a UUIDv7 for the given time using r for the random bits;
// tests pass a fixed clock and source.
func NewAt(t time.Time, r io.Reader) string {
	var b [16]byte
	if _, err := io.ReadFull(r, b[6:]); err != nil {
		// crypto/rand does not fail on supported platforms; a broken source
		// must not yield predictable identifiers.
		panic("id: random source failed: " + err.Error())
	}
	ms := uint64(t.UnixMilli())
	b[0], b[1], b[2] = byte(ms>>40), byte(ms>>32), byte(ms>>24)
	b[3], b[4], b[5] = byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = 0x70 | b[6]&0x0f // version 7
	b[8] = 0x80 | b[8]&0x3f // RFC 9562 variant
	return format(b)
}

func format(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// Valid reports whether s has the shape of an ID we issue, so handlers can
// refuse garbage before it reaches a query.
func Valid(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}
