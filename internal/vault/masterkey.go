package vault

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"frontdoor/internal/store"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// KeyFileName is the master key file's name inside an SQLite data dir.
const KeyFileName = "master.key"

// EnvMasterKey is the environment variable that may hold the master key
// (base64). It is read directly, never through a flag, so that the key
// does not appear on a command line.
const EnvMasterKey = "FRONTDOOR_MASTER_KEY"

// keyCommandTimeout bounds a --master-key-command (a KMS or secret manager
// client) so that a hung one stops start-up with a message.
const keyCommandTimeout = 30 * time.Second

// ErrNoMasterKey: no way to get the master key was configured.
var ErrNoMasterKey = errors.New("no master key: give --key-file FILE, set " + EnvMasterKey + " (base64), or give --master-key-command COMMAND that prints it")

// DefaultKeyFile is where an SQLite deployment keeps its master key.
func DefaultKeyFile(dataDir string) string { return filepath.Join(dataDir, KeyFileName) }

// PendingKeyFile is where a rotation writes the new key before the
// database is re-wrapped with it.
func PendingKeyFile(keyFile string) string { return keyFile + ".new" }

// RetiredKeyFile is where a rotation keeps the previous key: backups taken
// before the rotation open only with it.
func RetiredKeyFile(keyFile, masterID string) string {
	return keyFile + "." + masterID + ".retired"
}

// KeySource says where the master key comes from. The first one set wins:
// Command, then Env, then File.
type KeySource struct {
	// File is a key file: base64 of 32 bytes and a newline, mode 0600.
	File string
	// Env is the value of FRONTDOOR_MASTER_KEY (base64), not its name.
	Env string
	// Command is run with sh -c; it prints the key (base64) on stdout.
	Command string
	// Create allows making File with a new key when it is missing. Only a
	// fresh deployment should: OpenSource refuses to create one for a
	// database whose keys already exist.
	Create bool
	// Notify, if set, hears what OpenSource did that an operator should
	// know (finishing an interrupted rotation, creating the key file).
	Notify func(msg string)
}

func (s KeySource) notify(format string, args ...any) {
	if s.Notify != nil {
		s.Notify(fmt.Sprintf(format, args...))
	}
}

// fileOnly reports whether the key comes from File (and so whether the
// key file rules, creation and rotation recovery, apply).
func (s KeySource) fileOnly() bool { return s.Command == "" && s.Env == "" && s.File != "" }

// Describe says where the key comes from, for messages; never the key.
func (s KeySource) Describe() string {
	switch {
	case s.Command != "":
		return "--master-key-command"
	case s.Env != "":
		return EnvMasterKey
	case s.File != "":
		return "key file " + s.File
	}
	return "nowhere"
}

// MasterKey is the key that wraps the data keys. It never reaches the
// database, a log or an error message; only its ID does.
type MasterKey struct {
	b  [32]byte
	id string
}

func newMasterKey(b []byte) *MasterKey {
	k := &MasterKey{}
	copy(k.b[:], b)
	m := hmac.New(sha256.New, k.b[:])
	m.Write([]byte("frontdoor master key id"))
	k.id = hex.EncodeToString(m.Sum(nil)[:8])
	return k
}

// NewMasterKey returns a new random master key.
func NewMasterKey() *MasterKey {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("vault: random source failed: " + err.Error())
	}
	return newMasterKey(b[:])
}

// ParseMasterKey reads a key in the form Encode writes (surrounding space
// is ignored). The error never repeats the input.
func ParseMasterKey(s string) (*MasterKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != 32 {
		return nil, errors.New("is not a frontdoor master key (expected base64 of 32 bytes, 44 characters)")
	}
	return newMasterKey(b), nil
}

// ID is a short fingerprint of the key (16 hex digits: the first 8 bytes
// of HMAC-SHA256(key, "frontdoor master key id")). It is safe to print and
// to store: it tells keys apart without revealing them.
func (k *MasterKey) ID() string { return k.id }

// Encode returns the key as base64, for a key file or a secret manager.
func (k *MasterKey) Encode() string { return base64.StdEncoding.EncodeToString(k.b[:]) }

// Equal reports whether two keys are the same, in constant time.
func (k *MasterKey) Equal(o *MasterKey) bool {
	return k != nil && o != nil && subtle.ConstantTimeCompare(k.b[:], o.b[:]) == 1
}

// String, GoString and LogValue show the ID only, so a key passed to a
// logger or fmt by mistake does not leak.
func (k *MasterKey) String() string               { return "master key " + k.id }
func (k *MasterKey) GoString() string             { return "vault.MasterKey{ID: " + k.id + "}" }
func (k *MasterKey) LogValue() slog.Value         { return slog.StringValue(k.String()) }
func (k *MasterKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// LoadMasterKey gets the master key from the first source set: Command,
// then Env, then File. A key file must not be open to group or others.
// A missing key file is created with a new key only when src.Create is
// set; prefer OpenSource, which also refuses to create one for a database
// whose keys were already made with another.
func LoadMasterKey(src KeySource) (*MasterKey, error) {
	switch {
	case src.Command != "":
		return keyFromCommand(src.Command)
	case src.Env != "":
		k, err := ParseMasterKey(src.Env)
		if err != nil {
			return nil, fmt.Errorf("%s %v", EnvMasterKey, err)
		}
		return k, nil
	case src.File != "":
		k, err := ReadKeyFile(src.File)
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return k, err
		}
		if _, perr := os.Lstat(PendingKeyFile(src.File)); perr == nil {
			return nil, pendingWithoutKeyFile(src.File)
		}
		if !src.Create {
			return nil, fmt.Errorf("the master key file %s does not exist; give the right --key-file, set %s, or give --master-key-command", src.File, EnvMasterKey)
		}
		k = NewMasterKey()
		if err := WriteKeyFile(src.File, k); err != nil {
			return nil, err
		}
		src.notify("created the master key file %s (master key ID %s); keep a copy of it somewhere safe and apart from the backups: without it the data cannot be read", src.File, k.ID())
		return k, nil
	}
	return nil, ErrNoMasterKey
}

func pendingWithoutKeyFile(file string) error {
	return fmt.Errorf("the master key file %s is missing but %s exists: a key rotation stopped before it finished; start frontdoor or run 'frontdoor keys status' and it finishes the swap, or, if you know the rotation completed, run: mv %s %s",
		file, PendingKeyFile(file), PendingKeyFile(file), file)
}

// ReadKeyFile reads a key file, refusing one open to group or others.
// A missing file is an error wrapping fs.ErrNotExist.
func ReadKeyFile(path string) (*MasterKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("the master key file %s does not exist: %w", path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("the master key file %s cannot be read: %v", path, errors.Unwrap(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("the master key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("the master key file %s is open to other users (mode %04o); run: chmod 600 %s", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the master key file %s cannot be read: %v", path, errors.Unwrap(err))
	}
	k, err := ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("the master key file %s %v", path, err)
	}
	return k, nil
}

// WriteKeyFile writes k to path, mode 0600, atomically: the file appears
// complete or not at all (written to a temporary file, synced, then
// linked into place), and it never replaces an existing file.
func WriteKeyFile(path string, k *MasterKey) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s already exists; frontdoor never overwrites a key file", path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cannot write the key file %s: %v", path, errors.Unwrap(err))
	}
	name := tmp.Name()
	defer os.Remove(name)
	// CreateTemp makes 0600 files; say it anyway, whatever the umask.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(k.Encode() + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write the key file %s: %v", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write the key file %s: %v", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := moveNoClobber(name, path); err != nil {
		return err
	}
	return store.SyncDir(dir)
}

// moveNoClobber renames src to dst unless dst exists. A hard link makes
// the check and the move one atomic step where the file system has them.
func moveNoClobber(src, dst string) error {
	err := os.Link(src, dst)
	switch {
	case err == nil:
		return os.Remove(src)
	case errors.Is(err, fs.ErrExist):
		if sameFile(src, dst) {
			// An earlier move stopped between its two steps.
			return os.Remove(src)
		}
		return fmt.Errorf("%s already exists; frontdoor never overwrites a key file", dst)
	case errors.Is(err, fs.ErrNotExist):
		return err
	}
	// No hard links here (some network or FUSE file systems): check, then
	// rename. Only frontdoor's own rotation writes these names.
	if _, serr := os.Lstat(dst); serr == nil {
		return fmt.Errorf("%s already exists; frontdoor never overwrites a key file", dst)
	}
	return os.Rename(src, dst)
}

// keyFromCommand runs a command that prints the key, for a KMS or secret
// manager. Its stderr is shown on failure (one line, shortened); its
// stdout never is.
func keyFromCommand(command string) (*MasterKey, error) {
	ctx, cancel := context.WithTimeout(context.Background(), keyCommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	// The command has no business with a key given in the environment.
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, EnvMasterKey+"=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("--master-key-command did not finish within %s", keyCommandTimeout)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		if msg != "" {
			msg = ": " + msg
		}
		return nil, fmt.Errorf("--master-key-command failed (%v)%s", err, msg)
	}
	k, err := ParseMasterKey(stdout.String())
	if err != nil {
		return nil, fmt.Errorf("what --master-key-command printed %v", err)
	}
	return k, nil
}
