package refuge

import (
	"context"
	"errors"
	"slices"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/api/ratelimit"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
)

// Two rules keep one household, or one member of staff, from holding
// every vacancy (each checked in the hold's serializable transaction, so
// concurrent holds on any number of nodes cannot both slip past):
//
//   - One live hold per client: a client with a referral held, offered or
//     accepted and not past its expiry gets no second one, unless a team
//     manager of the client's own team asks for it (HoldRequest.FurtherHold);
//     that hold is audited as "refuge.further_hold" on the client beside
//     the hold itself.
//   - Holds per member of staff: at most Service.HoldsPerHour holds made
//     in any rolling hour, counted in the database in the hold's own
//     transaction (so shared by every node, and a hold lost to another
//     household or refused is not counted). The refusal says the limit
//     and when they can hold again.

// Keys of the hold refusals that pages and the API answer apart.
const (
	KeyClientHolds = "refuge.client_holds"
	KeyHoldLimit   = "refuge.hold_limit"
)

// HoldLimited refuses a hold by a member of staff who has made Limit
// holds in the past hour: they can hold again at Until. It is a Conflict
// on the field "unit" (errs.As finds it).
type HoldLimited struct {
	Limit int
	Until time.Time
	Now   time.Time
}

func (e *HoldLimited) Error() string { return "refuge: holds per hour limit reached" }

// Unwrap gives the safe error the pages and the API show.
func (e *HoldLimited) Unwrap() error {
	minutes := int(e.Until.Sub(e.Now).Round(time.Minute) / time.Minute)
	return &errs.Error{Code: errs.Conflict, Key: KeyHoldLimit, Field: "unit", Args: []any{e.Limit, max(minutes, 1), e.Until.UTC().Format("15:04")}}
}

// holdSlot is the granularity of the rolling hour: holds are counted in
// minute slots (in the database's rate_limits, through ratelimit), so the
// hour rolls on by the minute and a slot's holds stop counting a minute
// after the hour since the slot began, never sooner.
const holdSlot = time.Minute

func holdBucket(staffID string) string { return "refuge_hold:" + staffID }

// holdLimit refuses the hold when the actor has made HoldsPerHour holds
// in the hour before now.
func (s *Service) holdLimit(ctx context.Context, tx *store.Tx, actor access.Actor, now time.Time) error {
	if actor.StaffID == "" {
		return nil // the system (an import) is not a worker
	}
	limit := s.holdsPerHour()
	slots, err := ratelimit.Recent(ctx, tx, holdBucket(actor.StaffID), holdSlot, time.Hour, now)
	if err != nil {
		return err
	}
	made := 0
	for _, sl := range slots {
		if made += sl.Hits; made >= limit {
			// When this slot leaves the hour, fewer than limit remain.
			return &HoldLimited{Limit: limit, Until: sl.Start.Add(holdSlot + time.Hour), Now: now}
		}
	}
	return nil
}

// countHold counts a hold the actor made, in the hold's transaction.
func countHold(ctx context.Context, tx *store.Tx, actor access.Actor, now time.Time) error {
	if actor.StaffID == "" {
		return nil
	}
	return ratelimit.Add(ctx, tx, holdBucket(actor.StaffID), holdSlot, time.Hour, now)
}

// clientHold is a client's referral that still holds a unit.
type clientHold struct {
	referralID, property, unit string
	until                      time.Time
}

// refusal is the answer to a second hold for the client.
func (l *clientHold) refusal() error {
	return &errs.Error{Code: errs.Conflict, Key: KeyClientHolds, Field: "client",
		Args: []any{l.property + " · " + l.unit, l.until.UTC().Format("2 Jan 2006 15:04")}}
}

// clientLiveHold finds the client's live hold (held, offered or accepted,
// not past its expiry, swept or not), the one held longest; nil if none.
func clientLiveHold(ctx context.Context, tx *store.Tx, clientID string, now time.Time) (*clientHold, error) {
	l := &clientHold{}
	err := tx.QueryRow(ctx, `SELECT r.id, p.name, u.name, r.held_until FROM refuge_referrals r
		JOIN refuge_properties p ON p.id = r.property_id JOIN refuge_units u ON u.id = r.unit_id
		WHERE r.client_id = $1 AND r.status IN ('held', 'offered', 'accepted') AND r.held_until > $2
		ORDER BY r.held_until DESC, r.id LIMIT 1`, []any{clientID, now}, &l.referralID, &l.property, &l.unit, &l.until)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// managesClient reports whether the actor is a team manager of one of
// the client's own teams: who may allow a further hold.
func managesClient(actor access.Actor, rec access.Record) bool {
	return actor.Role == access.RoleTeamManager && actor.OrganisationID == rec.OrganisationID &&
		slices.ContainsFunc(actor.TeamIDs, func(t string) bool { return slices.Contains(rec.TeamIDs, t) })
}
