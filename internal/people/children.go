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

// ChildRecordKind names children in the audit trail.
const ChildRecordKind = "child"

// MaxChildAge bounds a child's age (a young adult still at home may be
// recorded with the family).
const MaxChildAge = 25

// ChildDetails is everything about a child beyond their names, sealed as
// one document.
type ChildDetails struct {
	DateOfBirth  string `json:"date_of_birth,omitempty"` // YYYY-MM-DD
	EstimatedAge int    `json:"estimated_age,omitempty"` // when the date is not known
	Gender       string `json:"gender,omitempty"`
	School       string `json:"school,omitempty"`
	GP           string `json:"gp,omitempty"`
	Needs        string `json:"needs,omitempty"`
}

// NewChild is what the child form sends.
type NewChild struct {
	GivenName  string
	FamilyName string
	Details    ChildDetails
}

// Child is a child's record as an allowed reader sees it. Children are
// people with their own records: access follows from the clients they are
// linked to (see childFacts).
type Child struct {
	ID             string
	OrganisationID string
	GivenName      string
	FamilyName     string
	Details        ChildDetails
	CreatedAt      time.Time
	Version        int
	// Clients are the linked clients the reader may read, by name only;
	// OtherClients counts the ones they may not (restricted ones, which
	// must not be known to exist, are not counted).
	Clients      []LinkedClient
	OtherClients int
	Relation     access.Relation
	CanUpdate    bool
}

// ChildSummary is a child as a client's page lists them.
type ChildSummary struct {
	ID           string
	GivenName    string
	FamilyName   string
	DateOfBirth  string
	EstimatedAge int
	Gender       string
}

func (s *Service) prepareChild(n *NewChild) error {
	n.GivenName, n.FamilyName = strings.TrimSpace(n.GivenName), strings.TrimSpace(n.FamilyName)
	d := &n.Details
	for _, p := range []*string{&d.DateOfBirth, &d.Gender, &d.School, &d.GP, &d.Needs} {
		*p = strings.TrimSpace(*p)
	}
	list := []error{validateName("given_name", n.GivenName), optionalName("family_name", n.FamilyName)}
	list = append(list, checkDOB(&d.DateOfBirth, d.EstimatedAge, s.Now().UTC(), MaxChildAge, "child.dob_out_of_range")...)
	list = append(list, cleanText("gender", d.Gender, 100, false), cleanText("school", d.School, 200, true),
		cleanText("gp", d.GP, 200, true), cleanText("needs", d.Needs, 4000, true))
	return errs.Collect(list...)
}

func (s *Service) sealChild(childID string, n NewChild) (given, family, details string, dobIndex any, err error) {
	b, err := json.Marshal(n.Details)
	if err != nil {
		return "", "", "", nil, err
	}
	if n.Details.DateOfBirth != "" {
		dobIndex = s.Vault.BlindIndex("child.dob", n.Details.DateOfBirth)
	}
	return s.Vault.SealString(n.GivenName, "children", childID, "given_name"), s.Vault.SealString(n.FamilyName, "children", childID, "family_name"),
		s.Vault.SealString(string(b), "children", childID, "details"), dobIndex, nil
}

func (s *Service) childNameIndex(given, family string) string {
	return s.Vault.BlindIndex("child.name", vault.NormaliseName(given+" "+family))
}

func childSubject(childID, organisationID string, n NewChild, now time.Time) matching.Subject {
	return matching.Subject{Kind: matching.Child, ID: childID, OrganisationID: organisationID, Given: n.GivenName, Family: n.FamilyName,
		DOB: n.Details.DateOfBirth, BirthYear: birthYear(n.Details.DateOfBirth, n.Details.EstimatedAge, now)}
}

// CreateChild records a child in a client's household. The actor must be
// allowed to update the client.
func (s *Service) CreateChild(ctx context.Context, actor access.Actor, clientID string, n NewChild) (*Child, error) {
	var c *Child
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.decided(ctx, tx, actor, clientID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if err := s.prepareChild(&n); err != nil {
			return err
		}
		c = &Child{ID: id.New(), OrganisationID: rec.OrganisationID, GivenName: n.GivenName, FamilyName: n.FamilyName, Details: n.Details,
			CreatedAt: s.Now().UTC(), Version: 1, CanUpdate: true}
		given, family, details, dobIndex, err := s.sealChild(c.ID, n)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO children (id, organisation_id, given_name_sealed, family_name_sealed, name_index, details_sealed,
			dob_index, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, c.ID, c.OrganisationID, given, family,
			s.childNameIndex(n.GivenName, n.FamilyName), details, dobIndex, actor.StaffID, c.CreatedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO child_links (child_id, client_id, created_by, created_at) VALUES ($1, $2, $3, $4)`,
			c.ID, clientID, actor.StaffID, c.CreatedAt); err != nil {
			return err
		}
		if _, err := s.putMatch(ctx, tx, actor, childSubject(c.ID, c.OrganisationID, n, c.CreatedAt)); err != nil {
			return err
		}
		if err := s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.link", RecordKind: RecordKind, RecordID: clientID, Purpose: "child " + c.ID}); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.create", RecordKind: ChildRecordKind, RecordID: c.ID, Purpose: "client " + clientID})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// childFacts loads what the policy needs about a child: the union of its
// linked clients' facts (organisation, teams including live cases' teams,
// assigned workers). When any linked client is restricted to named staff,
// so is the child: to the staff named on every restricted client. A
// break-glass grant on a linked client reaches the child (read only).
func (s *Service) childFacts(ctx context.Context, tx *store.Tx, actor access.Actor, childID string) (access.Record, *Child, [3]string, error) {
	all, err := s.childFactsMany(ctx, tx, actor, []string{childID})
	if err != nil {
		return access.Record{}, nil, [3]string{}, err
	}
	f, ok := all[childID]
	if !ok {
		return access.Record{}, nil, [3]string{}, errNotFound
	}
	return f.rec, f.c, f.sealed, nil
}

// childFactsRow is what childFactsMany reads about one child.
type childFactsRow struct {
	rec    access.Record
	c      *Child
	sealed [3]string // given name, family name, details
}

// childFactsMany is childFacts for several children in the same few
// queries for all of them: one that does not exist, or is linked to a
// client that has gone, is absent.
func (s *Service) childFactsMany(ctx context.Context, tx *store.Tx, actor access.Actor, childIDs []string) (map[string]*childFactsRow, error) {
	out := map[string]*childFactsRow{}
	childIDs = slices.Compact(slices.Sorted(slices.Values(childIDs)))
	for chunk := range slices.Chunk(childIDs, 500) {
		in, args := store.InList(1, chunk)
		rows, err := tx.Query(ctx, `SELECT id, organisation_id, given_name_sealed, family_name_sealed, details_sealed, created_at, version FROM children WHERE id IN (`+in+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			f := &childFactsRow{c: &Child{}}
			if err := rows.Scan(&f.c.ID, &f.c.OrganisationID, &f.sealed[0], &f.sealed[1], &f.sealed[2], &f.c.CreatedAt, &f.c.Version); err != nil {
				rows.Close()
				return nil, err
			}
			f.rec = access.Record{ID: f.c.ID, OrganisationID: f.c.OrganisationID}
			out[f.c.ID] = f
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	err := throughLinks(ctx, s, tx, actor, out, func(f *childFactsRow) *access.Record { return &f.rec },
		`SELECT child_id, client_id FROM child_links WHERE child_id IN (%s) ORDER BY child_id, created_at, client_id`)
	if err != nil {
		return nil, err
	}
	// A partner refuge works the children who live there with their
	// mother, not those who stayed elsewhere: of the partner teams the
	// child's clients bring, keep those of a live stay the child is in.
	var partnered []string
	for id, f := range out {
		if len(f.rec.PartnerTeamIDs) > 0 {
			partnered = append(partnered, id)
		}
	}
	if len(partnered) > 0 {
		living, err := linksOf(ctx, tx, `SELECT m.person_id, p.team_id FROM refuge_stay_members m
			JOIN refuge_stays st ON st.id = m.stay_id JOIN refuge_properties p ON p.id = st.property_id
			WHERE m.person_kind = 'child' AND st.move_out IS NULL AND m.person_id IN (%s) ORDER BY m.person_id, p.team_id`, partnered)
		if err != nil {
			return nil, err
		}
		for _, id := range partnered {
			f := out[id]
			f.rec.PartnerTeamIDs = intersect(f.rec.PartnerTeamIDs, living[id])
		}
	}
	return out, nil
}

// decidedChild loads a child's facts and asks the policy about one
// action: not-found for a hidden record, forbidden for a refusal.
func (s *Service) decidedChild(ctx context.Context, tx *store.Tx, actor access.Actor, childID string, act access.Action) (access.Record, *Child, [3]string, error) {
	rec, c, sealed, err := s.childFacts(ctx, tx, actor, childID)
	if err != nil {
		return rec, nil, sealed, err
	}
	if _, err := access.Require(actor, act, ChildRecordKind, rec); err != nil {
		return rec, nil, sealed, err
	}
	return rec, c, sealed, nil
}

func (s *Service) openChildDetails(childID, sealed string) (ChildDetails, error) {
	var d ChildDetails
	plain, err := s.Vault.OpenString(sealed, "children", childID, "details")
	if err != nil {
		return d, err
	}
	return d, json.Unmarshal([]byte(plain), &d)
}

// OpenChild reads a child's record for the actor, if the policy allows,
// recording the read (or the refused attempt) in the same transaction. A
// hidden or missing record is NotFound; a refusal is *Denied.
func (s *Service) OpenChild(ctx context.Context, actor access.Actor, childID string) (*Child, error) {
	return s.openChild(ctx, actor, childID, access.ReadRecord)
}

// OpenChildForUpdate is OpenChild for the edit form: the actor must also be allowed
// to change the record, or the refusal is the answer.
func (s *Service) OpenChildForUpdate(ctx context.Context, actor access.Actor, childID string) (*Child, error) {
	return s.openChild(ctx, actor, childID, access.UpdateRecord)
}

func (s *Service) openChild(ctx context.Context, actor access.Actor, childID string, act access.Action) (*Child, error) {
	var out *Child
	var denied *Denied
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, c, sealed, err := s.childFacts(ctx, tx, actor, childID)
		if err != nil {
			return err
		}
		d := access.Decide(actor, access.ReadRecord, rec)
		if d.Hidden {
			return access.Refusal(actor, access.ReadRecord, ChildRecordKind, childID, d)
		}
		if !d.Allow {
			denied = &Denied{Reason: d.Reason}
			return s.Record(ctx, tx, audit.RefusalEvent(errs.Refusal{ActorID: actor.StaffID, Action: string(access.ReadRecord), RecordKind: ChildRecordKind, RecordID: childID, Reason: d.Reason}))
		}
		if act != access.ReadRecord {
			if _, err := access.Require(actor, act, ChildRecordKind, rec); err != nil {
				return err
			}
		}
		if c.GivenName, c.FamilyName, err = s.openNames("children", c.ID, sealed[0], sealed[1]); err != nil {
			return err
		}
		if c.Details, err = s.openChildDetails(c.ID, sealed[2]); err != nil {
			return err
		}
		clients, err := ids(ctx, tx, `SELECT client_id FROM child_links WHERE child_id = $1 ORDER BY created_at, client_id`, childID)
		if err != nil {
			return err
		}
		for _, cid := range clients {
			lc, ok, hidden, err := s.linkedClientName(ctx, tx, actor, cid)
			switch {
			case err != nil:
				return err
			case ok:
				c.Clients = append(c.Clients, lc)
			case !hidden:
				c.OtherClients++
			}
		}
		c.Relation = access.RelationOf(actor, rec)
		c.CanUpdate = access.Decide(actor, access.UpdateRecord, rec).Allow
		out = c
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.read", RecordKind: ChildRecordKind, RecordID: childID, Purpose: d.Reason})
	})
	if err != nil {
		return nil, err
	}
	if denied != nil {
		return nil, denied
	}
	return out, nil
}

// UpdateChild replaces a child's names and details if nobody saved a
// change since the version the worker read; a stale edit is a Conflict
// ("record.stale") and changes nothing.
func (s *Service) UpdateChild(ctx context.Context, actor access.Actor, childID string, version int, n NewChild) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		_, c, _, err := s.decidedChild(ctx, tx, actor, childID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if err := s.prepareChild(&n); err != nil {
			return err
		}
		if c.Version != version {
			return errs.New(errs.Conflict, "record.stale")
		}
		given, family, details, dobIndex, err := s.sealChild(childID, n)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE children SET given_name_sealed = $1, family_name_sealed = $2, name_index = $3, details_sealed = $4,
			dob_index = $5, version = version + 1 WHERE id = $6 AND version = $7`,
			given, family, s.childNameIndex(n.GivenName, n.FamilyName), details, dobIndex, childID, version)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return errs.New(errs.Conflict, "record.stale")
		}
		if _, err := s.putMatch(ctx, tx, actor, childSubject(childID, c.OrganisationID, n, s.Now().UTC())); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.update", RecordKind: ChildRecordKind, RecordID: childID})
	})
}

// LinkChild adds a client to a child's household (a second parent who is
// also a client, say). The actor must be allowed to update both records.
func (s *Service) LinkChild(ctx context.Context, actor access.Actor, childID, clientID string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.decided(ctx, tx, actor, clientID, access.UpdateRecord)
		if err != nil {
			return err
		}
		crec, _, _, err := s.decidedChild(ctx, tx, actor, childID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if crec.OrganisationID != rec.OrganisationID {
			return errs.New(errs.Forbidden, "error.forbidden")
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM child_links WHERE child_id = $1 AND client_id = $2`, []any{childID, clientID}, &n); err != nil {
			return err
		}
		if n > 0 {
			return errs.New(errs.Conflict, "household.already_linked")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO child_links (child_id, client_id, created_by, created_at) VALUES ($1, $2, $3, $4)`,
			childID, clientID, actor.StaffID, s.Now().UTC()); err != nil {
			return err
		}
		if err := s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.link", RecordKind: RecordKind, RecordID: clientID, Purpose: "child " + childID}); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.link", RecordKind: ChildRecordKind, RecordID: childID, Purpose: "client " + clientID})
	})
}

// childrenOf lists a client's children that the actor may read.
func (s *Service) childrenOf(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) ([]ChildSummary, error) {
	list, err := ids(ctx, tx, `SELECT child_id FROM child_links WHERE client_id = $1 ORDER BY created_at, child_id`, clientID)
	if err != nil {
		return nil, err
	}
	var out []ChildSummary
	for _, cid := range list {
		rec, c, sealed, err := s.childFacts(ctx, tx, actor, cid)
		if err != nil {
			return nil, err
		}
		if !access.Decide(actor, access.ReadRecord, rec).Allow {
			continue
		}
		sum := ChildSummary{ID: c.ID}
		if sum.GivenName, sum.FamilyName, err = s.openNames("children", c.ID, sealed[0], sealed[1]); err != nil {
			return nil, err
		}
		d, err := s.openChildDetails(c.ID, sealed[2])
		if err != nil {
			return nil, err
		}
		sum.DateOfBirth, sum.EstimatedAge, sum.Gender = d.DateOfBirth, d.EstimatedAge, d.Gender
		out = append(out, sum)
	}
	return out, nil
}
