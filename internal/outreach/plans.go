package outreach

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// Area is a need area of a support plan.
type Area string

// The need areas, in the order plans show them.
const (
	Safety      Area = "safety"
	Housing     Area = "housing"     // housing and tenancy
	Money       Area = "money"       // benefits, grants, loans, debt, income lost
	Children    Area = "children"    // children and schools
	Health      Area = "health"      // health and GP
	Wellbeing   Area = "wellbeing"   // mental health: anxiety, depression, self-esteem
	Legal       Area = "legal"       // solicitors, protection orders, court
	Immigration Area = "immigration" // immigration status
	Employment  Area = "employment"  // employment and education
	Social      Area = "social"      // social support and isolation
)

// Areas lists every need area.
var Areas = []Area{Safety, Housing, Money, Children, Health, Wellbeing, Legal, Immigration, Employment, Social}

// NeedStatus is where a need stands.
type NeedStatus string

const (
	NeedActive NeedStatus = "active"
	NeedMet    NeedStatus = "met"
	NeedClosed NeedStatus = "closed" // no longer pursued
)

// NeedStatuses lists them for forms.
var NeedStatuses = []NeedStatus{NeedActive, NeedMet, NeedClosed}

// Stage of an outcome measure.
type Stage string

const (
	AtStart  Stage = "start"
	AtReview Stage = "review"
	AtExit   Stage = "exit"
)

// Stages lists them for forms.
var Stages = []Stage{AtStart, AtReview, AtExit}

// Answers to "has the abuse stopped?".
const (
	Yes      = "yes"
	No       = "no"
	NotKnown = "not_known"
)

// AbuseStoppedAnswers lists them for forms.
var AbuseStoppedAnswers = []string{Yes, No, NotKnown}

// Scale of the outcome measures: 1 (worst) to 5 (best).
const (
	ScaleMin = 1
	ScaleMax = 5
)

// Plan is a client's support plan.
type Plan struct {
	ID         string
	ClientID   string
	Open       bool
	SafetyPlan string
	CreatedAt  time.Time
	Version    int
	Needs      []Need
	Outcomes   []Outcome
	// CanUpdate is the policy's answer for changing the plan.
	CanUpdate bool
}

// Need is one area of a plan.
type Need struct {
	ID       string
	Area     Area
	Need     string
	Goals    string
	Progress string
	Status   NeedStatus
	Version  int
	Actions  []Action
}

// Action is a step towards a need's goals.
type Action struct {
	ID        string
	NeedID    string
	SessionID string // the session it was agreed at, if any
	Text      string
	OwnerID   string // a member of staff; "" for the client
	Due       time.Time
	DoneAt    time.Time
}

// Done reports whether the action is done.
func (a Action) Done() bool { return !a.DoneAt.IsZero() }

// Outcome is one outcome measure.
type Outcome struct {
	ID           string
	Stage        Stage
	Scores       map[Area]int
	FeelsSafer   int
	AbuseStopped string
	RecordedAt   time.Time
}

var (
	errPlanExists = errs.New(errs.Conflict, "outreach.plan_exists")
	errNoPlan     = errs.New(errs.NotFound, "outreach.no_plan")
	errPlanClosed = errs.New(errs.Conflict, "outreach.plan_closed")
)

// StartPlan opens a support plan for a client who has none open.
func (s *Service) StartPlan(ctx context.Context, actor access.Actor, clientID string) (string, error) {
	pid := id.New()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		reason, err := s.decided(ctx, tx, actor, clientID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO outreach_plans (id, client_id, status, created_by, created_at) VALUES ($1, $2, 'open', $3, $4)`,
			pid, clientID, actor.StaffID, s.now()); err != nil {
			if errors.Is(err, store.ErrUnique) {
				return errPlanExists
			}
			return err
		}
		return s.audit(ctx, tx, actor, "outreach.plan_start", clientID, reason)
	})
	return pid, err
}

// planRef is a plan's client and state, to decide on.
type planRef struct {
	client string
	open   bool
}

func planOf(ctx context.Context, tx *store.Tx, planID string) (planRef, error) {
	var p planRef
	var status string
	err := tx.QueryRow(ctx, `SELECT client_id, status FROM outreach_plans WHERE id = $1`, []any{planID}, &p.client, &status)
	if errors.Is(err, store.ErrNotFound) {
		return p, errNotFound
	}
	p.open = status == "open"
	return p, err
}

// forPlan decides act on the client of a plan; changes need an open plan.
func (s *Service) forPlan(ctx context.Context, tx *store.Tx, actor access.Actor, planID string, act access.Action) (planRef, string, error) {
	p, err := planOf(ctx, tx, planID)
	if err != nil {
		return p, "", err
	}
	reason, err := s.decided(ctx, tx, actor, p.client, act)
	if err != nil {
		return p, "", err
	}
	if act == access.UpdateRecord && !p.open {
		return p, "", errPlanClosed
	}
	return p, reason, nil
}

type planRow struct {
	id, status string
	safety     *string
	created    time.Time
	version    int
}

func (r *planRow) Dest() []any { return []any{&r.id, &r.status, &r.safety, &r.created, &r.version} }

type needRow struct {
	n                     Need
	area                  string // sealed
	need, goals, progress *string
	status                string // sealed
}

func (r *needRow) Dest() []any {
	return []any{&r.n.ID, &r.area, &r.need, &r.goals, &r.progress, &r.status, &r.n.Version}
}

// needAreaIndex is the blind index that keeps one need an area a plan
// (a unique constraint on plan and index). It is keyed on the plan too:
// the same area in two plans gives unrelated indexes, so counting equal
// ones tells a copy of the database nothing about which area is which.
func needAreaIndex(v Sealer, planID string, a Area) string {
	return v.BlindIndex("outreach.need_area", planID+" "+string(a))
}

// openArea opens a need's sealed area.
func openArea(v Sealer, sealed, needID string) (Area, error) {
	a, err := v.OpenString(sealed, "outreach_needs", needID, "area")
	return Area(a), err
}

type actionRow struct {
	a            Action
	text         string
	session, own *string
	done         *time.Time
}

func (r *actionRow) Dest() []any {
	return []any{&r.a.ID, &r.a.NeedID, &r.session, &r.text, &r.own, &r.a.Due, &r.done}
}

type outcomeRow struct {
	o       Outcome
	answers string // sealed answersDoc
}

func (r *outcomeRow) Dest() []any {
	return []any{&r.o.ID, &r.o.Stage, &r.answers, &r.o.RecordedAt}
}

// Plan reads the client's support plan: the open one, else the latest
// closed one. A client without a plan is errNoPlan. The read is audited.
func (s *Service) Plan(ctx context.Context, actor access.Actor, clientID string) (*Plan, error) {
	var p *Plan
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		reason, err := s.decided(ctx, tx, actor, clientID, access.ReadRecord)
		if err != nil {
			return err
		}
		rows, err := store.QueryAll[planRow](ctx, tx, `SELECT id, status, safety_plan_sealed, created_at, version FROM outreach_plans
			WHERE client_id = $1 ORDER BY status = 'open' DESC, created_at DESC LIMIT 1`, clientID)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return errNoPlan
		}
		r := rows[0]
		p = &Plan{ID: r.id, ClientID: clientID, Open: r.status == "open", CreatedAt: r.created.UTC(), Version: r.version}
		if p.SafetyPlan, err = s.open(r.safety, "outreach_plans", p.ID, "safety_plan"); err != nil {
			return err
		}
		if p.CanUpdate, err = s.allows(ctx, tx, actor, clientID, access.UpdateRecord); err != nil {
			return err
		}
		if err := s.loadNeeds(ctx, tx, p); err != nil {
			return err
		}
		if err := s.loadOutcomes(ctx, tx, p); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "outreach.plan_read", clientID, reason)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Service) loadNeeds(ctx context.Context, tx *store.Tx, p *Plan) error {
	needs, err := store.QueryAll[needRow](ctx, tx, `SELECT id, area_sealed, need_sealed, goals_sealed, progress_sealed, status_sealed, version
		FROM outreach_needs WHERE plan_id = $1`, p.ID)
	if err != nil {
		return err
	}
	actions, err := store.QueryAll[actionRow](ctx, tx, `SELECT id, need_id, session_id, text_sealed, owner_id, due_on, done_at
		FROM outreach_actions WHERE plan_id = $1 ORDER BY due_on, created_at, id`, p.ID)
	if err != nil {
		return err
	}
	for _, r := range needs {
		n := r.n
		var err error
		if n.Area, err = openArea(s.Vault, r.area, n.ID); err != nil {
			return err
		}
		status, err := s.Vault.OpenString(r.status, "outreach_needs", n.ID, "status")
		if err != nil {
			return err
		}
		n.Status = NeedStatus(status)
		if n.Need, err = s.open(r.need, "outreach_needs", n.ID, "need"); err != nil {
			return err
		}
		if n.Goals, err = s.open(r.goals, "outreach_needs", n.ID, "goals"); err != nil {
			return err
		}
		if n.Progress, err = s.open(r.progress, "outreach_needs", n.ID, "progress"); err != nil {
			return err
		}
		for _, ar := range actions {
			if ar.a.NeedID != n.ID {
				continue
			}
			a := ar.a
			a.Due = a.Due.UTC()
			if ar.session != nil {
				a.SessionID = *ar.session
			}
			if ar.own != nil {
				a.OwnerID = *ar.own
			}
			if ar.done != nil {
				a.DoneAt = ar.done.UTC()
			}
			if a.Text, err = s.Vault.OpenString(ar.text, "outreach_actions", a.ID, "text"); err != nil {
				return err
			}
			n.Actions = append(n.Actions, a)
		}
		p.Needs = append(p.Needs, n)
	}
	slices.SortFunc(p.Needs, func(a, b Need) int { return slices.Index(Areas, a.Area) - slices.Index(Areas, b.Area) })
	return nil
}

func (s *Service) loadOutcomes(ctx context.Context, tx *store.Tx, p *Plan) error {
	// Measures recorded at the same instant go in the order of their
	// stages (an ID within one millisecond is random).
	outs, err := store.QueryAll[outcomeRow](ctx, tx, `SELECT id, stage, answers_sealed, recorded_at FROM outreach_outcomes
		WHERE plan_id = $1 ORDER BY recorded_at, CASE stage WHEN 'start' THEN 0 WHEN 'review' THEN 1 ELSE 2 END, id`, p.ID)
	if err != nil {
		return err
	}
	for _, r := range outs {
		o := r.o
		var d answersDoc
		if err := vault.OpenJSON(s.Vault, r.answers, &d, "outreach_outcomes", o.ID, "answers"); err != nil {
			return err
		}
		o.RecordedAt, o.Scores, o.FeelsSafer, o.AbuseStopped = o.RecordedAt.UTC(), d.Scores, d.FeelsSafer, d.AbuseStopped
		if o.Scores == nil {
			o.Scores = map[Area]int{}
		}
		p.Outcomes = append(p.Outcomes, o)
	}
	return nil
}

// NewNeed is a need area added to a plan.
type NewNeed struct {
	Area  Area
	Need  string
	Goals string
}

// AddNeed adds a need area to an open plan; each area once a plan.
func (s *Service) AddNeed(ctx context.Context, actor access.Actor, planID string, n NewNeed) (string, error) {
	var fe FieldErrors
	if !slices.Contains(Areas, n.Area) {
		fe.Add("area", "outreach.choose_one")
	}
	check(&fe, "need", n.Need, true, maxLong)
	check(&fe, "goals", n.Goals, true, maxLong)
	if err := fe.Err(); err != nil {
		return "", err
	}
	nid := id.New()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		p, reason, err := s.forPlan(ctx, tx, actor, planID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO outreach_needs (id, plan_id, area_sealed, area_index, need_sealed, goals_sealed, status_sealed, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, nid, planID,
			s.Vault.SealString(string(n.Area), "outreach_needs", nid, "area"), needAreaIndex(s.Vault, planID, n.Area),
			s.Vault.SealString(n.Need, "outreach_needs", nid, "need"), s.Vault.SealString(n.Goals, "outreach_needs", nid, "goals"),
			s.Vault.SealString(string(NeedActive), "outreach_needs", nid, "status"), s.now()); err != nil {
			if errors.Is(err, store.ErrUnique) {
				return errs.Field("area", "outreach.area_in_plan")
			}
			return err
		}
		return s.audit(ctx, tx, actor, "outreach.need_add", p.client, reason)
	})
	return nid, err
}

// NeedUpdate is a need's new wording, goals, progress and status.
type NeedUpdate struct {
	Need, Goals, Progress string
	Status                NeedStatus
}

// UpdateNeed changes a need if nobody changed it since version.
func (s *Service) UpdateNeed(ctx context.Context, actor access.Actor, needID string, version int, u NeedUpdate) error {
	var fe FieldErrors
	check(&fe, "need", u.Need, true, maxLong)
	check(&fe, "goals", u.Goals, true, maxLong)
	check(&fe, "progress", u.Progress, false, maxLong)
	if !slices.Contains(NeedStatuses, u.Status) {
		fe.Add("status", "outreach.choose_one")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		var planID string
		if err := tx.QueryRow(ctx, `SELECT plan_id FROM outreach_needs WHERE id = $1`, []any{needID}, &planID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return errNotFound
			}
			return err
		}
		p, reason, err := s.forPlan(ctx, tx, actor, planID, access.UpdateRecord)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE outreach_needs SET need_sealed = $1, goals_sealed = $2, progress_sealed = $3, status_sealed = $4, version = version + 1
			WHERE id = $5 AND version = $6`,
			s.Vault.SealString(u.Need, "outreach_needs", needID, "need"), s.Vault.SealString(u.Goals, "outreach_needs", needID, "goals"),
			s.seal(u.Progress, "outreach_needs", needID, "progress"), s.Vault.SealString(string(u.Status), "outreach_needs", needID, "status"), needID, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errStale
		}
		return s.audit(ctx, tx, actor, "outreach.need_update", p.client, reason)
	})
}

// NewAction is a step agreed for a need.
type NewAction struct {
	NeedID  string
	Text    string
	OwnerID string // a member of staff of the actor's organisation; "" for the client
	Due     time.Time
}

// MaxDueYears bounds an action's due date either side of today, as a
// MARAC meeting's date is bounded: a date decades out is a typing slip
// (or 9999-12-31 from a system), never a plan.
const MaxDueYears = 5

func (a *NewAction) validate(fe *FieldErrors, prefix string, now time.Time) {
	check(fe, prefix+"text", a.Text, true, maxShort)
	today := now.UTC().Truncate(24 * time.Hour)
	switch due := a.Due.UTC(); {
	case a.Due.IsZero():
		fe.Add(prefix+"due", "outreach.date_required")
	case due.Before(today.AddDate(-MaxDueYears, 0, 0)) || due.After(today.AddDate(MaxDueYears, 0, 0)):
		fe.Add(prefix+"due", "outreach.due_range", MaxDueYears)
	}
}

// AddAction adds an action to a need of an open plan.
func (s *Service) AddAction(ctx context.Context, actor access.Actor, a NewAction) (string, error) {
	var fe FieldErrors
	a.validate(&fe, "", s.now())
	if err := fe.Err(); err != nil {
		return "", err
	}
	var aid string
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		aid, err = s.addAction(ctx, tx, actor, a, "", "")
		return err
	})
	return aid, err
}

// addAction inserts an action inside tx, deciding on the need's plan
// unless the caller already did for client (wantClient), and audits it.
func (s *Service) addAction(ctx context.Context, tx *store.Tx, actor access.Actor, a NewAction, sessionID, wantClient string) (string, error) {
	var planID string
	if err := tx.QueryRow(ctx, `SELECT plan_id FROM outreach_needs WHERE id = $1`, []any{a.NeedID}, &planID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", errs.Field("need", "outreach.need_unknown")
		}
		return "", err
	}
	p, reason, err := s.forPlan(ctx, tx, actor, planID, access.UpdateRecord)
	if err != nil {
		return "", err
	}
	if wantClient != "" && p.client != wantClient {
		return "", errs.Field("need", "outreach.need_unknown")
	}
	if a.OwnerID != "" {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM staff WHERE id = $1 AND organisation_id = $2 AND disabled_at IS NULL`,
			[]any{a.OwnerID, actor.OrganisationID}, &n); err != nil {
			return "", err
		}
		if n != 1 {
			return "", errs.Field("owner", "outreach.owner_unknown")
		}
	}
	aid := id.New()
	if _, err := tx.Exec(ctx, `INSERT INTO outreach_actions (id, plan_id, need_id, session_id, text_sealed, owner_id, due_on, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, aid, planID, a.NeedID, nullString(sessionID),
		s.Vault.SealString(strings.TrimSpace(a.Text), "outreach_actions", aid, "text"), nullString(a.OwnerID), a.Due.UTC(), actor.StaffID, s.now()); err != nil {
		return "", err
	}
	return aid, s.audit(ctx, tx, actor, "outreach.action_add", p.client, reason)
}

func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// CompleteAction marks an action done; done twice is refused.
func (s *Service) CompleteAction(ctx context.Context, actor access.Actor, actionID string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		var planID string
		if err := tx.QueryRow(ctx, `SELECT plan_id FROM outreach_actions WHERE id = $1`, []any{actionID}, &planID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return errNotFound
			}
			return err
		}
		p, reason, err := s.forPlan(ctx, tx, actor, planID, access.UpdateRecord)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE outreach_actions SET done_at = $1, done_by = $2 WHERE id = $3 AND done_at IS NULL`, s.now(), actor.StaffID, actionID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.New(errs.Conflict, "outreach.action_done")
		}
		return s.audit(ctx, tx, actor, "outreach.action_done", p.client, reason)
	})
}

// SaveSafetyPlan replaces the plan's safety plan if nobody changed the
// plan since version; it returns the new version.
func (s *Service) SaveSafetyPlan(ctx context.Context, actor access.Actor, planID string, version int, safety string) (int, error) {
	var fe FieldErrors
	check(&fe, "safety_plan", safety, false, maxLong)
	if err := fe.Err(); err != nil {
		return 0, err
	}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		p, reason, err := s.forPlan(ctx, tx, actor, planID, access.UpdateRecord)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE outreach_plans SET safety_plan_sealed = $1, version = version + 1 WHERE id = $2 AND version = $3`,
			s.seal(safety, "outreach_plans", planID, "safety_plan"), planID, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errStale
		}
		return s.audit(ctx, tx, actor, "outreach.safety_plan", p.client, reason)
	})
	return version + 1, err
}

// NewOutcome is an outcome measure: a score for each need area of the
// plan, "feels safer" and whether the abuse has stopped.
type NewOutcome struct {
	Stage        Stage
	Scores       map[Area]int
	FeelsSafer   int
	AbuseStopped string
}

// RecordOutcome records an outcome measure. The first is the start; a
// review or exit needs a start; there is one start and one exit a plan,
// and the exit closes the plan. Every need area of the plan is scored.
func (s *Service) RecordOutcome(ctx context.Context, actor access.Actor, planID string, o NewOutcome) error {
	var fe FieldErrors
	if !slices.Contains(Stages, o.Stage) {
		fe.Add("stage", "outreach.choose_one")
	}
	if o.FeelsSafer < ScaleMin || o.FeelsSafer > ScaleMax {
		fe.Add("feels_safer", "outreach.scale", ScaleMin, ScaleMax)
	}
	if !slices.Contains(AbuseStoppedAnswers, o.AbuseStopped) {
		fe.Add("abuse_stopped", "outreach.choose_one")
	}
	for a, v := range o.Scores {
		if !slices.Contains(Areas, a) {
			fe.Add("scores", "outreach.area_unknown")
			break
		}
		if v < ScaleMin || v > ScaleMax {
			fe.Add("score_"+string(a), "outreach.scale", ScaleMin, ScaleMax)
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		p, reason, err := s.forPlan(ctx, tx, actor, planID, access.UpdateRecord)
		if err != nil {
			return err
		}
		areas, err := s.planAreas(ctx, tx, planID)
		if err != nil {
			return err
		}
		var missing FieldErrors
		for _, a := range areas {
			if _, ok := o.Scores[a]; !ok {
				missing.Add("score_"+string(a), "outreach.score_required")
			}
		}
		for a := range o.Scores {
			if !slices.Contains(areas, a) {
				missing.Add("score_"+string(a), "outreach.area_not_in_plan")
			}
		}
		if len(areas) == 0 {
			missing.Add("scores", "outreach.needs_first")
		}
		if err := missing.Err(); err != nil {
			return err
		}
		var starts int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM outreach_outcomes WHERE plan_id = $1 AND stage = 'start'`, []any{planID}, &starts); err != nil {
			return err
		}
		switch {
		case o.Stage == AtStart && starts > 0:
			return errs.Field("stage", "outreach.start_recorded")
		case o.Stage != AtStart && starts == 0:
			return errs.Field("stage", "outreach.start_first")
		}
		oid, now := id.New(), s.now()
		answers, err := vault.SealJSON(s.Vault, answersDoc{Scores: o.Scores, FeelsSafer: o.FeelsSafer, AbuseStopped: o.AbuseStopped}, "outreach_outcomes", oid, "answers")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO outreach_outcomes (id, plan_id, stage, answers_sealed, recorded_by, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, oid, planID, string(o.Stage), answers, actor.StaffID, now); err != nil {
			return err
		}
		if o.Stage == AtExit {
			if _, err := tx.Exec(ctx, `UPDATE outreach_plans SET status = 'closed', closed_at = $1, version = version + 1 WHERE id = $2`, now, planID); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actor, "outreach.outcome_"+string(o.Stage), p.client, reason)
	})
}

type areaRow struct{ id, sealed string }

func (r *areaRow) Dest() []any { return []any{&r.id, &r.sealed} }

// planAreas opens the areas of a plan's needs, in the order plans show
// them (the areas are sealed: no query can select by them).
func (s *Service) planAreas(ctx context.Context, tx *store.Tx, planID string) ([]Area, error) {
	rows, err := store.QueryAll[areaRow](ctx, tx, `SELECT id, area_sealed FROM outreach_needs WHERE plan_id = $1`, planID)
	if err != nil {
		return nil, err
	}
	out := make([]Area, 0, len(rows))
	for _, r := range rows {
		a, err := openArea(s.Vault, r.sealed, r.id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Area) int { return slices.Index(Areas, a) - slices.Index(Areas, b) })
	return out, nil
}
