package refuge

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/store"
)

// InboxWindow is how far back the inbox shows referrals that have ended
// (declined, expired, admitted), so the team sees what happened to them.
const InboxWindow = 30 * 24 * time.Hour

// InboxItem is a referral to one of the reader's properties as the inbox
// lists it: the household's profile (how many adults and children), the
// property and unit, and where it stands. No name: the refuge team reads
// the client's record once the household is admitted, not before.
type InboxItem struct {
	ReferralID   string
	PropertyID   string
	PropertyName string
	UnitName     string
	Status       Status
	Adults       int
	Children     int
	CreatedAt    time.Time
	HeldUntil    time.Time
	EndedAt      time.Time
	Reason       TurnawayReason
}

// Live reports whether the referral still holds its unit.
func (i InboxItem) Live() bool {
	return i.Status == Held || i.Status == Offered || i.Status == Accepted
}

type inboxRow struct {
	InboxItem
	property, unit, status string
	client                 string
	heldUntil, endedAt     *time.Time
	reason                 *string
}

func (r *inboxRow) Dest() []any {
	return []any{&r.ReferralID, &r.property, &r.unit, &r.status, &r.Adults, &r.Children, &r.CreatedAt, &r.heldUntil, &r.endedAt, &r.reason, &r.client}
}

// Inbox lists the referrals to the properties the reader's teams run:
// every live one (held, offered, accepted; the soonest to lapse first),
// then those that ended in the last InboxWindow (newest first). A hold
// past its expiry shows as expired whether or not the sweep has run.
// Someone who runs no property gets an empty inbox. Listing reads no
// person's record, so it is not audited; opening a referral is.
func (s *Service) Inbox(ctx context.Context, actor access.Actor) ([]InboxItem, error) {
	if len(actor.TeamIDs) == 0 {
		return nil, nil
	}
	now := s.now()
	var out []InboxItem
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		teams := make([]any, len(actor.TeamIDs))
		for i, t := range actor.TeamIDs {
			teams[i] = t
		}
		props, err := loadProperties(ctx, tx, `WHERE p.team_id IN (`+numbered(1, len(teams))+`)`, teams...)
		if err != nil {
			return err
		}
		runs := map[string]*propertyRow{}
		for _, p := range props {
			if runsProperty(actor, access.ReadRecord, p.record()) {
				runs[p.ID] = p
			}
		}
		if len(runs) == 0 {
			return nil
		}
		rows, err := store.QueryAll[inboxRow](ctx, tx, `SELECT r.id, r.property_id, r.unit_id, r.status, r.adults, r.children, r.created_at, r.held_until, r.ended_at, r.turnaway_reason, r.client_id
			FROM refuge_referrals r JOIN refuge_properties p ON p.id = r.property_id
			WHERE p.team_id IN (`+numbered(2, len(teams))+`) AND (r.status IN ('held', 'offered', 'accepted') OR r.ended_at >= $1)`,
			append([]any{now.Add(-InboxWindow)}, teams...)...)
		if err != nil {
			return err
		}
		clients := make([]string, len(rows))
		for i, r := range rows {
			clients[i] = r.client
		}
		excluded, err := s.excluded(ctx, tx, actor, clients)
		if err != nil {
			return err
		}
		for _, r := range rows {
			p, ok := runs[r.property]
			if !ok || excluded[r.client] {
				continue
			}
			it := r.InboxItem
			it.PropertyID, it.PropertyName, it.Status = p.ID, p.Name, Status(r.status)
			it.CreatedAt = it.CreatedAt.UTC()
			for _, u := range p.Units {
				if u.ID == r.unit {
					it.UnitName = u.Name
				}
			}
			if r.heldUntil != nil {
				it.HeldUntil = r.heldUntil.UTC()
			}
			if r.endedAt != nil {
				it.EndedAt = r.endedAt.UTC()
			}
			if r.reason != nil {
				it.Reason = TurnawayReason(*r.reason)
			}
			if it.Live() && !it.HeldUntil.IsZero() && !now.Before(it.HeldUntil) {
				// Lapsed: the sweep will mark it; the inbox already does.
				it.Status, it.Reason, it.EndedAt = Expired, OtherReason, it.HeldUntil
			}
			out = append(out, it)
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Live() != b.Live() {
			return a.Live()
		}
		if a.Live() {
			return a.HeldUntil.Before(b.HeldUntil)
		}
		return a.EndedAt.After(b.EndedAt)
	})
	return out, err
}

// numbered returns n placeholders "$from, $from+1, ...".
func numbered(from, n int) string {
	ph := make([]string, n)
	for i := range ph {
		ph[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(ph, ", ")
}
