package risk

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// What an assessment found about a person is sealed, not kept in columns a
// query could read: the answers (with their comments) as one document, and
// what they scored (count, levels, police call-outs, escalation) as
// another, so the risk-over-time line opens the small one only. The
// client's current level is sealed too. Nothing here is filtered or
// grouped in SQL; the sums and counts the service needs (call-outs in the
// escalation window) are made in Go after opening.

// scoreDoc is an assessment's sealed result.
type scoreDoc struct {
	YesCount            int   `json:"yes"`
	Scored              Level `json:"scored"`
	Final               Level `json:"final"`
	PoliceCallouts      int   `json:"callouts"`
	WindowCallouts      int   `json:"window_callouts"`
	EscalationSuggested bool  `json:"escalation,omitempty"`
}

// answerDoc is one answer in an assessment's sealed answers.
type answerDoc struct {
	Key     string `json:"key"`
	Value   Answer `json:"answer"`
	Source  Source `json:"source"`
	Comment string `json:"comment,omitempty"`
}

func (s *Service) sealScore(assessmentID string, d scoreDoc) (string, error) {
	return vault.SealJSON(s.Vault, d, "risk_assessments", assessmentID, "score")
}

func (s *Service) openScore(assessmentID, sealed string) (scoreDoc, error) {
	var d scoreDoc
	return d, vault.OpenJSON(s.Vault, sealed, &d, "risk_assessments", assessmentID, "score")
}

func (s *Service) sealLevel(clientID string, l Level) string {
	return s.Vault.SealString(string(l), "risk_levels", clientID, "level")
}

func (s *Service) openLevel(clientID, sealed string) (Level, error) {
	l, err := s.Vault.OpenString(sealed, "risk_levels", clientID, "level")
	return Level(l), err
}

// SealClearColumns is the sealed_columns migration's data step for this
// package's tables: it seals what earlier versions kept in clear (each
// assessment's answers with their comments, its scores and call-outs; each
// client's current level) into the new sealed columns, in the migration's
// transaction, in batches. The clear columns and risk_answers go after it,
// in the same migration; the audit trail is not touched.
func SealClearColumns(ctx context.Context, tx *store.Tx, v Sealer) error {
	err := store.RewriteRows(ctx, tx, `SELECT id, yes_count, scored_level, final_level, police_callouts, window_callouts, escalation_suggested
		FROM risk_assessments WHERE id > $1 ORDER BY id LIMIT 500`, "risk_assessments", "id", []string{"score_sealed", "answers_sealed"},
		func(c []sql.NullString) ([]any, error) {
			id := c[0].String
			d := scoreDoc{Scored: Level(c[2].String), Final: Level(c[3].String), EscalationSuggested: c[6].String == "1" || c[6].String == "true"}
			var err error
			for i, n := range map[int]*int{1: &d.YesCount, 4: &d.PoliceCallouts, 5: &d.WindowCallouts} {
				if *n, err = strconv.Atoi(c[i].String); err != nil {
					return nil, fmt.Errorf("assessment %s: %w", id, err)
				}
			}
			answers, err := legacyAnswers(ctx, tx, v, id)
			if err != nil {
				return nil, err
			}
			score, err := vault.SealJSON(v, d, "risk_assessments", id, "score")
			if err != nil {
				return nil, err
			}
			sealedAnswers, err := vault.SealJSON(v, answers, "risk_assessments", id, "answers")
			return []any{score, sealedAnswers}, err
		})
	if err != nil {
		return err
	}
	return store.RewriteRows(ctx, tx, `SELECT client_id, level FROM risk_levels WHERE client_id > $1 ORDER BY client_id LIMIT 500`,
		"risk_levels", "client_id", []string{"level_sealed"}, func(c []sql.NullString) ([]any, error) {
			return []any{v.SealString(c[1].String, "risk_levels", c[0].String, "level")}, nil
		})
}

// legacyAnswers reads an assessment's answers from risk_answers, the
// comments opened under the AAD they were sealed with there.
func legacyAnswers(ctx context.Context, tx *store.Tx, v Sealer, assessmentID string) ([]answerDoc, error) {
	rows, err := tx.Query(ctx, `SELECT item_key, answer, source, comment_sealed FROM risk_answers WHERE assessment_id = $1 ORDER BY item_key`, assessmentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []answerDoc{}
	for rows.Next() {
		var a answerDoc
		var comment sql.NullString
		if err := rows.Scan(&a.Key, &a.Value, &a.Source, &comment); err != nil {
			return nil, err
		}
		if comment.Valid {
			if a.Comment, err = v.OpenString(comment.String, "risk_answers", assessmentID, a.Key, "comment"); err != nil {
				return nil, fmt.Errorf("a comment of assessment %s: %w", assessmentID, err)
			}
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// calloutsBetween sums the police call-outs of a client's assessments
// completed in (from, to].
func (s *Service) calloutsBetween(ctx context.Context, tx *store.Tx, clientID string, from, to time.Time) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id, score_sealed FROM risk_assessments WHERE client_id = $1 AND completed_at > $2 AND completed_at <= $3`,
		clientID, from, to)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	sum := 0
	for rows.Next() {
		var id, sealed string
		if err := rows.Scan(&id, &sealed); err != nil {
			return 0, err
		}
		d, err := s.openScore(id, sealed)
		if err != nil {
			return 0, err
		}
		sum += d.PoliceCallouts
	}
	return sum, rows.Err()
}
