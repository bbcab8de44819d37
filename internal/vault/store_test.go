package vault_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault"
	"frontdoor/internal/vault/vaulttest"
)

var ctx = context.Background()

func open(t *testing.T, db *store.DB, k *vault.MasterKey) *vault.Vault {
	t.Helper()
	v, err := vault.Open(ctx, db, k, time.Now)
	if err != nil {
		t.Fatalf("vault.Open: %v", err)
	}
	return v
}

func keyIDs(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	keys, err := vault.Keys(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, k := range keys {
		m[k.Purpose] = k.ID
	}
	return m
}

// sameKeys checks that b opens what a sealed and makes the same blind
// indexes and audit key.
func sameKeys(t *testing.T, a, b *vault.Vault) {
	t.Helper()
	s := a.SealString("Morwenna Tregothnan", "people", "1", "name")
	if p, err := b.OpenString(s, "people", "1", "name"); err != nil || p != "Morwenna Tregothnan" {
		t.Fatalf("the other vault cannot open it: %q, %v", p, err)
	}
	if a.BlindIndex("person.phone", "07700900123") != b.BlindIndex("person.phone", "07700900123") {
		t.Fatal("blind indexes differ")
	}
	if string(a.AuditKey()) != string(b.AuditKey()) {
		t.Fatal("audit keys differ")
	}
}

func TestOpenCreatesKeysOnceAndReopens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		k := vault.NewMasterKey()
		if _, has, err := vault.WrappingMasterKeyID(ctx, db); err != nil || has {
			t.Fatalf("a fresh database has keys: %v %v", has, err)
		}
		v1 := open(t, db, k)
		ids := keyIDs(t, db)
		if len(ids) != 3 || ids["field"] == "" || ids["blind_index"] == "" || ids["audit"] == "" {
			t.Fatalf("keys after first open: %v", ids)
		}
		keys, _ := vault.Keys(ctx, db)
		for _, key := range keys {
			if key.MasterKeyID != k.ID() || key.CreatedAt.IsZero() || key.RetiredAt != nil {
				t.Errorf("key %+v", key)
			}
		}
		if v1.MasterKeyID() != k.ID() {
			t.Fatal("MasterKeyID")
		}
		sealed := v1.SealString("1987-03-14", "people", "1", "dob")
		// Reopen with the same master key (as after a restart, from a key
		// parsed afresh).
		k2, _ := vault.ParseMasterKey(k.Encode())
		v2 := open(t, db, k2)
		if got := keyIDs(t, db); len(got) != 3 || got["field"] != ids["field"] || got["blind_index"] != ids["blind_index"] || got["audit"] != ids["audit"] {
			t.Fatalf("keys changed on reopen: %v then %v", ids, got)
		}
		if p, err := v2.OpenString(sealed, "people", "1", "dob"); err != nil || p != "1987-03-14" {
			t.Fatalf("after reopening: %q, %v", p, err)
		}
		sameKeys(t, v1, v2)
		if id, has, err := vault.WrappingMasterKeyID(ctx, db); err != nil || !has || id != k.ID() {
			t.Fatalf("WrappingMasterKeyID = %s %v %v", id, has, err)
		}
	})
}

func TestOpenRefusesAnotherMasterKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		right, wrong := vault.NewMasterKey(), vault.NewMasterKey()
		open(t, db, right)
		_, err := vault.Open(ctx, db, wrong, time.Now)
		if !errors.Is(err, vault.ErrWrongMasterKey) {
			t.Fatalf("wrong master key: %v", err)
		}
		for _, s := range []string{wrong.ID(), right.ID(), "--key-file", vault.EnvMasterKey, "--master-key-command"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("message %q does not say %q", err, s)
			}
		}
		if strings.Contains(err.Error(), right.Encode()) || strings.Contains(err.Error(), wrong.Encode()) {
			t.Fatal("the message shows a key")
		}
		if ids := keyIDs(t, db); len(ids) != 3 {
			t.Fatalf("the refused key added keys: %v", ids)
		}
	})
}

func TestConcurrentFirstOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		cfg := storetest.Config(t, d)
		first := storetest.OpenConfig(t, cfg) // migrated
		cfg.CreateDataDir = false
		// Each "node" has its own pools, as separate processes would.
		const nodes = 4
		dbs := []*store.DB{first}
		for range nodes - 1 {
			db, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			dbs = append(dbs, db)
		}
		k := vault.NewMasterKey()
		vaults := make([]*vault.Vault, nodes)
		errs := make([]error, nodes)
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range nodes {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				vaults[i], errs[i] = vault.Open(ctx, dbs[i], k, time.Now)
			}()
		}
		start.Done()
		done.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("node %d: %v", i, err)
			}
		}
		for i := 1; i < nodes; i++ {
			sameKeys(t, vaults[0], vaults[i])
			sameKeys(t, vaults[i], vaults[0])
		}
		if keys, _ := vault.Keys(ctx, first); len(keys) != 3 {
			t.Fatalf("%d keys after concurrent first opens", len(keys))
		}
	})
}

// scratch makes a table like a capability package's, for sealed values.
func scratch(t *testing.T, db *store.DB) {
	t.Helper()
	err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE vault_scratch (id TEXT PRIMARY KEY, name TEXT, phone TEXT, dob TEXT, name_bi TEXT, phone_bi TEXT, dob_bi TEXT, note TEXT)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

type person struct{ id, name, phone, dob string }

var people = []person{
	{"p1", "Morwenna Tregothnan", "07700 900123", "1987-03-14"},
	{"p2", "Zoë Ó Súilleabháin", "+44 7700 900456", "2001-11-30"},
	{"p3", "", "", "1990-01-01"},
}

func insertPeople(t *testing.T, db *store.DB, v *vault.Vault) {
	t.Helper()
	err := db.Write(ctx, func(tx *store.Tx) error {
		for _, p := range people {
			dob, err := vault.NormaliseDate(p.dob)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO vault_scratch (id, name, phone, dob, name_bi, phone_bi, dob_bi) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				p.id,
				v.SealString(p.name, "vault_scratch", p.id, "name"),
				v.SealString(p.phone, "vault_scratch", p.id, "phone"),
				v.SealString(p.dob, "vault_scratch", p.id, "dob"),
				v.BlindIndex("scratch.name", vault.NormaliseName(p.name)),
				v.BlindIndex("scratch.phone", vault.NormalisePhone(p.phone)),
				v.BlindIndex("scratch.dob", dob)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkPeople reads the scratch rows back through v.
func checkPeople(t *testing.T, db *store.DB, v *vault.Vault) {
	t.Helper()
	for _, p := range people {
		var name, phone, dob string
		err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT name, phone, dob FROM vault_scratch WHERE phone_bi = $1 AND id = $2`,
				[]any{v.BlindIndex("scratch.phone", vault.NormalisePhone(p.phone)), p.id}, &name, &phone, &dob)
		})
		if err != nil {
			t.Fatalf("look up %s by blind index: %v", p.id, err)
		}
		for _, f := range []struct{ sealed, field, want string }{{name, "name", p.name}, {phone, "phone", p.phone}, {dob, "dob", p.dob}} {
			got, err := v.OpenString(f.sealed, "vault_scratch", p.id, f.field)
			if err != nil || got != f.want {
				t.Fatalf("%s.%s = %q, %v; want %q", p.id, f.field, got, err, f.want)
			}
		}
	}
	// A sealed value moved to another row does not open there.
	var name string
	db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT name FROM vault_scratch WHERE id = 'p1'`, nil, &name)
	})
	if _, err := v.OpenString(name, "vault_scratch", "p2", "name"); !errors.Is(err, vault.ErrCiphertext) {
		t.Fatalf("p1's name opened as p2's: %v", err)
	}
}

func TestRotate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		cfg := storetest.Config(t, d)
		db := storetest.OpenConfig(t, cfg)
		old := vault.NewMasterKey()
		v := open(t, db, old)
		ids := keyIDs(t, db)
		scratch(t, db)
		insertPeople(t, db, v)

		var before string
		if d == store.SQLite {
			before = filepath.Join(t.TempDir(), "before.db")
			if err := db.Backup(ctx, before); err != nil {
				t.Fatal(err)
			}
		}
		if err := vault.Rotate(ctx, db, old, old, nil); err == nil {
			t.Fatal("rotated to the same key")
		}
		stranger := vault.NewMasterKey()
		if err := vault.Rotate(ctx, db, stranger, vault.NewMasterKey(), nil); !errors.Is(err, vault.ErrWrongMasterKey) {
			t.Fatalf("rotated with a key that does not wrap the database: %v", err)
		}
		new := vault.NewMasterKey()
		var calls [][2]int
		if err := vault.Rotate(ctx, db, old, new, func(done, total int) { calls = append(calls, [2]int{done, total}) }); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 3 || calls[2] != [2]int{3, 3} {
			t.Fatalf("progress calls %v", calls)
		}
		// The running vault carries on.
		checkPeople(t, db, v)
		// A restart needs the new key; the data keys did not change.
		v2 := open(t, db, new)
		checkPeople(t, db, v2)
		sameKeys(t, v, v2)
		if got := keyIDs(t, db); got["field"] != ids["field"] || got["blind_index"] != ids["blind_index"] {
			t.Fatalf("data keys changed: %v then %v", ids, got)
		}
		if _, err := vault.Open(ctx, db, old, time.Now); !errors.Is(err, vault.ErrWrongMasterKey) || !strings.Contains(err.Error(), new.ID()) {
			t.Fatalf("the old key after rotation: %v", err)
		}
		if err := vault.Rotate(ctx, db, old, new, nil); err == nil {
			t.Fatal("rotated again from the retired key")
		}

		if d == store.SQLite {
			// A backup taken before the rotation opens with the old key only.
			dir := filepath.Join(t.TempDir(), "restored")
			if _, err := store.Restore(ctx, before, dir, nil); err != nil {
				t.Fatal(err)
			}
			rdb, err := store.Open(ctx, store.Config{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			if _, err := vault.Open(ctx, rdb, new, time.Now); !errors.Is(err, vault.ErrWrongMasterKey) {
				t.Fatalf("the new key opened a backup from before the rotation: %v", err)
			}
			checkPeople(t, rdb, open(t, rdb, old))
		}
	})
}

func TestRotateWithNoKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		if err := vault.Rotate(ctx, db, vault.NewMasterKey(), vault.NewMasterKey(), nil); !errors.Is(err, vault.ErrNoKeys) {
			t.Fatalf("rotate on an empty database: %v", err)
		}
	})
}

func TestRotateKeyFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		path := filepath.Join(t.TempDir(), vault.KeyFileName)
		src := vault.KeySource{File: path, Create: true}
		v, err := vault.OpenSource(ctx, db, src, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		old, err := vault.ReadKeyFile(path)
		if err != nil || old.ID() != v.MasterKeyID() {
			t.Fatalf("created key file: %v", err)
		}
		sealed := v.SealString("Morwenna", "t", "1", "name")

		r, err := vault.RotateKeyFile(ctx, db, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.OldID != old.ID() || r.NewID == old.ID() || r.KeyFile != path || r.RetiredFile != path+"."+old.ID()+".retired" {
			t.Fatalf("rotation %+v", r)
		}
		now, err := vault.ReadKeyFile(path)
		if err != nil || now.ID() != r.NewID {
			t.Fatalf("key file after rotation: %v %v", now, err)
		}
		if retired, err := vault.ReadKeyFile(r.RetiredFile); err != nil || !retired.Equal(old) {
			t.Fatalf("retired key file: %v", err)
		}
		if _, err := os.Stat(vault.PendingKeyFile(path)); err == nil {
			t.Fatal(".new left behind")
		}
		v2, err := vault.OpenSource(ctx, db, vault.KeySource{File: path}, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := v2.OpenString(sealed, "t", "1", "name"); err != nil || p != "Morwenna" {
			t.Fatalf("after rotation: %q %v", p, err)
		}
		if _, err := vault.OpenSource(ctx, db, vault.KeySource{File: r.RetiredFile}, time.Now); !errors.Is(err, vault.ErrWrongMasterKey) {
			t.Fatalf("the retired key file opened the database: %v", err)
		}
	})
}

// TestInterruptedRotation walks a crash through each point of a key file
// rotation and checks the next start recovers or says what to do.
func TestInterruptedRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		path := filepath.Join(t.TempDir(), vault.KeyFileName)
		v, err := vault.OpenSource(ctx, db, vault.KeySource{File: path, Create: true}, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		old, _ := vault.ReadKeyFile(path)
		pending := vault.PendingKeyFile(path)

		// 1. Crash after writing .new, before the transaction: the
		// database still uses the old key. A start carries on; a rotation
		// refuses and says what to do.
		stale := vault.NewMasterKey()
		if err := vault.WriteKeyFile(pending, stale); err != nil {
			t.Fatal(err)
		}
		if _, err := vault.OpenSource(ctx, db, vault.KeySource{File: path}, time.Now); err != nil {
			t.Fatalf("start beside a stale .new: %v", err)
		}
		if _, err := vault.RotateKeyFile(ctx, db, path, nil); err == nil || !strings.Contains(err.Error(), "delete "+pending) {
			t.Fatalf("rotation beside a stale .new: %v", err)
		}
		os.Remove(pending)

		// 2. Crash after the commit, before any rename.
		new := vault.NewMasterKey()
		if err := vault.WriteKeyFile(pending, new); err != nil {
			t.Fatal(err)
		}
		if err := vault.Rotate(ctx, db, old, new, nil); err != nil {
			t.Fatal(err)
		}
		var notes []string
		v2, err := vault.OpenSource(ctx, db, vault.KeySource{File: path, Notify: func(m string) { notes = append(notes, m) }}, time.Now)
		if err != nil {
			t.Fatalf("start after a crash between commit and swap: %v", err)
		}
		sameKeys(t, v, v2)
		if k, _ := vault.ReadKeyFile(path); k == nil || !k.Equal(new) {
			t.Fatal("the key file was not swapped")
		}
		if k, _ := vault.ReadKeyFile(vault.RetiredKeyFile(path, old.ID())); k == nil || !k.Equal(old) {
			t.Fatal("the old key was not retired")
		}
		if len(notes) != 1 || !strings.Contains(notes[0], "interrupted key rotation") {
			t.Fatalf("notes %q", notes)
		}

		// 3. Crash after retiring the old file, before moving .new: no key
		// file at all. LoadMasterKey alone says what to do; OpenSource
		// finishes (and does not create a new key).
		newer := vault.NewMasterKey()
		if err := vault.WriteKeyFile(pending, newer); err != nil {
			t.Fatal(err)
		}
		if err := vault.Rotate(ctx, db, new, newer, nil); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path, vault.RetiredKeyFile(path, new.ID())); err != nil {
			t.Fatal(err)
		}
		if _, err := vault.LoadMasterKey(vault.KeySource{File: path, Create: true}); err == nil || !strings.Contains(err.Error(), "mv ") {
			t.Fatalf("LoadMasterKey with only .new: %v", err)
		}
		if _, err := vault.OpenSource(ctx, db, vault.KeySource{File: path, Create: true}, time.Now); err != nil {
			t.Fatalf("start with only .new: %v", err)
		}
		if k, _ := vault.ReadKeyFile(path); k == nil || !k.Equal(newer) {
			t.Fatal("the key file was not put in place")
		}

		// 4. Crash after linking .new into place, before removing it.
		newest := vault.NewMasterKey()
		if err := vault.WriteKeyFile(pending, newest); err != nil {
			t.Fatal(err)
		}
		if err := vault.Rotate(ctx, db, newer, newest, nil); err != nil {
			t.Fatal(err)
		}
		os.Rename(path, vault.RetiredKeyFile(path, newer.ID()))
		os.Link(pending, path)
		if _, err := vault.OpenSource(ctx, db, vault.KeySource{File: path}, time.Now); err != nil {
			t.Fatalf("start with .new linked: %v", err)
		}
		if _, err := os.Stat(pending); err == nil {
			t.Fatal(".new left behind")
		}
	})
}

func TestOpenSourceDoesNotReplaceALostKeyFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		k := vault.NewMasterKey()
		open(t, db, k)
		path := filepath.Join(t.TempDir(), vault.KeyFileName)
		_, err := vault.OpenSource(ctx, db, vault.KeySource{File: path, Create: true}, time.Now)
		if err == nil || !strings.Contains(err.Error(), k.ID()) || !strings.Contains(err.Error(), path) {
			t.Fatalf("start with a lost key file: %v", err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Fatal("a new key file was made for a database with keys")
		}
		// The environment still works, and wins over the missing file.
		if _, err := vault.OpenSource(ctx, db, vault.KeySource{File: path, Env: k.Encode()}, time.Now); err != nil {
			t.Fatal(err)
		}
		if _, err := vault.OpenSource(ctx, db, vault.KeySource{}, time.Now); !errors.Is(err, vault.ErrNoMasterKey) {
			t.Fatalf("no source: %v", err)
		}
	})
}

func TestNoPlaintextReachesTheDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		cfg := storetest.Config(t, d)
		db := storetest.OpenConfig(t, cfg)
		v := vaulttest.New(t, db)
		scratch(t, db)
		insertPeople(t, db, v)
		checkPeople(t, db, v)
		values := []string{"Morwenna Tregothnan", "Morwenna", "Tregothnan", "morwenna tregothnan", "07700 900123", "07700900123", "1987-03-14",
			"Zoë Ó Súilleabháin", "Súilleabháin", "2001-11-30", "+44 7700 900456"}
		vaulttest.AssertNoPlaintext(t, db, cfg, values...)

		// The check finds a value stored in clear, and names where.
		err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO vault_scratch (id, note) VALUES ('p9', 'Refuge at 12 Chyandour Terrace')`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		found := vaulttest.FindPlaintext(t, db, cfg, "Refuge at 12 Chyandour Terrace", "Morwenna Tregothnan")
		if len(found) == 0 {
			t.Fatal("a value in clear was not found")
		}
		for _, f := range found {
			if f.Value != "Refuge at 12 Chyandour Terrace" {
				t.Errorf("false finding: %v", f)
			}
			want := "pg_dump"
			if d == store.SQLite {
				want = "SQLite"
			}
			if !strings.Contains(f.String(), want) {
				t.Errorf("finding %q does not name the artefact", f)
			}
		}
		if d == store.SQLite {
			// The WAL and the backup hold it (the main file may not yet:
			// nothing was checkpointed).
			arts := map[string]bool{}
			for _, f := range found {
				arts[strings.Fields(f.Artefact)[1]] = true
			}
			if !arts["WAL"] || !arts["backup"] {
				t.Errorf("found in %v; want the WAL and the backup", found)
			}
		}
	})
}
