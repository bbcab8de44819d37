package risk

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// AnswerView is one answer of a stored assessment.
type AnswerView struct {
	Key     string
	Topic   string
	Value   Answer
	Source  Source
	Comment string
}

// Assessment is a stored assessment as an allowed reader sees it.
type Assessment struct {
	ID                  string
	ClientID            string
	SetID               string
	SetVersion          int
	CompletedBy         string
	CompletedAt         time.Time
	PoliceCallouts      int
	YesCount            int
	Scored              Level
	Final               Level
	JudgementReason     string
	WindowCallouts      int // call-outs of this and earlier assessments in the escalation window
	EscalationSuggested bool
	Answers             []AnswerView // in the set's order
	// IDVATaskID is the IDVA allocation task this assessment raised, or
	// the client's open one when a high assessment found one open.
	IDVATaskID string
	// ReferralID is the MARAC referral made from this assessment (at high
	// risk, or on escalation), if any.
	ReferralID string
}

// Get reads an assessment, with its comments and reason opened, for an
// actor who may read the client's record; the read is audited.
func (s *Service) Get(ctx context.Context, actor access.Actor, assessmentID string) (*Assessment, error) {
	var out *Assessment
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		a := &Assessment{ID: assessmentID}
		var reason sql.NullString
		var score, answers string
		err := tx.QueryRow(ctx, `SELECT client_id, set_id, set_version, completed_by, completed_at, score_sealed, answers_sealed,
			judgement_reason_sealed FROM risk_assessments WHERE id = $1`, []any{assessmentID},
			&a.ClientID, &a.SetID, &a.SetVersion, &a.CompletedBy, &a.CompletedAt, &score, &answers, &reason)
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		d, err := s.decided(ctx, tx, actor, a.ClientID, access.ReadRecord)
		if err != nil {
			return err
		}
		sd, err := s.openScore(a.ID, score)
		if err != nil {
			return err
		}
		a.YesCount, a.Scored, a.Final, a.PoliceCallouts, a.WindowCallouts, a.EscalationSuggested =
			sd.YesCount, sd.Scored, sd.Final, sd.PoliceCallouts, sd.WindowCallouts, sd.EscalationSuggested
		if reason.Valid {
			if a.JudgementReason, err = s.Vault.OpenString(reason.String, "risk_assessments", a.ID, "judgement_reason"); err != nil {
				return err
			}
		}
		q, err := loadSet(ctx, tx, a.SetID, a.SetVersion)
		if err != nil {
			return err
		}
		var docs []answerDoc
		if err := vault.OpenJSON(s.Vault, answers, &docs, "risk_assessments", a.ID, "answers"); err != nil {
			return err
		}
		byKey := map[string]AnswerView{}
		for _, v := range docs {
			byKey[v.Key] = AnswerView{Key: v.Key, Value: v.Value, Source: v.Source, Comment: v.Comment}
		}
		for _, it := range q.Items {
			if v, ok := byKey[it.Key]; ok {
				v.Topic = it.Topic
				a.Answers = append(a.Answers, v)
			}
		}
		if a.IDVATaskID, err = firstID(ctx, tx, `SELECT id FROM tasks WHERE assessment_id = $1 ORDER BY created_at, id`, a.ID); err != nil {
			return err
		}
		if a.IDVATaskID == "" && a.Final == High {
			if a.IDVATaskID, err = firstID(ctx, tx, `SELECT id FROM tasks WHERE client_id = $1 AND kind = 'idva_allocation' AND status = 'open'`, a.ClientID); err != nil {
				return err
			}
		}
		if a.ReferralID, err = firstID(ctx, tx, `SELECT id FROM marac_referrals WHERE assessment_id = $1 ORDER BY referred_at, id`, a.ID); err != nil {
			return err
		}
		out = a
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "risk.read", RecordKind: RecordKind, RecordID: a.ClientID, Purpose: d.Reason})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Point is one assessment on a client's risk-over-time line.
type Point struct {
	AssessmentID        string
	CompletedAt         time.Time
	CompletedBy         string
	YesCount            int
	Scored              Level
	Final               Level
	PoliceCallouts      int
	WindowCallouts      int
	EscalationSuggested bool
}

// History returns a client's assessments oldest first, for the "risk over
// time" view; the read is audited.
func (s *Service) History(ctx context.Context, actor access.Actor, clientID string) ([]Point, error) {
	var out []Point
	err := audit.Read(ctx, s.DB, s.Record, s.ReadLog, func(tx *store.Tx) ([]audit.Event, error) {
		out = nil
		d, err := s.decided(ctx, tx, actor, clientID, access.ReadRecord)
		if err != nil {
			return nil, err
		}
		rows, err := tx.Query(ctx, `SELECT id, completed_at, completed_by, score_sealed
			FROM risk_assessments WHERE client_id = $1 ORDER BY completed_at, id`, clientID)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var p Point
			var score string
			if err := rows.Scan(&p.AssessmentID, &p.CompletedAt, &p.CompletedBy, &score); err != nil {
				return nil, err
			}
			sd, err := s.openScore(p.AssessmentID, score)
			if err != nil {
				return nil, err
			}
			p.YesCount, p.Scored, p.Final, p.PoliceCallouts, p.WindowCallouts, p.EscalationSuggested =
				sd.YesCount, sd.Scored, sd.Final, sd.PoliceCallouts, sd.WindowCallouts, sd.EscalationSuggested
			out = append(out, p)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return []audit.Event{{ActorID: actor.StaffID, Action: "risk.read", RecordKind: RecordKind, RecordID: clientID, Purpose: "history: " + d.Reason}}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Due is a client due for re-assessment.
type Due struct {
	ClientID     string
	ClientName   string
	Level        Level
	AssessmentID string
	AssessedAt   time.Time
	ReviewDue    time.Time
	// ChangeOfCircumstance: a review was requested (RequestReview) since
	// the last assessment.
	ChangeOfCircumstance bool
}

// DueReviews lists the clients whose review date is at or before now,
// most overdue first: those assigned to the actor and, for a team
// manager, every client of their teams. Clients the policy hides from or
// refuses the actor are left out; each one listed is audited.
func (s *Service) DueReviews(ctx context.Context, actor access.Actor, now time.Time) ([]Due, error) {
	var out []Due
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		type candidate struct {
			Due
			level string // sealed, opened only for the clients the actor is shown
		}
		var candidates []candidate
		args := []any{actor.StaffID, now.UTC()}
		teams := "FALSE"
		if actor.Role == access.RoleTeamManager && len(actor.TeamIDs) > 0 {
			var in string
			in, args = inList(args, actor.TeamIDs)
			teams = "c.team_id IN " + in
		}
		rows, err := tx.Query(ctx, `SELECT l.client_id, l.level_sealed, l.assessment_id, l.assessed_at, l.review_due, l.review_requested_at
			FROM risk_levels l JOIN clients c ON c.id = l.client_id
			WHERE l.review_due <= $2 AND (EXISTS (SELECT 1 FROM client_workers w WHERE w.client_id = l.client_id AND w.staff_id = $1) OR `+teams+`)
			ORDER BY l.review_due, l.client_id`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var d candidate
			var requested sql.NullTime
			if err := rows.Scan(&d.ClientID, &d.level, &d.AssessmentID, &d.AssessedAt, &d.ReviewDue, &requested); err != nil {
				rows.Close()
				return err
			}
			d.ChangeOfCircumstance = requested.Valid
			candidates = append(candidates, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range candidates {
			d := c.Due
			dec, err := s.decided(ctx, tx, actor, d.ClientID, access.ReadRecord)
			if err != nil {
				// A list leaves out what the reader may not see: no refusal.
				if c := errs.CodeOf(err); c == errs.NotFound || c == errs.Forbidden {
					continue
				}
				return err
			}
			if d.Level, err = s.openLevel(d.ClientID, c.level); err != nil {
				return err
			}
			if d.ClientName, err = s.clientName(ctx, tx, d.ClientID); err != nil {
				return err
			}
			if err := s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "risk.due_reviews", RecordKind: RecordKind, RecordID: d.ClientID, Purpose: dec.Reason}); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
