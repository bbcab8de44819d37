package access

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// BreakGlassLifetime is how long emergency access lasts.
const BreakGlassLifetime = time.Hour

// Sealer keeps the free-text reason readable only through the vault.
type Sealer interface {
	SealString(plaintext string, aad ...string) string
	OpenString(sealed string, aad ...string) (string, error)
}

// Grants keeps the two record-level facts the policy cannot derive from a
// record's own tables: restrictions to named staff, and running
// break-glass grants. Every change is audited in its transaction.
type Grants struct {
	Vault  Sealer
	Record audit.Recorder
	Now    func() time.Time
}

// Facts fills in what Grants knows about a record for an actor: its
// restriction list (nil when not restricted) and whether the actor holds a
// running break-glass grant. Capability packages call it inside the read
// that loads the record, so the decision and the read see one snapshot.
func (g *Grants) Facts(ctx context.Context, tx *store.Tx, actor Actor, r *Record) error {
	return g.FactsMany(ctx, tx, actor, []*Record{r})
}

// FactsMany is Facts for several records at once (a search's results): the
// same two reads, for all of them.
func (g *Grants) FactsMany(ctx context.Context, tx *store.Tx, actor Actor, recs []*Record) error {
	byID := make(map[string][]*Record, len(recs))
	for _, r := range recs {
		byID[r.ID] = append(byID[r.ID], r)
	}
	for chunk := range slices.Chunk(slices.Collect(maps.Keys(byID)), 500) {
		in, args := store.InList(1, chunk)
		rows, err := tx.Query(ctx, `SELECT record_id, staff_id FROM record_restrictions WHERE record_id IN (`+in+`)`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, s string
			if err := rows.Scan(&id, &s); err != nil {
				rows.Close()
				return err
			}
			for _, r := range byID[id] {
				r.RestrictedTo = append(r.RestrictedTo, s)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		in, args = store.InList(3, chunk)
		rows, err = tx.Query(ctx, `SELECT DISTINCT record_id FROM break_glass_grants WHERE staff_id = $1 AND expires_at > $2 AND record_id IN (`+in+`)`,
			append([]any{actor.StaffID, g.Now().UTC()}, args...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			for _, r := range byID[id] {
				r.BreakGlassGrant = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// ValidateReason checks a reason someone must give for an action that
// reaches past their normal access or takes someone else's away: it is
// kept in the audit trail, so it must say something.
func ValidateReason(reason string) error {
	n := utf8.RuneCountInString(strings.TrimSpace(reason))
	if !utf8.ValidString(reason) || strings.ContainsFunc(reason, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' }) {
		return errs.Field("reason", "field.invalid_text")
	}
	if n < 10 {
		return errs.Field("reason", "reason.too_short", 10)
	}
	if n > 1000 {
		return errs.Field("reason", "field.too_long", 1000)
	}
	return nil
}

// BreakGlassReason is why someone needs emergency access: one of a short
// list, so that "curious" is not a reason one can give, with free text
// saying what happened.
type BreakGlassReason string

const (
	ImmediateDanger      BreakGlassReason = "immediate_danger"      // someone is in danger now
	ChildAtRisk          BreakGlassReason = "child_at_risk"         // a child's safety is at risk
	EmergencyServices    BreakGlassReason = "emergency_services"    // police or ambulance need information now
	ClientInContact      BreakGlassReason = "client_in_contact"     // the client is in touch now and their workers cannot be reached
	SafeguardingReferral BreakGlassReason = "safeguarding_referral" // an urgent safeguarding referral cannot wait for the team
)

// BreakGlassReasons lists the reasons in the order the form offers them.
var BreakGlassReasons = []BreakGlassReason{ImmediateDanger, ChildAtRisk, EmergencyServices, ClientInContact, SafeguardingReferral}

// BreakGlass opens emergency access to a record of the actor's own
// organisation that they have no relation to, for BreakGlassLifetime, if
// the policy allows it. The reason (one of BreakGlassReasons, with free
// text) is required; the text is sealed; both go into the audit trail with
// the grant, and the holding organisation's data protection lead sees
// every grant on their home page at once.
func (g *Grants) BreakGlass(ctx context.Context, tx *store.Tx, actor Actor, r Record, recordKind string, kind BreakGlassReason, reason string) (time.Time, error) {
	if _, err := Require(actor, BreakGlass, recordKind, r); err != nil {
		return time.Time{}, err
	}
	var fe errs.Fields
	if !slices.Contains(BreakGlassReasons, kind) {
		fe.Add("reason_kind", "breakglass.reason_kind")
	}
	if err := ValidateReason(reason); err != nil {
		fe = append(fe, errs.As(err))
	}
	if err := fe.Err(); err != nil {
		return time.Time{}, err
	}
	now := g.Now().UTC()
	grantID := id.New()
	sealed := g.Vault.SealString(strings.TrimSpace(reason), "break_glass", grantID)
	expires := now.Add(BreakGlassLifetime)
	if _, err := tx.Exec(ctx, `INSERT INTO break_glass_grants (id, staff_id, record_id, organisation_id, reason_kind_sealed, reason_sealed, granted_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		grantID, actor.StaffID, r.ID, r.OrganisationID, g.Vault.SealString(string(kind), "break_glass", grantID, "kind"), sealed, now, expires); err != nil {
		return time.Time{}, err
	}
	return expires, g.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "breakglass.open", RecordKind: recordKind, RecordID: r.ID,
		Purpose: "grant " + grantID})
}

// restrictableRoles are the roles that can be named on a restriction:
// those who work or review records. Administrators, commissioners and
// partner agency users never read a record, so naming them would mean
// nothing, or, were the policy ever to change, something nobody chose.
var restrictableRoles = []Role{RoleFrontDoorWorker, RoleOutreachWorker, RoleIDVA, RoleRefugeWorker, RoleVolunteer, RoleTeamManager, RoleDataProtectionLead}

// Restrict limits a record to the named staff (the actor among them, so
// nobody locks themselves out), replacing any earlier list. To everyone
// else the record no longer exists. Only the holding organisation's
// managers restrict (the policy), and only active staff of that
// organisation can be named: anyone else is a field error and nothing
// changes.
func (g *Grants) Restrict(ctx context.Context, tx *store.Tx, actor Actor, r Record, recordKind string, staffIDs []string) error {
	if _, err := Require(actor, RestrictRecord, recordKind, r); err != nil {
		return err
	}
	named := slices.Clone(staffIDs)
	if !slices.Contains(named, actor.StaffID) {
		named = append(named, actor.StaffID)
	}
	slices.Sort(named)
	named = slices.Compact(named)
	// The staff table is the accounts' (package auth); this one read of it
	// decides who may be named, in the restriction's own transaction.
	in, args := store.InList(2, named)
	active := map[string]bool{}
	rows, err := tx.Query(ctx, `SELECT id, role FROM staff WHERE organisation_id = $1 AND disabled_at IS NULL AND id IN (`+in+`)`,
		append([]any{r.OrganisationID}, args...)...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var sid, role string
		if err := rows.Scan(&sid, &role); err != nil {
			rows.Close()
			return err
		}
		active[sid] = slices.Contains(restrictableRoles, Role(role))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, s := range named {
		if !active[s] {
			return errs.Field("staff", "restriction.staff_not_ours")
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM record_restrictions WHERE record_id = $1`, r.ID); err != nil {
		return err
	}
	now := g.Now().UTC()
	for _, s := range named {
		if _, err := tx.Exec(ctx, `INSERT INTO record_restrictions (record_id, staff_id, created_by, created_at, organisation_id, record_kind)
			VALUES ($1, $2, $3, $4, $5, $6)`, r.ID, s, actor.StaffID, now, r.OrganisationID, recordKind); err != nil {
			if errors.Is(err, store.ErrForeignKey) {
				return errs.Field("staff", "restriction.staff_not_ours")
			}
			return err
		}
	}
	return g.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.restrict", RecordKind: recordKind, RecordID: r.ID, Purpose: strings.Join(named, " ")})
}

// LiftRestriction ends a restriction: a manager named on it, or the
// holding organisation's data protection lead, who need not be named on it
// and so can always give a record back to its organisation. The reason is
// required and kept, sealed, in the audit trail.
func (g *Grants) LiftRestriction(ctx context.Context, tx *store.Tx, actor Actor, r Record, recordKind, reason string) error {
	if _, err := Require(actor, LiftRestriction, recordKind, r); err != nil {
		return err
	}
	if err := ValidateReason(reason); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM record_restrictions WHERE record_id = $1`, r.ID); err != nil {
		return err
	}
	return g.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.unrestrict", RecordKind: recordKind, RecordID: r.ID,
		Purpose: g.Vault.SealString(strings.TrimSpace(reason), "audit_reason", r.ID)})
}

// Grant is a break-glass grant as the data protection lead reviews it.
type Grant struct {
	ID         string
	StaffID    string
	RecordID   string
	ReasonKind BreakGlassReason
	Reason     string
	GrantedAt  time.Time
	ExpiresAt  time.Time
}

// BreakGlassSince lists the grants made since a time on records of the
// organisation, newest first, reasons opened for the reviewer.
func (g *Grants) BreakGlassSince(ctx context.Context, tx *store.Tx, organisationID string, since time.Time, limit int) ([]Grant, error) {
	rows, err := tx.Query(ctx, `SELECT id, staff_id, record_id, reason_kind_sealed, reason_sealed, granted_at, expires_at FROM break_glass_grants
		WHERE organisation_id = $1 AND granted_at >= $2 ORDER BY granted_at DESC, id DESC LIMIT $3`, organisationID, since.UTC(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		var gr Grant
		var sealed string
		var kind *string
		if err := rows.Scan(&gr.ID, &gr.StaffID, &gr.RecordID, &kind, &sealed, &gr.GrantedAt, &gr.ExpiresAt); err != nil {
			return nil, err
		}
		if kind != nil {
			k, err := g.Vault.OpenString(*kind, "break_glass", gr.ID, "kind")
			if err != nil {
				return nil, err
			}
			gr.ReasonKind = BreakGlassReason(k)
		}
		if gr.Reason, err = g.Vault.OpenString(sealed, "break_glass", gr.ID); err != nil {
			return nil, err
		}
		out = append(out, gr)
	}
	return out, rows.Err()
}

// Restriction is a restricted record as its organisation's data protection
// lead sees it: what, since when, by whom, and who is named; never the
// person's name.
type Restriction struct {
	RecordKind string
	RecordID   string
	By         string
	Since      time.Time
	Named      []string
}

// Restrictions lists the organisation's restricted records, newest first.
func (g *Grants) Restrictions(ctx context.Context, tx *store.Tx, organisationID string) ([]Restriction, error) {
	rows, err := tx.Query(ctx, `SELECT record_id, COALESCE(record_kind, ''), staff_id, created_by, created_at FROM record_restrictions
		WHERE organisation_id = $1 ORDER BY created_at DESC, record_id, staff_id`, organisationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Restriction
	byID := map[string]int{}
	for rows.Next() {
		var r Restriction
		var staff string
		if err := rows.Scan(&r.RecordID, &r.RecordKind, &staff, &r.By, &r.Since); err != nil {
			return nil, err
		}
		i, ok := byID[r.RecordID]
		if !ok {
			i = len(out)
			byID[r.RecordID] = i
			out = append(out, r)
		}
		out[i].Named = append(out[i].Named, staff)
	}
	return out, rows.Err()
}
