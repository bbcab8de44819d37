package outreach

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// What outreach records about how a client is doing is sealed, not kept
// in columns a query could read: an outcome measure's answers (a score
// per need area, "feels safer", whether the abuse stopped) as one
// document, a need's status, what a partner referral is for, and each
// step of a partner referral's history. No query filters or groups on
// them; outcome figures for commissioners are made in Go after opening.
// A need's area and a session's reminder channel are sealed too (the
// outreach_sealed migration): one need an area a plan is kept by a blind
// index, and the reminder job by a flag. What the diary, lone working,
// reminders and the one-plan and one-start-measure rules need stays in
// clear (docs/security.md, section 4).

// answersDoc is an outcome measure's sealed answers.
type answersDoc struct {
	Scores       map[Area]int `json:"scores"`
	FeelsSafer   int          `json:"feels_safer"`
	AbuseStopped string       `json:"abuse_stopped"`
}

// SealClearColumns is the sealed_columns migration's data step for this
// package's tables: it seals what earlier versions kept in clear (outcome
// answers with their scores from outreach_outcome_scores, needs' statuses,
// partner referrals' kinds, their events' statuses) into the new sealed
// columns, in the migration's transaction, in batches. The clear columns
// and outreach_outcome_scores go after it, in the same migration; the
// audit trail is not touched.
func SealClearColumns(ctx context.Context, tx *store.Tx, v Sealer) error {
	err := store.RewriteRows(ctx, tx, `SELECT id, feels_safer, abuse_stopped FROM outreach_outcomes WHERE id > $1 ORDER BY id LIMIT 500`,
		"outreach_outcomes", "id", []string{"answers_sealed"}, func(c []sql.NullString) ([]any, error) {
			id := c[0].String
			d := answersDoc{Scores: map[Area]int{}, AbuseStopped: c[2].String}
			var err error
			if d.FeelsSafer, err = strconv.Atoi(c[1].String); err != nil {
				return nil, fmt.Errorf("outcome %s: %w", id, err)
			}
			rows, err := tx.Query(ctx, `SELECT area, score FROM outreach_outcome_scores WHERE outcome_id = $1`, id)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var a Area
				var n int
				if err := rows.Scan(&a, &n); err != nil {
					rows.Close()
					return nil, err
				}
				d.Scores[a] = n
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			sealed, err := vault.SealJSON(v, d, "outreach_outcomes", id, "answers")
			return []any{sealed}, err
		})
	if err != nil {
		return err
	}
	for _, st := range []struct{ query, table, field string }{
		{`SELECT id, status FROM outreach_needs WHERE id > $1 ORDER BY id LIMIT 500`, "outreach_needs", "status"},
		{`SELECT id, kind FROM partner_referrals WHERE id > $1 ORDER BY id LIMIT 500`, "partner_referrals", "kind"},
		{`SELECT id, status FROM partner_referral_events WHERE id > $1 ORDER BY id LIMIT 500`, "partner_referral_events", "status"},
	} {
		err := store.RewriteRows(ctx, tx, st.query, st.table, "id", []string{st.field + "_sealed"}, func(c []sql.NullString) ([]any, error) {
			return []any{v.SealString(c[1].String, st.table, c[0].String, st.field)}, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SealNeedAreasAndReminders is the outreach_sealed migration's data step:
// it seals each need's area (with its blind index, keyed on the plan)
// and each session's reminder channel with what the reminder job did
// with it, which earlier versions kept in clear, in the migration's
// transaction, in batches. Whether the job still has a reminder to look
// at (remind) is set by the migration's SQL; the clear columns go after
// this step, in the same migration. The audit trail is not touched.
func SealNeedAreasAndReminders(ctx context.Context, tx *store.Tx, v Sealer) error {
	err := store.RewriteRows(ctx, tx, `SELECT id, plan_id, area FROM outreach_needs WHERE id > $1 ORDER BY id LIMIT 500`,
		"outreach_needs", "id", []string{"area_sealed", "area_index"}, func(c []sql.NullString) ([]any, error) {
			id, plan, area := c[0].String, c[1].String, Area(c[2].String)
			return []any{v.SealString(string(area), "outreach_needs", id, "area"), needAreaIndex(v, plan, area)}, nil
		})
	if err != nil {
		return err
	}
	return store.RewriteRows(ctx, tx, `SELECT id, reminder, reminder_state FROM outreach_sessions WHERE id > $1 ORDER BY id LIMIT 500`,
		"outreach_sessions", "id", []string{"reminder_sealed"}, func(c []sql.NullString) ([]any, error) {
			sealed, err := sealReminder(v, c[0].String, reminderDoc{Channel: Reminder(c[1].String), State: c[2].String})
			return []any{sealed}, err
		})
}
