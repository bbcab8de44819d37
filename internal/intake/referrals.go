package intake

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// Source is where a referral came from.
type Source string

const (
	FromSelf              Source = "self"
	FromPolice            Source = "police"
	FromHealth            Source = "health"
	FromChildrensServices Source = "childrens_services"
	FromHousing           Source = "housing"
	FromOtherAgency       Source = "other_agency"
	FromContact           Source = "contact"
)

// RiskLevel is a referral's initial risk level.
type RiskLevel string

const (
	RiskStandard RiskLevel = "standard"
	RiskMedium   RiskLevel = "medium"
	RiskHigh     RiskLevel = "high"
	RiskNotKnown RiskLevel = "not_known"
)

// The allowed values, in display order.
var (
	Sources    = []Source{FromSelf, FromPolice, FromHealth, FromChildrensServices, FromHousing, FromOtherAgency, FromContact}
	RiskLevels = []RiskLevel{RiskHigh, RiskMedium, RiskStandard, RiskNotKnown}
)

// NewReferral is what the referral form sends. ReceivedAt zero means now.
// It is for an existing client (ClientID) or a new one (NewClient, created
// in the same transaction as the referral): exactly one of the two.
type NewReferral struct {
	ClientID    string
	NewClient   *people.NewClient
	Source      Source
	ReceivedAt  time.Time
	ReferrerOrg string // the referring organisation's name, optional
	RiskLevel   RiskLevel
	Summary     string
}

// Referral is a referral with what became of it.
type Referral struct {
	ID             string
	ClientID       string
	Source         Source
	ReceivedAt     time.Time
	ReferrerOrg    string
	RiskLevel      RiskLevel
	Summary        string
	Repeat         bool   // the client had an earlier closed case
	PreviousCaseID string // that case, when Repeat
	FirstContactAt time.Time
	// TimeToFirstContact is FirstContactAt - ReceivedAt (0 until then).
	TimeToFirstContact time.Duration
	Triage             *Triage // nil until triaged
	// CreatedBy is the worker who keyed it; "" for a referral that came
	// in from outside (ReceivedVia "self_referral" or "api").
	CreatedBy   string
	ReceivedVia string
	// NewClient is set when the referral created its client.
	NewClient bool
	// ClientName is filled in by lists that show it.
	ClientName string
}

func validateReferral(n *NewReferral, now time.Time) error {
	n.ClientID, n.ReferrerOrg, n.Summary = strings.TrimSpace(n.ClientID), strings.TrimSpace(n.ReferrerOrg), strings.TrimSpace(n.Summary)
	var fe FieldErrors
	switch {
	case n.ClientID == "" && n.NewClient == nil:
		fe.Add("client_id", "intake.client_required")
	case n.ClientID != "" && n.NewClient != nil:
		fe.Add("client_id", "intake.client_new_or_existing")
	case n.ClientID != "" && (len(n.ClientID) > 64 || !cleanText(n.ClientID) || strings.ContainsAny(n.ClientID, " \n\r\t")):
		fe.Add("client_id", "intake.client_invalid")
	}
	if !slices.Contains(Sources, n.Source) {
		fe.Add("source", "intake.source_invalid")
	}
	if !slices.Contains(RiskLevels, n.RiskLevel) {
		fe.Add("risk_level", "intake.risk_level_invalid")
	}
	checkText(&fe, "referrer_org", n.ReferrerOrg, false, maxNameLen)
	checkText(&fe, "summary", n.Summary, true, maxNoteLen)
	if n.ReceivedAt.IsZero() {
		n.ReceivedAt = now
	} else {
		n.ReceivedAt = utc(n.ReceivedAt)
		if n.ReceivedAt.After(now.Add(clockSkew)) {
			fe.Add("received_at", "intake.in_future")
		}
	}
	return fe.Err()
}

// CreateReferral records a referral keyed by a worker; it lands in the
// triage queue. For an existing client the actor must be allowed to
// update the record; a new client (n.NewClient) is created in the same
// transaction, in n.NewClient.TeamID (one of the actor's teams; default:
// the actor's only team, else the organisation's intake team) with the
// actor as the assigned worker. Every field error of the referral and of
// the new client is returned at once, and nothing is written. A client
// with an earlier closed case makes it a repeat referral linked to the
// latest such case.
func (s *Service) CreateReferral(ctx context.Context, actor access.Actor, n NewReferral) (*Referral, error) {
	if _, err := service(actor, access.CreateRecord); err != nil {
		return nil, err
	}
	verr := validateReferral(&n, s.now())
	var invalid FieldErrors
	if verr != nil && (!errors.As(verr, &invalid) || n.NewClient == nil) {
		return nil, verr
	}
	r := &Referral{ID: id.New(), ClientID: n.ClientID, Source: n.Source, ReceivedAt: n.ReceivedAt, ReferrerOrg: n.ReferrerOrg,
		RiskLevel: n.RiskLevel, Summary: n.Summary, CreatedBy: actor.StaffID, ReceivedVia: ViaStaff, NewClient: n.NewClient != nil}
	err := s.DB.Serializable(ctx, func(tx *store.Tx) error {
		r.Repeat, r.PreviousCaseID = false, ""
		reason := ""
		if n.NewClient != nil {
			c, err := s.newClient(ctx, tx, actor, *n.NewClient)
			if fe := errs.AllFields(err); len(fe) > 0 || len(invalid) > 0 {
				// Every problem of both parts at once; the transaction
				// rolls back whatever the client part wrote.
				return append(append(FieldErrors{}, invalid...), fe...)
			}
			if err != nil {
				return err
			}
			r.ClientID, reason = c.ID, "new client"
		} else {
			d, err := s.decided(ctx, tx, actor, n.ClientID, access.UpdateRecord)
			if err != nil {
				return err
			}
			reason = d.Reason
			var prev string
			err = tx.QueryRow(ctx, `SELECT id FROM intake_cases WHERE client_id = $1 AND status = 'closed' ORDER BY closed_at DESC, id DESC LIMIT 1`,
				[]any{n.ClientID}, &prev)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			default:
				r.Repeat, r.PreviousCaseID = true, prev
			}
		}
		var org any
		if r.ReferrerOrg != "" {
			org = s.Vault.SealString(r.ReferrerOrg, "intake_referrals", r.ID, "referrer_org")
		}
		details, err := SealReferral(s.Vault, r.ID, r.Source, r.RiskLevel)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO intake_referrals (id, organisation_id, client_id, details_sealed, received_at, referrer_org_sealed,
			summary_sealed, repeat, previous_case_id, received_via, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'staff', $10, $11)`,
			r.ID, actor.OrganisationID, r.ClientID, details, r.ReceivedAt, org,
			s.Vault.SealString(r.Summary, "intake_referrals", r.ID, "summary"), r.Repeat, nullable(r.PreviousCaseID), actor.StaffID, s.now()); err != nil {
			return err
		}
		purpose := "first " + reason
		if r.Repeat {
			purpose = "repeat " + reason
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "referral.create", RecordKind: RecordKind, RecordID: r.ClientID, Purpose: purpose})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// How a referral arrived (intake_referrals.received_via).
const (
	ViaStaff        = "staff"
	ViaSelfReferral = "self_referral"
	ViaAPI          = "api"
)

// newClient creates a referral's new client for a worker, in one of the
// worker's teams: the team chosen, else the worker's only team, else the
// organisation's intake team. Field errors of the client and of the team
// come together.
func (s *Service) newClient(ctx context.Context, tx *store.Tx, actor access.Actor, nc people.NewClient) (*people.Client, error) {
	if s.People == nil {
		return nil, errs.New(errs.Unavailable, "error.internal")
	}
	team := strings.TrimSpace(nc.TeamID)
	var teamErr error
	switch {
	case team == "" && len(actor.TeamIDs) == 1:
		team = actor.TeamIDs[0]
	case team == "":
		t, err := s.People.IntakeTeam(ctx, tx, actor.OrganisationID)
		if err != nil && errs.CodeOf(err) != errs.Invalid {
			return nil, err
		}
		if err != nil || !slices.Contains(actor.TeamIDs, t) {
			teamErr = errs.Field("team", "intake.team_choose")
		}
		team = t
	case !slices.Contains(actor.TeamIDs, team):
		teamErr = errs.Field("team", "intake.team_not_yours")
	}
	c, err := s.People.CreateInTx(ctx, tx, people.Origin{OrganisationID: actor.OrganisationID, TeamID: team, StaffID: actor.StaffID, Role: actor.Role, TeamIDs: actor.TeamIDs}, nc)
	if teamErr == nil {
		return c, err
	}
	var out FieldErrors
	for _, e := range errs.AllFields(err) {
		if e.Field != "team" {
			out = append(out, e)
		}
	}
	if err != nil && len(errs.AllFields(err)) == 0 {
		return nil, err
	}
	return nil, append(out, errs.As(teamErr))
}

type referralRow struct {
	r       Referral
	org     string
	details string // sealed referralDoc
	refOrg  sql.NullString
	summary string
	prev    sql.NullString
	first   sql.NullTime
	by      sql.NullString
}

const referralCols = `id, organisation_id, client_id, details_sealed, received_at, referrer_org_sealed, summary_sealed, repeat,
	previous_case_id, first_contact_at, created_by, received_via`

func (r *referralRow) Dest() []any {
	return []any{&r.r.ID, &r.org, &r.r.ClientID, &r.details, &r.r.ReceivedAt, &r.refOrg, &r.summary, &r.r.Repeat,
		&r.prev, &r.first, &r.by, &r.r.ReceivedVia}
}

func (s *Service) referral(row *referralRow) (*Referral, error) {
	r := row.r
	r.ReceivedAt = r.ReceivedAt.UTC()
	r.PreviousCaseID = row.prev.String
	r.CreatedBy = row.by.String
	if row.first.Valid {
		r.FirstContactAt = row.first.Time.UTC()
		r.TimeToFirstContact = r.FirstContactAt.Sub(r.ReceivedAt)
	}
	var d referralDoc
	if err := vault.OpenJSON(s.Vault, row.details, &d, "intake_referrals", r.ID, "details"); err != nil {
		return nil, err
	}
	r.Source, r.RiskLevel = d.Source, d.RiskLevel
	var err error
	if r.Summary, err = s.Vault.OpenString(row.summary, "intake_referrals", r.ID, "summary"); err != nil {
		return nil, err
	}
	if row.refOrg.Valid {
		if r.ReferrerOrg, err = s.Vault.OpenString(row.refOrg.String, "intake_referrals", r.ID, "referrer_org"); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

// loadReferral reads one referral of the actor's organisation and decides
// act on its client.
func (s *Service) loadReferral(ctx context.Context, tx *store.Tx, actor access.Actor, referralID string, act access.Action) (*referralRow, access.Decision, error) {
	var row referralRow
	err := tx.QueryRow(ctx, `SELECT `+referralCols+` FROM intake_referrals WHERE id = $1`, []any{referralID}, row.Dest()...)
	if errors.Is(err, store.ErrNotFound) {
		return nil, access.Decision{}, errNotFound
	}
	if err != nil {
		return nil, access.Decision{}, err
	}
	if row.org != actor.OrganisationID {
		// The front door's own work: another organisation (a partner
		// running her refuge stay included) does not learn of it.
		return nil, access.Decision{}, access.Hide(actor, act, RecordKind, row.r.ClientID, "another organisation's referral")
	}
	d, err := s.decided(ctx, tx, actor, row.r.ClientID, act)
	if err != nil {
		return nil, d, err
	}
	return &row, d, nil
}

// GetReferral reads a referral with its triage decision, for an actor who
// may read the client's record. The read is audited ("referral.read").
func (s *Service) GetReferral(ctx context.Context, actor access.Actor, referralID string) (*Referral, error) {
	var out *Referral
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		row, d, err := s.loadReferral(ctx, tx, actor, referralID, access.ReadRecord)
		if err != nil {
			return err
		}
		if out, err = s.referral(row); err != nil {
			return err
		}
		if out.Triage, err = s.triageOf(ctx, tx, out.ID); err != nil {
			return err
		}
		card, err := s.clientCard(ctx, tx, out.ClientID)
		if err != nil {
			return err
		}
		out.ClientName = card.name()
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "referral.read", RecordKind: RecordKind, RecordID: out.ClientID, Purpose: d.Reason})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// QueueItem is a referral waiting for triage.
type QueueItem struct {
	Referral
	Waited  time.Duration // since it arrived
	Target  time.Duration // the first-contact target for its level
	Overdue bool          // past the target with no first contact
}

// TriageQueue lists the referrals of the actor's organisation not yet
// triaged, oldest first, with how long each has waited and whether it is
// past the first-contact target for its level. Only referrals whose
// client the actor may read appear; others are left out silently. The
// listing is audited ("triage.list").
func (s *Service) TriageQueue(ctx context.Context, actor access.Actor) ([]QueueItem, error) {
	if _, err := service(actor, access.CreateRecord); err != nil {
		return nil, err
	}
	var out []QueueItem
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		list, err := store.QueryAll[referralRow](ctx, tx, `SELECT `+referralCols+` FROM intake_referrals r
			WHERE organisation_id = $1 AND NOT EXISTS (SELECT 1 FROM intake_triage t WHERE t.referral_id = r.id)
			ORDER BY received_at, id`, actor.OrganisationID)
		if err != nil {
			return err
		}
		now := s.now()
		for i := range list {
			if _, err := s.decided(ctx, tx, actor, list[i].r.ClientID, access.ReadRecord); err != nil {
				if c := errs.CodeOf(err); c == errs.NotFound || c == errs.Forbidden {
					continue
				}
				return err
			}
			r, err := s.referral(&list[i])
			if err != nil {
				return err
			}
			card, err := s.clientCard(ctx, tx, r.ClientID)
			if err != nil {
				return err
			}
			r.ClientName = card.name()
			it := QueueItem{Referral: *r, Waited: now.Sub(r.ReceivedAt), Target: s.Target(r.RiskLevel)}
			it.Overdue = r.FirstContactAt.IsZero() && it.Waited > it.Target
			out = append(out, it)
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "triage.list", RecordKind: QueueRecordKind, RecordID: actor.OrganisationID})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecordFirstContact records when the client was first contacted about a
// referral (zero at: now) and returns the time to first contact. A
// second record is a Conflict.
func (s *Service) RecordFirstContact(ctx context.Context, actor access.Actor, referralID string, at time.Time) (time.Duration, error) {
	var took time.Duration
	err := s.DB.Serializable(ctx, func(tx *store.Tx) error {
		row, d, err := s.loadReferral(ctx, tx, actor, referralID, access.UpdateRecord)
		if err != nil {
			return err
		}
		now := s.now()
		if at.IsZero() {
			at = now
		}
		at = utc(at)
		received := row.r.ReceivedAt.UTC()
		var fe FieldErrors
		if at.After(now.Add(clockSkew)) {
			fe.Add("at", "intake.in_future")
		} else if at.Before(received) {
			fe.Add("at", "intake.first_contact_before_referral")
		}
		if len(fe) > 0 {
			return fe
		}
		if row.first.Valid {
			return errs.New(errs.Conflict, "intake.first_contact_recorded")
		}
		if _, err := tx.Exec(ctx, `UPDATE intake_referrals SET first_contact_at = $2, first_contact_by = $3 WHERE id = $1 AND first_contact_at IS NULL`,
			row.r.ID, at, actor.StaffID); err != nil {
			return err
		}
		took = at.Sub(received)
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "referral.first_contact", RecordKind: RecordKind, RecordID: row.r.ClientID, Purpose: d.Reason})
	})
	if err != nil {
		return 0, err
	}
	return took, nil
}
