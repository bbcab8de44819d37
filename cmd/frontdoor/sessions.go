package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"frontdoor/internal/auth"
	"frontdoor/internal/store"
)

func runSessions(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(out, "Usage: frontdoor sessions end-all [flags]\n\n"+
			"  end-all  End every session, void every one-time link and drop every passkey challenge at once,\n"+
			"           recorded in the audit trail: after restoring a PostgreSQL backup with pg_restore\n"+
			"           (--restored-from), or when sessions or links may have leaked (--reason).")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return errHelp
		}
		return usageError{"sessions: say end-all"}
	}
	if args[0] != "end-all" {
		return usageError{fmt.Sprintf("sessions: unknown subcommand %q; use end-all", args[0])}
	}
	f := newFlagSet("sessions end-all", "End every session (each half-finished sign-in too), void every unused one-time link and drop every passkey challenge, in one transaction with its audit event: everyone signs in again, and anyone still to use a setup link needs a new one. API tokens are kept (frontdoor token revoke ends one). Give --restored-from after restoring a backup with other tools (pg_restore), or --reason.", out)
	d := addDBFlags(f)
	k := addKeyFlags(f)
	reason := f.String("reason", "", "why, in a sentence (at least 10 characters); kept, encrypted, in the audit trail")
	restoredFrom := f.String("restored-from", "", "the backup `file` this database was just restored from (the pg_dump file): the audit event backup.restore names its SHA-256, as 'frontdoor restore' does")
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	if (*reason == "") == (*restoredFrom == "") {
		return usageError{"sessions end-all: give one of --restored-from (the backup restored) or --reason"}
	}
	var digest string
	if *restoredFrom != "" {
		var err error
		if digest, err = store.FileDigest(*restoredFrom); err != nil {
			return usageError{"sessions end-all: --restored-from: " + err.Error()}
		}
	}
	db, accounts, err := openAccounts(ctx, d, k, false, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	var ended auth.Ended
	event := auth.ActionEndAll
	if digest != "" {
		ended, err = accounts.EndAllRestored(ctx, "", digest)
		event = auth.ActionRestore + " naming sha256 " + digest
	} else {
		ended, err = accounts.EndAll(ctx, "", *reason)
	}
	if err != nil {
		return cliError("sessions end-all", err)
	}
	fmt.Fprintf(out, "Everyone is signed out: %s. Audit event %s appended.\nAnyone still to use a setup link needs a new one (frontdoor user invite). API tokens are kept: 'frontdoor token list' shows them.\n", ended, event)
	return nil
}
