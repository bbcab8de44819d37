// Package people holds person records: clients (survivors) first. Every
// personal field is sealed by the vault before it reaches the database;
// every open, create and change goes through the access policy and into
// the audit trail in the same transaction. This is the start of the front
// door capability: names and team now; safe contact, dates of birth,
// children, perpetrators and matching follow.
package people

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// RecordKind names clients in the audit trail.
const RecordKind = "client"

// Sealer is what the vault does for this package.
type Sealer interface {
	SealString(plaintext string, aad ...string) string
	OpenString(sealed string, aad ...string) (string, error)
	BlindIndex(purpose, normalised string) string
}

// Service keeps client records.
type Service struct {
	DB     *store.DB
	Vault  Sealer
	Grants *access.Grants
	Record audit.Recorder
	Now    func() time.Time
}

// Client is a client's record as an allowed reader sees it.
type Client struct {
	ID             string
	OrganisationID string
	TeamID         string
	GivenName      string
	FamilyName     string
	CreatedAt      time.Time
	Workers        []string
	// Relation is how the reader stands to the record; BreakGlassActive
	// means the page must say so.
	Relation access.Relation
	// RestrictedTo lists the named staff of a restricted record (nil when
	// not restricted); CanRestrict and CanViewHistory are the policy's
	// answers for the reader, so pages offer only what will be allowed.
	RestrictedTo   []string
	CanRestrict    bool
	CanViewHistory bool
}

// NewClient is what the create form sends.
type NewClient struct {
	GivenName  string
	FamilyName string
	TeamID     string
}

func validateName(field, v string) error {
	if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
		return errs.Field(field, "field.invalid_text")
	}
	n := utf8.RuneCountInString(strings.TrimSpace(v))
	if n == 0 {
		return errs.Field(field, "field.required")
	}
	if n > 200 {
		return errs.Field(field, "field.too_long", 200)
	}
	return nil
}

func (s *Service) nameIndex(given, family string) string {
	return s.Vault.BlindIndex("client.name", vault.NormaliseName(given+" "+family))
}

// Create adds a client to one of the actor's teams, with the actor as the
// assigned worker.
func (s *Service) Create(ctx context.Context, actor access.Actor, n NewClient) (*Client, error) {
	if d := access.Decide(actor, access.CreateRecord, access.Record{}); !d.Allow {
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	n.GivenName, n.FamilyName = strings.TrimSpace(n.GivenName), strings.TrimSpace(n.FamilyName)
	if err := errors.Join(validateName("given_name", n.GivenName), validateName("family_name", n.FamilyName)); err != nil {
		return nil, errs.As(err.(interface{ Unwrap() []error }).Unwrap()[0])
	}
	if n.TeamID == "" && len(actor.TeamIDs) == 1 {
		n.TeamID = actor.TeamIDs[0]
	}
	if !slices.Contains(actor.TeamIDs, n.TeamID) {
		return nil, errs.Field("team", "client.team_not_yours")
	}
	c := &Client{ID: id.New(), OrganisationID: actor.OrganisationID, TeamID: n.TeamID, GivenName: n.GivenName, FamilyName: n.FamilyName,
		CreatedAt: s.Now().UTC(), Workers: []string{actor.StaffID}, Relation: access.Assigned}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO clients (id, organisation_id, team_id, given_name_sealed, family_name_sealed, name_index, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.ID, c.OrganisationID, c.TeamID,
			s.Vault.SealString(c.GivenName, "clients", c.ID, "given_name"), s.Vault.SealString(c.FamilyName, "clients", c.ID, "family_name"),
			s.nameIndex(c.GivenName, c.FamilyName), actor.StaffID, c.CreatedAt); err != nil {
			if errors.Is(err, store.ErrForeignKey) {
				return errs.Field("team", "client.team_not_yours")
			}
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO client_workers (client_id, staff_id) VALUES ($1, $2)`, c.ID, actor.StaffID); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.create", RecordKind: RecordKind, RecordID: c.ID})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

var errNotFound = errs.New(errs.NotFound, "error.not_found")

// facts loads what the policy needs about a client, plus the sealed names.
func (s *Service) facts(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) (access.Record, *Client, [2]string, error) {
	var c Client
	var sealed [2]string
	err := tx.QueryRow(ctx, `SELECT id, organisation_id, team_id, given_name_sealed, family_name_sealed, created_at FROM clients WHERE id = $1`,
		[]any{clientID}, &c.ID, &c.OrganisationID, &c.TeamID, &sealed[0], &sealed[1], &c.CreatedAt)
	if errors.Is(err, store.ErrNotFound) {
		return access.Record{}, nil, sealed, errNotFound
	}
	if err != nil {
		return access.Record{}, nil, sealed, err
	}
	rows, err := tx.Query(ctx, `SELECT staff_id FROM client_workers WHERE client_id = $1 ORDER BY staff_id`, clientID)
	if err != nil {
		return access.Record{}, nil, sealed, err
	}
	defer rows.Close()
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			return access.Record{}, nil, sealed, err
		}
		c.Workers = append(c.Workers, w)
	}
	if err := rows.Err(); err != nil {
		return access.Record{}, nil, sealed, err
	}
	rec := access.Record{ID: c.ID, OrganisationID: c.OrganisationID, TeamIDs: []string{c.TeamID}, AssignedStaff: c.Workers}
	if err := s.Grants.Facts(ctx, tx, actor, &rec); err != nil {
		return access.Record{}, nil, sealed, err
	}
	return rec, &c, sealed, nil
}

// Denied is returned when the actor may not open a record they are
// allowed to know exists; BreakGlass says whether they may ask for
// emergency access.
type Denied struct {
	Reason     string
	BreakGlass bool
}

func (d *Denied) Error() string { return "access denied: " + d.Reason }

// Open reads a client for the actor, if the policy allows, and records the
// read (or the refused attempt) in the audit trail in the same
// transaction. A record hidden from the actor (restricted to others) or
// missing is NotFound; one they have no relation to is *Denied.
func (s *Service) Open(ctx context.Context, actor access.Actor, clientID string) (*Client, error) {
	var out *Client
	var denied *Denied
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, c, sealed, err := s.facts(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		d := access.Decide(actor, access.ReadRecord, rec)
		if d.Hidden {
			return errNotFound
		}
		if !d.Allow {
			denied = &Denied{Reason: d.Reason, BreakGlass: access.Decide(actor, access.BreakGlass, rec).Allow}
			return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.read_denied", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason})
		}
		if c.GivenName, err = s.Vault.OpenString(sealed[0], "clients", c.ID, "given_name"); err != nil {
			return err
		}
		if c.FamilyName, err = s.Vault.OpenString(sealed[1], "clients", c.ID, "family_name"); err != nil {
			return err
		}
		c.Relation = access.RelationOf(actor, rec)
		c.RestrictedTo = rec.RestrictedTo
		c.CanRestrict = access.Decide(actor, access.RestrictRecord, rec).Allow
		c.CanViewHistory = access.Decide(actor, access.ViewHistory, rec).Allow
		out = c
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.read", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason})
	})
	if err != nil {
		return nil, err
	}
	if denied != nil {
		return nil, denied
	}
	return out, nil
}

// BreakGlass opens emergency read access to a client for an hour.
func (s *Service) BreakGlass(ctx context.Context, actor access.Actor, clientID, reason string) (time.Time, error) {
	var until time.Time
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, _, _, err := s.facts(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		until, err = s.Grants.BreakGlass(ctx, tx, actor, rec, RecordKind, reason)
		return err
	})
	return until, err
}

// decided loads a client's facts and asks the policy about one action,
// answering not-found for a hidden record and forbidden for a refusal.
func (s *Service) decided(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string, act access.Action) (access.Record, error) {
	rec, _, _, err := s.facts(ctx, tx, actor, clientID)
	if err != nil {
		return rec, err
	}
	d := access.Decide(actor, act, rec)
	if d.Hidden {
		return rec, errNotFound
	}
	if !d.Allow {
		return rec, errs.New(errs.Forbidden, "error.forbidden")
	}
	return rec, nil
}

// History is a client's access history for a manager of the case (or the
// data protection lead): who read or changed it, and when. Looking is
// itself recorded.
func (s *Service) History(ctx context.Context, actor access.Actor, clientID string) ([]audit.Event, error) {
	var events []audit.Event
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := s.decided(ctx, tx, actor, clientID, access.ViewHistory); err != nil {
			return err
		}
		var err error
		if events, err = audit.History(ctx, tx, clientID, 500); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.history", RecordKind: RecordKind, RecordID: clientID})
	})
	return events, err
}

// Restrict limits a client's record to the named staff (and the manager
// doing it); to everyone else it no longer exists.
func (s *Service) Restrict(ctx context.Context, actor access.Actor, clientID string, staffIDs []string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, _, _, err := s.facts(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		return s.Grants.Restrict(ctx, tx, actor, rec, RecordKind, staffIDs)
	})
}

// Unrestrict lifts a restriction.
func (s *Service) Unrestrict(ctx context.Context, actor access.Actor, clientID string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, _, _, err := s.facts(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		return s.Grants.Unrestrict(ctx, tx, actor, rec, RecordKind)
	})
}
