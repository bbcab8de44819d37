package demo_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/demo"
	"frontdoor/internal/intake"
	"frontdoor/internal/outreach"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// securityDoc holds the one list of columns kept in clear, with the
// reason for each: the page people read and this test share it.
const (
	securityDoc    = "../../docs/security.md"
	clearListTitle = "### Columns kept in clear"
)

// clearColumn is a row of that list.
type clearColumn struct{ table, column, reason string }

// clearColumns parses the list: a Markdown table under clearListTitle
// whose rows are | `table` | `column`, `column`... | reason |.
func clearColumns(t *testing.T) map[string]clearColumn {
	t.Helper()
	f, err := os.Open(securityDoc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]clearColumn{}
	in, rows := false, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == clearListTitle:
			in = true
			continue
		case !in:
			continue
		case strings.HasPrefix(line, "#"):
			in = false
			continue
		case !strings.HasPrefix(line, "|"):
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 3 {
			t.Fatalf("%s: a row of %q needs three cells (table, columns, reason): %s", securityDoc, clearListTitle, line)
		}
		table := strings.Trim(strings.TrimSpace(cells[0]), "`")
		reason := strings.TrimSpace(cells[2])
		if rows++; rows <= 2 || strings.Trim(table, "-: ") == "" {
			continue // the header and its rule
		}
		if reason == "" {
			t.Errorf("%s: %s has no reason for being in clear", securityDoc, table)
		}
		for _, c := range strings.Split(cells[1], ",") {
			col := strings.Trim(strings.TrimSpace(c), "`")
			key := table + "." + col
			if _, dup := out[key]; dup {
				t.Errorf("%s: %s is listed twice", securityDoc, key)
			}
			out[key] = clearColumn{table, col, reason}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s has no table under %q", securityDoc, clearListTitle)
	}
	return out
}

// textColumns lists every column of every table that can hold text or
// bytes, as the catalogue names them: SQLite's declared types with text
// or blob affinity (TIMESTAMP columns hold times), PostgreSQL's text,
// character, bytea and json types in the test's schema.
func textColumns(t *testing.T, db *store.DB) []string {
	t.Helper()
	var out []string
	ctx := context.Background()
	err := db.Read(ctx, func(tx *store.Tx) error {
		q := `SELECT m.name, p.name, upper(p.type) FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`
		if db.Dialect() == store.Postgres {
			q = `SELECT table_name, column_name, data_type FROM information_schema.columns
				WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
		}
		rows, err := tx.Query(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var table, col, typ string
			if err := rows.Scan(&table, &col, &typ); err != nil {
				return err
			}
			text := typ == "" || strings.Contains(typ, "TEXT") || strings.Contains(typ, "CHAR") || strings.Contains(typ, "CLOB") || strings.Contains(typ, "BLOB")
			if db.Dialect() == store.Postgres {
				text = slices.Contains([]string{"text", "character varying", "character", "bytea", "json", "jsonb"}, typ)
			}
			if text {
				out = append(out, table+"."+col)
			}
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 100 {
		t.Fatalf("the catalogue lists %d text columns: the query is wrong", len(out))
	}
	return out
}

// Every text and blob column of every table, on both engines, is either
// sealed (named *_sealed, every value a vault ciphertext) or on the list
// of columns kept in clear in docs/security.md with its reason. A column
// added without that decision fails here, and so does a listed column
// that no longer exists. The database is filled through the services by
// the demo (with refuge, outreach, partners and volunteers) and the rest
// by fillTheRest and fillSealed, so that every sealed column holds values
// and each is checked to be a vault ciphertext; a sealed column the fill
// leaves empty fails unless unfilledSealed names it with a reason. Last,
// the check is shown to catch a new clear column and a "sealed" one
// holding plaintext.
func TestEveryColumnIsSealedOrKeptInClearOnPurpose(t *testing.T) {
	ctx := context.Background()
	listed := clearColumns(t)
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		dc := demo.Config{Seed: 5}
		w := newDemoWorld(t, d, dc.Seed)
		if _, err := demo.LoadProperties(ctx, w.refuge, demo.NewPartnership(dc), dc); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.LoadPeople(ctx, demo.Services{DB: w.db, People: w.people, Intake: w.intake, Risk: w.risk, Refuge: w.refuge, Outreach: w.outreach},
			w.clock, dc, 40); err != nil {
			t.Fatal(err)
		}
		w.fillTheRest(t, dc)
		w.fillSealed(t, dc)

		problems, empty := w.checkColumns(t, listed)
		for _, p := range problems {
			t.Error(p)
		}
		// Every sealed column holds values, so each is checked value by
		// value: a new one must be written by the fill too (through the
		// service that writes it), or named here with the reason it cannot.
		for _, col := range empty {
			if reason, ok := unfilledSealed[col]; ok {
				t.Logf("%s is checked by name only: %s", col, reason)
				continue
			}
			t.Errorf("the fill wrote no %s, so its values went unchecked: write one in fillSealed (columns_fill_test.go) through the service, "+
				"or name it in unfilledSealed with the reason", col)
		}
		for col := range unfilledSealed {
			if !slices.Contains(empty, col) {
				t.Errorf("%s is in unfilledSealed but the fill wrote it: take it off", col)
			}
		}

		// A column added in clear, and a "sealed" one written in clear,
		// are caught; nothing else is.
		if err := w.db.Write(ctx, func(tx *store.Tx) error {
			for _, q := range []string{`ALTER TABLE refuge_stays ADD COLUMN town TEXT`, `ALTER TABLE risk_levels ADD COLUMN probe_sealed TEXT`,
				`UPDATE risk_levels SET probe_sealed = 'high'`} {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if problems, _ = w.checkColumns(t, listed); len(problems) != 2 ||
			!strings.HasPrefix(problems[0], "risk_levels.probe_sealed: ") || !strings.HasPrefix(problems[1], "refuge_stays.town is neither sealed") {
			t.Errorf("after adding a clear column and plaintext in a sealed one, the check found %q", problems)
		}
	})
}

// unfilledSealed are the sealed columns the fill may leave without a
// value, each with the reason. None today.
var unfilledSealed = map[string]string{}

// checkColumns returns what is wrong with the schema's text columns
// against the list, and the sealed columns that hold no value yet.
func (w *demoWorld) checkColumns(t *testing.T, listed map[string]clearColumn) (problems, empty []string) {
	t.Helper()
	seen := map[string]bool{}
	var unlisted []string
	for _, tc := range textColumns(t, w.db) {
		seen[tc] = true
		table, col, _ := strings.Cut(tc, ".")
		_, isListed := listed[tc]
		switch {
		case strings.HasSuffix(col, "_sealed") && isListed:
			problems = append(problems, fmt.Sprintf("%s is sealed but listed as kept in clear in %s: take it off the list", tc, securityDoc))
		case strings.HasSuffix(col, "_sealed"):
			values, bad := w.sealedValues(t, table, col)
			if bad > 0 {
				problems = append(problems, fmt.Sprintf("%s: %d of %d values are not vault ciphertexts: write it with the vault (SealString, AAD table, record ID, field)", tc, bad, values))
			}
			if values == 0 {
				empty = append(empty, tc)
			}
		case !isListed:
			unlisted = append(unlisted, fmt.Sprintf("%s is neither sealed nor kept in clear on purpose. If it holds personal data that no query needs, seal it: "+
				"a *_sealed column written with the vault (SealString, AAD table, record ID, field). If a lookup, join, filter, sort, "+
				"uniqueness rule or aggregate in SQL needs it in clear, add it with the reason to the table under %q in %s.",
				tc, clearListTitle, securityDoc))
		}
	}
	problems = append(problems, unlisted...)
	var gone []string
	for key := range listed {
		if !seen[key] {
			gone = append(gone, fmt.Sprintf("%s is listed under %q in %s but is not a text column of the %s schema: take it off the list", key, clearListTitle, securityDoc, w.db.Dialect()))
		}
	}
	slices.Sort(gone)
	slices.Sort(empty)
	return append(problems, gone...), empty
}

// sealedValues counts a sealed column's values and those that are not
// ciphertexts of this database's vault.
func (w *demoWorld) sealedValues(t *testing.T, table, col string) (values, bad int) {
	t.Helper()
	ctx := context.Background()
	err := w.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE %s IS NOT NULL`, col, table, col))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			values++
			if !w.vault.Sealed(s) {
				bad++
			}
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return values, bad
}

// fillTheRest writes, through the services, what the demo leaves out: a
// partner referral moved on by the agency, a volunteer's match with an
// appointment and supervision, a change-of-circumstance review, and an
// anonymous helpline contact with its note.
func (w *demoWorld) fillTheRest(t *testing.T, dc demo.Config) {
	t.Helper()
	ctx := context.Background()
	staff := map[string]demo.Staff{}
	var admin, volunteer, volunteersManager, frontDoor demo.Staff
	for _, s := range demo.NewPartnership(dc).Staff {
		staff[s.ID] = s
		switch {
		case s.Username == "admin":
			admin = s
		case s.Role == access.RoleVolunteer && volunteer.ID == "":
			volunteer = s
		case s.Role == access.RoleFrontDoorWorker && frontDoor.ID == "":
			frontDoor = s
		}
	}
	for _, s := range staff {
		if s.Role == access.RoleTeamManager && volunteer.ID != "" && slices.Contains(s.TeamIDs, volunteer.TeamIDs[0]) {
			volunteersManager = s
		}
	}
	actor := func(s demo.Staff) access.Actor {
		return access.Actor{StaffID: s.ID, Role: s.Role, OrganisationID: s.OrganisationID, TeamIDs: s.TeamIDs}
	}
	var client, workerID, assessed, assessor string
	if err := w.db.Read(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT client_id, created_by FROM outreach_plans WHERE status = 'open' ORDER BY id LIMIT 1`, nil, &client, &workerID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT l.client_id, w.staff_id FROM risk_levels l JOIN client_workers w ON w.client_id = l.client_id ORDER BY l.client_id, w.staff_id LIMIT 1`,
			nil, &assessed, &assessor)
	}); err != nil {
		t.Fatalf("a client with a plan, and one assessed: %v", err)
	}
	worker := actor(staff[workerID])
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	agency, err := w.outreach.RegisterAgency(ctx, actor(admin), "Lockfast Security", "security")
	must("agency", err)
	agreement, err := w.outreach.AddAgreement(ctx, actor(admin), outreach.Agreement{PartnerID: agency, Title: "Sanctuary scheme ISA",
		LegalBasis: "public_task", StartsOn: time.Now().UTC().AddDate(-1, 0, 0)})
	must("agreement", err)
	ref, err := w.outreach.ReferToPartner(ctx, worker, outreach.NewPartnerReferral{ClientID: client, AgreementID: agreement, Kind: "target_hardening",
		Share: []outreach.ShareField{"name", "address"}, Request: "Fit locks front and back"})
	must("partner referral", err)
	fitter, err := w.accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: agency, Username: "lock.fitter", DisplayName: "Lock Fitter", Role: access.RolePartnerAgencyUser})
	must("agency user", err)
	must("agency accepts", w.outreach.MovePartnerReferral(ctx, access.Actor{StaffID: fitter.ID, Role: access.RolePartnerAgencyUser, OrganisationID: agency},
		ref, 1, outreach.Accepted, "Booked for Tuesday"))

	match, err := w.outreach.MatchVolunteer(ctx, worker, outreach.NewMatch{ClientID: client, VolunteerID: volunteer.ID, Kind: "appointments", Purpose: "Goes with her to court"})
	must("volunteer match", err)
	_, err = w.outreach.AddAppointment(ctx, worker, match, time.Now().UTC().AddDate(0, 0, 7), "Family court, 10:00")
	must("appointment", err)
	_, err = w.outreach.RecordSupervision(ctx, actor(volunteersManager), volunteer.ID, time.Now().UTC(), "First month went well")
	must("supervision", err)

	must("review request", w.risk.RequestReview(ctx, actor(staff[assessor]), assessed, "Moved back in with him"))
	_, err = w.intake.LogContact(ctx, actor(frontDoor), intake.NewContact{Channel: intake.Phone, Direction: intake.Inbound, CallerType: intake.CallerFriendFamily,
		ServiceLine: intake.LineMain, Outcome: intake.AdviceGiven, Note: "Worried about her sister"})
	must("anonymous contact", err)
}
