package outreach

import (
	"context"
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
)

// Volunteers are matched to clients for a defined kind of support. A live
// match makes the volunteer stand to the client as assigned, and the
// policy gives a volunteer only the limited view: the client's name, the
// safe-contact rules and the appointments of the match, with the address
// only when the match says the support needs it (going with the client
// from home). Never the risk assessment or the notes. Their supervision
// by a team manager is recorded.

// MatchKind is the support a volunteer gives.
type MatchKind string

// MatchKinds lists them.
var MatchKinds = []MatchKind{"befriending", "appointments", "other"}

// NewMatch matches a volunteer to a client.
type NewMatch struct {
	ClientID     string
	VolunteerID  string
	Kind         MatchKind
	Purpose      string // what the volunteer is there for
	ShareAddress bool   // the support needs the address
}

// MatchVolunteer matches a volunteer of the actor's organisation to a
// client the actor works.
func (s *Service) MatchVolunteer(ctx context.Context, actor access.Actor, n NewMatch) (string, error) {
	var fe FieldErrors
	if !slices.Contains(MatchKinds, n.Kind) {
		fe.Add("kind", "outreach.choose_one")
	}
	check(&fe, "purpose", n.Purpose, true, maxShort)
	if err := fe.Err(); err != nil {
		return "", err
	}
	mid := id.New()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		reason, err := s.decided(ctx, tx, actor, n.ClientID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if _, err := ownOrganisation(ctx, tx, actor, n.ClientID); err != nil {
			return err
		}
		var role access.Role
		err = tx.QueryRow(ctx, `SELECT role FROM staff WHERE id = $1 AND organisation_id = $2 AND disabled_at IS NULL`, []any{n.VolunteerID, actor.OrganisationID}, &role)
		if errors.Is(err, store.ErrNotFound) || (err == nil && role != access.RoleVolunteer) {
			return errs.Field("volunteer", "outreach.volunteer_unknown")
		}
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO volunteer_matches (id, client_id, volunteer_id, kind, purpose_sealed, share_address, starts_on, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)`, mid, n.ClientID, n.VolunteerID, string(n.Kind),
			s.Vault.SealString(strings.TrimSpace(n.Purpose), "volunteer_matches", mid, "purpose"), n.ShareAddress, now, actor.StaffID); err != nil {
			if errors.Is(err, store.ErrUnique) {
				return errs.Field("volunteer", "outreach.already_matched")
			}
			return err
		}
		return s.audit(ctx, tx, actor, "volunteer.match", n.ClientID, reason+"; volunteer "+n.VolunteerID)
	})
	return mid, err
}

// matchClient loads a match's client and volunteer.
func matchClient(ctx context.Context, tx *store.Tx, matchID string) (client, volunteer string, ended bool, err error) {
	var endedAt *time.Time
	err = tx.QueryRow(ctx, `SELECT client_id, volunteer_id, ended_at FROM volunteer_matches WHERE id = $1`, []any{matchID}, &client, &volunteer, &endedAt)
	if errors.Is(err, store.ErrNotFound) {
		err = errNotFound
	}
	return client, volunteer, endedAt != nil, err
}

// EndMatch ends a match: the volunteer's view of the client ends at once.
func (s *Service) EndMatch(ctx context.Context, actor access.Actor, matchID string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		client, _, ended, err := matchClient(ctx, tx, matchID)
		if err != nil {
			return err
		}
		reason, err := s.decided(ctx, tx, actor, client, access.UpdateRecord)
		if err != nil {
			return err
		}
		if ended {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE volunteer_matches SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL`, s.now(), matchID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "volunteer.match_end", client, reason)
	})
}

// AddAppointment adds an appointment the volunteer goes to with the
// client (what and where, sealed).
func (s *Service) AddAppointment(ctx context.Context, actor access.Actor, matchID string, at time.Time, what string) (string, error) {
	var fe FieldErrors
	if at.IsZero() {
		fe.Add("starts_at", "outreach.date_required")
	}
	check(&fe, "what", what, true, maxShort)
	if err := fe.Err(); err != nil {
		return "", err
	}
	aid := id.New()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		client, _, ended, err := matchClient(ctx, tx, matchID)
		if err != nil {
			return err
		}
		reason, err := s.decided(ctx, tx, actor, client, access.UpdateRecord)
		if err != nil {
			return err
		}
		if ended {
			return errs.New(errs.Conflict, "outreach.match_ended")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO volunteer_appointments (id, match_id, starts_at, what_sealed, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			aid, matchID, at.UTC(), s.Vault.SealString(strings.TrimSpace(what), "volunteer_appointments", aid, "what"), actor.StaffID, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "volunteer.appointment_add", client, reason)
	})
	return aid, err
}

// Appointment is an appointment of a match.
type Appointment struct {
	ID    string
	At    time.Time
	What  string
	match string
}

func (a *Appointment) Dest() []any { return []any{&a.ID, &a.match, &a.At, &a.What} }

// Match is a volunteer's match as the volunteer (or the client's worker)
// sees it: the limited view.
type Match struct {
	ID           string
	ClientID     string
	VolunteerID  string
	ClientName   string
	SafeContact  people.SafeContact
	Address      string // only when the match shares it
	Kind         MatchKind
	Purpose      string
	ShareAddress bool
	StartsOn     time.Time
	Ended        bool
	Appointments []Appointment
}

type matchRow struct {
	Match
	purpose string
	ended   *time.Time
}

func (r *matchRow) Dest() []any {
	return []any{&r.ID, &r.ClientID, &r.VolunteerID, &r.Kind, &r.purpose, &r.ShareAddress, &r.StartsOn, &r.ended}
}

const matchCols = `id, client_id, volunteer_id, kind, purpose_sealed, share_address, starts_on, ended_at FROM volunteer_matches`

// fill opens a match for a reader the policy already allowed: the name,
// safe-contact rules, the address when shared, and the appointments from
// a day ago on.
func (s *Service) fill(ctx context.Context, tx *store.Tx, r matchRow) (Match, error) {
	m := r.Match
	m.StartsOn, m.Ended = m.StartsOn.UTC(), r.ended != nil
	var err error
	if m.Purpose, err = s.Vault.OpenString(r.purpose, "volunteer_matches", m.ID, "purpose"); err != nil {
		return m, err
	}
	sh, err := s.Clients.ShareableInTx(ctx, tx, m.ClientID)
	if err != nil {
		return m, err
	}
	m.ClientName, m.SafeContact = sh.Name, sh.SafeContact
	if m.ShareAddress {
		m.Address = sh.Address
	}
	apps, err := store.QueryAll[Appointment](ctx, tx, `SELECT id, match_id, starts_at, what_sealed FROM volunteer_appointments
		WHERE match_id = $1 AND starts_at >= $2 ORDER BY starts_at, id`, m.ID, s.now().Add(-24*time.Hour))
	if err != nil {
		return m, err
	}
	for _, a := range apps {
		a.At = a.At.UTC()
		if a.What, err = s.Vault.OpenString(a.What, "volunteer_appointments", a.ID, "what"); err != nil {
			return m, err
		}
		m.Appointments = append(m.Appointments, a)
	}
	return m, nil
}

// MyMatches is a volunteer's live matches, each in the limited view. Each
// client shown is audited.
func (s *Service) MyMatches(ctx context.Context, actor access.Actor) ([]Match, error) {
	if actor.Role != access.RoleVolunteer {
		return nil, errForbidden
	}
	var out []Match
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		rows, err := store.QueryAll[matchRow](ctx, tx, `SELECT `+matchCols+` WHERE volunteer_id = $1 AND ended_at IS NULL ORDER BY starts_on, id`, actor.StaffID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			reason, err := s.decided(ctx, tx, actor, r.ClientID, access.ReadLimited)
			if errs.CodeOf(err) == errs.NotFound || errs.CodeOf(err) == errs.Forbidden {
				continue // restricted to others since the match
			}
			if err != nil {
				return err
			}
			m, err := s.fill(ctx, tx, r)
			if err != nil {
				return err
			}
			out = append(out, m)
			if err := s.audit(ctx, tx, actor, "volunteer.read_limited", r.ClientID, reason); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// ClientMatches lists a client's volunteer matches for their workers.
func (s *Service) ClientMatches(ctx context.Context, actor access.Actor, clientID string) ([]Match, error) {
	var out []Match
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		reason, err := s.decided(ctx, tx, actor, clientID, access.ReadRecord)
		if err != nil {
			return err
		}
		rows, err := store.QueryAll[matchRow](ctx, tx, `SELECT `+matchCols+` WHERE client_id = $1 ORDER BY ended_at IS NOT NULL, starts_on DESC, id`, clientID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			m, err := s.fill(ctx, tx, r)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return s.audit(ctx, tx, actor, "volunteer.matches_read", clientID, reason)
	})
	return out, err
}

// Supervision is a recorded supervision session of a volunteer.
type Supervision struct {
	ID           string
	SupervisorID string
	HeldAt       time.Time
	Notes        string
}

func (r *Supervision) Dest() []any { return []any{&r.ID, &r.SupervisorID, &r.HeldAt, &r.Notes} }

// RecordSupervision records a supervision session of a volunteer on one
// of the actor's teams (a team manager).
func (s *Service) RecordSupervision(ctx context.Context, actor access.Actor, volunteerID string, heldAt time.Time, notes string) (string, error) {
	var fe FieldErrors
	if heldAt.IsZero() {
		fe.Add("held_at", "outreach.date_required")
	}
	check(&fe, "notes", notes, true, maxLong)
	if err := fe.Err(); err != nil {
		return "", err
	}
	sid := id.New()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := managesWorker(ctx, tx, actor, volunteerID); err != nil {
			return err
		}
		var role access.Role
		if err := tx.QueryRow(ctx, `SELECT role FROM staff WHERE id = $1`, []any{volunteerID}, &role); err != nil || role != access.RoleVolunteer {
			if err == nil || errors.Is(err, store.ErrNotFound) {
				err = errs.Field("volunteer", "outreach.volunteer_unknown")
			}
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO volunteer_supervision (id, volunteer_id, supervisor_id, held_at, notes_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			sid, volunteerID, actor.StaffID, heldAt.UTC(), s.Vault.SealString(strings.TrimSpace(notes), "volunteer_supervision", sid, "notes"), s.now()); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "volunteer.supervision", RecordKind: "staff", RecordID: volunteerID})
	})
	return sid, err
}

// Supervisions lists a volunteer's supervision sessions, newest first, to
// their team managers and to the volunteer themselves.
func (s *Service) Supervisions(ctx context.Context, actor access.Actor, volunteerID string) ([]Supervision, error) {
	var out []Supervision
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		if actor.StaffID != volunteerID {
			if err := managesWorker(ctx, tx, actor, volunteerID); err != nil {
				return err
			}
		}
		rows, err := store.QueryAll[Supervision](ctx, tx, `SELECT id, supervisor_id, held_at, notes_sealed FROM volunteer_supervision
			WHERE volunteer_id = $1 ORDER BY held_at DESC, id`, volunteerID)
		if err != nil {
			return err
		}
		out = nil
		for _, r := range rows {
			r.HeldAt = r.HeldAt.UTC()
			if r.Notes, err = s.Vault.OpenString(r.Notes, "volunteer_supervision", r.ID, "notes"); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}
