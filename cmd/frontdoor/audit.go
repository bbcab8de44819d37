package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"frontdoor/internal/audit"
	"frontdoor/internal/store"
)

// auditKeyFor, when set (by tests), supplies the audit trail's MAC key
// instead of the vault.
var auditKeyFor func(ctx context.Context, db *store.DB) ([]byte, error)

// auditSchemaVersion is the migration that creates the audit trail.
const auditSchemaVersion = 3

func runAudit(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(out, "Usage: frontdoor audit verify [flags]\n\n  verify  Check the audit trail's chain: every event present, in order and unchanged.")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return errHelp
		}
		return usageError{"audit: say verify"}
	}
	switch args[0] {
	case "verify":
		return runAuditVerify(ctx, args[1:], out)
	}
	return usageError{fmt.Sprintf("audit: unknown subcommand %q; use verify", args[0])}
}

func runAuditVerify(ctx context.Context, args []string, out io.Writer) error {
	f := newFlagSet("audit verify", "Check the audit trail: seqs run from 1 without a gap, each event links to the one before, each MAC is right under the audit key, and the chain head names the last event. Exits non-zero naming the first broken event. Prints a checkpoint to keep elsewhere: given back with --checkpoint, it also proves no event up to it was removed since.", out)
	d := addDBFlags(f)
	k := addKeyFlags(f)
	cpFlag := f.String("checkpoint", "", "`seq:mac` printed by an earlier verify; the event it names must still be there, unchanged")
	if err := f.parse(args); err != nil {
		return err
	}
	var cp audit.Checkpoint
	if *cpFlag != "" {
		var err error
		if cp, err = audit.ParseCheckpoint(*cpFlag); err != nil {
			return usageError{"audit verify: --" + err.Error()}
		}
	}
	db, err := openDB(ctx, d, false)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.Status(ctx)
	if err != nil {
		return err
	}
	if st.Current < auditSchemaVersion {
		return fmt.Errorf("the database is at schema version %d and has no audit trail yet; run 'frontdoor migrate' first", st.Current)
	}
	keyFor := auditKeyFor
	if keyFor == nil {
		// The MAC key is one of the vault's data keys, wrapped by the
		// master key: verify needs the same key material as serve.
		keyFor = func(ctx context.Context, db *store.DB) ([]byte, error) {
			v, err := openVault(ctx, db, k, d, false, nil)
			if err != nil {
				return nil, err
			}
			return v.AuditKey(), nil
		}
	}
	key, err := keyFor(ctx, db)
	if err != nil {
		return fmt.Errorf("audit verify needs the key material: %w", err)
	}
	rep, err := audit.VerifyCheckpoint(ctx, db, key, cp)
	if err != nil {
		return err
	}
	if rep.Events == 0 {
		fmt.Fprintln(out, "audit chain intact: 0 events")
	} else {
		fmt.Fprintf(out, "audit chain intact: %d events, last at %s\n", rep.Events, rep.LastAt.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(out, "checkpoint: %s\n", rep.Checkpoint())
	return nil
}
