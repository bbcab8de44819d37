package outreach_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// Plans and partner referrals stored before the sealed_columns migration kept outcome
// answers and scores, needs' statuses, referral kinds and their history's
// statuses in clear. The migration refuses to run without the data step
// (the vault's key); with it they read back as they were.
func TestMigrationSealsStoredOutcomesAndReferrals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		before := storetest.Before(t, d, store.MigrationSealedColumns)
		w := newWorldThrough(t, d, before)
		admin := w.staffIn(t, org, "the.admin", access.RoleAdministrator)
		c := w.client(t, "Amina", people.Safe)
		plan, err := w.svc.StartPlan(ctx, w.worker, c)
		if err != nil {
			t.Fatal(err)
		}
		installer, err := w.svc.RegisterAgency(ctx, admin, "Lockfast Security", "security")
		if err != nil {
			t.Fatal(err)
		}
		isa, err := w.svc.AddAgreement(ctx, admin, outreach.Agreement{PartnerID: installer, Title: "Sanctuary scheme ISA", LegalBasis: "public_task",
			StartsOn: w.now().AddDate(-1, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		now := w.now()
		need, outcome, ref := "0190f2a0-0000-7000-8000-00000000cc01", "0190f2a0-0000-7000-8000-00000000cc02", "0190f2a0-0000-7000-8000-00000000cc03"
		shared := w.vault.SealString(`{"request":"locks"}`, "partner_referrals", ref, "shared")
		err = w.db.Write(ctx, func(tx *store.Tx) error {
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO outreach_needs (id, plan_id, area, need_sealed, goals_sealed, status, created_at) VALUES ($1, $2, 'money', $3, $4, 'met', $5)`,
					[]any{need, plan, w.vault.SealString("arrears", "outreach_needs", need, "need"), w.vault.SealString("a plan", "outreach_needs", need, "goals"), now}},
				{`INSERT INTO outreach_outcomes (id, plan_id, stage, feels_safer, abuse_stopped, recorded_by, recorded_at) VALUES ($1, $2, 'start', 2, 'not_known', $3, $4)`,
					[]any{outcome, plan, w.worker.StaffID, now}},
				{`INSERT INTO outreach_outcome_scores (outcome_id, area, score) VALUES ($1, 'money', 1)`, []any{outcome}},
				{`INSERT INTO partner_referrals (id, client_id, organisation_id, partner_id, agreement_id, kind, legal_basis, shared_sealed, status, created_by, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, 'target_hardening', 'public_task', $6, 'accepted', $7, $8, $8)`, []any{ref, c, org, installer, isa, shared, w.worker.StaffID, now}},
				{`INSERT INTO partner_referral_events (id, referral_id, status, at) VALUES ($1, $2, 'sent', $3), ($4, $2, 'accepted', $5)`,
					[]any{"0190f2a0-0000-7000-8000-00000000cd01", ref, now, "0190f2a0-0000-7000-8000-00000000cd02", now.Add(time.Hour)}},
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
		steps := map[string]store.DataStep{store.MigrationSealedColumns: func(ctx context.Context, tx *store.Tx) error { return outreach.SealClearColumns(ctx, tx, w.vault) }}
		if _, err := w.db.MigrateWith(ctx, time.Now, store.MigrateOptions{Steps: steps}); err != nil {
			t.Fatal(err)
		}

		p, err := w.svc.Plan(ctx, w.worker, c)
		if err != nil || len(p.Needs) != 1 || p.Needs[0].Status != outreach.NeedMet || p.Needs[0].Need != "arrears" || len(p.Outcomes) != 1 {
			t.Fatalf("plan after the migration: %+v %v", p, err)
		}
		o := p.Outcomes[0]
		if o.Stage != outreach.AtStart || o.FeelsSafer != 2 || o.AbuseStopped != outreach.NotKnown || len(o.Scores) != 1 || o.Scores[outreach.Money] != 1 {
			t.Fatalf("outcome after the migration: %+v", o)
		}
		refs, err := w.svc.PartnerReferrals(ctx, w.worker, c)
		if err != nil || len(refs) != 1 || refs[0].Kind != "target_hardening" || refs[0].Status != outreach.Accepted || len(refs[0].Events) != 2 ||
			refs[0].Events[0].Status != outreach.Sent || refs[0].Events[1].Status != outreach.Accepted || refs[0].Shared.Request != "locks" {
			t.Fatalf("partner referrals after the migration: %+v %v", refs, err)
		}
		// The next measure and the next step are written sealed beside them.
		if err := w.svc.RecordOutcome(ctx, w.worker, plan, outreach.NewOutcome{Stage: outreach.AtReview, Scores: map[outreach.Area]int{outreach.Money: 3},
			FeelsSafer: 4, AbuseStopped: outreach.Yes}); err != nil {
			t.Fatal(err)
		}
		if p, err := w.svc.Plan(ctx, w.worker, c); err != nil || len(p.Outcomes) != 2 || p.Outcomes[1].Scores[outreach.Money] != 3 || p.Outcomes[1].FeelsSafer != 4 {
			t.Fatalf("outcomes after one more: %+v %v", p, err)
		}
	})
}
