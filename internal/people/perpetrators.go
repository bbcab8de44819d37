package people

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/matching"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// PerpetratorRecordKind names perpetrators in the audit trail.
const PerpetratorRecordKind = "perpetrator"

// Relationships are how a perpetrator is related to a client they harmed.
var Relationships = []string{"partner", "ex_partner", "family_member", "other"}

// PerpetratorDetails is everything recorded about a perpetrator beyond
// their names, sealed as one document.
type PerpetratorDetails struct {
	Aliases        []string `json:"aliases,omitempty"`
	DateOfBirth    string   `json:"date_of_birth,omitempty"` // YYYY-MM-DD
	EstimatedAge   int      `json:"estimated_age,omitempty"`
	Phone          string   `json:"phone,omitempty"`
	Description    string   `json:"description,omitempty"`
	Vehicle        string   `json:"vehicle,omitempty"`
	KnownAddresses string   `json:"known_addresses,omitempty"`
	Conditions     string   `json:"conditions,omitempty"` // bail or order conditions
}

// NewPerpetrator is what the perpetrator form sends. Relationship (one of
// Relationships) is the link to the client it is recorded from: used on
// create only.
type NewPerpetrator struct {
	GivenName    string
	FamilyName   string
	Relationship string
	Details      PerpetratorDetails
}

// Perpetrator is a perpetrator's record as an allowed reader sees it. It
// never carries a client's contact details, address or safe contact: the
// clients it harmed are listed by name only (LinkedClient has no other
// field), and only those the reader may read.
type Perpetrator struct {
	ID             string
	OrganisationID string
	TeamID         string
	GivenName      string
	FamilyName     string
	Details        PerpetratorDetails
	CreatedAt      time.Time
	Version        int
	// Clients are the linked clients the reader may read, with the
	// relationship; OtherClients counts the linked client records they may
	// not read (a restricted one, which must not be known to exist, is not
	// counted).
	Clients      []LinkedClient
	OtherClients int
	Relation     access.Relation
	CanUpdate    bool
	// Alerts is how many counter-allegation alerts the save that returned
	// this record raised (the perpetrator looks like a recorded client).
	Alerts int
}

// PerpetratorSummary is a perpetrator as a client's page lists them.
type PerpetratorSummary struct {
	ID           string
	GivenName    string
	FamilyName   string
	Relationship string
}

func (s *Service) preparePerpetrator(n *NewPerpetrator, withRelationship bool) error {
	n.GivenName, n.FamilyName = strings.TrimSpace(n.GivenName), strings.TrimSpace(n.FamilyName)
	n.Relationship = strings.TrimSpace(n.Relationship)
	d := &n.Details
	for _, p := range []*string{&d.DateOfBirth, &d.Phone, &d.Description, &d.Vehicle, &d.KnownAddresses, &d.Conditions} {
		*p = strings.TrimSpace(*p)
	}
	d.Aliases = trimAliases(d.Aliases)
	list := []error{atLeastOneName(n.GivenName, n.FamilyName), optionalName("given_name", n.GivenName), optionalName("family_name", n.FamilyName)}
	list = append(list, checkAliases(d.Aliases)...)
	list = append(list, checkDOB(&d.DateOfBirth, d.EstimatedAge, s.Now().UTC(), 120, "date.out_of_range")...)
	list = append(list, checkPhone("phone", d.Phone), cleanText("description", d.Description, 4000, true), cleanText("vehicle", d.Vehicle, 1000, true),
		cleanText("known_addresses", d.KnownAddresses, 4000, true), cleanText("conditions", d.Conditions, 4000, true))
	if withRelationship {
		list = append(list, oneOf("relationship", n.Relationship, Relationships...))
	}
	return errs.Collect(list...)
}

func (s *Service) sealPerpetrator(pid string, n NewPerpetrator) (given, family, details string, dobIndex, phoneIndex any, err error) {
	b, err := json.Marshal(n.Details)
	if err != nil {
		return "", "", "", nil, nil, err
	}
	if n.Details.DateOfBirth != "" {
		dobIndex = s.Vault.BlindIndex("perpetrator.dob", n.Details.DateOfBirth)
	}
	if n.Details.Phone != "" {
		phoneIndex = s.Vault.BlindIndex("perpetrator.phone", vault.NormalisePhone(n.Details.Phone))
	}
	return s.Vault.SealString(n.GivenName, "perpetrators", pid, "given_name"), s.Vault.SealString(n.FamilyName, "perpetrators", pid, "family_name"),
		s.Vault.SealString(string(b), "perpetrators", pid, "details"), dobIndex, phoneIndex, nil
}

func (s *Service) perpetratorNameIndex(given, family string) string {
	return s.Vault.BlindIndex("perpetrator.name", vault.NormaliseName(given+" "+family))
}

func perpetratorSubject(pid, organisationID string, n NewPerpetrator, now time.Time) matching.Subject {
	return matching.Subject{Kind: matching.Perpetrator, ID: pid, OrganisationID: organisationID, Given: n.GivenName, Family: n.FamilyName,
		Aliases: n.Details.Aliases, DOB: n.Details.DateOfBirth, BirthYear: birthYear(n.Details.DateOfBirth, n.Details.EstimatedAge, now),
		Phones: phones(n.Details.Phone)}
}

// CreatePerpetrator records a perpetrator linked to the client they
// harmed. The actor must be allowed to update the client; the record
// belongs to the actor's team (the one the client's case is in when the
// actor has several).
func (s *Service) CreatePerpetrator(ctx context.Context, actor access.Actor, clientID string, n NewPerpetrator) (*Perpetrator, error) {
	var p *Perpetrator
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.decided(ctx, tx, actor, clientID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if err := s.preparePerpetrator(&n, true); err != nil {
			return err
		}
		p = &Perpetrator{ID: id.New(), OrganisationID: rec.OrganisationID, GivenName: n.GivenName, FamilyName: n.FamilyName, Details: n.Details,
			CreatedAt: s.Now().UTC(), Version: 1, CanUpdate: true}
		for _, t := range actor.TeamIDs {
			if slices.Contains(rec.TeamIDs, t) {
				p.TeamID = t
				break
			}
		}
		if p.TeamID == "" && len(actor.TeamIDs) > 0 {
			p.TeamID = actor.TeamIDs[0]
		}
		var team any
		if p.TeamID != "" {
			team = p.TeamID
		}
		given, family, details, dobIndex, phoneIndex, err := s.sealPerpetrator(p.ID, n)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO perpetrators (id, organisation_id, team_id, given_name_sealed, family_name_sealed, name_index,
			details_sealed, dob_index, phone_index, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			p.ID, p.OrganisationID, team, given, family, s.perpetratorNameIndex(n.GivenName, n.FamilyName), details, dobIndex, phoneIndex,
			actor.StaffID, p.CreatedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO perpetrator_links (perpetrator_id, client_id, relationship_sealed, created_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
			p.ID, clientID, SealRelationship(s.Vault, p.ID, clientID, n.Relationship), actor.StaffID, p.CreatedAt); err != nil {
			return err
		}
		if p.Alerts, err = s.putMatch(ctx, tx, actor, perpetratorSubject(p.ID, p.OrganisationID, n, p.CreatedAt)); err != nil {
			return err
		}
		if err := s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.link", RecordKind: RecordKind, RecordID: clientID, Purpose: "perpetrator " + p.ID}); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.create", RecordKind: PerpetratorRecordKind, RecordID: p.ID, Purpose: "client " + clientID})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// SealRelationship seals how a perpetrator is related to a client, for
// perpetrator_links.relationship_sealed (also for bulk loads that write
// the table directly).
func SealRelationship(v Sealer, perpetratorID, clientID, relationship string) string {
	return v.SealString(relationship, relationshipAAD(perpetratorID, clientID)...)
}

func relationshipAAD(perpetratorID, clientID string) []string {
	return []string{"perpetrator_links", perpetratorID, clientID, "relationship"}
}

type perpetratorLink struct{ clientID, relationship string } // relationship sealed

func perpetratorLinks(ctx context.Context, tx *store.Tx, pid string) ([]perpetratorLink, error) {
	rows, err := tx.Query(ctx, `SELECT client_id, relationship_sealed FROM perpetrator_links WHERE perpetrator_id = $1 ORDER BY created_at, client_id`, pid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []perpetratorLink
	for rows.Next() {
		var l perpetratorLink
		if err := rows.Scan(&l.clientID, &l.relationship); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// perpetratorFacts loads what the policy needs about a perpetrator: its
// own organisation and team (the recording worker's), plus the teams and
// workers of the clients it is linked to (see throughLinkedClients).
func (s *Service) perpetratorFacts(ctx context.Context, tx *store.Tx, actor access.Actor, pid string) (access.Record, *Perpetrator, [3]string, error) {
	all, err := s.perpetratorFactsMany(ctx, tx, actor, []string{pid})
	if err != nil {
		return access.Record{}, nil, [3]string{}, err
	}
	f, ok := all[pid]
	if !ok {
		return access.Record{}, nil, [3]string{}, errNotFound
	}
	return f.rec, f.p, f.sealed, nil
}

// perpFactsRow is what perpetratorFactsMany reads about one.
type perpFactsRow struct {
	rec    access.Record
	p      *Perpetrator
	sealed [3]string // given name, family name, details
}

// perpetratorFactsMany is perpetratorFacts for several perpetrators in the
// same few queries for all of them (a search's results, a household): one
// that does not exist, or is linked to a client that has gone, is absent.
func (s *Service) perpetratorFactsMany(ctx context.Context, tx *store.Tx, actor access.Actor, pids []string) (map[string]*perpFactsRow, error) {
	out := map[string]*perpFactsRow{}
	pids = slices.Compact(slices.Sorted(slices.Values(pids)))
	for chunk := range slices.Chunk(pids, 500) {
		in, args := store.InList(1, chunk)
		rows, err := tx.Query(ctx, `SELECT id, organisation_id, team_id, given_name_sealed, family_name_sealed, details_sealed, created_at, version FROM perpetrators WHERE id IN (`+in+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			f := &perpFactsRow{p: &Perpetrator{}}
			var team *string
			if err := rows.Scan(&f.p.ID, &f.p.OrganisationID, &team, &f.sealed[0], &f.sealed[1], &f.sealed[2], &f.p.CreatedAt, &f.p.Version); err != nil {
				rows.Close()
				return nil, err
			}
			f.rec = access.Record{ID: f.p.ID, OrganisationID: f.p.OrganisationID}
			if team != nil {
				f.p.TeamID = *team
				f.rec.TeamIDs = []string{f.p.TeamID}
			}
			out[f.p.ID] = f
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	// Restricted like a child of a restricted client: the recording
	// worker's team must not keep a way to the hidden client.
	err := throughLinks(ctx, s, tx, actor, out, func(f *perpFactsRow) *access.Record { return &f.rec },
		`SELECT perpetrator_id, client_id FROM perpetrator_links WHERE perpetrator_id IN (%s) ORDER BY perpetrator_id, created_at, client_id`)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) decidedPerpetrator(ctx context.Context, tx *store.Tx, actor access.Actor, pid string, act access.Action) (access.Record, *Perpetrator, [3]string, error) {
	rec, p, sealed, err := s.perpetratorFacts(ctx, tx, actor, pid)
	if err != nil {
		return rec, nil, sealed, err
	}
	if _, err := access.Require(actor, act, PerpetratorRecordKind, rec); err != nil {
		return rec, nil, sealed, err
	}
	return rec, p, sealed, nil
}

func (s *Service) openPerpetratorDetails(pid, sealed string) (PerpetratorDetails, error) {
	var d PerpetratorDetails
	plain, err := s.Vault.OpenString(sealed, "perpetrators", pid, "details")
	if err != nil {
		return d, err
	}
	return d, json.Unmarshal([]byte(plain), &d)
}

// OpenPerpetrator reads a perpetrator's record for the actor, if the
// policy allows, recording the read (or the refused attempt) in the same
// transaction. A hidden or missing record is NotFound; a refusal *Denied.
func (s *Service) OpenPerpetrator(ctx context.Context, actor access.Actor, pid string) (*Perpetrator, error) {
	return s.openPerpetrator(ctx, actor, pid, access.ReadRecord)
}

// OpenPerpetratorForUpdate is OpenPerpetrator for the edit form: the actor must also be allowed
// to change the record, or the refusal is the answer.
func (s *Service) OpenPerpetratorForUpdate(ctx context.Context, actor access.Actor, pid string) (*Perpetrator, error) {
	return s.openPerpetrator(ctx, actor, pid, access.UpdateRecord)
}

func (s *Service) openPerpetrator(ctx context.Context, actor access.Actor, pid string, act access.Action) (*Perpetrator, error) {
	var out *Perpetrator
	var denied *Denied
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, p, sealed, err := s.perpetratorFacts(ctx, tx, actor, pid)
		if err != nil {
			return err
		}
		d := access.Decide(actor, access.ReadRecord, rec)
		if d.Hidden {
			return access.Refusal(actor, access.ReadRecord, PerpetratorRecordKind, pid, d)
		}
		if !d.Allow {
			denied = &Denied{Reason: d.Reason}
			return s.Record(ctx, tx, audit.RefusalEvent(errs.Refusal{ActorID: actor.StaffID, Action: string(access.ReadRecord), RecordKind: PerpetratorRecordKind, RecordID: pid, Reason: d.Reason}))
		}
		if act != access.ReadRecord {
			if _, err := access.Require(actor, act, PerpetratorRecordKind, rec); err != nil {
				return err
			}
		}
		if p.GivenName, p.FamilyName, err = s.openNames("perpetrators", p.ID, sealed[0], sealed[1]); err != nil {
			return err
		}
		if p.Details, err = s.openPerpetratorDetails(p.ID, sealed[2]); err != nil {
			return err
		}
		links, err := perpetratorLinks(ctx, tx, pid)
		if err != nil {
			return err
		}
		for _, l := range links {
			lc, ok, hidden, err := s.linkedClientName(ctx, tx, actor, l.clientID)
			switch {
			case err != nil:
				return err
			case ok:
				if lc.Relationship, err = s.Vault.OpenString(l.relationship, relationshipAAD(pid, l.clientID)...); err != nil {
					return err
				}
				p.Clients = append(p.Clients, lc)
			case !hidden:
				p.OtherClients++
			}
		}
		p.Relation = access.RelationOf(actor, rec)
		p.CanUpdate = access.Decide(actor, access.UpdateRecord, rec).Allow
		out = p
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.read", RecordKind: PerpetratorRecordKind, RecordID: pid, Purpose: d.Reason})
	})
	if err != nil {
		return nil, err
	}
	if denied != nil {
		return nil, denied
	}
	return out, nil
}

// UpdatePerpetrator replaces a perpetrator's names and details if nobody
// saved a change since the version the worker read (a stale edit is a
// Conflict, "record.stale"). n.Relationship is ignored. It answers how
// many counter-allegation alerts the change raised.
func (s *Service) UpdatePerpetrator(ctx context.Context, actor access.Actor, pid string, version int, n NewPerpetrator) (int, error) {
	var alerts int
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		_, p, _, err := s.decidedPerpetrator(ctx, tx, actor, pid, access.UpdateRecord)
		if err != nil {
			return err
		}
		if err := s.preparePerpetrator(&n, false); err != nil {
			return err
		}
		if p.Version != version {
			return errs.New(errs.Conflict, "record.stale")
		}
		given, family, details, dobIndex, phoneIndex, err := s.sealPerpetrator(pid, n)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE perpetrators SET given_name_sealed = $1, family_name_sealed = $2, name_index = $3, details_sealed = $4,
			dob_index = $5, phone_index = $6, version = version + 1 WHERE id = $7 AND version = $8`,
			given, family, s.perpetratorNameIndex(n.GivenName, n.FamilyName), details, dobIndex, phoneIndex, pid, version)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return errs.New(errs.Conflict, "record.stale")
		}
		if alerts, err = s.putMatch(ctx, tx, actor, perpetratorSubject(pid, p.OrganisationID, n, s.Now().UTC())); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.update", RecordKind: PerpetratorRecordKind, RecordID: pid})
	})
	if err != nil {
		return 0, err
	}
	return alerts, nil
}

// LinkPerpetrator links an existing perpetrator to another client they
// harmed. The actor must be allowed to update both.
func (s *Service) LinkPerpetrator(ctx context.Context, actor access.Actor, pid, clientID, relationship string) error {
	relationship = strings.TrimSpace(relationship)
	if err := oneOf("relationship", relationship, Relationships...); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.decided(ctx, tx, actor, clientID, access.UpdateRecord)
		if err != nil {
			return err
		}
		// Update, not read: a link widens who can see the perpetrator (the
		// new client's team), which read-only break-glass must not do.
		prec, _, _, err := s.decidedPerpetrator(ctx, tx, actor, pid, access.UpdateRecord)
		if err != nil {
			return err
		}
		if prec.OrganisationID != rec.OrganisationID {
			return errNotFound
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM perpetrator_links WHERE perpetrator_id = $1 AND client_id = $2`, []any{pid, clientID}, &n); err != nil {
			return err
		}
		if n > 0 {
			return errs.New(errs.Conflict, "household.already_linked")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO perpetrator_links (perpetrator_id, client_id, relationship_sealed, created_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
			pid, clientID, SealRelationship(s.Vault, pid, clientID, relationship), actor.StaffID, s.Now().UTC()); err != nil {
			return err
		}
		if err := s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.link", RecordKind: RecordKind, RecordID: clientID, Purpose: "perpetrator " + pid}); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.link", RecordKind: PerpetratorRecordKind, RecordID: pid, Purpose: "client " + clientID})
	})
}

// perpetratorsOf lists the perpetrators linked to a client that the
// actor may read.
func (s *Service) perpetratorsOf(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) ([]PerpetratorSummary, error) {
	rows, err := tx.Query(ctx, `SELECT perpetrator_id, relationship_sealed FROM perpetrator_links WHERE client_id = $1 ORDER BY created_at, perpetrator_id`, clientID)
	if err != nil {
		return nil, err
	}
	type link struct{ perpetratorID, relationship string }
	var links []link
	for rows.Next() {
		var l link
		if err := rows.Scan(&l.perpetratorID, &l.relationship); err != nil {
			rows.Close()
			return nil, err
		}
		links = append(links, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []PerpetratorSummary
	for _, l := range links {
		rec, p, sealed, err := s.perpetratorFacts(ctx, tx, actor, l.perpetratorID)
		if err != nil {
			return nil, err
		}
		if !access.Decide(actor, access.ReadRecord, rec).Allow {
			continue
		}
		sum := PerpetratorSummary{ID: p.ID}
		if sum.Relationship, err = s.Vault.OpenString(l.relationship, relationshipAAD(p.ID, clientID)...); err != nil {
			return nil, err
		}
		if sum.GivenName, sum.FamilyName, err = s.openNames("perpetrators", p.ID, sealed[0], sealed[1]); err != nil {
			return nil, err
		}
		out = append(out, sum)
	}
	return out, nil
}
