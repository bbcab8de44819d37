package vault

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestMasterKeyIDAndEncoding(t *testing.T) {
	k := NewMasterKey()
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(k.ID()) {
		t.Fatalf("ID %q is not 16 hex digits", k.ID())
	}
	p, err := ParseMasterKey(" " + k.Encode() + "\n")
	if err != nil || !p.Equal(k) || p.ID() != k.ID() {
		t.Fatalf("ParseMasterKey(Encode()) = %v, %v", p, err)
	}
	if NewMasterKey().ID() == k.ID() {
		t.Fatal("two new keys share an ID")
	}
	// A known key has a known ID: the fingerprint must never change, or
	// every database would refuse its key after an upgrade.
	zero, _ := ParseMasterKey(strings.Repeat("A", 43) + "=")
	if zero.ID() != "8593a4802f68b742" {
		t.Fatalf("ID of the all-zero key = %s; the fingerprint changed", zero.ID())
	}
	for _, bad := range []string{"", "short", strings.Repeat("A", 42) + "==", k.Encode() + "AAAA", "!" + k.Encode()[1:]} {
		if _, err := ParseMasterKey(bad); err == nil {
			t.Errorf("ParseMasterKey(%q) accepted", bad)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("the error repeats the input: %v", err)
		}
	}
}

func TestMasterKeyDoesNotLeakWhenPrinted(t *testing.T) {
	k := NewMasterKey()
	var log bytes.Buffer
	slog.New(slog.NewTextHandler(&log, nil)).Info("x", "key", k)
	s := fmt.Sprintf("%v %+v %#v %s", k, k, k, k) + log.String()
	if strings.Contains(s, k.Encode()) || strings.Contains(s, fmt.Sprint(k.b)) || strings.Contains(s, fmt.Sprintf("%x", k.b)) {
		t.Fatalf("printing the key shows it: %s", s)
	}
	if !strings.Contains(s, k.ID()) {
		t.Fatalf("printing the key does not show its ID: %s", s)
	}
}

func TestKeyFileCreatedWhenAllowed(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeyFileName)
	if _, err := LoadMasterKey(KeySource{File: path}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing key file without Create: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a key file was created without Create")
	}
	var notes []string
	k, err := LoadMasterKey(KeySource{File: path, Create: true, Notify: func(m string) { notes = append(notes, m) }})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode(), err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != k.Encode()+"\n" {
		t.Fatalf("key file holds %q", b)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], k.ID()) || strings.Contains(notes[0], k.Encode()) {
		t.Fatalf("notes %q", notes)
	}
	again, err := LoadMasterKey(KeySource{File: path, Create: true})
	if err != nil || !again.Equal(k) {
		t.Fatalf("second load: %v, %v", again, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("left files behind: %v", entries)
	}
}

func TestKeyFileOpenToOthersIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	if err := WriteKeyFile(path, NewMasterKey()); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		os.Chmod(path, mode)
		_, err := LoadMasterKey(KeySource{File: path})
		if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
	os.Chmod(path, 0o400)
	if _, err := LoadMasterKey(KeySource{File: path}); err != nil {
		t.Fatalf("mode 0400: %v", err)
	}
}

func TestKeyFileBadContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	os.WriteFile(path, []byte("secret-looking but wrong\n"), 0o600)
	_, err := LoadMasterKey(KeySource{File: path})
	if err == nil || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "secret-looking") {
		t.Fatalf("bad key file: %v", err)
	}
	if _, err := LoadMasterKey(KeySource{File: t.TempDir()}); err == nil {
		t.Fatal("a directory was accepted as a key file")
	}
}

func TestWriteKeyFileNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	a := NewMasterKey()
	if err := WriteKeyFile(path, a); err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyFile(path, NewMasterKey()); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrote: %v", err)
	}
	if k, err := ReadKeyFile(path); err != nil || !k.Equal(a) {
		t.Fatal("the key file changed")
	}
	if err := WriteKeyFile(filepath.Join(t.TempDir(), "no", "such", "dir"), a); err == nil {
		t.Fatal("wrote into a missing directory")
	}
}

func TestKeySourcesAndPrecedence(t *testing.T) {
	dir := t.TempDir()
	file, env, cmd := NewMasterKey(), NewMasterKey(), NewMasterKey()
	path := filepath.Join(dir, "k")
	if err := WriteKeyFile(path, file); err != nil {
		t.Fatal(err)
	}
	printf := "printf '%s\\n' " + cmd.Encode()
	for _, c := range []struct {
		src  KeySource
		want *MasterKey
	}{
		{KeySource{File: path}, file},
		{KeySource{File: path, Env: env.Encode()}, env},
		{KeySource{File: path, Env: env.Encode(), Command: printf}, cmd},
		{KeySource{Command: "printf " + cmd.Encode()}, cmd},
		{KeySource{Env: "  " + env.Encode() + "\n"}, env},
		// A file that would be refused is not even looked at when the
		// environment gives the key.
		{KeySource{File: filepath.Join(dir, "missing"), Env: env.Encode()}, env},
	} {
		got, err := LoadMasterKey(c.src)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("LoadMasterKey(%s) = %v, %v; want %v", c.src.Describe(), got, err, c.want)
		}
	}
}

func TestKeySourceErrors(t *testing.T) {
	_, err := LoadMasterKey(KeySource{})
	if !errors.Is(err, ErrNoMasterKey) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("no source: %v", err)
	}
	for _, way := range []string{"--key-file", EnvMasterKey, "--master-key-command"} {
		if !strings.Contains(err.Error(), way) {
			t.Errorf("the no-key message does not mention %s: %v", way, err)
		}
	}
	if _, err := LoadMasterKey(KeySource{Env: "not-a-key"}); err == nil || !strings.Contains(err.Error(), EnvMasterKey) || strings.Contains(err.Error(), "not-a-key") {
		t.Errorf("bad env: %v", err)
	}
	if _, err := LoadMasterKey(KeySource{Command: "echo vault says no >&2; exit 3"}); err == nil || !strings.Contains(err.Error(), "vault says no") || !strings.Contains(err.Error(), "--master-key-command") {
		t.Errorf("failing command: %v", err)
	}
	if _, err := LoadMasterKey(KeySource{Command: "echo hunter2-not-a-key"}); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("command printing garbage: %v", err)
	}
	t.Setenv(EnvMasterKey, NewMasterKey().Encode())
	if _, err := LoadMasterKey(KeySource{Command: `test -z "$` + EnvMasterKey + `" && exit 0; exit 9`}); err == nil || !strings.Contains(err.Error(), "is not a frontdoor master key") {
		t.Errorf("the key command saw %s or failed otherwise: %v", EnvMasterKey, err)
	}
}

func TestPendingKeyFileWithoutKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeyFileName)
	if err := WriteKeyFile(PendingKeyFile(path), NewMasterKey()); err != nil {
		t.Fatal(err)
	}
	_, err := LoadMasterKey(KeySource{File: path, Create: true})
	if err == nil || !strings.Contains(err.Error(), "mv "+PendingKeyFile(path)+" "+path) {
		t.Fatalf("missing key file beside a pending one: %v", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a new key file was created beside a pending one")
	}
}
