package outreach_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
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
		if _, err := w.db.MigrateWith(ctx, time.Now, store.MigrateOptions{Steps: w.steps()}); err != nil {
			t.Fatal(err)
		}

		p, err := w.svc.Plan(ctx, w.worker, c)
		if err != nil || len(p.Needs) != 1 || p.Needs[0].Area != outreach.Money || p.Needs[0].Status != outreach.NeedMet || p.Needs[0].Need != "arrears" || len(p.Outcomes) != 1 {
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

// steps are this package's data steps, as 'frontdoor migrate' runs them.
func (w *world) steps() map[string]store.DataStep {
	return map[string]store.DataStep{
		store.MigrationSealedColumns: func(ctx context.Context, tx *store.Tx) error { return outreach.SealClearColumns(ctx, tx, w.vault) },
		store.MigrationOutreachSealed: func(ctx context.Context, tx *store.Tx) error {
			return outreach.SealNeedAreasAndReminders(ctx, tx, w.vault)
		},
	}
}

// Needs and sessions stored before the outreach_sealed migration kept a
// need's area and a session's reminder channel (and what became of a
// text) in clear. The migration refuses to run without the data step;
// with it the plan and the diary read as they were, one need an area a
// plan still holds against the stored needs, and the reminder job still
// texts only the text reminder due and not yet sent.
func TestMigrationSealsNeedAreasAndReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorldThrough(t, d, storetest.Before(t, d, store.MigrationOutreachSealed))
		texts := &fakeTexter{}
		w.svc.Texts, w.svc.Zone = texts, time.UTC
		c := w.client(t, "Amina", people.Safe)
		plan, err := w.svc.StartPlan(ctx, w.worker, c)
		if err != nil {
			t.Fatal(err)
		}
		now := w.now()
		wellbeing, immigration := "0190f2a0-0000-7000-8000-00000000ce01", "0190f2a0-0000-7000-8000-00000000ce02"
		sess := func(n int) string { return fmt.Sprintf("0190f2a0-0000-7000-8000-00000000cf%02d", n) }
		err = w.db.Write(ctx, func(tx *store.Tx) error {
			for _, n := range []struct{ id, area string }{{wellbeing, "wellbeing"}, {immigration, "immigration"}} {
				if _, err := tx.Exec(ctx, `INSERT INTO outreach_needs (id, plan_id, area, need_sealed, goals_sealed, status_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
					n.id, plan, n.area, w.vault.SealString("need in "+n.area, "outreach_needs", n.id, "need"), w.vault.SealString("goals", "outreach_needs", n.id, "goals"),
					w.vault.SealString("active", "outreach_needs", n.id, "status"), now); err != nil {
					return err
				}
			}
			for i, s := range []struct {
				in              time.Duration
				reminder, state string
				status          string
			}{
				{5 * time.Hour, "text", "", "booked"},     // due: texted after the migration
				{6 * time.Hour, "text", "sent", "booked"}, // already texted
				{7 * time.Hour, "email", "", "booked"},    // the worker's to send
				{8 * time.Hour, "none", "", "booked"},
				{-48 * time.Hour, "voicemail", "", "held"},
			} {
				start := now.Add(s.in)
				if _, err := tx.Exec(ctx, `INSERT INTO outreach_sessions (id, client_id, worker_id, kind, starts_at, ends_at, reminder, reminder_state, status, created_by, created_at)
					VALUES ($1, $2, $3, 'office', $4, $5, $6, $7, $8, $3, $9)`, sess(i), c, w.worker.StaffID, start, start.Add(time.Hour), s.reminder, nullIfEmpty(s.state), s.status, now); err != nil {
					return err
				}
			}
			// An action agreed at a session points at the need (SQLite
			// rebuilds the needs' table under it).
			action := "0190f2a0-0000-7000-8000-00000000ce03"
			_, err := tx.Exec(ctx, `INSERT INTO outreach_actions (id, plan_id, need_id, session_id, text_sealed, due_on, created_by, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $6)`, action, plan, wellbeing, sess(4), w.vault.SealString("See the GP", "outreach_actions", action, "text"),
				now, w.worker.StaffID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}

		if _, err := w.db.Migrate(ctx, time.Now); !errors.Is(err, store.ErrDataStepNeeded) {
			t.Fatalf("migrate without the data step: %v", err)
		}
		if _, err := w.db.MigrateWith(ctx, time.Now, store.MigrateOptions{Steps: w.steps()}); err != nil {
			t.Fatal(err)
		}
		if n := w.count(t, `SELECT count(*) FROM outreach_needs WHERE area_index IS NOT NULL AND area_sealed IS NOT NULL`); n != 2 {
			t.Fatalf("%d needs sealed and indexed, want 2", n)
		}
		for _, gone := range []string{`SELECT count(area) FROM outreach_needs`, `SELECT count(reminder) FROM outreach_sessions`, `SELECT count(reminder_state) FROM outreach_sessions`} {
			if err := w.db.Read(ctx, func(tx *store.Tx) error { var n int; return tx.QueryRow(ctx, gone, nil, &n) }); err == nil {
				t.Errorf("%s: the clear column is still there", gone)
			}
		}

		p, err := w.svc.Plan(ctx, w.worker, c)
		if err != nil || len(p.Needs) != 2 || p.Needs[0].Area != outreach.Wellbeing || p.Needs[0].Need != "need in wellbeing" || p.Needs[1].Area != outreach.Immigration ||
			len(p.Needs[0].Actions) != 1 || p.Needs[0].Actions[0].Text != "See the GP" || p.Needs[0].Actions[0].SessionID != sess(4) {
			t.Fatalf("plan after the migration: %+v %v", p, err)
		}
		// The stored areas are still each once a plan; another is added.
		_, err = w.svc.AddNeed(ctx, w.worker, plan, outreach.NewNeed{Area: outreach.Wellbeing, Need: "again", Goals: "again"})
		if got := fieldNames(t, err); !slices.Equal(got, []string{"area"}) {
			t.Fatalf("a second wellbeing need after the migration: %v", got)
		}
		if _, err := w.svc.AddNeed(ctx, w.worker, plan, outreach.NewNeed{Area: outreach.Housing, Need: "n", Goals: "g"}); err != nil {
			t.Fatal(err)
		}
		// An outcome measure must score exactly the plan's areas.
		err = w.svc.RecordOutcome(ctx, w.worker, plan, outreach.NewOutcome{Stage: outreach.AtStart, Scores: map[outreach.Area]int{outreach.Wellbeing: 2, outreach.Housing: 3},
			FeelsSafer: 2, AbuseStopped: outreach.No})
		if got := fieldNames(t, err); !slices.Equal(got, []string{"score_immigration"}) {
			t.Fatalf("a measure without the stored immigration need: %v", got)
		}
		if err := w.svc.RecordOutcome(ctx, w.worker, plan, outreach.NewOutcome{Stage: outreach.AtStart,
			Scores: map[outreach.Area]int{outreach.Wellbeing: 2, outreach.Housing: 3, outreach.Immigration: 1}, FeelsSafer: 2, AbuseStopped: outreach.No}); err != nil {
			t.Fatal(err)
		}

		sessions, err := w.svc.ClientSessions(ctx, w.worker, c)
		if err != nil || len(sessions) != 5 {
			t.Fatalf("sessions after the migration: %+v %v", sessions, err)
		}
		got := map[string]string{}
		for _, s := range sessions {
			got[s.ID] = string(s.Reminder) + "/" + s.ReminderState
		}
		want := map[string]string{sess(0): "text/", sess(1): "text/sent", sess(2): "email/", sess(3): "none/", sess(4): "voicemail/"}
		if !maps.Equal(got, want) {
			t.Fatalf("reminders after the migration: %v, want %v", got, want)
		}
		if n := w.count(t, `SELECT count(*) FROM outreach_sessions WHERE remind`); n != 2 {
			t.Errorf("%d sessions with a reminder to look at after the migration, want 2 (the due text, the email)", n)
		}
		if n, err := w.svc.SendReminders(ctx); err != nil || n != 1 || len(texts.sent) != 1 {
			t.Fatalf("reminders after the migration: %d sent (%v), %v", n, texts.sent, err)
		}
		if s, err := w.svc.OpenSession(ctx, w.worker, sess(0)); err != nil || s.ReminderState != "sent" {
			t.Fatalf("the due text after the job: %+v %v", s, err)
		}
		if n, err := w.svc.SendReminders(ctx); err != nil || n != 0 {
			t.Fatalf("the job again: %d sent, %v", n, err)
		}
		if n := w.count(t, `SELECT count(*) FROM outreach_sessions WHERE remind`); n != 0 {
			t.Errorf("%d sessions still with a reminder to look at after the job", n)
		}
	})
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
