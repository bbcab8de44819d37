package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// flagSet is a flag.FlagSet whose every flag also reads FRONTDOOR_<NAME>
// from the environment (dashes become underscores). The command line wins
// over the environment, which wins over the default.
type flagSet struct {
	fs      *flag.FlagSet
	command string
	summary string
	envErrs []error
	stdout  io.Writer
}

func newFlagSet(command, summary string, stdout io.Writer) *flagSet {
	f := &flagSet{fs: flag.NewFlagSet(command, flag.ContinueOnError), command: command, summary: summary, stdout: stdout}
	f.fs.SetOutput(io.Discard)
	return f
}

func envName(flagName string) string {
	return "FRONTDOOR_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f *flagSet) env(name string) (string, bool) {
	return os.LookupEnv(envName(name))
}

func (f *flagSet) String(name, def, usage string) *string {
	if v, ok := f.env(name); ok {
		def = v
	}
	return f.fs.String(name, def, usage)
}

func (f *flagSet) Bool(name string, def bool, usage string) *bool {
	if v, ok := f.env(name); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			f.envErrs = append(f.envErrs, fmt.Errorf("%s=%q is not true or false", envName(name), v))
		}
		def = b
	}
	return f.fs.Bool(name, def, usage)
}

func (f *flagSet) Int(name string, def int, usage string) *int {
	if v, ok := f.env(name); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.envErrs = append(f.envErrs, fmt.Errorf("%s=%q is not a whole number", envName(name), v))
		}
		def = n
	}
	return f.fs.Int(name, def, usage)
}

func (f *flagSet) Int64(name string, def int64, usage string) *int64 {
	if v, ok := f.env(name); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			f.envErrs = append(f.envErrs, fmt.Errorf("%s=%q is not a whole number", envName(name), v))
		}
		def = n
	}
	return f.fs.Int64(name, def, usage)
}

func (f *flagSet) Duration(name string, def time.Duration, usage string) *time.Duration {
	if v, ok := f.env(name); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			f.envErrs = append(f.envErrs, fmt.Errorf("%s=%q is not a duration such as 30m or 12h", envName(name), v))
		}
		def = d
	}
	return f.fs.Duration(name, def, usage)
}

// errHelp means --help was asked for and printed: exit 0.
var errHelp = errors.New("help shown")

// usageError is a mistake on the command line: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// parse parses args. It prints help for --help and turns flag errors into
// one line that says what to do.
func (f *flagSet) parse(args []string) error {
	err := f.fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		f.usage(f.stdout)
		return errHelp
	}
	if err != nil {
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
			msg = "unknown flag --" + strings.TrimLeft(name, "-")
		}
		return usageError{fmt.Sprintf("%s: %s; run 'frontdoor %s --help' to see the flags", f.command, msg, f.command)}
	}
	if f.fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q; run 'frontdoor %s --help' to see the flags", f.command, f.fs.Arg(0), f.command)}
	}
	if len(f.envErrs) > 0 {
		return usageError{fmt.Sprintf("%s: %v", f.command, f.envErrs[0])}
	}
	return nil
}

func (f *flagSet) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: frontdoor %s [flags]\n\n%s\n\nFlags (each can also be set with the environment variable shown):\n", f.command, f.summary)
	f.fs.VisitAll(func(fl *flag.Flag) {
		name, usage := flag.UnquoteUsage(fl)
		fmt.Fprintf(w, "  --%s", fl.Name)
		if name != "" {
			fmt.Fprintf(w, " %s", name)
		}
		fmt.Fprintf(w, "\n      %s\n      env %s", usage, envName(fl.Name))
		if fl.DefValue != "" && fl.DefValue != "false" && fl.DefValue != "0" {
			fmt.Fprintf(w, "; default %s", fl.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// dbFlags are the flags every command that opens the database shares.
type dbFlags struct {
	data        *string
	databaseURL *string
	maxConns    *int
}

func addDBFlags(f *flagSet) dbFlags {
	return dbFlags{
		data:        f.String("data", "./frontdoor-data", "`dir`ectory for the embedded SQLite database; created with mode 0700 (ignored with --database-url)"),
		databaseURL: f.String("database-url", "", "PostgreSQL `url` (postgres://user:password@host:5432/db); empty uses embedded SQLite in --data"),
		maxConns:    f.Int("db-max-conns", 0, "maximum database `connections` of this process (0 picks one from the CPU count)"),
	}
}
