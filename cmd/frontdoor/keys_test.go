package main

// CLI tests for 'frontdoor keys'. Delivered by the vault work as
// internal/vault/testdata/cmd_frontdoor_keys_test.go.txt because that work
// may not create files in cmd/frontdoor: move it to
// cmd/frontdoor/keys_test.go once runKeys is registered in main.go.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault"
)

// keysDB makes a migrated database whose vault has sealed one value, and
// returns how to open it again.
func keysDB(t *testing.T, cfg store.Config, src vault.KeySource) (sealed string) {
	t.Helper()
	ctx := context.Background()
	db := storetest.OpenConfig(t, cfg)
	defer db.Close()
	v, err := vault.OpenSource(ctx, db, src, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return v.SealString("Morwenna Tregothnan", "people", "1", "name")
}

func reopen(t *testing.T, cfg store.Config, src vault.KeySource, sealed string) {
	t.Helper()
	ctx := context.Background()
	cfg.CreateDataDir = false
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := vault.OpenSource(ctx, db, src, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := v.OpenString(sealed, "people", "1", "name"); err != nil || p != "Morwenna Tregothnan" {
		t.Fatalf("after rotation: %q, %v", p, err)
	}
}

func keys(t *testing.T, args ...string) (out, errOut string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = runKeys(context.Background(), args, &o, &e)
	return o.String(), e.String(), err
}

func TestKeysRotateKeyFile(t *testing.T) {
	t.Setenv(vault.EnvMasterKey, "")
	data := filepath.Join(t.TempDir(), "data")
	cfg := store.Config{DataDir: data, CreateDataDir: true}
	keyFile := vault.DefaultKeyFile(data)
	sealed := keysDB(t, cfg, vault.KeySource{File: keyFile, Create: true})
	old, err := vault.ReadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	out, _, err := keys(t, "status", "--data", data)
	if err != nil {
		t.Fatalf("keys status: %v\n%s", err, out)
	}
	for _, want := range []string{"Master key: ID " + old.ID(), "wraps this database's keys", "field", "blind_index", "audit"} {
		if !strings.Contains(out, want) {
			t.Errorf("keys status does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, old.Encode()) {
		t.Fatal("keys status printed the key")
	}

	out, errOut, err := keys(t, "rotate", "--data", data)
	if err != nil {
		t.Fatalf("keys rotate: %v\n%s%s", err, out, errOut)
	}
	now, err := vault.ReadKeyFile(keyFile)
	if err != nil || now.Equal(old) {
		t.Fatalf("key file after rotation: %v", err)
	}
	retired := vault.RetiredKeyFile(keyFile, old.ID())
	for _, want := range []string{now.ID(), old.ID(), retired, "backup taken before now opens only with it"} {
		if !strings.Contains(out, want) {
			t.Errorf("keys rotate does not say %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "Re-wrapping data keys") || !strings.Contains(errOut, "3/3") {
		t.Errorf("no progress bar on stderr: %q", errOut)
	}
	if strings.Contains(out+errOut, now.Encode()) || strings.Contains(out+errOut, old.Encode()) {
		t.Fatal("keys rotate printed a key")
	}
	reopen(t, cfg, vault.KeySource{File: keyFile}, sealed)

	// The retired key no longer opens the database: status says so and fails.
	out, _, err = keys(t, "status", "--data", data, "--key-file", retired)
	if !errors.Is(err, vault.ErrWrongMasterKey) || !strings.Contains(out, "does NOT wrap") {
		t.Fatalf("status with the retired key: %v\n%s", err, out)
	}
	if _, _, err := keys(t, "rotate", "--data", data, "--new-key-file", filepath.Join(t.TempDir(), "k")); !errors.As(err, new(usageError)) {
		t.Fatalf("--new-key-file with a key file: %v", err)
	}
}

func TestKeysRotateFromEnvironment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		cfg := storetest.Config(t, d)
		old := vault.NewMasterKey()
		sealed := keysDB(t, cfg, vault.KeySource{Env: old.Encode()})
		t.Setenv(vault.EnvMasterKey, old.Encode())
		dbArgs := []string{"--data", cfg.DataDir}
		if d == store.Postgres {
			dbArgs = []string{"--database-url", cfg.DatabaseURL}
		}
		_, _, err := keys(t, append([]string{"rotate"}, dbArgs...)...)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(ue.msg, "--new-key-file is required") {
			t.Fatalf("rotate from the environment without --new-key-file: %v", err)
		}
		newFile := filepath.Join(t.TempDir(), "new.key")
		out, _, err := keys(t, append([]string{"rotate", "--new-key-file", newFile}, dbArgs...)...)
		if err != nil {
			t.Fatalf("keys rotate: %v\n%s", err, out)
		}
		nk, err := vault.ReadKeyFile(newFile)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{nk.ID(), old.ID(), newFile, vault.EnvMasterKey, "before any frontdoor process restarts"} {
			if !strings.Contains(out, want) {
				t.Errorf("keys rotate does not say %q:\n%s", want, out)
			}
		}
		if _, _, err := keys(t, append([]string{"status"}, dbArgs...)...); !errors.Is(err, vault.ErrWrongMasterKey) {
			t.Fatalf("status with the old key in the environment: %v", err)
		}
		t.Setenv(vault.EnvMasterKey, nk.Encode())
		if out, _, err := keys(t, append([]string{"status"}, dbArgs...)...); err != nil {
			t.Fatalf("status with the new key: %v\n%s", err, out)
		}
		reopen(t, cfg, vault.KeySource{Env: nk.Encode()}, sealed)
		// The key command works the same way and wins over the environment.
		out, _, err = keys(t, append([]string{"status", "--master-key-command", "cat " + newFile}, dbArgs...)...)
		if err != nil || !strings.Contains(out, "--master-key-command") {
			t.Fatalf("status with a key command: %v\n%s", err, out)
		}
	})
}

func TestKeysWithoutAKeyOnPostgres(t *testing.T) {
	t.Setenv(vault.EnvMasterKey, "")
	url := storetest.PostgresURL(t)
	_, _, err := keys(t, "rotate", "--database-url", url)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(ue.msg, "--key-file") || !strings.Contains(ue.msg, vault.EnvMasterKey) || !strings.Contains(ue.msg, "--master-key-command") {
		t.Fatalf("rotate with no key: %v", err)
	}
}

func TestKeysUsageAndGenerate(t *testing.T) {
	if _, _, err := keys(t); !errors.As(err, new(usageError)) {
		t.Fatalf("keys alone: %v", err)
	}
	if _, _, err := keys(t, "bogus"); !errors.As(err, new(usageError)) {
		t.Fatalf("keys bogus: %v", err)
	}
	out, _, err := keys(t, "rotate", "--help")
	if !errors.Is(err, errHelp) {
		t.Fatalf("rotate --help: %v", err)
	}
	for _, want := range []string{"--key-file", "--master-key-command", "--new-key-file", vault.EnvMasterKey, "FRONTDOOR_KEY_FILE", "FRONTDOOR_MASTER_KEY_COMMAND"} {
		if !strings.Contains(out, want) {
			t.Errorf("rotate --help does not mention %s", want)
		}
	}
	to := filepath.Join(t.TempDir(), "master.key")
	out, _, err = keys(t, "generate", "--to", to)
	if err != nil {
		t.Fatal(err)
	}
	k, err := vault.ReadKeyFile(to)
	if err != nil || !strings.Contains(out, k.ID()) || strings.Contains(out, k.Encode()) {
		t.Fatalf("generate: %v\n%s", err, out)
	}
	if fi, _ := os.Stat(to); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	if _, _, err := keys(t, "generate", "--to", to); err == nil {
		t.Fatal("generate overwrote a key file")
	}
}
