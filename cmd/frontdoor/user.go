package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/i18n"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

func runUser(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(out, "Usage: frontdoor user add|list|invite|disable|enable|reset-factors [flags]\n\n"+
			"  add            Add a staff account and print a one-time link for them to choose a password.\n"+
			"  list           List staff accounts.\n"+
			"  invite         Print a new one-time link for an existing account (lost link, locked out).\n"+
			"  disable        Disable an account at once, ending its sessions (needs --reason).\n"+
			"  enable         Enable a disabled account again (needs --reason).\n"+
			"  reset-factors  Remove an account's second factor and recovery codes, so it enrols again (needs --reason).")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return errHelp
		}
		return usageError{"user: say add, list, invite, disable, enable or reset-factors"}
	}
	switch args[0] {
	case "add":
		return runUserAdd(ctx, args[1:], out)
	case "list":
		return runUserList(ctx, args[1:], out)
	case "invite", "disable", "enable", "reset-factors":
		return runUserChange(ctx, args[0], args[1:], out)
	}
	return usageError{fmt.Sprintf("user: unknown subcommand %q; use add, list, invite, disable, enable or reset-factors", args[0])}
}

func roleNames() string {
	var s []string
	for _, r := range access.Roles {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

func runUserAdd(ctx context.Context, args []string, out io.Writer) error {
	f := newFlagSet("user add", "Add a staff account. No password is set here: frontdoor prints a one-time link (valid 24 hours) for the person to choose their own.", out)
	d := addDBFlags(f)
	k := addKeyFlags(f)
	username := f.String("username", "", "sign-in `name`, lower case (for example j.okafor)")
	name := f.String("name", "", "the person's full `name`")
	role := f.String("role", "", "`role`: "+roleNames())
	org := f.String("organisation", "", "`organisation` name or ID; on an empty instance a new organisation of this name is created")
	baseURL := f.String("base-url", "http://127.0.0.1:8080", "the `url` frontdoor is reached at, for the printed link")
	if err := f.parse(args); err != nil {
		return err
	}
	if *username == "" || *name == "" || *role == "" || *org == "" {
		return usageError{"user add: --username, --name, --role and --organisation are all required"}
	}
	db, accounts, err := openAccounts(ctx, d, k, true, func(m string) { fmt.Fprintln(out, m) })
	if err != nil {
		return err
	}
	defer db.Close()
	orgID, err := findOrCreateOrganisation(ctx, db, *org)
	if err != nil {
		return err
	}
	st, err := accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: orgID, Username: *username, DisplayName: *name, Role: access.Role(*role)})
	if err != nil {
		return cliError("user add", err)
	}
	token, err := accounts.IssueSetupLink(ctx, st.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Added %s (%s). Give them this one-time link, valid 24 hours, to choose a password:\n%s/setup/%s\n",
		st.Username, st.Role, strings.TrimRight(*baseURL, "/"), token)
	return nil
}

// runUserChange acts on one existing account. The audit trail records the
// command line as the actor (no staff ID) with the reason given.
func runUserChange(ctx context.Context, verb string, args []string, out io.Writer) error {
	f := newFlagSet("user "+verb, "Act on one staff account; recorded in the audit trail.", out)
	d := addDBFlags(f)
	k := addKeyFlags(f)
	username := f.String("username", "", "the account's `username`")
	reason := f.String("reason", "", "why, in a sentence (at least 10 characters); kept, encrypted, in the audit trail")
	baseURL := f.String("base-url", "http://127.0.0.1:8080", "the `url` frontdoor is reached at, for a printed link")
	if err := f.parse(args); err != nil {
		return err
	}
	if *username == "" {
		return usageError{"user " + verb + ": --username is required"}
	}
	if verb != "invite" && *reason == "" {
		return usageError{"user " + verb + ": --reason is required"}
	}
	db, accounts, err := openAccounts(ctx, d, k, false, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := accounts.StaffByUsername(ctx, *username)
	if err != nil {
		return usageError{fmt.Sprintf("user %s: --username: no account is called %q", verb, *username)}
	}
	switch verb {
	case "invite":
		token, err := accounts.ReissueSetupLink(ctx, "", st.ID)
		if err != nil {
			return cliError("user "+verb, err)
		}
		fmt.Fprintf(out, "One-time link for %s, valid 24 hours (their sessions have ended):\n%s/setup/%s\n", st.Username, strings.TrimRight(*baseURL, "/"), token)
		return nil
	case "disable", "enable":
		err = accounts.SetDisabled(ctx, "", st.ID, verb == "disable", *reason)
	case "reset-factors":
		err = accounts.ResetFactors(ctx, "", st.ID, *reason)
	}
	if err != nil {
		return cliError("user "+verb, err)
	}
	fmt.Fprintf(out, "%s: done for %s.\n", verb, st.Username)
	return nil
}

// cliError turns an application error into the catalogue's English line,
// naming the command and the flag at fault.
func cliError(command string, err error) error {
	var e *errs.Error
	if !errors.As(err, &e) {
		return err
	}
	text := i18n.MustLoad().Printer(i18n.Default).T(e.Key, e.Args...)
	if e.Field != "" {
		return usageError{fmt.Sprintf("%s: --%s: %s", command, e.Field, text)}
	}
	return errors.New(text)
}

// findOrCreateOrganisation resolves --organisation. Creating one is only
// allowed on an empty instance, so a typo cannot split a partnership.
func findOrCreateOrganisation(ctx context.Context, db *store.DB, nameOrID string) (string, error) {
	var orgID string
	err := db.Write(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id FROM organisations WHERE id = $1 OR name = $1`, []any{nameOrID}, &orgID)
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM organisations`, nil, &n); err != nil {
			return err
		}
		if n > 0 {
			return usageError{fmt.Sprintf("user add: --organisation: no organisation is called %q; 'frontdoor user list' shows the organisations", nameOrID)}
		}
		orgID = id.New()
		_, err = tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, 'charity', $3)`, orgID, nameOrID, time.Now().UTC())
		return err
	})
	return orgID, err
}

func runUserList(ctx context.Context, args []string, out io.Writer) error {
	f := newFlagSet("user list", "List staff accounts and organisations.", out)
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
	if _, err := db.Status(ctx); err != nil {
		return err
	}
	v, err := openVault(ctx, db, k, d, false, nil)
	if err != nil {
		return err
	}
	list, err := newAccounts(db, v).ListStaff(ctx)
	if err != nil {
		return err
	}
	orgs := map[string]string{}
	err = db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, name FROM organisations`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var oid, name string
			if err := rows.Scan(&oid, &name); err != nil {
				return err
			}
			orgs[oid] = name
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "USERNAME\tROLE\tSTATUS\tORGANISATION")
	for _, s := range list {
		status := "active"
		switch {
		case s.Disabled:
			status = "disabled"
		case !s.HasPassword:
			status = "invited"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Username, s.Role, status, orgs[s.OrganisationID])
	}
	return tw.Flush()
}
