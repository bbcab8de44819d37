package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"frontdoor/internal/store"
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
	f := newFlagSet("restore", "Restore a backup made by 'frontdoor backup' into a new, empty data directory. Stop frontdoor, restore, then start it with --data pointing at the restored directory.", out)
	from := f.String("from", "", "backup `file` to restore")
	data := f.String("data", "", "new, empty data `dir`ectory to restore into")
	if err := f.parse(args); err != nil {
		return err
	}
	if *from == "" || *data == "" {
		return usageError{"restore: --from and --data are both required"}
	}
	if err := store.Restore(ctx, *from, *data); err != nil {
		return err
	}
	fmt.Fprintf(out, "Restored into %s. The backup holds no key: copy the master.key that was in use when the backup was taken into %s (frontdoor names the key ID it needs), then start frontdoor with --data %s.\n", *data, *data, *data)
	return nil
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }
