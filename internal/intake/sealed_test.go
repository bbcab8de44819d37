package intake_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"frontdoor/internal/intake"
	"frontdoor/internal/matching"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// The front door's rows stored before the sealed_columns migration kept contact details,
// referral sources and risk, triage decisions, close reasons and case
// histories in clear, and so did perpetrators' relationships and alert
// reasons. The migration refuses to run without the data step (the
// vault's key); with it the timeline and the case list read back what was
// stored, and the rest opens under its new place.
func TestMigrationSealsStoredFrontDoorRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		before := storetest.Before(t, d, store.MigrationSealedColumns)
		w := newWorldThrough(t, d, before)
		c := w.client(t, "Ada")
		var org string
		if err := w.db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT organisation_id FROM clients WHERE id = $1`, []any{c}, &org)
		}); err != nil {
			t.Fatal(err)
		}
		contact, anon, ref, kase, ev1, ev2, perp, alert := "0190f2a0-0000-7000-8000-00000000dd01", "0190f2a0-0000-7000-8000-00000000dd02",
			"0190f2a0-0000-7000-8000-00000000dd03", "0190f2a0-0000-7000-8000-00000000dd04", "0190f2a0-0000-7000-8000-00000000dd05",
			"0190f2a0-0000-7000-8000-00000000dd06", "0190f2a0-0000-7000-8000-00000000dd07", "0190f2a0-0000-7000-8000-00000000dd08"
		at := w.clock.Add(-48 * time.Hour)
		err := w.db.Write(ctx, func(tx *store.Tx) error {
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO intake_contacts (id, organisation_id, channel, direction, caller_type, service_line, outcome, follow_up, client_id, note_sealed, taken_by, taken_at, created_at)
					VALUES ($1, $2, 'webchat', 'in', 'victim', 'male_victim', 'advice_given', FALSE, $3, $4, $5, $6, $6)`,
					[]any{contact, org, c, w.vault.SealString("asked about injunctions", "intake_contacts", contact, "note"), w.helpline.StaffID, at}},
				{`INSERT INTO intake_contacts (id, organisation_id, channel, direction, caller_type, service_line, outcome, follow_up, taken_by, taken_at, created_at)
					VALUES ($1, $2, 'phone', 'in', 'perpetrator', 'main', 'signposted', FALSE, $3, $4, $4)`, []any{anon, org, w.helpline.StaffID, at}},
				{`INSERT INTO intake_referrals (id, organisation_id, client_id, source, received_at, risk_level, summary_sealed, repeat, received_via, created_by, created_at)
					VALUES ($1, $2, $3, 'police', $4, 'high', $5, FALSE, 'staff', $6, $4)`,
					[]any{ref, org, c, at, w.vault.SealString("call-out last night", "intake_referrals", ref, "summary"), w.helpline.StaffID}},
				{`INSERT INTO intake_cases (id, client_id, organisation_id, service, team_id, referral_id, status, close_reason, opened_at, closed_at)
					VALUES ($1, $2, $3, 'outreach', 'outreach', $4, 'closed', 'moved_away', $5, $6)`, []any{kase, c, org, ref, at, w.clock}},
				{`INSERT INTO intake_triage (referral_id, decision, service, case_id, decided_by, decided_at) VALUES ($1, 'allocate', 'outreach', $2, $3, $4)`,
					[]any{ref, kase, w.helpline.StaffID, at}},
				{`INSERT INTO intake_case_events (id, case_id, status, changed_by, changed_at) VALUES ($1, $2, 'open', $3, $4)`, []any{ev1, kase, w.helpline.StaffID, at}},
				{`INSERT INTO intake_case_events (id, case_id, status, reason, changed_by, changed_at) VALUES ($1, $2, 'closed', 'moved_away', $3, $4)`,
					[]any{ev2, kase, w.outreach.StaffID, w.clock}},
				{`INSERT INTO perpetrators (id, organisation_id, given_name_sealed, family_name_sealed, name_index, details_sealed, created_at)
					VALUES ($1, $2, 'x', 'x', 'x', 'x', $3)`, []any{perp, org, at}},
				{`INSERT INTO perpetrator_links (perpetrator_id, client_id, relationship, created_at) VALUES ($1, $2, 'ex_partner', $3)`, []any{perp, c, at}},
				{`INSERT INTO match_alerts (id, organisation_id, client_id, perpetrator_id, score, reasons, raised_at) VALUES ($1, $2, $3, $4, 0.9, 'match.dob_exact,match.name_phonetic', $5)`,
					[]any{alert, org, c, perp, at}},
			} {
				if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		if _, err := w.db.Migrate(ctx, time.Now); !errors.Is(err, store.ErrDataStepNeeded) {
			t.Fatalf("migrate without the data step: %v", err)
		}
		steps := map[string]store.DataStep{store.MigrationSealedColumns: func(ctx context.Context, tx *store.Tx) error {
			if err := intake.SealClearColumns(ctx, tx, w.vault); err != nil {
				return err
			}
			if err := people.SealClearColumns(ctx, tx, w.vault); err != nil {
				return err
			}
			return matching.SealClearColumns(ctx, tx, w.vault)
		}}
		if _, err := w.db.MigrateWith(ctx, time.Now, store.MigrateOptions{Steps: steps}); err != nil {
			t.Fatal(err)
		}

		entries, err := w.svc.Timeline(ctx, w.outreach, c)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			contact  *intake.Contact
			referral *intake.Referral
			triage   *intake.Triage
			changes  []intake.CaseChange
		}
		for _, e := range entries {
			switch e.Kind {
			case intake.EntryContact:
				got.contact = e.Contact
			case intake.EntryReferral:
				got.referral = e.Referral
			case intake.EntryTriage:
				got.triage = e.Triage
			case intake.EntryCaseStatus:
				got.changes = append(got.changes, *e.Case)
			}
		}
		if ct := got.contact; ct == nil || ct.Channel != intake.WebChat || ct.Direction != intake.Inbound || ct.CallerType != intake.CallerVictim ||
			ct.ServiceLine != intake.LineMaleVictim || ct.Outcome != intake.AdviceGiven || ct.Note != "asked about injunctions" {
			t.Fatalf("contact after the migration: %+v", got.contact)
		}
		if r := got.referral; r == nil || r.Source != intake.FromPolice || r.RiskLevel != intake.RiskHigh || r.Summary != "call-out last night" {
			t.Fatalf("referral after the migration: %+v", got.referral)
		}
		if tr := got.triage; tr == nil || tr.Decision != intake.Allocate || tr.Service != intake.Outreach || tr.CaseID != kase {
			t.Fatalf("triage after the migration: %+v", got.triage)
		}
		if len(got.changes) != 2 || got.changes[0].Status != intake.CaseOpen || got.changes[1].Status != intake.CaseClosed || got.changes[1].Reason != intake.MovedAway {
			t.Fatalf("case history after the migration: %+v", got.changes)
		}
		cases, err := w.svc.Cases(ctx, w.outreach, c)
		if err != nil || len(cases) != 1 || cases[0].CloseReason != intake.MovedAway || cases[0].Status != intake.CaseClosed {
			t.Fatalf("cases after the migration: %+v %v", cases, err)
		}
		// The anonymous contact, the relationship and the alert's reasons
		// open under their new places.
		for _, x := range []struct {
			query, want string
			aad         []string
		}{
			{`SELECT details_sealed FROM intake_contacts WHERE id = '` + anon + `'`,
				`{"channel":"phone","direction":"in","caller_type":"perpetrator","service_line":"main","outcome":"signposted"}`, []string{"intake_contacts", anon, "details"}},
			{`SELECT relationship_sealed FROM perpetrator_links`, "ex_partner", []string{"perpetrator_links", perp, c, "relationship"}},
			{`SELECT reasons_sealed FROM match_alerts`, "match.dob_exact,match.name_phonetic", []string{"match_alerts", alert, "reasons"}},
		} {
			var sealed string
			if err := w.db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, x.query, nil, &sealed) }); err != nil {
				t.Fatal(err)
			}
			if plain, err := w.vault.OpenString(sealed, x.aad...); err != nil || plain != x.want {
				t.Errorf("%s opens to %q, %v; want %q", x.query, plain, err, x.want)
			}
		}
	})
}
