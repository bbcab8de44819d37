package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
)

func runToken(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(out, "Usage: frontdoor token create|list|revoke [flags]\n\n"+
			"  create  Make an API token for a partner agency's integration (--organisation), or\n"+
			"          a staff token that acts as one member of staff (--staff); printed once.\n"+
			"  list    List tokens (never the secrets).\n"+
			"  revoke  End a token at once.")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return errHelp
		}
		return usageError{"token: say create, list or revoke"}
	}
	verb := args[0]
	f := newFlagSet("token "+verb, "API tokens: hashed at rest, scoped, expiring, revocable. A partner agency's token belongs to its organisation (referral scopes); a staff token acts as one member of staff (accommodation and outreach scopes, at most 90 days).", out)
	d := addDBFlags(f)
	k := addKeyFlags(f)
	var org, staff, name, scopes, tokenID *string
	var expires *time.Duration
	switch verb {
	case "create":
		org = f.String("organisation", "", "the partner agency's `organisation` (name or ID)")
		staff = f.String("staff", "", "the `username` of the member of staff a staff token acts as (instead of --organisation)")
		name = f.String("name", "", "what the token is for, e.g. \"Police referrals system\"")
		scopes = f.String("scopes", "", "comma-separated `scopes`: "+strings.Join(auth.TokenScopes, ", ")+" for a partner token (default referral.create); "+
			strings.Join(auth.StaffTokenScopes, ", ")+" for a staff token (default accommodation)")
		expires = f.Duration("expires", 90*24*time.Hour, "how long the token lives (at most a year; a staff token at most 90 days), e.g. 2160h")
	case "revoke":
		tokenID = f.String("id", "", "the token's `ID` (from token list)")
	case "list":
	default:
		return usageError{fmt.Sprintf("token: unknown subcommand %q; use create, list or revoke", verb)}
	}
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	db, accounts, err := openAccounts(ctx, d, k, false, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	switch verb {
	case "create":
		if (*org == "") == (*staff == "") || *name == "" {
			return usageError{"token create: --name and one of --organisation or --staff are required"}
		}
		var list []string
		for _, s := range strings.Split(*scopes, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		if *staff != "" {
			if len(list) == 0 {
				list = []string{auth.ScopeAccommodation}
			}
			st, err := accounts.StaffByUsername(ctx, *staff)
			if errs.CodeOf(err) == errs.NotFound {
				return usageError{fmt.Sprintf("token create: --staff: no account is called %q", *staff)}
			}
			if err != nil {
				return err
			}
			secret, t, err := accounts.CreateStaffToken(ctx, "", st.ID, *name, list, *expires)
			if err != nil {
				return cliError("token create", err)
			}
			fmt.Fprintf(out, "Token %s for %q, acting as %s, scopes %s, expires %s.\nThe secret is shown only now; store it in the system's secret store:\n%s\n",
				t.ID, t.Name, st.Username, strings.Join(t.Scopes, " "), t.ExpiresAt.Format("2 Jan 2006"), secret)
			return nil
		}
		if len(list) == 0 {
			list = []string{"referral.create"}
		}
		orgID, err := findOrganisation(ctx, db, *org)
		if err != nil {
			return err
		}
		secret, t, err := accounts.CreateToken(ctx, "", orgID, *name, list, *expires)
		if err != nil {
			return cliError("token create", err)
		}
		fmt.Fprintf(out, "Token %s for %q, scopes %s, expires %s.\nThe secret is shown only now; store it in the agency system's secret store:\n%s\n",
			t.ID, t.Name, strings.Join(t.Scopes, " "), t.ExpiresAt.Format("2 Jan 2006"), secret)
	case "list":
		list, err := accounts.Tokens(ctx)
		if err != nil {
			return err
		}
		// Which member of staff a staff token acts as, by username.
		usernames := map[string]string{}
		if slices.ContainsFunc(list, func(t auth.APIToken) bool { return t.StaffID != "" }) {
			accountList, err := accounts.ListStaff(ctx)
			if err != nil {
				return err
			}
			for _, st := range accountList {
				usernames[st.ID] = st.Username
			}
		}
		tw := newTable(out)
		fmt.Fprintln(tw, "ID\tNAME\tACTS AS\tSCOPES\tEXPIRES\tSTATUS")
		for _, t := range list {
			status := "active"
			switch {
			case t.RevokedAt != nil:
				status = "revoked"
			case !time.Now().Before(t.ExpiresAt):
				status = "expired"
			}
			actsAs := "-"
			if t.StaffID != "" {
				actsAs = usernames[t.StaffID]
				if actsAs == "" {
					actsAs = "staff " + t.StaffID
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, actsAs, strings.Join(t.Scopes, " "), t.ExpiresAt.Format("2006-01-02"), status)
		}
		return tw.Flush()
	case "revoke":
		if *tokenID == "" {
			return usageError{"token revoke: --id is required"}
		}
		if err := accounts.RevokeToken(ctx, "", *tokenID); err != nil {
			return cliError("token revoke", err)
		}
		fmt.Fprintf(out, "Token %s revoked.\n", *tokenID)
	}
	return nil
}

// findOrganisation resolves an organisation by name or ID.
func findOrganisation(ctx context.Context, db *store.DB, nameOrID string) (string, error) {
	var orgID string
	err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT id FROM organisations WHERE id = $1 OR name = $1`, []any{nameOrID}, &orgID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", usageError{fmt.Sprintf("--organisation: no organisation is called %q", nameOrID)}
	}
	return orgID, err
}
