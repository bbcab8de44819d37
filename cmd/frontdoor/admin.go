package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"frontdoor/internal/auth"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// openDB opens the database the flags name. create allows making a new
// SQLite data dir; commands that only read an existing one pass false.
func openDB(ctx context.Context, d dbFlags, create bool) (*store.DB, error) {
	return store.Open(ctx, store.Config{DataDir: *d.data, DatabaseURL: *d.databaseURL, MaxConns: *d.maxConns, CreateDataDir: create})
}

// openMigrated opens the database, refuses one from a newer frontdoor
// before touching it, and applies pending migrations. k is where the
// master key comes from, for migrations that seal stored values (nil: a
// command without one, which cannot apply those to a database with data).
func openMigrated(ctx context.Context, d dbFlags, k *keyFlags, create bool) (*store.DB, int, error) {
	db, err := openDB(ctx, d, create)
	if err != nil {
		return nil, 0, err
	}
	if _, err := db.Status(ctx); err != nil {
		db.Close()
		return nil, 0, err
	}
	n, err := db.MigrateWith(ctx, time.Now, store.MigrateOptions{Steps: dataSteps(db, d, k)})
	if err != nil {
		db.Close()
		return nil, 0, err
	}
	return db, n, nil
}

func runMigrate(ctx context.Context, args []string, out, errOut io.Writer) error {
	f := newFlagSet("migrate", "Apply database schema migrations and exit. 'frontdoor serve' also applies them at start, under a lock. A migration that seals values older versions stored in clear needs the master key, given as to serve.", out)
	d := addDBFlags(f)
	k := addKeyFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	db, n, err := openMigrated(ctx, d, &k, true)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Applied %d migrations; the %s database is at schema version %d.\n", n, db.Dialect(), st.Current)
	return nil
}

func runBackup(ctx context.Context, args []string, out, errOut io.Writer) error {
	f := newFlagSet("backup", "Take a consistent copy of the SQLite database while frontdoor serves. The copy holds encrypted personal data; keep it as safe as the data dir. For PostgreSQL use pg_dump (see README).", out)
	d := addDBFlags(f)
	to := f.String("to", "", "backup `file` to write (must not exist); mode 0600")
	if err := f.parse(args); err != nil {
		return err
	}
	if *to == "" {
		return usageError{"backup: --to is required: the file to write the backup to"}
	}
	if *d.databaseURL != "" {
		return store.ErrBackupPostgres
	}
	db, err := openDB(ctx, d, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, *to); err != nil {
		return err
	}
	fmt.Fprintf(out, "Backup written to %s.\n", *to)
	return nil
}

func runRestore(ctx context.Context, args []string, out, errOut io.Writer) error {
	f := newFlagSet("restore", "Restore a backup made by 'frontdoor backup' into a new, empty data directory. Stop frontdoor, restore, then start it with --data pointing at the restored directory. "+
		"Restore ends every session and voids every one-time link the backup holds, so nothing issued before the backup signs anyone in, and records the restore, naming the backup's SHA-256, in the audit trail: "+
		"at once when the master key is given, else when frontdoor first opens the restored data with its key. API tokens are kept.", out)
	from := f.String("from", "", "backup `file` to restore")
	data := f.String("data", "", "new, empty data `dir`ectory to restore into")
	k := addKeyFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if *from == "" || *data == "" {
		return usageError{"restore: --from and --data are both required"}
	}
	// The restored database takes its place only once its sessions and
	// links are ended and the restore is noted for the audit trail.
	var ended auth.Ended
	digest, err := store.Restore(ctx, *from, *data, func(ctx context.Context, db *store.DB, digest string) error {
		if _, err := db.Migrate(ctx, time.Now); err != nil {
			return err
		}
		var err error
		ended, err = auth.EndForRestore(ctx, db, digest, time.Now())
		return err
	})
	if err != nil {
		return err
	}
	noURL, noMax := "", 0
	d := dbFlags{data: data, databaseURL: &noURL, maxConns: &noMax}
	db, err := openDB(ctx, d, false)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(out, "Restored backup %s (sha256 %s) into %s.\n", *from, digest, *data)
	fmt.Fprintf(out, "Everyone is signed out: %s, so no cookie or link from before the backup works. Anyone still to use a setup link needs a new one (frontdoor user invite). API tokens are kept: 'frontdoor token list' shows them; revoke any that should not outlive the restore.\n", ended)
	if *k.keyFile == "" && *k.command == "" && os.Getenv(vault.EnvMasterKey) == "" {
		fmt.Fprintf(out, "The audit event %s naming sha256 %s is appended when frontdoor first opens %s with its master key, before it serves.\n", auth.ActionRestore, digest, *data)
		fmt.Fprintf(out, "The backup holds no key: copy the master.key that was in use when the backup was taken into %s (frontdoor names the key ID it needs), then start frontdoor with --data %s.\n", *data, *data)
		return nil
	}
	if _, err := openVault(ctx, db, k, d, false, nil); err != nil {
		return fmt.Errorf("the audit event %s is not appended yet: %w; it is appended when frontdoor first opens %s with the master key it needs", auth.ActionRestore, err, *data)
	}
	fmt.Fprintf(out, "Appended the audit event %s naming sha256 %s.\nStart frontdoor with --data %s and the same master key.\n", auth.ActionRestore, digest, *data)
	return nil
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }
