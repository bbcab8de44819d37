// Package people holds person records: clients (survivors) first. Every
// personal field is sealed by the vault before it reaches the database;
// every open, create and change goes through the access policy and into
// the audit trail in the same transaction. This is the start of the front
// door capability: clients (names, details, safe contact), the children
// and perpetrators around them (household.go, children.go,
// perpetrators.go), search and caseload lists (search.go), and the
// matching index kept up to date in every change's transaction.
package people

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/matching"
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
	// ReadLog, when set, records reads by group commit after a read-only
	// transaction (audit.Read); nil records them in a write transaction.
	ReadLog audit.ReadLog
	Now     func() time.Time
	// Matches keeps every person's blocking keys and match profile, and
	// raises counter-allegation alerts; each create and change calls Put
	// in its own transaction. Nil skips matching (tests, tools).
	Matches *matching.Index
}

// Client is a client's record as an allowed reader sees it.
type Client struct {
	ID             string
	OrganisationID string
	TeamID         string
	GivenName      string
	FamilyName     string
	CreatedAt      time.Time
	Version        int
	Details        Details
	Workers        []string
	// Relation is how the reader stands to the record; BreakGlassActive
	// means the page must say so.
	Relation access.Relation
	// RestrictedTo lists the named staff of a restricted record (nil when
	// not restricted); CanRestrict and CanViewHistory are the policy's
	// answers for the reader, so pages offer only what will be allowed.
	RestrictedTo   []string
	CanUpdate      bool
	CanRestrict    bool
	CanLift        bool
	CanViewHistory bool
	// Alerts is how many counter-allegation alerts the save that returned
	// this record raised (the client looks like a recorded perpetrator):
	// the page says that managers were alerted, never who matched.
	Alerts int
}

// NewClient is what the create form sends.
type NewClient struct {
	GivenName  string
	FamilyName string
	TeamID     string
	Details    Details
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

// Origin says where a new client comes from: the organisation and team
// that will hold the record, and the staff member keying it. StaffID ""
// means the client arrived from outside (the public self-referral page or
// a partner agency's API): nobody is assigned and created_by stays NULL.
type Origin struct {
	OrganisationID, TeamID, StaffID string
	// Role and TeamIDs are the creating worker's (empty from outside):
	// they decide which counter-allegation alerts the worker may be told
	// about.
	Role    access.Role
	TeamIDs []string
}

// actor is the worker behind an origin ("" StaffID from outside).
func (o Origin) actor() access.Actor {
	return access.Actor{StaffID: o.StaffID, Role: o.Role, OrganisationID: o.OrganisationID, TeamIDs: o.TeamIDs}
}

// Create adds a client to one of the actor's teams, with the actor as the
// assigned worker.
func (s *Service) Create(ctx context.Context, actor access.Actor, n NewClient) (*Client, error) {
	if d := access.Decide(actor, access.CreateRecord, access.Record{}); !d.Allow {
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	if n.TeamID == "" && len(actor.TeamIDs) == 1 {
		n.TeamID = actor.TeamIDs[0]
	}
	if !slices.Contains(actor.TeamIDs, n.TeamID) {
		check := n
		return nil, errs.Collect(s.prepare(&check), errs.Field("team", "client.team_not_yours"))
	}
	var c *Client
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		c, err = s.CreateInTx(ctx, tx, Origin{OrganisationID: actor.OrganisationID, TeamID: n.TeamID, StaffID: actor.StaffID, Role: actor.Role, TeamIDs: actor.TeamIDs}, n)
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// CreateInTx adds a client inside the caller's transaction: it validates
// (every field error at once, nothing written), seals, inserts, assigns the
// origin's staff member (if any), audits and updates the matching index.
// The caller has already decided that the origin may create the record
// (the staff member's CreateRecord and team, or an inbound channel's own
// checks); the team must belong to the organisation. n.TeamID is ignored:
// the origin's team is used.
func (s *Service) CreateInTx(ctx context.Context, tx *store.Tx, o Origin, n NewClient) (*Client, error) {
	n.TeamID = o.TeamID
	if err := s.prepare(&n); err != nil {
		return nil, err
	}
	var teamOrg string
	err := tx.QueryRow(ctx, `SELECT organisation_id FROM teams WHERE id = $1`, []any{o.TeamID}, &teamOrg)
	if errors.Is(err, store.ErrNotFound) || (err == nil && teamOrg != o.OrganisationID) {
		return nil, errs.Field("team", "client.team_not_yours")
	}
	if err != nil {
		return nil, err
	}
	c := &Client{ID: id.New(), OrganisationID: o.OrganisationID, TeamID: o.TeamID, GivenName: n.GivenName, FamilyName: n.FamilyName,
		Details: n.Details, Version: 1, CreatedAt: s.Now().UTC()}
	details, dobIndex, phoneIndex, err := s.seal(c.ID, n.Details)
	if err != nil {
		return nil, err
	}
	var createdBy any
	if o.StaffID != "" {
		createdBy = o.StaffID
		c.Workers, c.Relation = []string{o.StaffID}, access.Assigned
	}
	if _, err := tx.Exec(ctx, `INSERT INTO clients (id, organisation_id, team_id, given_name_sealed, family_name_sealed, name_index,
		details_sealed, dob_index, phone_index, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, c.ID, c.OrganisationID, c.TeamID,
		s.Vault.SealString(c.GivenName, "clients", c.ID, "given_name"), s.Vault.SealString(c.FamilyName, "clients", c.ID, "family_name"),
		s.nameIndex(c.GivenName, c.FamilyName), details, dobIndex, phoneIndex, createdBy, c.CreatedAt); err != nil {
		if errors.Is(err, store.ErrForeignKey) {
			return nil, errs.Field("team", "client.team_not_yours")
		}
		return nil, err
	}
	if o.StaffID != "" {
		if _, err := tx.Exec(ctx, `INSERT INTO client_workers (client_id, staff_id) VALUES ($1, $2)`, c.ID, o.StaffID); err != nil {
			return nil, err
		}
	}
	if c.Alerts, err = s.putMatch(ctx, tx, o.actor(), clientSubject(c.ID, c.OrganisationID, n, c.CreatedAt)); err != nil {
		return nil, err
	}
	if err := s.Record(ctx, tx, audit.Event{ActorID: o.StaffID, Action: "record.create", RecordKind: RecordKind, RecordID: c.ID}); err != nil {
		return nil, err
	}
	return c, nil
}

// IntakeTeam is the organisation's front door team, where clients who
// arrive from outside are held until triage allocates them: its team for
// the helpline service (the first by name when there are several).
func (s *Service) IntakeTeam(ctx context.Context, tx *store.Tx, organisationID string) (string, error) {
	var teamID string
	err := tx.QueryRow(ctx, `SELECT id FROM teams WHERE organisation_id = $1 AND service = 'helpline' ORDER BY name, id LIMIT 1`,
		[]any{organisationID}, &teamID)
	if errors.Is(err, store.ErrNotFound) {
		return "", errs.New(errs.Invalid, "client.no_front_door_team")
	}
	return teamID, err
}

var errNotFound = errs.New(errs.NotFound, "error.not_found")

// facts loads what the policy needs about a client, plus the sealed names.
func (s *Service) facts(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) (access.Record, *Client, [3]string, error) {
	all, err := s.factsMany(ctx, tx, actor, []string{clientID})
	if err != nil {
		return access.Record{}, nil, [3]string{}, err
	}
	f, ok := all[clientID]
	if !ok {
		return access.Record{}, nil, [3]string{}, errNotFound
	}
	return f.rec, f.client, f.sealed, nil
}

// clientFacts is what facts reads about one client.
type clientFacts struct {
	rec    access.Record
	client *Client
	sealed [3]string // given name, family name, details
}

// factsMany reads the facts of several clients in the same few queries (a
// search checks each of its results): a client that does not exist is
// absent from the map.
func (s *Service) factsMany(ctx context.Context, tx *store.Tx, actor access.Actor, clientIDs []string) (map[string]*clientFacts, error) {
	out := make(map[string]*clientFacts, len(clientIDs))
	if len(clientIDs) == 0 {
		return out, nil
	}
	ids := slices.Compact(slices.Sorted(slices.Values(clientIDs)))
	// Remembered facts decide reads only: a write is always decided on
	// facts read in its own transaction.
	var memo *factsMemo
	if tx.ReadOnly() {
		memo = memoFor(ctx, actor)
	}
	if memo != nil {
		if ids = memo.take(ids, out); len(ids) == 0 {
			return out, nil
		}
	}
	read := make(map[string]*clientFacts, len(ids))
	for chunk := range slices.Chunk(ids, 500) {
		if err := s.factsChunk(ctx, tx, chunk, read); err != nil {
			return nil, err
		}
	}
	recs := make([]*access.Record, 0, len(read))
	for _, f := range read {
		recs = append(recs, &f.rec)
	}
	if err := s.Grants.FactsMany(ctx, tx, actor, recs); err != nil {
		return nil, err
	}
	if memo != nil {
		memo.keep(read)
	}
	maps.Copy(out, read)
	return out, nil
}

func (s *Service) factsChunk(ctx context.Context, tx *store.Tx, chunk []string, out map[string]*clientFacts) error {
	in, args := store.InList(1, chunk)
	// each runs a query over the chunk and hands every row to row.
	each := func(query string, row func(scan func(...any) error) error) error {
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := row(rows.Scan); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	if err := each(`SELECT id, organisation_id, team_id, given_name_sealed, family_name_sealed, details_sealed, created_at, version FROM clients WHERE id IN (`+in+`)`,
		func(scan func(...any) error) error {
			f := &clientFacts{client: &Client{}}
			c := f.client
			if err := scan(&c.ID, &c.OrganisationID, &c.TeamID, &f.sealed[0], &f.sealed[1], &f.sealed[2], &c.CreatedAt, &c.Version); err != nil {
				return err
			}
			out[c.ID] = f
			return nil
		}); err != nil {
		return err
	}
	if err := each(`SELECT client_id, staff_id FROM client_workers WHERE client_id IN (`+in+`) ORDER BY client_id, staff_id`,
		func(scan func(...any) error) error {
			var cid, w string
			if err := scan(&cid, &w); err != nil {
				return err
			}
			if f := out[cid]; f != nil {
				f.client.Workers = append(f.client.Workers, w)
			}
			return nil
		}); err != nil {
		return err
	}
	// This chunk's clients only: out holds the earlier chunks' too,
	// whose records are complete.
	for _, id := range chunk {
		if f := out[id]; f != nil {
			c := f.client
			f.rec = access.Record{ID: c.ID, OrganisationID: c.OrganisationID, TeamIDs: []string{c.TeamID}, AssignedStaff: slices.Clone(c.Workers)}
		}
	}
	// The teams the client's live cases are allocated to work the client
	// too, for as long as the case is open; so does the team that runs the
	// property of the client's live stay (admitted, not yet departed), for
	// as long as the household lives there, even when another organisation
	// of the partnership runs the refuge (a partner team). A referral to a
	// vacancy (held, offered, accepted) gives the refuge no access to the
	// record: the refuge assesses it on the referral's household profile,
	// which the refuge service shows without names or contact details, and
	// its access starts at admission.
	if err := each(`SELECT DISTINCT c.client_id, c.team_id, t.organisation_id FROM intake_cases c JOIN teams t ON t.id = c.team_id
		WHERE c.client_id IN (`+in+`) AND c.status <> 'closed'
		UNION SELECT DISTINCT st.client_id, p.team_id, t.organisation_id FROM refuge_stays st JOIN refuge_properties p ON p.id = st.property_id JOIN teams t ON t.id = p.team_id
		WHERE st.client_id IN (`+in+`) AND st.move_out IS NULL`,
		func(scan func(...any) error) error {
			var cid, t, org string
			if err := scan(&cid, &t, &org); err != nil {
				return err
			}
			f := out[cid]
			if f == nil {
				return nil
			}
			rec := &f.rec
			switch {
			case org != f.client.OrganisationID:
				if !slices.Contains(rec.PartnerTeamIDs, t) {
					rec.PartnerTeamIDs = append(rec.PartnerTeamIDs, t)
				}
			case !slices.Contains(rec.TeamIDs, t):
				rec.TeamIDs = append(rec.TeamIDs, t)
			}
			return nil
		}); err != nil {
		return err
	}
	// A volunteer with a live match to the client stands to the record as
	// assigned (the policy gives a volunteer the limited view, nothing
	// more); a partner agency a referral was sent to is a shared agency
	// (the policy gives its users that referral, never the record), a
	// withdrawn one too: the agency still sees that it was withdrawn, so
	// that nobody goes to the door, though no longer what was shared.
	if err := each(`SELECT m.client_id, m.volunteer_id FROM volunteer_matches m JOIN staff s ON s.id = m.volunteer_id
		WHERE m.client_id IN (`+in+`) AND m.ended_at IS NULL AND s.role = 'volunteer' AND s.disabled_at IS NULL`,
		func(scan func(...any) error) error {
			var cid, v string
			if err := scan(&cid, &v); err != nil {
				return err
			}
			if f := out[cid]; f != nil && !slices.Contains(f.rec.AssignedStaff, v) {
				f.rec.AssignedStaff = append(f.rec.AssignedStaff, v)
			}
			return nil
		}); err != nil {
		return err
	}
	return each(`SELECT DISTINCT client_id, partner_id FROM partner_referrals WHERE client_id IN (`+in+`)`,
		func(scan func(...any) error) error {
			var cid, p string
			if err := scan(&cid, &p); err != nil {
				return err
			}
			if f := out[cid]; f != nil {
				f.rec.SharedAgencies = append(f.rec.SharedAgencies, p)
			}
			return nil
		})
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
// transaction. A record hidden from the actor (restricted to others, or
// one they may not learn exists) or missing is NotFound; one of their own
// organisation they have no relation to is *Denied, with the offer of
// break-glass.
func (s *Service) Open(ctx context.Context, actor access.Actor, clientID string) (*Client, error) {
	return s.open(ctx, actor, clientID, access.ReadRecord)
}

// OpenForUpdate is Open for the edit form: the actor must also be allowed
// to change the record, or the refusal is the answer.
func (s *Service) OpenForUpdate(ctx context.Context, actor access.Actor, clientID string) (*Client, error) {
	return s.open(ctx, actor, clientID, access.UpdateRecord)
}

func (s *Service) open(ctx context.Context, actor access.Actor, clientID string, act access.Action) (*Client, error) {
	var out *Client
	var denied *Denied
	err := audit.Read(ctx, s.DB, s.Record, s.ReadLog, func(tx *store.Tx) ([]audit.Event, error) {
		out, denied = nil, nil
		rec, c, sealed, err := s.facts(ctx, tx, actor, clientID)
		if err != nil {
			return nil, err
		}
		d := access.Decide(actor, access.ReadRecord, rec)
		if d.Hidden {
			return nil, access.Refusal(actor, access.ReadRecord, RecordKind, clientID, d)
		}
		if !d.Allow {
			denied = &Denied{Reason: d.Reason, BreakGlass: access.Decide(actor, access.BreakGlass, rec).Allow}
			return []audit.Event{audit.RefusalEvent(errs.Refusal{ActorID: actor.StaffID, Action: string(access.ReadRecord), RecordKind: RecordKind, RecordID: clientID, Reason: d.Reason})}, nil
		}
		if act != access.ReadRecord {
			if _, err := access.Require(actor, act, RecordKind, rec); err != nil {
				return nil, err
			}
		}
		if c.GivenName, err = s.Vault.OpenString(sealed[0], "clients", c.ID, "given_name"); err != nil {
			return nil, err
		}
		if c.FamilyName, err = s.Vault.OpenString(sealed[1], "clients", c.ID, "family_name"); err != nil {
			return nil, err
		}
		if c.Details, err = s.openDetails(c.ID, sealed[2]); err != nil {
			return nil, err
		}
		c.Relation = access.RelationOf(actor, rec)
		c.RestrictedTo = rec.RestrictedTo
		c.CanUpdate = access.Decide(actor, access.UpdateRecord, rec).Allow
		c.CanRestrict = access.Decide(actor, access.RestrictRecord, rec).Allow
		c.CanLift = access.Decide(actor, access.LiftRestriction, rec).Allow
		c.CanViewHistory = access.Decide(actor, access.ViewHistory, rec).Allow
		out = c
		return []audit.Event{{ActorID: actor.StaffID, Action: "record.read", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason}}, nil
	})
	if err != nil {
		return nil, err
	}
	if denied != nil {
		return nil, denied
	}
	return out, nil
}

// BreakGlass opens emergency read access to a client of the actor's own
// organisation for an hour, for one of the listed reasons with free text.
func (s *Service) BreakGlass(ctx context.Context, actor access.Actor, clientID string, kind access.BreakGlassReason, reason string) (time.Time, error) {
	var until time.Time
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, _, _, err := s.facts(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		until, err = s.Grants.BreakGlass(ctx, tx, actor, rec, RecordKind, kind, reason)
		return err
	})
	return until, err
}

// decided loads a client's facts and asks the policy about one action,
// answering a refusal as the policy's error (not found when hidden).
func (s *Service) decided(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string, act access.Action) (access.Record, error) {
	rec, _, _, err := s.facts(ctx, tx, actor, clientID)
	if err != nil {
		return rec, err
	}
	_, err = access.Require(actor, act, RecordKind, rec)
	return rec, err
}

// History is a client's access history for a manager of the case (or the
// data protection lead): who read or changed it, and when, a page of
// audit.HistoryPage events at a time (before: the oldest seq shown, 0 for
// the newest). Looking is itself recorded.
func (s *Service) History(ctx context.Context, actor access.Actor, clientID string, before int64) ([]audit.Event, error) {
	var events []audit.Event
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := s.decided(ctx, tx, actor, clientID, access.ViewHistory); err != nil {
			return err
		}
		var err error
		if events, err = audit.HistoryBefore(ctx, tx, clientID, before, audit.HistoryPage); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.history", RecordKind: RecordKind, RecordID: clientID})
	})
	return events, err
}

// Restrict limits a client's record to the named staff (and the manager
// doing it), who must be active staff of the client's organisation; to
// everyone else it no longer exists.
func (s *Service) Restrict(ctx context.Context, actor access.Actor, clientID string, staffIDs []string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, _, _, err := s.facts(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		return s.Grants.Restrict(ctx, tx, actor, rec, RecordKind, staffIDs)
	})
}

// LiftRestriction lifts a restriction, with a reason: a manager named on
// it, or the data protection lead of the client's organisation.
func (s *Service) LiftRestriction(ctx context.Context, actor access.Actor, clientID, reason string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, _, _, err := s.facts(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		return s.Grants.LiftRestriction(ctx, tx, actor, rec, RecordKind, reason)
	})
}

// Check is every field error creating n would answer, without writing
// anything: for a channel (the API) that found problems of its own and
// names every problem at once.
func (s *Service) Check(n NewClient) error { return s.prepare(&n) }

// prepare trims and validates a client's names and details, returning
// every problem at once.
func (s *Service) prepare(n *NewClient) error {
	n.GivenName, n.FamilyName = strings.TrimSpace(n.GivenName), strings.TrimSpace(n.FamilyName)
	n.Details.normalise()
	return errs.Collect(validateName("given_name", n.GivenName), validateName("family_name", n.FamilyName), n.Details.validate(s.Now().UTC()))
}

// seal turns details into their sealed document and blind indexes.
func (s *Service) seal(clientID string, d Details) (string, any, any, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", nil, nil, err
	}
	var dob, phone any
	if d.DateOfBirth != "" {
		dob = s.Vault.BlindIndex("client.dob", d.DateOfBirth)
	}
	if d.Phone != "" {
		phone = s.Vault.BlindIndex("client.phone", vault.NormalisePhone(d.Phone))
	}
	return s.Vault.SealString(string(b), "clients", clientID, "details"), dob, phone, nil
}

func (s *Service) openDetails(clientID, sealed string) (Details, error) {
	var d Details
	plain, err := s.Vault.OpenString(sealed, "clients", clientID, "details")
	if err != nil {
		return d, err
	}
	return d, json.Unmarshal([]byte(plain), &d)
}

// Update replaces a client's names and details if nobody saved a change
// since the version the worker read; a stale edit is refused, never
// silently overwriting someone else's work. It answers how many
// counter-allegation alerts the change raised.
func (s *Service) Update(ctx context.Context, actor access.Actor, clientID string, version int, n NewClient) (int, error) {
	if err := s.prepare(&n); err != nil {
		return 0, err
	}
	details, dobIndex, phoneIndex, err := s.seal(clientID, n.Details)
	if err != nil {
		return 0, err
	}
	var alerts int
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, c, _, err := s.facts(ctx, tx, actor, clientID)
		if err != nil {
			return err
		}
		if _, err := access.Require(actor, access.UpdateRecord, RecordKind, rec); err != nil {
			return err
		}
		if c.Version != version {
			return errs.New(errs.Conflict, "record.stale")
		}
		res, err := tx.Exec(ctx, `UPDATE clients SET given_name_sealed = $1, family_name_sealed = $2, name_index = $3, details_sealed = $4,
			dob_index = $5, phone_index = $6, version = version + 1 WHERE id = $7 AND version = $8`,
			s.Vault.SealString(n.GivenName, "clients", clientID, "given_name"), s.Vault.SealString(n.FamilyName, "clients", clientID, "family_name"),
			s.nameIndex(n.GivenName, n.FamilyName), details, dobIndex, phoneIndex, clientID, version)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return errs.New(errs.Conflict, "record.stale")
		}
		if alerts, err = s.putMatch(ctx, tx, actor, clientSubject(clientID, c.OrganisationID, n, s.Now().UTC())); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.update", RecordKind: RecordKind, RecordID: clientID})
	})
	if err != nil {
		return 0, err
	}
	return alerts, nil
}

// Facts loads the access facts of a client inside tx, for other
// capabilities that act on a client's case (risk, referrals): they ask the
// same policy over the same facts. A missing client is NotFound.
func (s *Service) Facts(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) (access.Record, error) {
	rec, _, _, err := s.facts(ctx, tx, actor, clientID)
	return rec, err
}

// FactsMany is Facts for several clients in a few queries for all of them:
// a list's or a search's access checks. A client that does not exist is
// absent from the map.
func (s *Service) FactsMany(ctx context.Context, tx *store.Tx, actor access.Actor, clientIDs []string) (map[string]access.Record, error) {
	all, err := s.factsMany(ctx, tx, actor, clientIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]access.Record, len(all))
	for id, f := range all {
		out[id] = f.rec
	}
	return out, nil
}

// MatchFacts loads the access facts of a client, child or perpetrator
// record inside tx: the matching index's Facts, so that it shows a
// candidate or an alert only to those the policy lets read the record.
func (s *Service) MatchFacts(ctx context.Context, tx *store.Tx, actor access.Actor, kind matching.Kind, recordID string) (access.Record, error) {
	switch kind {
	case matching.Client:
		return s.Facts(ctx, tx, actor, recordID)
	case matching.Child:
		rec, _, _, err := s.childFacts(ctx, tx, actor, recordID)
		return rec, err
	case matching.Perpetrator:
		rec, _, _, err := s.perpetratorFacts(ctx, tx, actor, recordID)
		return rec, err
	}
	return access.Record{}, errNotFound
}

// putMatch hands a subject to the matching index, when there is one, and
// answers how many counter-allegation alerts it raised.
// putMatch keeps the record's matching entry and returns how many of the
// counter-allegation alerts it raised the actor may be told about. The
// others are still raised, for the staff who may see them: telling the
// actor about an alert they cannot see would answer "is this person a
// client here?" for records hidden from them.
func (s *Service) putMatch(ctx context.Context, tx *store.Tx, actor access.Actor, sub matching.Subject) (int, error) {
	if s.Matches == nil {
		return 0, nil
	}
	alerts, err := s.Matches.Put(ctx, tx, actor.StaffID, sub)
	if err != nil || actor.StaffID == "" {
		return 0, err
	}
	n := 0
	for _, a := range alerts {
		ok, err := s.Matches.Visible(ctx, tx, actor, a)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// birthYear turns an estimated age into an estimated year of birth.
func birthYear(dob string, age int, now time.Time) int {
	if dob != "" || age <= 0 {
		return 0
	}
	return now.Year() - age
}

func phones(list ...string) []string {
	var out []string
	for _, p := range list {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func clientSubject(clientID, organisationID string, n NewClient, now time.Time) matching.Subject {
	return matching.Subject{Kind: matching.Client, ID: clientID, OrganisationID: organisationID, Given: n.GivenName, Family: n.FamilyName,
		Aliases: n.Details.Aliases, DOB: n.Details.DateOfBirth, BirthYear: birthYear(n.Details.DateOfBirth, n.Details.EstimatedAge, now),
		Phones: phones(n.Details.Phone, n.Details.SafeContact.Phone)}
}

// RecordOrganisation answers which organisation holds a person's record
// (a client, a child or a perpetrator), or false when the ID names none.
func (s *Service) RecordOrganisation(ctx context.Context, tx *store.Tx, recordID string) (string, bool, error) {
	var org string
	err := tx.QueryRow(ctx, `SELECT organisation_id FROM clients WHERE id = $1
		UNION ALL SELECT organisation_id FROM children WHERE id = $1
		UNION ALL SELECT organisation_id FROM perpetrators WHERE id = $1 LIMIT 1`, []any{recordID}, &org)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	return org, err == nil, err
}
