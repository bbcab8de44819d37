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
	if n < 10 {
		return errs.Field("reason", "reason.too_short", 10)
	}
	if n > 1000 {
		return errs.Field("reason", "field.too_long", 1000)
	}
	return nil
}

// BreakGlass opens emergency access to a record the actor has no relation
// to, for BreakGlassLifetime, if the policy allows it for the actor's
// relation. The reason is required, sealed, and goes into the audit trail
// with the grant; the data protection lead's dashboard lists every one.
func (g *Grants) BreakGlass(ctx context.Context, tx *store.Tx, actor Actor, r Record, recordKind, reason string) (time.Time, error) {
	d := Decide(actor, BreakGlass, r)
	if d.Hidden {
		return time.Time{}, errs.New(errs.NotFound, "error.not_found")
	}
	if !d.Allow {
		return time.Time{}, errs.New(errs.Forbidden, "breakglass.not_allowed")
	}
	if err := ValidateReason(reason); err != nil {
		return time.Time{}, err
	}
	now := g.Now().UTC()
	grantID := id.New()
	sealed := g.Vault.SealString(strings.TrimSpace(reason), "break_glass", grantID)
	expires := now.Add(BreakGlassLifetime)
	if _, err := tx.Exec(ctx, `INSERT INTO break_glass_grants (id, staff_id, record_id, reason_sealed, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		grantID, actor.StaffID, r.ID, sealed, now, expires); err != nil {
		return time.Time{}, err
	}
	return expires, g.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "breakglass.open", RecordKind: recordKind, RecordID: r.ID, Purpose: "grant " + grantID})
}

// Restrict limits a record to the named staff (the actor among them, so
// nobody locks themselves out), replacing any earlier list. To everyone
// else the record no longer exists.
func (g *Grants) Restrict(ctx context.Context, tx *store.Tx, actor Actor, r Record, recordKind string, staffIDs []string) error {
	if d := Decide(actor, RestrictRecord, r); !d.Allow {
		if d.Hidden {
			return errs.New(errs.NotFound, "error.not_found")
		}
		return errs.New(errs.Forbidden, "error.forbidden")
	}
	named := slices.Clone(staffIDs)
	if !slices.Contains(named, actor.StaffID) {
		named = append(named, actor.StaffID)
	}
	slices.Sort(named)
	named = slices.Compact(named)
	if _, err := tx.Exec(ctx, `DELETE FROM record_restrictions WHERE record_id = $1`, r.ID); err != nil {
		return err
	}
	now := g.Now().UTC()
	for _, s := range named {
		if _, err := tx.Exec(ctx, `INSERT INTO record_restrictions (record_id, staff_id, created_by, created_at) VALUES ($1, $2, $3, $4)`, r.ID, s, actor.StaffID, now); err != nil {
			if errors.Is(err, store.ErrForeignKey) {
				return errs.Field("staff", "staff.not_found")
			}
			return err
		}
	}
	return g.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.restrict", RecordKind: recordKind, RecordID: r.ID, Purpose: strings.Join(named, " ")})
}

// Unrestrict lifts a restriction; only someone the policy lets restrict
// (and so named on it) can.
func (g *Grants) Unrestrict(ctx context.Context, tx *store.Tx, actor Actor, r Record, recordKind string) error {
	if d := Decide(actor, RestrictRecord, r); !d.Allow {
		if d.Hidden {
			return errs.New(errs.NotFound, "error.not_found")
		}
		return errs.New(errs.Forbidden, "error.forbidden")
	}
	if _, err := tx.Exec(ctx, `DELETE FROM record_restrictions WHERE record_id = $1`, r.ID); err != nil {
		return err
	}
	return g.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.unrestrict", RecordKind: recordKind, RecordID: r.ID})
}

// Grant is a break-glass grant as the data protection lead reviews it.
type Grant struct {
	ID        string
	StaffID   string
	RecordID  string
	Reason    string
	GrantedAt time.Time
	ExpiresAt time.Time
}

// BreakGlassSince lists grants made since a time, newest first, reasons
// opened for the reviewer.
func (g *Grants) BreakGlassSince(ctx context.Context, tx *store.Tx, since time.Time, limit int) ([]Grant, error) {
	rows, err := tx.Query(ctx, `SELECT id, staff_id, record_id, reason_sealed, granted_at, expires_at FROM break_glass_grants
		WHERE granted_at >= $1 ORDER BY granted_at DESC LIMIT $2`, since.UTC(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		var gr Grant
		var sealed string
		if err := rows.Scan(&gr.ID, &gr.StaffID, &gr.RecordID, &sealed, &gr.GrantedAt, &gr.ExpiresAt); err != nil {
			return nil, err
		}
		if gr.Reason, err = g.Vault.OpenString(sealed, "break_glass", gr.ID); err != nil {
			return nil, err
		}
		out = append(out, gr)
	}
	return out, rows.Err()
}
