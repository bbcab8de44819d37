package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"frontdoor/internal/store"
)

// ErrNoKeys: the database has no data keys yet (no node has started on it).
var ErrNoKeys = errors.New("this database has no data keys yet, so there is nothing to rotate; start frontdoor once first")

// Rotate re-wraps every data key under the new master key in one
// transaction. The data keys themselves, and so every ciphertext and blind
// index in the database, stay as they are; running nodes keep working with
// the keys they hold, and a node that starts afterwards needs the new
// master key. Backups taken before the rotation still need the old one.
// progress, if not nil, is told how many keys are done out of how many
// (from the start again if the transaction is retried).
func Rotate(ctx context.Context, db *store.DB, old, new *MasterKey, progress func(done, total int)) error {
	if old.Equal(new) {
		return errors.New("the new master key is the same as the old one")
	}
	return db.Serializable(ctx, func(tx *store.Tx) error {
		rows, err := readKeys(ctx, tx)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return ErrNoKeys
		}
		at := time.Now().UTC()
		for i, r := range rows {
			if r.masterID != old.ID() {
				if r.masterID == new.ID() {
					return fmt.Errorf("the data keys are already wrapped with the new master key (ID %s)", new.ID())
				}
				return &WrongMasterKeyError{Given: old.ID(), Wrapped: r.masterID}
			}
			key, err := unwrapKey(old, r.id, r.purpose, r.wrapped)
			if err != nil {
				return err
			}
			res, err := tx.Exec(ctx, `UPDATE vault_keys SET wrapped = $1, master_key_id = $2, wrapped_at = $3
WHERE id = $4 AND master_key_id = $5`, wrapKey(new, r.id, r.purpose, key, rand.Reader), new.ID(), at, r.id, old.ID())
			if err != nil {
				return fmt.Errorf("cannot re-wrap data key %s: %w", r.id, err)
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return fmt.Errorf("data key %s changed during the rotation; run it again", r.id)
			}
			if progress != nil {
				progress(i+1, len(rows))
			}
		}
		return nil
	})
}

// Rotation is what RotateKeyFile did.
type Rotation struct {
	OldID, NewID string
	// KeyFile now holds the new key; RetiredFile the old one.
	KeyFile, RetiredFile string
}

// RotateKeyFile rotates the master key kept in keyFile:
//
//  1. the new key is written to keyFile.new (0600, synced);
//  2. the data keys are re-wrapped with it in one transaction (Rotate);
//  3. keyFile becomes keyFile.<old ID>.retired, kept because backups taken
//     before the rotation open only with it;
//  4. keyFile.new becomes keyFile.
//
// A crash after 2 is finished by the next OpenSource or by
// FinishInterruptedRotation; a crash before it leaves keyFile.new unused,
// and a new rotation refuses to start until it is removed.
func RotateKeyFile(ctx context.Context, db *store.DB, keyFile string, progress func(done, total int)) (Rotation, error) {
	pending := PendingKeyFile(keyFile)
	old, err := ReadKeyFile(keyFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, perr := os.Lstat(pending); perr == nil {
				return Rotation{}, pendingWithoutKeyFile(keyFile)
			}
		}
		return Rotation{}, err
	}
	wrapped, has, err := WrappingMasterKeyID(ctx, db)
	if err != nil {
		return Rotation{}, err
	}
	if !has {
		return Rotation{}, ErrNoKeys
	}
	if wrapped != old.ID() {
		return Rotation{}, &WrongMasterKeyError{Given: old.ID(), Wrapped: wrapped}
	}
	if _, err := os.Lstat(pending); err == nil {
		return Rotation{}, fmt.Errorf("%s exists: an earlier rotation stopped before it changed the database, whose keys are still wrapped with the key in %s (ID %s); if no other 'frontdoor keys rotate' is running, delete %s and run the rotation again",
			pending, keyFile, old.ID(), pending)
	}
	new := NewMasterKey()
	if err := WriteKeyFile(pending, new); err != nil {
		return Rotation{}, err
	}
	if err := Rotate(ctx, db, old, new, progress); err != nil {
		// A failed commit may still have committed (a connection lost at
		// the wrong moment): look before removing the new key.
		now, _, werr := WrappingMasterKeyID(context.WithoutCancel(ctx), db)
		switch {
		case werr == nil && now == old.ID():
			os.Remove(pending)
			return Rotation{}, fmt.Errorf("the rotation failed and nothing changed: %w", err)
		case werr == nil && now == new.ID():
			// It did commit: carry on with the swap.
		default:
			return Rotation{}, fmt.Errorf("the rotation failed (%v) and the database cannot be checked now; %s holds the new key (ID %s): keep it until 'frontdoor keys status' shows which key the database uses", err, pending, new.ID())
		}
	}
	r := Rotation{OldID: old.ID(), NewID: new.ID(), KeyFile: keyFile, RetiredFile: RetiredKeyFile(keyFile, old.ID())}
	if err := swapKeyFiles(keyFile, old, new); err != nil {
		return r, fmt.Errorf("the database now uses the new master key (ID %s), but the key files could not be swapped: %v; run: mv %s %s && mv %s %s",
			new.ID(), err, keyFile, r.RetiredFile, pending, keyFile)
	}
	return r, nil
}

// swapKeyFiles retires the old key file and puts the pending one in its
// place; either step may already be done.
func swapKeyFiles(keyFile string, old, new *MasterKey) error {
	if old != nil && !old.Equal(new) {
		if err := moveNoClobber(keyFile, RetiredKeyFile(keyFile, old.ID())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := moveNoClobber(PendingKeyFile(keyFile), keyFile); err != nil {
		return err
	}
	return store.SyncDir(filepath.Dir(keyFile))
}

// FinishInterruptedRotation finishes a rotation of keyFile that re-wrapped
// the database but stopped before swapping the key files: when
// keyFile.new exists and the database's keys are wrapped with it, the old
// key file is retired and keyFile.new takes its place. It reports whether
// it did so. A keyFile.new that the database does not use is left alone.
func FinishInterruptedRotation(ctx context.Context, db *store.DB, keyFile string, notify func(string)) (bool, error) {
	pending := PendingKeyFile(keyFile)
	if _, err := os.Lstat(pending); err != nil {
		return false, nil
	}
	new, err := ReadKeyFile(pending)
	if err != nil {
		return false, err
	}
	wrapped, has, err := WrappingMasterKeyID(ctx, db)
	if err != nil || !has || wrapped != new.ID() {
		return false, err
	}
	var old *MasterKey
	if _, err := os.Lstat(keyFile); err == nil {
		if old, err = ReadKeyFile(keyFile); err != nil {
			return false, err
		}
		if old.Equal(new) {
			// The swap got as far as linking the new file into place.
			if err := os.Remove(pending); err != nil {
				return false, err
			}
			return true, store.SyncDir(filepath.Dir(keyFile))
		}
	}
	if err := swapKeyFiles(keyFile, old, new); err != nil {
		return false, fmt.Errorf("cannot finish the interrupted key rotation: %v", err)
	}
	if notify != nil {
		msg := fmt.Sprintf("finished an interrupted key rotation: %s now holds master key ID %s", keyFile, new.ID())
		if old != nil {
			msg += fmt.Sprintf("; the previous key (ID %s) is kept in %s for backups taken before the rotation", old.ID(), RetiredKeyFile(keyFile, old.ID()))
		}
		notify(msg)
	}
	return true, nil
}

// sameFile reports whether two files hold the same bytes.
func sameFile(a, b string) bool {
	x, err1 := os.ReadFile(a)
	y, err2 := os.ReadFile(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
