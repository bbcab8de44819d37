package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"frontdoor/internal/auth"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// keyFlags say where the master key comes from. The third way, the
// FRONTDOOR_MASTER_KEY environment variable, has no flag on purpose: a key
// given as a flag would show in the process list and shell history.
type keyFlags struct {
	keyFile *string
	command *string
}

func addKeyFlags(f *flagSet) keyFlags {
	return keyFlags{
		keyFile: f.String("key-file", "", "master key `file` (base64, mode 0600); default master.key in --data with SQLite, required with PostgreSQL unless "+vault.EnvMasterKey+" or --master-key-command gives the key. "+vault.EnvMasterKey+" (base64) wins over this file"),
		command: f.String("master-key-command", "", "`command` run with sh -c that prints the master key in base64 (a KMS or secret manager client); wins over "+vault.EnvMasterKey+" and --key-file"),
	}
}

// source resolves where the key comes from: the flags, the environment,
// and the default key file in an SQLite data dir.
func (k keyFlags) source(d dbFlags, create bool) vault.KeySource {
	file := *k.keyFile
	if file == "" && *d.databaseURL == "" {
		file = vault.DefaultKeyFile(*d.data)
	}
	return vault.KeySource{File: file, Env: os.Getenv(vault.EnvMasterKey), Command: *k.command, Create: create}
}

// openVault loads the master key and opens the vault of an open, migrated
// database, as serve does at start. notify hears what the operator should
// know (a key file created, an interrupted rotation finished, a restore
// recorded). With the key at hand it appends the audit event of a restore
// that 'frontdoor restore' made without it, so that event is in the trail
// before a restored instance does anything else.
func openVault(ctx context.Context, db *store.DB, k keyFlags, d dbFlags, create bool, notify func(string)) (*vault.Vault, error) {
	src := k.source(d, create)
	src.Notify = notify
	v, err := vault.OpenSource(ctx, db, src, time.Now)
	if err != nil {
		return nil, err
	}
	digests, err := auth.AuditRestores(ctx, db, recorder(v))
	if err != nil {
		return nil, fmt.Errorf("cannot record the restore in the audit trail: %w", err)
	}
	for _, dg := range digests {
		if notify != nil {
			notify("recorded in the audit trail: restored from backup sha256:" + dg)
		}
	}
	return v, nil
}

const keysUsage = `Usage: frontdoor keys status|rotate|generate [flags]

  status    Show the master key's ID and the data keys it wraps (no key material).
  rotate    Replace the master key: re-wrap the data keys under a new one.
  generate  Write a new master key to a file, for a new deployment.

The master key comes from --master-key-command, else the environment
variable ` + vault.EnvMasterKey + ` (base64), else --key-file (with SQLite by
default master.key in the data dir). Without it the data cannot be read.`

func runKeys(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") || args[0] == "help" {
		fmt.Fprintln(out, keysUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help") {
			return errHelp
		}
		return usageError{"keys: say status, rotate or generate"}
	}
	switch args[0] {
	case "status":
		return runKeysStatus(ctx, args[1:], out)
	case "rotate":
		return runKeysRotate(ctx, args[1:], out, errOut)
	case "generate":
		return runKeysGenerate(args[1:], out)
	}
	return usageError{fmt.Sprintf("keys: unknown subcommand %q; use status, rotate or generate", args[0])}
}

func runKeysStatus(ctx context.Context, args []string, out io.Writer) error {
	f := newFlagSet("keys status", "Show the ID of the master key and the data keys it wraps: purpose, key ID, wrapping master key ID, dates. No key material is shown. Exits 1 if the master key given is not the one the database needs. Finishes a key rotation that stopped half way.", out)
	d := addDBFlags(f)
	k := addKeyFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	db, err := openDB(ctx, d, false)
	if err != nil {
		return err
	}
	defer db.Close()
	src := k.source(d, false)
	if src.Command == "" && src.Env == "" && src.File != "" {
		note := func(m string) { fmt.Fprintln(out, "Note: "+m+".") }
		if _, err := vault.FinishInterruptedRotation(ctx, db, src.File, note); err != nil {
			return err
		}
	}
	keys, err := vault.Keys(ctx, db)
	if err != nil {
		return err
	}
	wrapped, has, err := vault.WrappingMasterKeyID(ctx, db)
	if err != nil {
		return err
	}

	var master *vault.MasterKey
	var loadErr error
	if src.Command == "" && src.Env == "" && src.File == "" {
		loadErr = vault.ErrNoMasterKey
	} else {
		master, loadErr = vault.LoadMasterKey(src)
	}
	if loadErr != nil {
		fmt.Fprintf(out, "Master key: not loaded: %v\n", loadErr)
	} else {
		fmt.Fprintf(out, "Master key: ID %s (from %s)", master.ID(), src.Describe())
		switch {
		case !has:
			fmt.Fprintln(out)
		case master.ID() == wrapped:
			fmt.Fprintln(out, ", which wraps this database's keys")
		default:
			fmt.Fprintln(out, ", which does NOT wrap this database's keys")
		}
	}
	if !has {
		fmt.Fprintln(out, "Data keys: none yet; frontdoor makes them when it first starts.")
	} else {
		fmt.Fprintf(out, "Data keys, wrapped with master key ID %s:\n", wrapped)
		tw := newTable(out)
		fmt.Fprintln(tw, "PURPOSE\tKEY ID\tWRAPPED BY\tCREATED\tWRAPPED\tIN USE")
		for _, k := range keys {
			inUse := "yes"
			if k.RetiredAt != nil {
				inUse = "retired " + k.RetiredAt.Format(time.DateOnly)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Purpose, k.ID, k.MasterKeyID,
				k.CreatedAt.Format("2006-01-02 15:04 MST"), k.WrappedAt.Format("2006-01-02 15:04 MST"), inUse)
		}
		tw.Flush()
	}
	if src.Command == "" && src.Env == "" && src.File != "" {
		if _, err := os.Lstat(vault.PendingKeyFile(src.File)); err == nil {
			fmt.Fprintf(out, "Note: %s is left from a rotation that did not change the database; if no 'frontdoor keys rotate' is running, delete it.\n", vault.PendingKeyFile(src.File))
		}
	}
	if loadErr == nil && has && master.ID() != wrapped {
		return &vault.WrongMasterKeyError{Given: master.ID(), Wrapped: wrapped}
	}
	return nil
}

func runKeysRotate(ctx context.Context, args []string, out, errOut io.Writer) error {
	f := newFlagSet("keys rotate", "Replace the master key. The data keys are re-wrapped under a new master key in one transaction; the encrypted data does not change, and running frontdoor processes carry on (each needs the new key when it restarts). With a key file, the new key takes its place and the old one is kept as FILE.<old ID>.retired, because backups taken before the rotation open only with it. With "+vault.EnvMasterKey+" or --master-key-command, the new key is written to --new-key-file for you to load into your secret store.", out)
	d := addDBFlags(f)
	k := addKeyFlags(f)
	newKeyFile := f.String("new-key-file", "", "`file` to write the new master key to (mode 0600, must not exist); required, and only used, when the key comes from "+vault.EnvMasterKey+" or --master-key-command")
	if err := f.parse(args); err != nil {
		return err
	}
	src := k.source(d, false)
	fromFile := src.Command == "" && src.Env == ""
	switch {
	case fromFile && src.File == "":
		return usageError{"keys rotate: " + vault.ErrNoMasterKey.Error()}
	case fromFile && *newKeyFile != "":
		return usageError{"keys rotate: --new-key-file is only for a key from " + vault.EnvMasterKey + " or --master-key-command; with a key file the new key replaces it in place"}
	case !fromFile && *newKeyFile == "":
		return usageError{fmt.Sprintf("keys rotate: --new-key-file is required when the master key comes from %s: frontdoor writes the new key there for you to load into your secret store", src.Describe())}
	}
	db, _, err := openMigrated(ctx, d, &k, false)
	if err != nil {
		return err
	}
	defer db.Close()
	bar := &keyBar{w: errOut}

	if fromFile {
		done, err := vault.FinishInterruptedRotation(ctx, db, src.File, func(m string) { fmt.Fprintln(out, "Note: "+m+".") })
		if err != nil {
			return err
		}
		if done {
			fmt.Fprintln(out, "The earlier rotation is now complete; run 'frontdoor keys rotate' again to rotate once more.")
			return nil
		}
		r, err := vault.RotateKeyFile(ctx, db, src.File, bar.progress)
		bar.finish()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Rotated the master key: the data keys are now wrapped with master key ID %s (was %s).\n", r.NewID, r.OldID)
		fmt.Fprintf(out, "%s holds the new key.\n", r.KeyFile)
		fmt.Fprintf(out, "The old key is kept in %s: a backup taken before now opens only with it, so keep that file (as safe as the key file, and apart from the backups) for as long as you keep those backups.\n", r.RetiredFile)
		fmt.Fprintln(out, "Running frontdoor processes carry on; each needs the new key when it restarts. If other machines hold a copy of the key file, give them the new one, and replace your safe copy of the key.")
		return nil
	}

	old, err := vault.LoadMasterKey(src)
	if err != nil {
		return err
	}
	wrapped, has, err := vault.WrappingMasterKeyID(ctx, db)
	if err != nil {
		return err
	}
	if !has {
		return vault.ErrNoKeys
	}
	if wrapped != old.ID() {
		return &vault.WrongMasterKeyError{Given: old.ID(), Wrapped: wrapped}
	}
	nk := vault.NewMasterKey()
	// The new key is safe on disk before the database depends on it.
	if err := vault.WriteKeyFile(*newKeyFile, nk); err != nil {
		return err
	}
	err = vault.Rotate(ctx, db, old, nk, bar.progress)
	bar.finish()
	if err != nil {
		now, _, werr := vault.WrappingMasterKeyID(context.WithoutCancel(ctx), db)
		switch {
		case werr == nil && now == old.ID():
			os.Remove(*newKeyFile)
			return fmt.Errorf("the rotation failed and nothing changed: %w", err)
		case werr == nil && now == nk.ID():
			// Committed although the commit reported an error.
		default:
			return fmt.Errorf("the rotation failed (%v) and the database cannot be checked now; %s holds the new key (ID %s): keep it until 'frontdoor keys status' shows which key the database uses", err, *newKeyFile, nk.ID())
		}
	}
	fmt.Fprintf(out, "Rotated the master key: the data keys are now wrapped with master key ID %s (was %s).\n", nk.ID(), old.ID())
	fmt.Fprintf(out, "The new key is in %s (mode 0600). Now:\n", *newKeyFile)
	fmt.Fprintf(out, "  1. Put its content where %s comes from, in place of the old key, before any frontdoor process restarts: from now on only the new key opens this database (running processes carry on).\n", src.Describe())
	fmt.Fprintf(out, "  2. Keep the old key (ID %s) for as long as you keep backups taken before now: they open only with it.\n", old.ID())
	fmt.Fprintf(out, "  3. Then delete %s.\n", *newKeyFile)
	return nil
}

func runKeysGenerate(args []string, out io.Writer) error {
	f := newFlagSet("keys generate", "Write a new random master key to a file (mode 0600; never overwrites), for a new PostgreSQL deployment's --key-file or to load into a secret manager. With SQLite, frontdoor serve makes master.key in the data dir by itself. To move an existing database to a new key use 'frontdoor keys rotate'.", out)
	to := f.String("to", "", "`file` to write the new key to (must not exist)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *to == "" {
		return usageError{"keys generate: --to is required: the file to write the new master key to"}
	}
	k := vault.NewMasterKey()
	if err := vault.WriteKeyFile(*to, k); err != nil {
		return err
	}
	fmt.Fprintf(out, "Wrote a new master key (ID %s) to %s. Keep a copy somewhere safe and apart from the backups: without it the data cannot be read.\n", k.ID(), *to)
	return nil
}

// keyBar shows the re-wrapping on errOut. It is made at the first report,
// when the total is known.
type keyBar struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (b *keyBar) progress(done, total int) {
	if b.bar == nil {
		b.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription("Re-wrapping data keys"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(0),
		)
	}
	_ = b.bar.Set(done) // a retried transaction starts again from 1
}

func (b *keyBar) finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
		fmt.Fprintln(b.w)
	}
}
