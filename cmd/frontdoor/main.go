// Command frontdoor runs an integrated domestic abuse service: the web
// application and the administration commands, in one binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"frontdoor/internal/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, out io.Writer, errOut io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "Run the web application.", runServe},
		{"migrate", "Apply database schema migrations and exit.", runMigrate},
		{"user", "Staff accounts: user add, list, invite, disable, enable, reset-factors.", runUser},
		{"demo", "Fill the database with a fictional service for trying frontdoor out.", runDemo},
		{"token", "Partner agency API tokens: token create, token list, token revoke.", runToken},
		{"sessions", "Sign everyone out: sessions end-all (after pg_restore, or a leak).", runSessions},
		{"audit", "Check the audit trail: audit verify.", runAudit},
		{"keys", "Master key: keys status, keys rotate, keys generate.", runKeys},
		{"backup", "Take a consistent copy of the SQLite database while it serves.", runBackup},
		{"restore", "Restore a backup into a new, empty data directory, signing everyone out.", runRestore},
		{"version", "Print the version.", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it directly. It returns the
// exit code: 0 done, 1 failed, 2 bad command line.
func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		printUsage(out)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], out, errOut)
		var ue usageError
		switch {
		case err == nil, errors.Is(err, errHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintln(errOut, "frontdoor "+ue.msg)
			return 2
		default:
			fmt.Fprintln(errOut, "frontdoor: "+oneLine(err.Error()))
			return 1
		}
	}
	fmt.Fprintf(errOut, "frontdoor: unknown command %q; run 'frontdoor help' to list the commands\n", args[0])
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: frontdoor <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'frontdoor <command> --help' for a command's flags.")
}

// oneLine keeps start-up errors to the one line the operator reads.
func oneLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	ms, _ := store.Migrations(store.SQLite)
	return fmt.Sprintf("frontdoor %s (%s, schema version %d)", v, runtime.Version(), len(ms))
}

func runVersion(ctx context.Context, args []string, out, errOut io.Writer) error {
	f := newFlagSet("version", "Print the version.", out)
	if err := f.parse(args); err != nil {
		return err
	}
	fmt.Fprintln(out, versionString())
	return nil
}
