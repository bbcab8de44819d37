// Package vault encrypts personal data field by field before it reaches the
// database, and makes the keyed blind indexes that let equality lookups work
// on encrypted fields.
//
// Key model (envelope encryption):
//
//   - The master key (32 random bytes) lives outside the database: a key
//     file (mode 0600; <data dir>/master.key with SQLite), the
//     FRONTDOOR_MASTER_KEY environment variable, or a command that prints
//     it (a KMS or secret manager). Only its ID, a fingerprint, is stored.
//   - Three data keys live in the vault_keys table, each wrapped with
//     AES-256-GCM under the master key: "field" (encrypts values),
//     "blind_index" (HMAC-SHA256 for lookups) and "audit" (the MAC key of
//     the audit trail's hash chain). They are made on first use and
//     unwrapped into memory when a node starts.
//   - Rotating the master key re-wraps the data keys in one transaction;
//     ciphertexts in the database do not change, and running nodes carry
//     on with the data keys they hold.
//
// A copy of the database or a backup without the master key opens
// nothing; losing the master key loses the data.
package vault

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"frontdoor/internal/store"
)

// Purposes of the data keys.
const (
	PurposeField      = "field"
	PurposeBlindIndex = "blind_index"
	PurposeAudit      = "audit"
)

// purposes in the order they are created (a fixed order keeps two nodes
// creating them at once from deadlocking on PostgreSQL).
var purposes = []string{PurposeField, PurposeBlindIndex, PurposeAudit}

// ErrWrongMasterKey is matched (errors.Is) by a *WrongMasterKeyError.
var ErrWrongMasterKey = errors.New("vault: wrong master key")

// WrongMasterKeyError: the master key given did not wrap this database's
// data keys. It names both IDs, which are safe to print.
type WrongMasterKeyError struct {
	Given   string // ID of the key given
	Wrapped string // ID of the key the database's data keys were wrapped with
}

func (e *WrongMasterKeyError) Error() string {
	return fmt.Sprintf("the master key (ID %s) is not the one this database's keys were wrapped with (ID %s): check --key-file, %s or --master-key-command",
		e.Given, e.Wrapped, EnvMasterKey)
}

func (e *WrongMasterKeyError) Is(target error) bool { return target == ErrWrongMasterKey }

// Vault holds the unwrapped data keys of one database. It is safe for
// concurrent use.
type Vault struct {
	masterID string
	sealKey  *fieldKey
	fields   map[[keyIDLen]byte]*fieldKey
	blind    []byte
	audit    []byte
	rand     io.Reader // nonces; crypto/rand except in tests
}

type fieldKey struct {
	id   [keyIDLen]byte
	aead cipher.AEAD
}

// keyIDLen is the length of a data key's ID in bytes (8 hex digits).
const keyIDLen = 4

// MasterKeyID is the ID of the master key the vault was opened with.
func (v *Vault) MasterKeyID() string { return v.masterID }

// String shows no key material.
func (v *Vault) String() string { return "vault (master key " + v.masterID + ")" }

// AuditKey is the 32-byte MAC key of the audit trail's hash chain: without
// it, someone who edits the audit table cannot recompute the chain to hide
// it. The caller gets its own copy.
func (v *Vault) AuditKey() []byte { return append([]byte(nil), v.audit...) }

// keyRow is one row of vault_keys.
type keyRow struct {
	id, purpose, wrapped, masterID string
	created, wrappedAt             time.Time
	retired                        sql.NullTime
}

const selectKeys = `SELECT id, purpose, wrapped, master_key_id, created_at, wrapped_at, retired_at
FROM vault_keys ORDER BY created_at, id`

func readKeys(ctx context.Context, tx *store.Tx) ([]keyRow, error) {
	rows, err := tx.Query(ctx, selectKeys)
	if err != nil {
		return nil, fmt.Errorf("cannot read the vault's keys (is the database migrated?): %w", err)
	}
	defer rows.Close()
	var out []keyRow
	for rows.Next() {
		var r keyRow
		if err := rows.Scan(&r.id, &r.purpose, &r.wrapped, &r.masterID, &r.created, &r.wrappedAt, &r.retired); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// activePurposes reports which purposes have a key in use.
func activePurposes(rows []keyRow) map[string]bool {
	m := map[string]bool{}
	for _, r := range rows {
		if !r.retired.Valid {
			m[r.purpose] = true
		}
	}
	return m
}

// checkMaster refuses rows wrapped by another master key.
func checkMaster(rows []keyRow, master *MasterKey) error {
	for _, r := range rows {
		if r.masterID != master.ID() {
			return &WrongMasterKeyError{Given: master.ID(), Wrapped: r.masterID}
		}
	}
	return nil
}

// Open unwraps the database's data keys with master, creating them on
// first use. Nodes that open a fresh database together end up with the
// same keys: each inserts a set only where none is in use and then reads
// back what won. A master key that did not wrap the existing keys is
// refused with a *WrongMasterKeyError.
func Open(ctx context.Context, db *store.DB, master *MasterKey, now func() time.Time) (*Vault, error) {
	var rows []keyRow
	read := func(tx *store.Tx) (err error) { rows, err = readKeys(ctx, tx); return err }
	if err := db.Read(ctx, read); err != nil {
		return nil, err
	}
	if err := checkMaster(rows, master); err != nil {
		return nil, err
	}
	if active := activePurposes(rows); len(active) < len(purposes) {
		err := db.Write(ctx, func(tx *store.Tx) error {
			rows, err := readKeys(ctx, tx)
			if err != nil {
				return err
			}
			if err := checkMaster(rows, master); err != nil {
				return err
			}
			active := activePurposes(rows)
			at := now().UTC()
			for _, p := range purposes {
				if active[p] {
					continue
				}
				var key [32]byte
				var id [keyIDLen]byte
				mustRead(rand.Reader, key[:])
				mustRead(rand.Reader, id[:])
				hexID := hex.EncodeToString(id[:])
				// A node starting at the same moment may have inserted its
				// own key for p: the unique index on active purposes makes
				// this insert do nothing, and the read below finds theirs.
				if _, err := tx.Exec(ctx, `INSERT INTO vault_keys (id, purpose, wrapped, master_key_id, created_at, wrapped_at)
VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING`,
					hexID, p, wrapKey(master, hexID, p, key[:], rand.Reader), master.ID(), at); err != nil {
					return fmt.Errorf("cannot store a new data key: %w", err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if err := db.Read(ctx, read); err != nil {
			return nil, err
		}
		if err := checkMaster(rows, master); err != nil {
			return nil, err
		}
	}
	return fromRows(rows, master)
}

// fromRows unwraps the keys into a Vault.
func fromRows(rows []keyRow, master *MasterKey) (*Vault, error) {
	v := &Vault{masterID: master.ID(), fields: map[[keyIDLen]byte]*fieldKey{}, rand: rand.Reader}
	for _, r := range rows {
		key, err := unwrapKey(master, r.id, r.purpose, r.wrapped)
		if err != nil {
			return nil, err
		}
		active := !r.retired.Valid
		switch r.purpose {
		case PurposeField:
			fk, err := newFieldKey(r.id, key)
			if err != nil {
				return nil, err
			}
			v.fields[fk.id] = fk
			if active {
				v.sealKey = fk
			}
		case PurposeBlindIndex:
			if active {
				v.blind = key
			}
		case PurposeAudit:
			if active {
				v.audit = key
			}
		default:
			return nil, fmt.Errorf("data key %s has an unknown purpose %q; this database belongs to a newer frontdoor", r.id, r.purpose)
		}
	}
	if v.sealKey == nil || v.blind == nil || v.audit == nil {
		return nil, errors.New("the vault's data keys are incomplete (a key in use is missing for field, blind_index or audit); the vault_keys table was changed by hand or is damaged")
	}
	return v, nil
}

func newFieldKey(hexID string, key []byte) (*fieldKey, error) {
	fk := &fieldKey{}
	if b, err := hex.DecodeString(hexID); err != nil || len(b) != keyIDLen {
		return nil, fmt.Errorf("data key ID %q is not %d hex digits", hexID, 2*keyIDLen)
	} else {
		copy(fk.id[:], b)
	}
	fk.aead = newGCM(key)
	return fk, nil
}

func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("vault: " + err.Error()) // only for a key that is not 32 bytes: a bug
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("vault: " + err.Error())
	}
	return aead
}

func mustRead(r io.Reader, b []byte) {
	if _, err := io.ReadFull(r, b); err != nil {
		// crypto/rand does not fail on supported platforms; a broken
		// source must not yield predictable keys or nonces.
		panic("vault: random source failed: " + err.Error())
	}
}

// wrapVersion is the first byte of a wrapped data key.
const wrapVersion = 1

// wrapAAD binds a wrapped key to its ID and purpose, so a row's wrapped
// key cannot be moved to another row or purpose.
func wrapAAD(id, purpose string) []byte {
	return []byte("frontdoor data key\x00" + id + "\x00" + purpose)
}

// wrapKey seals a data key under the master key: base64(version || nonce
// || AES-256-GCM(master, key)).
func wrapKey(master *MasterKey, id, purpose string, key []byte, r io.Reader) string {
	aead := newGCM(master.b[:])
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(key)+aead.Overhead())
	out[0] = wrapVersion
	mustRead(r, out[1:])
	out = aead.Seal(out, out[1:], key, wrapAAD(id, purpose))
	return base64.StdEncoding.EncodeToString(out)
}

func unwrapKey(master *MasterKey, id, purpose, wrapped string) ([]byte, error) {
	aead := newGCM(master.b[:])
	b, err := base64.StdEncoding.DecodeString(wrapped)
	if err == nil && (len(b) < 1+aead.NonceSize() || b[0] != wrapVersion) {
		err = errors.New("bad format")
	}
	var key []byte
	if err == nil {
		key, err = aead.Open(nil, b[1:1+aead.NonceSize()], b[1+aead.NonceSize():], wrapAAD(id, purpose))
	}
	if err == nil && len(key) != 32 {
		err = errors.New("bad length")
	}
	if err != nil {
		return nil, fmt.Errorf("the %s data key %s does not open with master key %s although it is recorded as wrapped by it: the vault_keys table is damaged or was changed by hand", purpose, id, master.ID())
	}
	return key, nil
}

// OpenSource is how a node starts: it gets the master key from src and
// opens the vault. Beyond LoadMasterKey and Open, with a key file it
//
//   - finishes a rotation that stopped between re-wrapping the database
//     and swapping the key files (the new key waits in FILE.new), and
//   - refuses to create a key file for a database that already has keys
//     (a missing key file there is lost or misplaced, and a new key would
//     not open anything), saying which key it needs.
func OpenSource(ctx context.Context, db *store.DB, src KeySource, now func() time.Time) (*Vault, error) {
	if src.fileOnly() {
		if _, err := FinishInterruptedRotation(ctx, db, src.File, src.Notify); err != nil {
			return nil, err
		}
		if _, err := os.Lstat(src.File); errors.Is(err, fs.ErrNotExist) {
			wrapped, has, err := WrappingMasterKeyID(ctx, db)
			if err != nil {
				return nil, err
			}
			if has {
				if _, err := os.Lstat(PendingKeyFile(src.File)); err == nil {
					return nil, pendingWithoutKeyFile(src.File)
				}
				return nil, fmt.Errorf("the master key file %s is missing, and this database's keys were wrapped with master key ID %s: put that key file back (from where you keep its copy), or give the key with %s or --master-key-command",
					src.File, wrapped, EnvMasterKey)
			}
		}
	}
	master, err := LoadMasterKey(src)
	if err != nil {
		return nil, err
	}
	v, err := Open(ctx, db, master, now)
	var wrong *WrongMasterKeyError
	if errors.As(err, &wrong) && src.fileOnly() {
		if _, perr := os.Lstat(PendingKeyFile(src.File)); perr == nil {
			return nil, fmt.Errorf("%w (%s, left by an unfinished rotation, does not match it either)", err, PendingKeyFile(src.File))
		}
	}
	return v, err
}

// WrappingMasterKeyID reads the ID of the master key that wrapped the
// database's data keys; has is false while there are none.
func WrappingMasterKeyID(ctx context.Context, db *store.DB) (id string, has bool, err error) {
	keys, err := Keys(ctx, db)
	if err != nil || len(keys) == 0 {
		return "", false, err
	}
	for _, k := range keys[1:] {
		if k.MasterKeyID != keys[0].MasterKeyID {
			return "", false, fmt.Errorf("the vault's data keys are wrapped with different master keys (%s, %s); the vault_keys table was changed by hand", keys[0].MasterKeyID, k.MasterKeyID)
		}
	}
	return keys[0].MasterKeyID, true, nil
}

// KeyInfo describes a data key without its material.
type KeyInfo struct {
	ID          string
	Purpose     string
	MasterKeyID string
	CreatedAt   time.Time
	WrappedAt   time.Time
	RetiredAt   *time.Time
}

// Keys lists the data keys, oldest first. It needs no master key.
func Keys(ctx context.Context, db *store.DB) ([]KeyInfo, error) {
	var rows []keyRow
	err := db.Read(ctx, func(tx *store.Tx) (err error) { rows, err = readKeys(ctx, tx); return err })
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, 0, len(rows))
	for _, r := range rows {
		k := KeyInfo{ID: r.id, Purpose: r.purpose, MasterKeyID: r.masterID, CreatedAt: r.created.UTC(), WrappedAt: r.wrappedAt.UTC()}
		if r.retired.Valid {
			t := r.retired.Time.UTC()
			k.RetiredAt = &t
		}
		out = append(out, k)
	}
	return out, nil
}

// StringSealer is what SealJSON and OpenJSON need of a vault: capability
// packages hold the vault as an interface of their own.
type StringSealer interface {
	SealString(plaintext string, aad ...string) string
	OpenString(sealed string, aad ...string) (string, error)
}

// SealJSON seals a document (several values of one row) as one sealed
// value bound to aad.
func SealJSON(v StringSealer, doc any, aad ...string) (string, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	return v.SealString(string(b), aad...), nil
}

// OpenJSON opens a value SealJSON sealed into doc.
func OpenJSON(v StringSealer, sealed string, doc any, aad ...string) error {
	plain, err := v.OpenString(sealed, aad...)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(plain), doc)
}
