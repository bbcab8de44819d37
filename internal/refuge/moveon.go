package refuge

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// A stay's move-on plan: where the household means to go (one of the
// MoveOn destinations) and by when, with notes; and its applications to
// district housing providers, each with its history of events. The
// property's team keeps them; the client's worker may read them. Every
// change is one transaction and audited on the client; free text
// (notes, references, bid and offer details, refusal reasons) is sealed.

// HousingStatus is an application's latest event.
type HousingStatus string

const (
	Applied       HousingStatus = "applied"
	Registered    HousingStatus = "registered"
	BidPlaced     HousingStatus = "bid"
	OfferMade     HousingStatus = "offer_made"
	OfferAccepted HousingStatus = "offer_accepted"
	OfferRefused  HousingStatus = "offer_refused"
	Housed        HousingStatus = "housed"
	Withdrawn     HousingStatus = "withdrawn"
)

// HousingStatuses lists every event, in the order an application goes.
var HousingStatuses = []HousingStatus{Applied, Registered, BidPlaced, OfferMade, OfferAccepted, OfferRefused, Housed, Withdrawn}

// housingNext is the events that may follow each status. Nothing follows
// housed or withdrawn.
var housingNext = map[HousingStatus][]HousingStatus{
	Applied:       {Registered, OfferMade, Withdrawn},
	Registered:    {Registered, BidPlaced, OfferMade, Withdrawn},
	BidPlaced:     {BidPlaced, OfferMade, Withdrawn},
	OfferMade:     {OfferAccepted, OfferRefused, Withdrawn},
	OfferAccepted: {Housed, Withdrawn},
	OfferRefused:  {Registered, BidPlaced, OfferMade, Withdrawn},
}

// NextHousingEvents lists the events that may follow an application's
// status.
func NextHousingEvents(from HousingStatus) []HousingStatus { return slices.Clone(housingNext[from]) }

// Limits of a move-on record's fields.
const (
	maxBandLen   = 50
	maxDetailLen = 500
	// HousedAhead is how far ahead a tenancy may start when recorded.
	HousedAhead = 90 * 24 * time.Hour
)

var errPlanStale = errs.New(errs.Conflict, "record.stale")

// MoveOnPlan is a stay's plan with its applications. Version 0: no plan
// saved yet.
type MoveOnPlan struct {
	StayID       string
	Goal         MoveOn
	TargetDate   time.Time
	Notes        string
	Version      int
	Applications []HousingApplication
	// Runs: the reader is on the property's team and may change them.
	Runs bool
}

// Housed reports whether one of the plan's applications has housed the
// household.
func (p *MoveOnPlan) Housed() bool {
	for _, a := range p.Applications {
		if a.Status == Housed {
			return true
		}
	}
	return false
}

// PlanInput is what the plan form saves.
type PlanInput struct {
	Goal       MoveOn
	TargetDate time.Time
	Notes      string
}

// HousingApplication is an application to a housing provider.
type HousingApplication struct {
	ID, StayID string
	Provider   string
	AppliedOn  time.Time
	Reference  string
	Band       string
	Status     HousingStatus
	Version    int
	Events     []HousingEvent
}

// Next lists the events that may follow.
func (a *HousingApplication) Next() []HousingStatus { return NextHousingEvents(a.Status) }

// HousingEvent is one step of an application: the date it happened (for
// housed, the tenancy's start), the band on registration, the sealed
// detail (a bid's property reference or area, an offer's area, a refusal's
// reason).
type HousingEvent struct {
	ID     string
	Seq    int
	Kind   HousingStatus
	Date   time.Time
	Band   string
	Detail string
}

// NewHousingApplication is what the application form records.
type NewHousingApplication struct {
	Provider  string
	AppliedOn time.Time
	Reference string
	Band      string
}

// NewHousingEvent is what the event form records.
type NewHousingEvent struct {
	Kind   HousingStatus
	Date   time.Time
	Band   string
	Detail string
}

type planRow struct {
	goal   string // sealed
	target *time.Time
	notes  *string
	ver    int
}

func (r *planRow) Dest() []any { return []any{&r.goal, &r.target, &r.notes, &r.ver} }

type applicationRow struct {
	HousingApplication
	ref    *string
	sealed string // applicationDoc
}

func (r *applicationRow) Dest() []any {
	return []any{&r.ID, &r.StayID, &r.AppliedOn, &r.ref, &r.sealed, &r.Version}
}

type eventRow struct {
	HousingEvent
	app, sealed string // sealed: eventDoc
	detail      *string
}

func (r *eventRow) Dest() []any {
	return []any{&r.ID, &r.app, &r.Seq, &r.sealed, &r.Date, &r.detail}
}

func (s *Service) openSealed(v *string, aad ...string) (string, error) {
	if v == nil || *v == "" {
		return "", nil
	}
	return s.Vault.OpenString(*v, aad...)
}

func (s *Service) sealed(v string, aad ...string) any {
	if v == "" {
		return nil
	}
	return s.Vault.SealString(v, aad...)
}

// MoveOnPlan reads a stay's plan and applications with their events: the
// property's team and the client's worker. The read is audited on the
// client.
func (s *Service) MoveOnPlan(ctx context.Context, actor access.Actor, stayID string) (*MoveOnPlan, error) {
	var out *MoveOnPlan
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		st, err := s.stayAccess(ctx, tx, actor, stayID, false)
		if err != nil {
			return err
		}
		p := &MoveOnPlan{StayID: stayID, Runs: st.Runs}
		plans, err := store.QueryAll[planRow](ctx, tx, `SELECT goal_sealed, target_date, notes_sealed, version FROM refuge_moveon_plans WHERE stay_id = $1`, stayID)
		if err != nil {
			return err
		}
		if len(plans) == 1 {
			pr := plans[0]
			goal, err := s.Vault.OpenString(pr.goal, "refuge_moveon_plans", stayID, "goal")
			if err != nil {
				return err
			}
			p.Goal, p.Version = MoveOn(goal), pr.ver
			if pr.target != nil {
				p.TargetDate = pr.target.UTC()
			}
			if p.Notes, err = s.openSealed(pr.notes, "refuge_moveon_plans", stayID, "notes"); err != nil {
				return err
			}
		}
		apps, err := store.QueryAll[applicationRow](ctx, tx, `SELECT id, stay_id, applied_on, reference_sealed, application_sealed, version
			FROM refuge_housing_applications WHERE stay_id = $1 ORDER BY applied_on, created_at, id`, stayID)
		if err != nil {
			return err
		}
		events, err := store.QueryAll[eventRow](ctx, tx, `SELECT e.id, e.application_id, e.seq, e.event_sealed, e.occurred_on, e.detail_sealed
			FROM refuge_housing_events e JOIN refuge_housing_applications a ON a.id = e.application_id
			WHERE a.stay_id = $1 ORDER BY e.application_id, e.seq`, stayID)
		if err != nil {
			return err
		}
		byApp := map[string][]HousingEvent{}
		for _, e := range events {
			ev := e.HousingEvent
			var d eventDoc
			if err := vault.OpenJSON(s.Vault, e.sealed, &d, "refuge_housing_events", e.ID, "event"); err != nil {
				return err
			}
			ev.Kind, ev.Band, ev.Date = d.Kind, d.Band, e.Date.UTC()
			if ev.Detail, err = s.openSealed(e.detail, "refuge_housing_events", e.ID, "detail"); err != nil {
				return err
			}
			byApp[e.app] = append(byApp[e.app], ev)
		}
		for _, a := range apps {
			app := a.HousingApplication
			d, err := s.openApplication(a.ID, a.sealed)
			if err != nil {
				return err
			}
			app.Provider, app.Band, app.Status, app.AppliedOn, app.Events = d.Provider, d.Band, d.Status, a.AppliedOn.UTC(), byApp[a.ID]
			if app.Reference, err = s.openSealed(a.ref, "refuge_housing_applications", a.ID, "reference"); err != nil {
				return err
			}
			p.Applications = append(p.Applications, app)
		}
		out = p
		return s.audit(ctx, tx, actor, "refuge.moveon_read", ClientRecordKind, st.ClientID, "stay "+stayID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SaveMoveOnPlan creates (version 0) or changes (the version read) a
// stay's plan: the property's team. An edit of a version someone else
// has since saved is refused (record.stale) and changes nothing.
func (s *Service) SaveMoveOnPlan(ctx context.Context, actor access.Actor, stayID string, version int, p PlanInput) error {
	var fe FieldErrors
	if !oneOf(p.Goal, MoveOns) {
		fe.Add("goal", "refuge.choose_one")
	}
	checkText(&fe, "notes", p.Notes, false, maxNoteLen, true)
	if err := fe.Err(); err != nil {
		return err
	}
	now := s.now()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		st, err := s.stayAccess(ctx, tx, actor, stayID, true)
		if err != nil {
			return err
		}
		var target any
		if !p.TargetDate.IsZero() {
			if day(p.TargetDate).Before(st.MoveIn) || day(p.TargetDate).After(day(now).AddDate(5, 0, 0)) {
				return fieldErr("target_date", "refuge.date_range")
			}
			target = day(p.TargetDate)
		}
		notes := s.sealed(p.Notes, "refuge_moveon_plans", stayID, "notes")
		goal := s.Vault.SealString(string(p.Goal), "refuge_moveon_plans", stayID, "goal")
		action := "refuge.moveon_plan_update"
		if version == 0 {
			action = "refuge.moveon_plan_create"
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM refuge_moveon_plans WHERE stay_id = $1`, []any{stayID}, &n); err != nil {
				return err
			}
			if n > 0 {
				return errPlanStale
			}
			if _, err := tx.Exec(ctx, `INSERT INTO refuge_moveon_plans (stay_id, goal_sealed, target_date, notes_sealed, created_by, created_at, updated_by, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $5, $6)`, stayID, goal, target, notes, nullable(actor.StaffID), now); err != nil {
				return err
			}
		} else {
			res, err := tx.Exec(ctx, `UPDATE refuge_moveon_plans SET goal_sealed = $1, target_date = $2, notes_sealed = $3, updated_by = $4, updated_at = $5, version = version + 1
				WHERE stay_id = $6 AND version = $7`, goal, target, notes, nullable(actor.StaffID), now, stayID, version)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return errPlanStale
			}
		}
		return s.audit(ctx, tx, actor, action, ClientRecordKind, st.ClientID, "stay "+stayID)
	})
	if errors.Is(err, store.ErrUnique) {
		return errPlanStale
	}
	return err
}

func checkHousingDate(fe *FieldErrors, field string, d time.Time, now time.Time, ahead time.Duration) {
	switch {
	case d.IsZero():
		fe.Add(field, "refuge.required")
	case day(d).After(day(now).Add(ahead)) || day(d).Before(day(now).AddDate(-5, 0, 0)):
		fe.Add(field, "refuge.date_range")
	}
}

// AddHousingApplication records an application to a housing provider,
// with its first event (applied): the property's team.
func (s *Service) AddHousingApplication(ctx context.Context, actor access.Actor, stayID string, a NewHousingApplication) (*HousingApplication, error) {
	now := s.now()
	a.Provider, a.Band = strings.TrimSpace(a.Provider), strings.TrimSpace(a.Band)
	var fe FieldErrors
	checkText(&fe, "provider", a.Provider, true, maxNameLen, false)
	checkHousingDate(&fe, "applied_on", a.AppliedOn, now, 0)
	checkText(&fe, "reference", a.Reference, false, maxNameLen, false)
	checkText(&fe, "band", a.Band, false, maxBandLen, false)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	app := &HousingApplication{ID: id.New(), StayID: stayID, Provider: a.Provider, AppliedOn: day(a.AppliedOn), Reference: a.Reference,
		Band: a.Band, Status: Applied, Version: 1}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		st, err := s.stayAccess(ctx, tx, actor, stayID, true)
		if err != nil {
			return err
		}
		sealed, err := s.sealApplication(app.ID, applicationDoc{Provider: app.Provider, Band: app.Band, Status: Applied})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO refuge_housing_applications (id, stay_id, applied_on, reference_sealed, application_sealed, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, app.ID, stayID, app.AppliedOn,
			s.sealed(app.Reference, "refuge_housing_applications", app.ID, "reference"), sealed, nullable(actor.StaffID), now); err != nil {
			return err
		}
		ev := HousingEvent{ID: id.New(), Seq: 1, Kind: Applied, Date: app.AppliedOn, Band: app.Band}
		event, err := vault.SealJSON(s.Vault, eventDoc{Kind: Applied, Band: ev.Band}, "refuge_housing_events", ev.ID, "event")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO refuge_housing_events (id, application_id, seq, event_sealed, occurred_on, created_by, created_at)
			VALUES ($1, $2, 1, $3, $4, $5, $6)`, ev.ID, app.ID, event, ev.Date, nullable(actor.StaffID), now); err != nil {
			return err
		}
		app.Events = []HousingEvent{ev}
		return s.audit(ctx, tx, actor, "refuge.housing_application", ClientRecordKind, st.ClientID, "stay "+stayID+": application "+app.ID)
	})
	if err != nil {
		return nil, err
	}
	return app, nil
}

// RecordHousingEvent records the next step of an application: the
// property's team. The application's status becomes the event's kind; an
// event that cannot follow the status (an acceptance with no offer,
// anything after housed or withdrawn) is refused as a field error on
// "kind", and so is a date before the last event's. An offer refusal
// needs its reason (detail).
func (s *Service) RecordHousingEvent(ctx context.Context, actor access.Actor, applicationID string, e NewHousingEvent) error {
	now := s.now()
	e.Band = strings.TrimSpace(e.Band)
	var fe FieldErrors
	if e.Kind == Applied || !oneOf(e.Kind, HousingStatuses) {
		fe.Add("kind", "refuge.choose_one")
	}
	ahead := time.Duration(0)
	if e.Kind == Housed {
		ahead = HousedAhead
	}
	checkHousingDate(&fe, "date", e.Date, now, ahead)
	checkText(&fe, "band", e.Band, false, maxBandLen, false)
	checkText(&fe, "detail", e.Detail, e.Kind == OfferRefused, maxDetailLen, true)
	if err := fe.Err(); err != nil {
		return err
	}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var stayID, sealed string
		var version, seq int
		err := tx.QueryRow(ctx, `SELECT stay_id, application_sealed, version FROM refuge_housing_applications WHERE id = $1`, []any{applicationID}, &stayID, &sealed, &version)
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		st, err := s.stayAccess(ctx, tx, actor, stayID, true)
		if err != nil {
			return err
		}
		app, err := s.openApplication(applicationID, sealed)
		if err != nil {
			return err
		}
		if !slices.Contains(housingNext[app.Status], e.Kind) {
			return fieldErr("kind", "moveon.transition")
		}
		var last time.Time
		if err := tx.QueryRow(ctx, `SELECT seq, occurred_on FROM refuge_housing_events WHERE application_id = $1 ORDER BY seq DESC LIMIT 1`,
			[]any{applicationID}, &seq, &last); err != nil {
			return err
		}
		if day(e.Date).Before(day(last)) {
			return fieldErr("date", "refuge.date_range")
		}
		evID := id.New()
		event, err := vault.SealJSON(s.Vault, eventDoc{Kind: e.Kind, Band: e.Band}, "refuge_housing_events", evID, "event")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO refuge_housing_events (id, application_id, seq, event_sealed, occurred_on, detail_sealed, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, evID, applicationID, seq+1, event, day(e.Date),
			s.sealed(e.Detail, "refuge_housing_events", evID, "detail"), nullable(actor.StaffID), now); err != nil {
			return err
		}
		app.Status = e.Kind
		if e.Kind == Registered && e.Band != "" {
			app.Band = e.Band
		}
		if sealed, err = s.sealApplication(applicationID, app); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE refuge_housing_applications SET application_sealed = $1, version = version + 1 WHERE id = $2 AND version = $3`,
			sealed, applicationID, version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errPlanStale
		}
		return s.audit(ctx, tx, actor, "refuge.housing_event", ClientRecordKind, st.ClientID, "application "+applicationID)
	})
	if errors.Is(err, store.ErrUnique) {
		return errPlanStale
	}
	return err
}

// fieldErr is one field error, as FieldErrors like every other refusal
// of a form.
func fieldErr(field, key string) error {
	var fe FieldErrors
	fe.Add(field, key)
	return fe.Err()
}

// The forms of the stay page's children's tasks and move-on sections.
// Each reads what was sent with every field error at once; a date that
// does not read is a field error, never a silent zero.

// formDate reads a browser date input (YYYY-MM-DD) as a UTC date.
func formDate(fe *FieldErrors, field, v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		fe.Add(field, "moveon.date_invalid")
		return time.Time{}
	}
	return d
}

// ParseTaskClosing reads the close-a-task form: task (an ID), status
// (done or not_needed), note.
func ParseTaskClosing(get func(string) string) (taskID string, status ChildTaskStatus, note string, fe FieldErrors) {
	taskID = strings.TrimSpace(get("task"))
	if !id.Valid(taskID) {
		fe.Add("status", "refuge.choose_one")
		taskID = ""
	}
	status = ChildTaskStatus(strings.TrimSpace(get("status")))
	if !oneOf(status, TaskClosings) {
		fe.Add("status", "refuge.choose_one")
	}
	return taskID, status, get("note"), fe
}

// ParsePlan reads the move-on plan form: version (the plan's, 0 for a
// new plan), goal, target_date, notes. A version that does not read is
// refused as stale.
func ParsePlan(get func(string) string) (PlanInput, int, FieldErrors) {
	var fe FieldErrors
	p := PlanInput{Goal: MoveOn(strings.TrimSpace(get("goal"))), TargetDate: formDate(&fe, "target_date", get("target_date")), Notes: get("notes")}
	version, err := strconv.Atoi(strings.TrimSpace(get("version")))
	if err != nil || version < 0 {
		fe.Add("plan", "record.stale")
		version = -1
	}
	return p, version, fe
}

// ParseHousingApplication reads the new application form: provider,
// applied_on, reference, band.
func ParseHousingApplication(get func(string) string) (NewHousingApplication, FieldErrors) {
	var fe FieldErrors
	a := NewHousingApplication{Provider: get("provider"), AppliedOn: formDate(&fe, "applied_on", get("applied_on")),
		Reference: get("reference"), Band: get("band")}
	return a, fe
}

// ParseHousingEvent reads an application's event form: application (an
// ID), kind, event_date, event_band, detail.
func ParseHousingEvent(get func(string) string) (string, NewHousingEvent, FieldErrors) {
	var fe FieldErrors
	app := strings.TrimSpace(get("application"))
	if !id.Valid(app) {
		fe.Add("kind", "refuge.choose_one")
		app = ""
	}
	e := NewHousingEvent{Kind: HousingStatus(strings.TrimSpace(get("kind"))), Date: formDate(&fe, "event_date", get("event_date")),
		Band: get("event_band"), Detail: get("detail")}
	return app, e, fe
}
