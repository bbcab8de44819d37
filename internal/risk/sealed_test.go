package risk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// Assessments stored before the sealed_columns migration kept their answers, scores,
// call-outs and the client's level in clear. The migration refuses to
// run without the data step (the vault's key), and with it seals them:
// the service reads back exactly what was stored, and the escalation
// window still counts the old call-outs.
func TestMigrationSealsStoredAssessments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		before := storetest.Before(t, d, store.MigrationSealedColumns)
		w := newWorldThrough(t, d, before)
		c := w.client(t, "Ada")
		if _, err := w.svc.Set(ctx, risk.DefaultSetID, 0); err != nil {
			t.Fatal(err)
		}
		keys := []string{risk.DefaultSet().Items[0].Key, risk.DefaultSet().Items[1].Key, risk.DefaultSet().Items[2].Key}
		first, second := "0190f2a0-0000-7000-8000-00000000aa01", "0190f2a0-0000-7000-8000-00000000aa02"
		at1, at2 := w.clock.AddDate(0, -2, 0).Truncate(time.Second), w.clock.AddDate(0, -1, 0).Truncate(time.Second)
		err := w.db.Write(ctx, func(tx *store.Tx) error {
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO risk_assessments (id, client_id, set_id, set_version, completed_by, completed_at, police_callouts, yes_count,
					scored_level, final_level, judgement_reason_sealed, window_callouts, escalation_suggested, created_at)
					VALUES ($1, $2, 'dash', 1, $3, $4, 2, 15, 'high', 'high', NULL, 2, FALSE, $4)`, []any{first, c, w.outreach.StaffID, at1}},
				{`INSERT INTO risk_assessments (id, client_id, set_id, set_version, completed_by, completed_at, police_callouts, yes_count,
					scored_level, final_level, judgement_reason_sealed, window_callouts, escalation_suggested, created_at)
					VALUES ($1, $2, 'dash', 1, $3, $4, 1, 5, 'standard', 'medium', $5, 3, TRUE, $4)`,
					[]any{second, c, w.outreach.StaffID, at2, w.vault.SealString("worse since the court date", "risk_assessments", second, "judgement_reason")}},
				{`INSERT INTO risk_answers (assessment_id, item_key, answer, source, comment_sealed) VALUES ($1, $2, 'yes', 'client', $3), ($1, $4, 'not_known', 'professional', NULL)`,
					[]any{first, keys[0], w.vault.SealString("bruising on her arms", "risk_answers", first, keys[0], "comment"), keys[1]}},
				{`INSERT INTO risk_answers (assessment_id, item_key, answer, source) VALUES ($1, $2, 'no', 'other')`, []any{second, keys[2]}},
				{`INSERT INTO risk_levels (client_id, level, assessment_id, assessed_at, review_due) VALUES ($1, 'medium', $2, $3, $4)`,
					[]any{c, second, at2, w.clock.Add(-time.Hour)}},
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

		// Without the key the migration is refused and changes nothing.
		if _, err := w.db.Migrate(ctx, time.Now); !errors.Is(err, store.ErrDataStepNeeded) {
			t.Fatalf("migrate without the data step: %v", err)
		}
		if st, err := w.db.Status(ctx); err != nil || st.Current != before {
			t.Fatalf("after a refused migration the schema is at %+v, %v", st, err)
		}
		steps := map[string]store.DataStep{store.MigrationSealedColumns: func(ctx2 context.Context, tx *store.Tx) error { return risk.SealClearColumns(ctx2, tx, w.vault) }}
		if _, err := w.db.MigrateWith(ctx, time.Now, store.MigrateOptions{Steps: steps}); err != nil {
			t.Fatal(err)
		}

		a, err := w.svc.Get(ctx, w.outreach, first)
		if err != nil {
			t.Fatal(err)
		}
		if a.YesCount != 15 || a.Scored != risk.High || a.Final != risk.High || a.PoliceCallouts != 2 || a.WindowCallouts != 2 || a.EscalationSuggested ||
			len(a.Answers) != 2 || a.Answers[0].Key != keys[0] || a.Answers[0].Value != risk.Yes || a.Answers[0].Source != risk.FromClient ||
			a.Answers[0].Comment != "bruising on her arms" || a.Answers[1].Value != risk.NotKnown || a.Answers[1].Source != risk.FromProfessional || a.Answers[1].Comment != "" {
			t.Fatalf("first assessment after the migration: %+v", a)
		}
		b, err := w.svc.Get(ctx, w.outreach, second)
		if err != nil || b.Final != risk.Medium || b.Scored != risk.Standard || !b.EscalationSuggested || b.WindowCallouts != 3 ||
			b.JudgementReason != "worse since the court date" || len(b.Answers) != 1 || b.Answers[0].Value != risk.No {
			t.Fatalf("second assessment after the migration: %+v %v", b, err)
		}
		hist, err := w.svc.History(ctx, w.outreach, c)
		if err != nil || len(hist) != 2 || hist[0].YesCount != 15 || hist[1].Final != risk.Medium || hist[1].PoliceCallouts != 1 {
			t.Fatalf("history %+v %v", hist, err)
		}
		due, err := w.svc.DueReviews(ctx, w.outreach, w.clock)
		if err != nil || len(due) != 1 || due[0].Level != risk.Medium || due[0].AssessmentID != second {
			t.Fatalf("due reviews %+v %v", due, err)
		}
		// A new assessment counts the call-outs sealed by the migration.
		res, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: c, Answers: answers(0, 0), PoliceCallouts: 1})
		if err != nil || res.WindowCallouts != 4 || !res.EscalationSuggested {
			t.Fatalf("an assessment after the migration: %+v %v", res, err)
		}
		// The clear columns and the answers table are gone.
		for _, q := range []string{`SELECT count(*) FROM risk_answers`, `SELECT count(police_callouts) FROM risk_assessments`, `SELECT count(level) FROM risk_levels`} {
			var n int
			if err := w.db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, q, nil, &n) }); err == nil {
				t.Errorf("%s still works after the migration", q)
			}
		}
	})
}
