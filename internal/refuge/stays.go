package refuge

import (
	"context"
	"errors"
	"slices"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// DepartureReason is why a household left.
type DepartureReason string

// DepartureReasons lists every reason.
var DepartureReasons = []DepartureReason{"planned_move_on", "transferred", "left_voluntarily", "asked_to_leave",
	"safety_compromised", "returned_to_perpetrator", "other"}

// MoveOn is where a household went.
type MoveOn string

const (
	OwnTenancy            MoveOn = "own_tenancy"
	SocialHousing         MoveOn = "social_housing"
	PrivateRented         MoveOn = "private_rented"
	FamilyOrFriends       MoveOn = "family_or_friends"
	AnotherRefuge         MoveOn = "another_refuge"
	ReturnedToPerpetrator MoveOn = "returned_to_perpetrator"
	MoveOnUnknown         MoveOn = "unknown"
)

// MoveOns lists every destination.
var MoveOns = []MoveOn{OwnTenancy, SocialHousing, PrivateRented, FamilyOrFriends, AnotherRefuge, ReturnedToPerpetrator, MoveOnUnknown}

// Admission is what admitting a household records: the move-in date and
// who moved in besides the referred client (other adults are clients,
// children are children linked to the client).
type Admission struct {
	MoveIn   time.Time
	AdultIDs []string
	ChildIDs []string
}

// Stay is a household's stay in a unit.
type Stay struct {
	ID              string
	PropertyID      string
	UnitID          string
	ReferralID      string
	ClientID        string
	AdultIDs        []string
	ChildIDs        []string
	BedspaceIDs     []string
	MoveIn          time.Time
	ExpectedMoveOut time.Time
	MoveOut         time.Time
	Reason          DepartureReason
	MoveOn          MoveOn
}

// LengthDays is the stay's length in nights, to its move-out or to asOf
// while resident.
func (st *Stay) LengthDays(asOf time.Time) int {
	end := st.MoveOut
	if end.IsZero() {
		end = day(asOf)
	}
	return int(end.Sub(st.MoveIn).Hours() / 24)
}

// Admit admits the household of an accepted referral: the refuge's team
// records the move-in date and everyone who moved in; the unit's claims
// become the stay's.
func (s *Service) Admit(ctx context.Context, actor access.Actor, referralID string, a Admission) (*Stay, error) {
	var fe FieldErrors
	now := s.now()
	if a.MoveIn.IsZero() {
		fe.Add("move_in", "refuge.required")
	} else if day(a.MoveIn).After(day(now).AddDate(0, 0, 1)) || day(a.MoveIn).Before(day(now).AddDate(0, 0, -30)) {
		fe.Add("move_in", "refuge.date_range")
	}
	if dup(append(append([]string(nil), a.AdultIDs...), a.ChildIDs...)) {
		fe.Add("members", "refuge.duplicate_member")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *Stay
	err := s.DB.Serializable(ctx, func(tx *store.Tx) error {
		out = nil
		r, p, err := s.referralFor(ctx, tx, referralID)
		if err != nil {
			return err
		}
		rec, err := s.clientGate(ctx, tx, actor, r.ClientID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if !runsProperty(actor, access.UpdateRecord, p.record()) {
			return refuseUnlessReader(actor, access.UpdateRecord, rec, r.ClientID, "the refuge's team admits")
		}
		if r.Status != Accepted {
			return errStale
		}
		var fe FieldErrors
		for _, aid := range a.AdultIDs {
			// Another adult of the household is a client of the same
			// organisation whom the client is not restricted from the
			// admitting team: anyone else (missing, another organisation's,
			// restricted) is answered alike, so that the form cannot be
			// used to ask whether an ID names someone.
			ok, err := s.householdAdult(ctx, tx, actor, rec.OrganisationID, r.ClientID, aid)
			if err != nil {
				return err
			}
			if !ok {
				fe.Add("adults", "refuge.member_unknown")
				break
			}
		}
		for _, cid := range a.ChildIDs {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM child_links WHERE child_id = $1 AND client_id = $2`, []any{cid, r.ClientID}, &n); err != nil {
				return err
			}
			if n == 0 {
				fe.Add("children", "refuge.member_unknown")
				break
			}
		}
		if 1+len(a.AdultIDs)+len(a.ChildIDs) > len(r.BedspaceIDs) {
			fe.Add("members", "refuge.too_many", len(r.BedspaceIDs))
		}
		if err := fe.Err(); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM refuge_claims WHERE referral_id = $1 AND released_at IS NULL`, []any{r.ID}, &n); err != nil {
			return err
		}
		if n == 0 || n != len(r.BedspaceIDs) {
			return errHoldExpired
		}
		st := &Stay{ID: id.New(), PropertyID: r.PropertyID, UnitID: r.UnitID, ReferralID: r.ID, ClientID: r.ClientID,
			AdultIDs: a.AdultIDs, ChildIDs: a.ChildIDs, BedspaceIDs: r.BedspaceIDs, MoveIn: day(a.MoveIn)}
		if _, err := tx.Exec(ctx, `INSERT INTO refuge_stays (id, property_id, unit_id, referral_id, client_id, move_in, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, st.ID, st.PropertyID, st.UnitID, st.ReferralID, st.ClientID, st.MoveIn, nullable(actor.StaffID), now); err != nil {
			return err
		}
		members := []struct{ kind, id string }{{"client", st.ClientID}}
		for _, aid := range st.AdultIDs {
			members = append(members, struct{ kind, id string }{"client", aid})
		}
		for _, cid := range st.ChildIDs {
			members = append(members, struct{ kind, id string }{"child", cid})
		}
		for _, m := range members {
			if _, err := tx.Exec(ctx, `INSERT INTO refuge_stay_members (stay_id, person_kind, person_id) VALUES ($1, $2, $3)`, st.ID, m.kind, m.id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE refuge_claims SET stay_id = $1, expires_at = NULL WHERE referral_id = $2 AND released_at IS NULL`, st.ID, r.ID); err != nil {
			return err
		}
		// Each child's GP registration and school place (childtasks.go).
		if err := s.createChildTasks(ctx, tx, actor, st, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE refuge_referrals SET status = 'admitted', held_until = NULL, ended_at = $1, version = version + 1 WHERE id = $2`, now, r.ID); err != nil {
			return err
		}
		for _, m := range members {
			if err := s.audit(ctx, tx, actor, "refuge.admit", m.kind, m.id, "stay "+st.ID); err != nil {
				return err
			}
		}
		out = st
		return nil
	})
	if err != nil {
		return nil, lostRace(err)
	}
	return out, nil
}

func dup(list []string) bool {
	s := slices.Clone(list)
	slices.Sort(s)
	return len(slices.Compact(s)) != len(list)
}

// stayFor loads a stay whose property the actor runs.
func (s *Service) stayFor(ctx context.Context, tx *store.Tx, actor access.Actor, stayID string) (*Stay, error) {
	st := &Stay{ID: stayID}
	var out, expected *time.Time
	var departure *string
	err := tx.QueryRow(ctx, `SELECT property_id, unit_id, client_id, move_in, expected_move_out, move_out, departure_sealed
		FROM refuge_stays WHERE id = $1`, []any{stayID}, &st.PropertyID, &st.UnitID, &st.ClientID, &st.MoveIn, &expected, &out, &departure)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	st.MoveIn = st.MoveIn.UTC()
	if expected != nil {
		st.ExpectedMoveOut = expected.UTC()
	}
	rec, err := s.clientGate(ctx, tx, actor, st.ClientID, access.UpdateRecord)
	if err != nil {
		return nil, err
	}
	if _, err := s.propertyFor(ctx, tx, actor, st.PropertyID); err != nil {
		if errs.CodeOf(err) == errs.Forbidden {
			// The stay is the refuge's record: the client's workers are
			// refused it, anyone else told nothing.
			return nil, refuseUnlessReader(actor, access.UpdateRecord, rec, st.ClientID, "not the refuge's team")
		}
		return nil, err
	}
	if out != nil && departure != nil {
		var d departureDoc
		if err := vault.OpenJSON(s.Vault, *departure, &d, "refuge_stays", stayID, "departure"); err != nil {
			return nil, err
		}
		st.MoveOut, st.Reason, st.MoveOn = out.UTC(), d.Reason, d.MoveOn
	}
	members, err := store.QueryAll[memberRow](ctx, tx, `SELECT person_kind, person_id FROM refuge_stay_members WHERE stay_id = $1 ORDER BY person_kind, person_id`, stayID)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		switch {
		case m.kind == "child":
			st.ChildIDs = append(st.ChildIDs, m.id)
		case m.id != st.ClientID:
			st.AdultIDs = append(st.AdultIDs, m.id)
		}
	}
	st.BedspaceIDs, err = queryStrings(ctx, tx, `SELECT bedspace_id FROM refuge_claims WHERE stay_id = $1 ORDER BY bedspace_id`, stayID)
	return st, err
}

type memberRow struct{ kind, id string }

func (r *memberRow) Dest() []any { return []any{&r.kind, &r.id} }

// householdAdult reports whether aid may move in beside the referred
// client: another client of the client's organisation, not restricted
// from the actor.
func (s *Service) householdAdult(ctx context.Context, tx *store.Tx, actor access.Actor, organisationID, clientID, aid string) (bool, error) {
	if aid == clientID {
		return false, nil
	}
	rec, err := s.ClientFacts(ctx, tx, actor, aid)
	if errors.Is(err, store.ErrNotFound) || errs.CodeOf(err) == errs.NotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return rec.OrganisationID == organisationID && !access.RelationOf(actor, rec).Excluded(), nil
}

// OpenStay reads a stay (IDs and dates, no names) for the refuge's team.
func (s *Service) OpenStay(ctx context.Context, actor access.Actor, stayID string) (*Stay, error) {
	var out *Stay
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.stayFor(ctx, tx, actor, stayID)
		return err
	})
	return out, err
}

// SetExpectedMoveOut records (or, with a zero date, clears) the date a
// resident household is expected to move out: the board's expected
// vacancies. The refuge's team, one click.
func (s *Service) SetExpectedMoveOut(ctx context.Context, actor access.Actor, stayID string, date time.Time) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		st, err := s.stayFor(ctx, tx, actor, stayID)
		if err != nil {
			return err
		}
		if !st.MoveOut.IsZero() {
			return errStale
		}
		var v any
		if !date.IsZero() {
			if day(date).Before(st.MoveIn) {
				return errs.Field("expected_move_out", "refuge.date_range")
			}
			v = day(date)
		}
		if _, err := tx.Exec(ctx, `UPDATE refuge_stays SET expected_move_out = $1, version = version + 1 WHERE id = $2`, v, stayID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "refuge.expected_move_out", ClientRecordKind, st.ClientID, "stay "+stayID)
	})
}

// Departure is what a departure records.
type Departure struct {
	Date   time.Time
	Reason DepartureReason
	MoveOn MoveOn
}

// Depart records a household's departure and frees its unit.
func (s *Service) Depart(ctx context.Context, actor access.Actor, stayID string, d Departure) error {
	now := s.now()
	if err := d.validate(now); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		st, err := s.stayFor(ctx, tx, actor, stayID)
		if err != nil {
			return err
		}
		if !st.MoveOut.IsZero() {
			return errStale
		}
		return s.depart(ctx, tx, actor, stayID, st.ClientID, st.MoveIn, d, now)
	})
}

func (d Departure) validate(now time.Time) error {
	var fe FieldErrors
	if d.Date.IsZero() {
		fe.Add("date", "refuge.required")
	} else if day(d.Date).After(day(now)) {
		fe.Add("date", "refuge.date_range")
	}
	if !oneOf(d.Reason, DepartureReasons) {
		fe.Add("reason", "refuge.choose_one")
	}
	if !oneOf(d.MoveOn, MoveOns) {
		fe.Add("move_on", "refuge.choose_one")
	}
	return fe.Err()
}

// depart ends a live stay: its departure sealed, its bedspaces free.
func (s *Service) depart(ctx context.Context, tx *store.Tx, actor access.Actor, stayID, clientID string, moveIn time.Time, d Departure, now time.Time) error {
	if day(d.Date).Before(moveIn) {
		return errs.Field("date", "refuge.date_range")
	}
	departure, err := vault.SealJSON(s.Vault, departureDoc{Reason: d.Reason, MoveOn: d.MoveOn}, "refuge_stays", stayID, "departure")
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE refuge_stays SET move_out = $1, departure_sealed = $2, version = version + 1 WHERE id = $3`,
		day(d.Date), departure, stayID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE refuge_claims SET released_at = $1 WHERE stay_id = $2 AND released_at IS NULL`, now, stayID); err != nil {
		return err
	}
	// The reason and the destination are sealed: the audit trail names
	// the stay only.
	return s.audit(ctx, tx, actor, "refuge.depart", ClientRecordKind, clientID, "stay "+stayID)
}

// VacateUnit records that the household living in a unit has left, for
// the team that runs the property. It is how a refuge frees the bedspaces
// of a household whose client is restricted from its staff: they cannot
// open her stay, but they know the unit is lived in, and it must come
// free when she goes. It says nothing about who lived there.
func (s *Service) VacateUnit(ctx context.Context, actor access.Actor, unitID string, d Departure) error {
	now := s.now()
	if err := d.validate(now); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		var propertyID string
		err := tx.QueryRow(ctx, `SELECT property_id FROM refuge_units WHERE id = $1`, []any{unitID}, &propertyID)
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if _, err := s.propertyFor(ctx, tx, actor, propertyID); err != nil {
			if errs.CodeOf(err) == errs.Forbidden {
				return access.Hide(actor, access.UpdateRecord, PropertyRecordKind, propertyID, "not the refuge's team")
			}
			return err
		}
		var stayID, clientID string
		var moveIn time.Time
		err = tx.QueryRow(ctx, `SELECT id, client_id, move_in FROM refuge_stays WHERE unit_id = $1 AND move_out IS NULL`, []any{unitID}, &stayID, &clientID, &moveIn)
		if errors.Is(err, store.ErrNotFound) {
			return errs.New(errs.Conflict, "refuge.unit_not_lived_in")
		}
		if err != nil {
			return err
		}
		return s.depart(ctx, tx, actor, stayID, clientID, moveIn.UTC(), d, now)
	})
}

// Occupancy is a property's figures over a period.
type Occupancy struct {
	PropertyID, Name string
	BedspaceDays     int     // bedspaces × days in the period
	OccupiedDays     int     // bedspace-days lived in
	VoidDays         int     // BedspaceDays - OccupiedDays
	Rate             float64 // OccupiedDays / BedspaceDays
	Departures       int     // stays that ended in the period
	AverageStayDays  float64 // of those stays
}

type stayRow struct {
	property  string
	moveIn    time.Time
	moveOut   *time.Time
	bedspaces int
}

func (r *stayRow) Dest() []any { return []any{&r.property, &r.moveIn, &r.moveOut, &r.bedspaces} }

// Occupancy works out occupancy and void days for [from, to) (dates) of
// the properties the actor runs, or of every property for those who see
// aggregate reports. No personal data.
func (s *Service) Occupancy(ctx context.Context, actor access.Actor, from, to time.Time) ([]Occupancy, error) {
	from, to = day(from), day(to)
	if !to.After(from) {
		return nil, errs.Field("to", "refuge.date_range")
	}
	reports := service(actor, access.ViewReports) == nil
	days := int(to.Sub(from).Hours() / 24)
	var out []Occupancy
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		props, err := loadProperties(ctx, tx, "")
		if err != nil {
			return err
		}
		stays, err := store.QueryAll[stayRow](ctx, tx, `SELECT st.property_id, st.move_in, st.move_out,
			(SELECT count(*) FROM refuge_claims c WHERE c.stay_id = st.id)
			FROM refuge_stays st WHERE st.move_in < $1 AND (st.move_out IS NULL OR st.move_out > $2)`, to, from)
		if err != nil {
			return err
		}
		byProp := map[string][]stayRow{}
		for _, st := range stays {
			byProp[st.property] = append(byProp[st.property], st)
		}
		for _, p := range props {
			if !reports && !runsProperty(actor, access.ReadRecord, p.record()) {
				continue
			}
			o := Occupancy{PropertyID: p.ID, Name: p.Name, BedspaceDays: p.Bedspaces() * days}
			total := 0
			for _, st := range byProp[p.ID] {
				in, end := day(st.moveIn), to
				if st.moveOut != nil {
					end = day(*st.moveOut)
					if !end.After(to) {
						o.Departures++
						total += int(end.Sub(in).Hours() / 24)
					}
					end = minTime(end, to)
				}
				start := in
				if start.Before(from) {
					start = from
				}
				if end.After(start) {
					o.OccupiedDays += int(end.Sub(start).Hours()/24) * st.bedspaces
				}
			}
			o.OccupiedDays = min(o.OccupiedDays, o.BedspaceDays)
			o.VoidDays = o.BedspaceDays - o.OccupiedDays
			if o.BedspaceDays > 0 {
				o.Rate = float64(o.OccupiedDays) / float64(o.BedspaceDays)
			}
			if o.Departures > 0 {
				o.AverageStayDays = float64(total) / float64(o.Departures)
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
