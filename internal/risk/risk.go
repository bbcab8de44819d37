// Package risk is risk assessment and MARAC: DASH-structured checklists
// kept as data (versioned question sets), assessments scored against the
// set's thresholds and raised (never lowered) by professional judgement,
// and what a high level sets off in the same transaction: the client's
// current level and review date, an IDVA allocation task and a MARAC
// referral (flagged repeat within 12 months of the last one). MARAC
// meetings take referrals onto their agenda, with actions and outcomes.
//
// Every operation decides access with access.Decide on the client's
// record facts (a hidden record is NotFound, a refusal Forbidden) and
// records an audit event in the transaction that does the work. Comments,
// reasons, action text and outcomes are sealed by the vault.
package risk

import (
	"context"
	"errors"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// RecordKind names clients in the audit trail (as the people package does).
const RecordKind = "client"

// Level is a risk level.
type Level string

const (
	Standard Level = "standard"
	Medium   Level = "medium"
	High     Level = "high"
)

func (l Level) rank() int {
	switch l {
	case Standard:
		return 1
	case Medium:
		return 2
	case High:
		return 3
	}
	return 0
}

// Valid reports whether l is a known level.
func (l Level) Valid() bool { return l.rank() > 0 }

// Answer is a checklist answer.
type Answer string

const (
	Yes      Answer = "yes"
	No       Answer = "no"
	NotKnown Answer = "not_known"
)

// Source is who gave an answer.
type Source string

const (
	FromClient       Source = "client"
	FromProfessional Source = "professional"
	FromOther        Source = "other"
)

// DefaultHighRiskReason is the referral reason recorded when a high
// assessment gives none.
const DefaultHighRiskReason = "high risk on the checklist"

// Defaults for the Service's settings.
const (
	DefaultEscalationCallouts = 3
	DefaultIDVATaskDue        = 2 * 24 * time.Hour
)

// DefaultReviewAfter is when a client is due for re-assessment, by level.
var DefaultReviewAfter = map[Level]time.Duration{
	High:     30 * 24 * time.Hour,
	Medium:   60 * 24 * time.Hour,
	Standard: 90 * 24 * time.Hour,
}

// Sealer is what the vault does for this package.
type Sealer interface {
	SealString(plaintext string, aad ...string) string
	OpenString(sealed string, aad ...string) (string, error)
}

// ClientFacts loads what the access policy needs about a client, inside
// the caller's transaction; a missing client is an errs NotFound error.
// The people package provides it.
type ClientFacts func(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) (access.Record, error)

// Service runs risk assessments and MARAC.
type Service struct {
	DB     *store.DB
	Vault  Sealer
	Record audit.Recorder
	// ReadLog, when set, records reads by group commit after a read-only
	// transaction (audit.Read); nil records them in a write transaction.
	ReadLog     audit.ReadLog
	Now         func() time.Time
	ClientFacts ClientFacts

	// EscalationCallouts is the number of police call-outs within the
	// escalation window from which a MARAC referral is suggested below
	// high risk (0: 3). The count is the sum over the client's assessments
	// completed in the window, this one included.
	EscalationCallouts int
	// EscalationMonths is the escalation window in months (0: 12).
	EscalationMonths int
	// ReviewAfter is the re-assessment interval by level (nil or missing
	// levels: DefaultReviewAfter).
	ReviewAfter map[Level]time.Duration
	// IDVATaskDue is how long after a high assessment the IDVA allocation
	// task is due (0: two days).
	IDVATaskDue time.Duration
}

func (s *Service) escalation() int {
	if s.EscalationCallouts > 0 {
		return s.EscalationCallouts
	}
	return DefaultEscalationCallouts
}

// EscalationWindow is the escalation window in months.
func (s *Service) EscalationWindow() int {
	if s.EscalationMonths > 0 {
		return s.EscalationMonths
	}
	return 12
}

func (s *Service) reviewAfter(l Level) time.Duration {
	if d, ok := s.ReviewAfter[l]; ok && d > 0 {
		return d
	}
	return DefaultReviewAfter[l]
}

func (s *Service) idvaDue() time.Duration {
	if s.IDVATaskDue > 0 {
		return s.IDVATaskDue
	}
	return DefaultIDVATaskDue
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// FieldErrors is every field error of one input at once (errs.Fields).
type FieldErrors = errs.Fields

var (
	errNotFound  = errs.New(errs.NotFound, "error.not_found")
	errForbidden = errs.New(errs.Forbidden, "error.forbidden")
)

// decided loads a client's facts and asks the policy about one action.
func (s *Service) decided(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string, act access.Action) (access.Decision, error) {
	rec, err := s.ClientFacts(ctx, tx, actor, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return access.Decision{}, errNotFound
	}
	if err != nil {
		return access.Decision{}, err
	}
	return access.Require(actor, act, RecordKind, rec)
}

// AnswerInput is one answer as the form sends it.
type AnswerInput struct {
	Key     string
	Value   Answer
	Source  Source
	Comment string
}

// NewAssessment is what the assessment form sends. SetID "" means the
// default set; SetVersion 0 the latest version. CompletedAt zero means
// now. Judgement, when set, is the assessor's professional judgement: it
// may raise the scored level (with JudgementReason), never lower it.
// MARACReason is the referral reason when the final level is high (a
// default is used when empty).
type NewAssessment struct {
	ClientID        string
	SetID           string
	SetVersion      int
	Answers         []AnswerInput
	PoliceCallouts  int
	CompletedAt     time.Time
	Judgement       Level
	JudgementReason string
	MARACReason     string
}

// Result is what an assessment set off.
type Result struct {
	AssessmentID string
	SetID        string
	SetVersion   int
	YesCount     int
	Scored       Level
	Final        Level
	ReviewDue    time.Time
	// WindowCallouts is the police call-outs of this and the client's
	// earlier assessments within the escalation window.
	WindowCallouts int
	// EscalationSuggested: police call-outs in the window reached the
	// escalation count below high risk; a MARAC referral is suggested, not
	// made (ReferEscalation makes it).
	EscalationSuggested bool
	IDVATaskID          string // the IDVA allocation task created, if any
	ReferralID          string // the MARAC referral created, if any
	RepeatMARAC         bool
}

const (
	maxCommentLen = 2000
	maxReasonLen  = 4000
	maxCallouts   = 1000
	clockSkew     = 5 * time.Minute
)

func validAnswer(a Answer) bool { return a == Yes || a == No || a == NotKnown }
func validSource(s Source) bool {
	return s == FromClient || s == FromProfessional || s == FromOther
}

// validate checks n against the set, reporting every problem at once, and
// returns the yes-count.
func validate(q *QuestionSet, n *NewAssessment, now time.Time) (int, FieldErrors) {
	var fe FieldErrors
	given := map[string]bool{}
	yes := 0
	for _, a := range n.Answers {
		f := "answers." + a.Key
		if _, ok := q.item(a.Key); !ok {
			if validKey(a.Key) {
				fe.Add(f, "risk.answer_unknown_item")
			} else {
				fe.Add("answers", "risk.answer_unknown_item")
			}
			continue
		}
		if given[a.Key] {
			fe.Add(f, "risk.answer_duplicate")
			continue
		}
		given[a.Key] = true
		if !validAnswer(a.Value) {
			fe.Add(f, "risk.answer_invalid")
		} else if a.Value == Yes {
			yes++
		}
		if !validSource(a.Source) {
			fe.Add(f+".source", "risk.source_invalid")
		}
		checkLongText(&fe, f+".comment", a.Comment, false, maxCommentLen)
	}
	for _, it := range q.Items {
		if !given[it.Key] {
			fe.Add("answers."+it.Key, "risk.answer_required")
		}
	}
	if n.PoliceCallouts < 0 {
		fe.Add("police_callouts", "risk.callouts_negative")
	} else if n.PoliceCallouts > maxCallouts {
		fe.Add("police_callouts", "risk.callouts_too_many", maxCallouts)
	}
	if n.CompletedAt.After(now.Add(clockSkew)) {
		fe.Add("completed_at", "risk.completed_in_future")
	}
	scored := q.Level(yes)
	if n.Judgement != "" {
		switch {
		case !n.Judgement.Valid():
			fe.Add("judgement", "risk.level_invalid")
		case n.Judgement.rank() < scored.rank():
			fe.Add("judgement", "risk.judgement_lowers")
		case n.Judgement.rank() > scored.rank() && n.JudgementReason == "":
			fe.Add("judgement_reason", "risk.judgement_reason_required")
		}
	}
	checkLongText(&fe, "judgement_reason", n.JudgementReason, false, maxReasonLen)
	checkLongText(&fe, "marac_reason", n.MARACReason, false, maxReasonLen)
	return yes, fe
}

// Assess records a completed checklist for a client, for an actor who may
// update the client's record. It scores the answers, applies professional
// judgement, updates the client's current level and review date and, at
// high risk, creates an IDVA allocation task (unless one is open) and a
// MARAC referral, all in one transaction with the audit events. Invalid
// input returns FieldErrors with every problem and changes nothing.
func (s *Service) Assess(ctx context.Context, actor access.Actor, n NewAssessment) (*Result, error) {
	var res *Result
	err := s.DB.Serializable(ctx, func(tx *store.Tx) error {
		var err error
		res, err = s.AssessInTx(ctx, tx, actor, n)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// AssessInTx is Assess inside the caller's transaction, which must be
// serializable (or hold the only writer, as SQLite's does): the call-outs
// in the escalation window and the current level are read and written in
// it. Bulk loads use it to write many assessments in one transaction.
func (s *Service) AssessInTx(ctx context.Context, tx *store.Tx, actor access.Actor, n NewAssessment) (*Result, error) {
	if strings.TrimSpace(n.ClientID) == "" {
		return nil, FieldErrors{errs.Field("client_id", "risk.client_required")}
	}
	if n.SetID == "" {
		n.SetID = DefaultSetID
	}
	n.JudgementReason, n.MARACReason = strings.TrimSpace(n.JudgementReason), strings.TrimSpace(n.MARACReason)
	for i := range n.Answers {
		n.Answers[i].Key = strings.TrimSpace(n.Answers[i].Key)
		n.Answers[i].Comment = strings.TrimSpace(n.Answers[i].Comment)
	}
	d, err := s.decided(ctx, tx, actor, n.ClientID, access.UpdateRecord)
	if err != nil {
		return nil, err
	}
	if err := s.ensureDefault(ctx, tx); err != nil {
		return nil, err
	}
	q, err := loadSet(ctx, tx, n.SetID, n.SetVersion)
	if err != nil {
		return nil, err
	}
	now := s.now()
	completed := n.CompletedAt.UTC().Truncate(time.Microsecond)
	if n.CompletedAt.IsZero() {
		completed = now
	}
	yes, fe := validate(q, &n, now)
	if len(fe) > 0 {
		return nil, fe
	}
	r := &Result{AssessmentID: id.New(), SetID: q.ID, SetVersion: q.Version, YesCount: yes, Scored: q.Level(yes)}
	r.Final = r.Scored
	if n.Judgement.rank() > r.Final.rank() {
		r.Final = n.Judgement
	}
	// Potential escalation counts the call-outs of every assessment
	// completed in the window up to this one, not this one alone. They
	// are sealed: the few assessments of the window are opened here.
	earlier, err := s.calloutsBetween(ctx, tx, n.ClientID, completed.AddDate(0, -s.EscalationWindow(), 0), completed)
	if err != nil {
		return nil, err
	}
	r.WindowCallouts = earlier + n.PoliceCallouts
	r.EscalationSuggested = r.Final != High && r.WindowCallouts >= s.escalation()
	r.ReviewDue = completed.Add(s.reviewAfter(r.Final))

	var reason any
	if n.JudgementReason != "" {
		reason = s.Vault.SealString(n.JudgementReason, "risk_assessments", r.AssessmentID, "judgement_reason")
	}
	score, err := s.sealScore(r.AssessmentID, scoreDoc{YesCount: yes, Scored: r.Scored, Final: r.Final, PoliceCallouts: n.PoliceCallouts,
		WindowCallouts: r.WindowCallouts, EscalationSuggested: r.EscalationSuggested})
	if err != nil {
		return nil, err
	}
	answers := make([]answerDoc, len(n.Answers))
	for i, a := range n.Answers {
		answers[i] = answerDoc{Key: a.Key, Value: a.Value, Source: a.Source, Comment: a.Comment}
	}
	sealedAnswers, err := vault.SealJSON(s.Vault, answers, "risk_assessments", r.AssessmentID, "answers")
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO risk_assessments (id, client_id, set_id, set_version, completed_by, completed_at,
		score_sealed, answers_sealed, judgement_reason_sealed, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.AssessmentID, n.ClientID, q.ID, q.Version, actor.StaffID, completed, score, sealedAnswers, reason, now); err != nil {
		return nil, err
	}
	// The current level is the latest assessment's, by completion time.
	var latest time.Time
	err = tx.QueryRow(ctx, `SELECT assessed_at FROM risk_levels WHERE client_id = $1`, []any{n.ClientID}, &latest)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if _, err := tx.Exec(ctx, `INSERT INTO risk_levels (client_id, level_sealed, assessment_id, assessed_at, review_due) VALUES ($1, $2, $3, $4, $5)`,
			n.ClientID, s.sealLevel(n.ClientID, r.Final), r.AssessmentID, completed, r.ReviewDue); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	case !completed.Before(latest):
		if _, err := tx.Exec(ctx, `UPDATE risk_levels SET level_sealed = $2, assessment_id = $3, assessed_at = $4, review_due = $5, review_requested_at = NULL WHERE client_id = $1`,
			n.ClientID, s.sealLevel(n.ClientID, r.Final), r.AssessmentID, completed, r.ReviewDue); err != nil {
			return nil, err
		}
	}
	if err := s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "risk.assess", RecordKind: RecordKind, RecordID: n.ClientID, Purpose: d.Reason}); err != nil {
		return nil, err
	}
	if r.Final == High {
		if err := s.highRisk(ctx, tx, actor, n, r, now); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// highRisk creates the IDVA allocation task and the MARAC referral.
func (s *Service) highRisk(ctx context.Context, tx *store.Tx, actor access.Actor, n NewAssessment, r *Result, now time.Time) error {
	var open int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE client_id = $1 AND kind = 'idva_allocation' AND status = 'open'`,
		[]any{n.ClientID}, &open); err != nil {
		return err
	}
	if open == 0 {
		r.IDVATaskID = id.New()
		if _, err := tx.Exec(ctx, `INSERT INTO tasks (id, client_id, kind, status, assessment_id, created_at, due_at) VALUES ($1, $2, 'idva_allocation', 'open', $3, $4, $5)`,
			r.IDVATaskID, n.ClientID, r.AssessmentID, now, now.Add(s.idvaDue())); err != nil {
			return err
		}
		if err := s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "task.create", RecordKind: RecordKind, RecordID: n.ClientID, Purpose: "idva_allocation"}); err != nil {
			return err
		}
	}
	reason := n.MARACReason
	if reason == "" {
		reason = n.JudgementReason
	}
	if reason == "" {
		reason = DefaultHighRiskReason
	}
	var err error
	r.ReferralID, r.RepeatMARAC, err = s.refer(ctx, tx, actor, n.ClientID, r.AssessmentID, reason, now)
	return err
}

// refer creates a MARAC referral, flagged repeat when the client was
// referred in the 12 months before at.
func (s *Service) refer(ctx context.Context, tx *store.Tx, actor access.Actor, clientID, assessmentID, reason string, at time.Time) (string, bool, error) {
	var prior int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM marac_referrals WHERE client_id = $1 AND referred_at > $2 AND referred_at <= $3`,
		[]any{clientID, at.AddDate(-1, 0, 0), at}, &prior); err != nil {
		return "", false, err
	}
	refID, repeat := id.New(), prior > 0
	var assessment any
	if assessmentID != "" {
		assessment = assessmentID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO marac_referrals (id, client_id, assessment_id, referred_at, referred_by, reason_sealed, repeat)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, refID, clientID, assessment, at, actor.StaffID,
		s.Vault.SealString(reason, "marac_referrals", refID, "reason"), repeat); err != nil {
		return "", false, err
	}
	purpose := "first"
	if repeat {
		purpose = "repeat"
	}
	return refID, repeat, s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "marac.refer", RecordKind: RecordKind, RecordID: clientID, Purpose: purpose})
}

// Refer makes a MARAC referral without a high assessment: on professional
// judgement or potential escalation (an assessment's suggestion).
func (s *Service) Refer(ctx context.Context, actor access.Actor, clientID, reason string) (id string, repeat bool, err error) {
	reason = strings.TrimSpace(reason)
	var fe FieldErrors
	checkLongText(&fe, "reason", reason, true, maxReasonLen)
	if len(fe) > 0 {
		return "", false, fe
	}
	err = s.DB.Serializable(ctx, func(tx *store.Tx) error {
		if _, err := s.decided(ctx, tx, actor, clientID, access.UpdateRecord); err != nil {
			return err
		}
		var err error
		id, repeat, err = s.refer(ctx, tx, actor, clientID, "", reason, s.now())
		return err
	})
	if err != nil {
		return "", false, err
	}
	return id, repeat, nil
}
