package refuge

import (
	"context"
	"errors"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// Status of a referral to a vacancy.
type Status string

const (
	Held       Status = "held"
	Offered    Status = "offered"
	Accepted   Status = "accepted"
	Admitted   Status = "admitted"
	Declined   Status = "declined"
	Expired    Status = "expired"
	TurnedAway Status = "turned_away" // no vacancy could take them
)

// Decider says who declined: the client or the refuge.
type Decider string

const (
	ByClient Decider = "client"
	ByRefuge Decider = "refuge"
)

// TurnawayReason is why a referral ended without admission.
type TurnawayReason string

const (
	NoSpace        TurnawayReason = "no_space"
	NeedsNotMet    TurnawayReason = "needs_not_met"
	Risk           TurnawayReason = "risk"
	ClientDeclined TurnawayReason = "client_declined"
	OtherReason    TurnawayReason = "other"
)

// TurnawayReasons lists every reason, in the order forms show them.
var TurnawayReasons = []TurnawayReason{NoSpace, NeedsNotMet, Risk, ClientDeclined, OtherReason}

// Referral is a household's referral to a unit.
type Referral struct {
	ID          string
	ClientID    string
	PropertyID  string
	UnitID      string
	Status      Status
	HeldUntil   time.Time
	BedspaceIDs []string
}

// HoldRequest asks to hold a unit for a household (h.ClientID required).
type HoldRequest struct {
	UnitID    string
	Household Household
	// FurtherHold asks to hold this unit beside the client's live hold: a
	// team manager of the client's team only (holdrules.go).
	FurtherHold bool
}

// Hold holds a free unit for the client's household for Service.HoldFor.
// The actor must be allowed to update the client. It is refused, and
// nothing changes, when:
//
//   - the actor has made HoldsPerHour holds in the past hour (HoldLimited);
//   - the declared household contradicts the client's record, or the
//     service is not known (fromRecord), or the unit does not fit the
//     household by the vacancy search's own predicate (fits), or lies in
//     one of the client's unsafe areas: field errors saying which;
//   - another household holds or occupies the unit, or takes it at the
//     same moment: ErrNoLongerAvailable. The database's unique index on
//     live claims decides between concurrent holds on any number of nodes;
//   - the client already has a live hold, unless a team manager of the
//     client's team asks for a further one (KeyClientHolds).
func (s *Service) Hold(ctx context.Context, actor access.Actor, req HoldRequest) (*Referral, error) {
	h := req.Household
	var fe FieldErrors
	if req.UnitID == "" {
		fe.Add("unit", "refuge.required")
	}
	if h.ClientID == "" {
		fe.Add("client", "refuge.required")
	}
	h.validate(&fe)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *Referral
	err := s.DB.Serializable(ctx, func(tx *store.Tx) error {
		out = nil
		rec, err := s.decidedRecord(ctx, tx, actor, h.ClientID, access.UpdateRecord)
		if err != nil {
			return err
		}
		now := s.now()
		if err := s.holdLimit(ctx, tx, actor, now); err != nil {
			return err
		}
		props, err := loadProperties(ctx, tx, `WHERE p.id = (SELECT property_id FROM refuge_units WHERE id = $1)`, req.UnitID)
		if err != nil {
			return err
		}
		if len(props) == 0 {
			return errNotFound
		}
		p := props[0]
		var unit Unit
		for _, u := range p.Units {
			if u.ID == req.UnitID {
				unit = u
			}
		}
		var fe FieldErrors
		if req.FurtherHold && !managesClient(actor, rec) {
			fe.Add("further_hold", "refuge.further_hold_managers")
		}
		hh, err := s.fromRecord(ctx, tx, actor, h, true)
		if err != nil && len(errs.AllFields(err)) == 0 {
			return err
		}
		fe = append(fe, errs.AllFields(err)...)
		// The fit is judged on the household as the record makes it.
		fits(&p.Property, unit, hh, &fe)
		areas, err := queryStrings(ctx, tx, `SELECT area_index FROM refuge_unsafe_areas WHERE client_id = $1`, h.ClientID)
		if err != nil {
			return err
		}
		unsafe := map[string]bool{}
		for _, a := range areas {
			unsafe[a] = true
		}
		if s.unsafe(&p.Property, unsafe) {
			fe.Add("unit", "refuge.fit_unsafe_area")
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if _, err := s.releaseExpired(ctx, tx, now, `AND bedspace_id IN (SELECT id FROM refuge_bedspaces WHERE unit_id = $2)`, unit.ID); err != nil {
			return err
		}
		claims, err := liveClaims(ctx, tx, now, `AND b.unit_id = $2`, unit.ID)
		if err != nil {
			return err
		}
		if len(claims) > 0 {
			return ErrNoLongerAvailable
		}
		live, err := clientLiveHold(ctx, tx, h.ClientID, now)
		if err != nil {
			return err
		}
		if live != nil && !req.FurtherHold {
			return live.refusal()
		}
		r := &Referral{ID: id.New(), ClientID: h.ClientID, PropertyID: p.ID, UnitID: unit.ID, Status: Held,
			HeldUntil: now.Add(s.holdFor()), BedspaceIDs: unit.BedspaceIDs}
		if _, err := tx.Exec(ctx, `INSERT INTO refuge_referrals (id, client_id, property_id, unit_id, adults, children, status, held_until, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, r.ID, r.ClientID, r.PropertyID, r.UnitID, hh.Adults, len(hh.Children),
			string(Held), r.HeldUntil, nullable(actor.StaffID), now); err != nil {
			return err
		}
		for _, b := range unit.BedspaceIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO refuge_claims (id, bedspace_id, referral_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)`,
				id.New(), b, r.ID, r.HeldUntil, now); err != nil {
				return err
			}
		}
		if err := countHold(ctx, tx, actor, now); err != nil {
			return err
		}
		out = r
		if live != nil {
			// The manager's decision, on the client's record.
			if err := s.audit(ctx, tx, actor, "refuge.further_hold", ClientRecordKind, r.ClientID, "referral "+r.ID+" beside referral "+live.referralID); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actor, "refuge.hold", ClientRecordKind, r.ClientID, "referral "+r.ID)
	})
	if err != nil {
		return nil, lostRace(err)
	}
	return out, nil
}

// releaseExpired releases the holds past their expiry (those of where,
// which may use $2...) and marks their referrals expired, a turnaway for
// "other" reasons; it returns how many referrals expired.
func (s *Service) releaseExpired(ctx context.Context, tx *store.Tx, now time.Time, where string, args ...any) (int, error) {
	all := append([]any{now}, args...)
	refs, err := queryStrings(ctx, tx, `SELECT DISTINCT referral_id FROM refuge_claims
		WHERE released_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1 AND referral_id IS NOT NULL `+where, all...)
	if err != nil || len(refs) == 0 {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE refuge_claims SET released_at = $1
		WHERE released_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1 `+where, all...); err != nil {
		return 0, err
	}
	n := 0
	for _, rid := range refs {
		var client string
		err := tx.QueryRow(ctx, `UPDATE refuge_referrals SET status = 'expired', turnaway_reason = 'other', ended_at = $1, version = version + 1
			WHERE id = $2 AND status IN ('held', 'offered', 'accepted') RETURNING client_id`, []any{now, rid}, &client)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
		if err := s.Record(ctx, tx, audit.Event{Action: "refuge.hold_expired", RecordKind: ClientRecordKind, RecordID: client, Purpose: "referral " + rid}); err != nil {
			return n, err
		}
	}
	return n, nil
}

// ReleaseExpired is the background sweep: it releases every hold past its
// expiry and returns how many referrals expired. Queries treat expired
// holds as free whether or not the sweep has run.
func (s *Service) ReleaseExpired(ctx context.Context) (int, error) {
	var n int
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		n, err = s.releaseExpired(ctx, tx, s.now(), "")
		return err
	})
	return n, err
}

type referralRow struct {
	Referral
	status    string
	heldUntil *time.Time
}

func (r *referralRow) Dest() []any {
	return []any{&r.ID, &r.ClientID, &r.PropertyID, &r.UnitID, &r.status, &r.heldUntil}
}

// referralFor loads a referral to a unit with its property.
func (s *Service) referralFor(ctx context.Context, tx *store.Tx, referralID string) (*Referral, *propertyRow, error) {
	rows, err := store.QueryAll[referralRow](ctx, tx, `SELECT id, client_id, property_id, unit_id, status, held_until
		FROM refuge_referrals WHERE id = $1 AND property_id IS NOT NULL`, referralID)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return nil, nil, errNotFound
	}
	r := rows[0].Referral
	r.Status = Status(rows[0].status)
	if rows[0].heldUntil != nil {
		r.HeldUntil = rows[0].heldUntil.UTC()
	}
	props, err := loadProperties(ctx, tx, `WHERE p.id = $1`, r.PropertyID)
	if err != nil {
		return nil, nil, err
	}
	for _, u := range props[0].Units {
		if u.ID == r.UnitID {
			r.BedspaceIDs = u.BedspaceIDs
		}
	}
	return &r, props[0], nil
}

// allowedBy checks that the actor may act for the decider: the refuge's
// team for the refuge, someone who may update the client for the client.
// An actor who may do neither learns nothing about the referral, and
// nobody does whom the client is restricted from.
func (s *Service) allowedBy(ctx context.Context, tx *store.Tx, actor access.Actor, r *Referral, p *propertyRow, by Decider) error {
	rec, err := s.clientGate(ctx, tx, actor, r.ClientID, access.UpdateRecord)
	if err != nil {
		return err
	}
	runs := runsProperty(actor, access.UpdateRecord, p.record())
	client := access.Decide(actor, access.UpdateRecord, rec).Allow
	switch {
	case !runs && !client:
		return refuseUnlessReader(actor, access.UpdateRecord, rec, r.ClientID, "neither the refuge's team nor the client's workers")
	case by == ByRefuge && !runs:
		return access.Deny(actor, access.UpdateRecord, ClientRecordKind, r.ClientID, "the refuge's team decides for the refuge")
	case by == ByClient && !client:
		return access.Deny(actor, access.UpdateRecord, ClientRecordKind, r.ClientID, "the client's workers decide for the client")
	}
	return nil
}

// live reports whether the referral's hold still stands: its claims are
// not released and (unless admitted) not past expiry.
func liveHold(ctx context.Context, tx *store.Tx, r *Referral, now time.Time) (bool, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM refuge_claims WHERE referral_id = $1 AND released_at IS NULL
		AND (expires_at IS NULL OR expires_at > $2)`, []any{r.ID, now}, &n)
	return n > 0 && n == len(r.BedspaceIDs), err
}

// advance moves a referral on from one of the from states, extending its
// hold by HoldFor.
func (s *Service) advance(ctx context.Context, actor access.Actor, referralID string, by Decider, to Status, action string, from ...Status) (*Referral, error) {
	var out *Referral
	err := s.DB.Serializable(ctx, func(tx *store.Tx) error {
		r, p, err := s.referralFor(ctx, tx, referralID)
		if err != nil {
			return err
		}
		if err := s.allowedBy(ctx, tx, actor, r, p, by); err != nil {
			return err
		}
		if !oneOf(r.Status, from) {
			return errStale
		}
		now := s.now()
		ok, err := liveHold(ctx, tx, r, now)
		if err != nil {
			return err
		}
		if !ok {
			return errHoldExpired
		}
		r.Status, r.HeldUntil = to, now.Add(s.holdFor())
		if _, err := tx.Exec(ctx, `UPDATE refuge_referrals SET status = $1, held_until = $2, version = version + 1 WHERE id = $3`,
			string(to), r.HeldUntil, r.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE refuge_claims SET expires_at = $1 WHERE referral_id = $2 AND released_at IS NULL`, r.HeldUntil, r.ID); err != nil {
			return err
		}
		out = r
		return s.audit(ctx, tx, actor, action, ClientRecordKind, r.ClientID, "referral "+r.ID)
	})
	return out, lostRace(err)
}

// Offer offers a held unit to the household: the refuge's team, while the
// hold stands. The hold is extended by HoldFor for the client to decide.
func (s *Service) Offer(ctx context.Context, actor access.Actor, referralID string) (*Referral, error) {
	return s.advance(ctx, actor, referralID, ByRefuge, Offered, "refuge.offer", Held)
}

// Accept records that the client accepted the offer (someone who may
// update the client); the unit is kept for HoldFor until admission.
func (s *Service) Accept(ctx context.Context, actor access.Actor, referralID string) (*Referral, error) {
	return s.advance(ctx, actor, referralID, ByClient, Accepted, "refuge.accept", Offered)
}

// Decline ends a referral without admission, by the client or the
// refuge, with a turnaway reason and an optional note (sealed); its unit
// is released.
type Decline struct {
	By     Decider
	Reason TurnawayReason
	Note   string
}

// Decline ends a held, offered or accepted referral.
func (s *Service) Decline(ctx context.Context, actor access.Actor, referralID string, d Decline) error {
	var fe FieldErrors
	if d.By != ByClient && d.By != ByRefuge {
		fe.Add("by", "refuge.choose_one")
	}
	if !oneOf(d.Reason, TurnawayReasons) {
		fe.Add("reason", "refuge.choose_one")
	}
	d.Note = strings.TrimSpace(d.Note)
	checkText(&fe, "note", d.Note, false, maxNoteLen, true)
	if err := fe.Err(); err != nil {
		return err
	}
	err := s.DB.Serializable(ctx, func(tx *store.Tx) error {
		r, p, err := s.referralFor(ctx, tx, referralID)
		if err != nil {
			return err
		}
		if err := s.allowedBy(ctx, tx, actor, r, p, d.By); err != nil {
			return err
		}
		if !oneOf(r.Status, []Status{Held, Offered, Accepted}) {
			return errStale
		}
		now := s.now()
		var note any
		if d.Note != "" {
			note = s.Vault.SealString(d.Note, "refuge_referrals", r.ID, "note")
		}
		if _, err := tx.Exec(ctx, `UPDATE refuge_referrals SET status = 'declined', decided_by_sealed = $1, turnaway_reason = $2, note_sealed = $3,
			ended_at = $4, version = version + 1 WHERE id = $5`, s.Vault.SealString(string(d.By), "refuge_referrals", r.ID, "decided_by"),
			string(d.Reason), note, now, r.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE refuge_claims SET released_at = $1 WHERE referral_id = $2 AND released_at IS NULL`, now, r.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "refuge.decline", ClientRecordKind, r.ClientID, "referral "+r.ID+": "+string(d.Reason))
	})
	return lostRace(err)
}

// RecordTurnaway records a household no vacancy could take (h.ClientID
// required; the actor must be allowed to update the client).
func (s *Service) RecordTurnaway(ctx context.Context, actor access.Actor, h Household, reason TurnawayReason) error {
	var fe FieldErrors
	if h.ClientID == "" {
		fe.Add("client", "refuge.required")
	}
	h.validate(&fe)
	if !oneOf(reason, TurnawayReasons) {
		fe.Add("reason", "refuge.choose_one")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.decidedClient(ctx, tx, actor, h.ClientID, access.UpdateRecord); err != nil {
			return err
		}
		now, rid := s.now(), id.New()
		if _, err := tx.Exec(ctx, `INSERT INTO refuge_referrals (id, client_id, adults, children, status, turnaway_reason, created_by, created_at, ended_at)
			VALUES ($1, $2, $3, $4, 'turned_away', $5, $6, $7, $7)`, rid, h.ClientID, h.Adults, len(h.Children), string(reason), nullable(actor.StaffID), now); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "refuge.turnaway", ClientRecordKind, h.ClientID, "referral "+rid+": "+string(reason))
	})
}

// Turnaways counts the referrals that ended without admission in
// [from, to), by reason: aggregate figures, no personal data. Every
// reason is present, zero or not.
func (s *Service) Turnaways(ctx context.Context, actor access.Actor, from, to time.Time) (map[TurnawayReason]int, error) {
	if service(actor, access.ViewReports) != nil && service(actor, access.SearchRecords) != nil {
		return nil, errForbidden
	}
	out := map[TurnawayReason]int{}
	for _, r := range TurnawayReasons {
		out[r] = 0
	}
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT turnaway_reason, count(*) FROM refuge_referrals
			WHERE turnaway_reason IS NOT NULL AND ended_at >= $1 AND ended_at < $2 GROUP BY turnaway_reason`, utc(from), utc(to))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var reason string
			var n int
			if err := rows.Scan(&reason, &n); err != nil {
				return err
			}
			out[TurnawayReason(reason)] = n
		}
		return rows.Err()
	})
	return out, err
}

// ReferralView is a referral as its page shows it: the property's town
// and area, never its address, and what the reader may do with it.
type ReferralView struct {
	Referral
	PropertyName, Town, Area, UnitName string
	StayID                             string // once admitted, for the property's team
	// Runs: the reader is on the team that runs the property (offer,
	// admit, decline for the refuge). ForClient: they may change the
	// client (accept, decline for the client).
	Runs, ForClient bool
}

// OpenReferral reads one referral to a vacancy, for the property's team
// and for anyone who may read the client; to anyone else it does not
// exist. The read is audited on the client.
func (s *Service) OpenReferral(ctx context.Context, actor access.Actor, referralID string) (*ReferralView, error) {
	var v *ReferralView
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		r, p, err := s.referralFor(ctx, tx, referralID)
		if err != nil {
			return err
		}
		v = &ReferralView{Referral: *r, PropertyName: p.Name, Town: p.Town, Area: p.Area}
		for _, u := range p.Units {
			if u.ID == r.UnitID {
				v.UnitName = u.Name
			}
		}
		rec, err := s.clientGate(ctx, tx, actor, r.ClientID, access.ReadRecord)
		if err != nil {
			return err
		}
		v.Runs = runsProperty(actor, access.UpdateRecord, p.record())
		if !v.Runs && !access.Decide(actor, access.ReadRecord, rec).Allow {
			return access.Hide(actor, access.ReadRecord, ClientRecordKind, r.ClientID, "neither the refuge's team nor the client's workers")
		}
		v.ForClient = access.Decide(actor, access.UpdateRecord, rec).Allow
		if r.Status == Admitted && v.Runs {
			if err := tx.QueryRow(ctx, `SELECT id FROM refuge_stays WHERE referral_id = $1`, []any{referralID}, &v.StayID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return s.audit(ctx, tx, actor, "refuge.referral_read", ClientRecordKind, r.ClientID, "referral "+referralID)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}
