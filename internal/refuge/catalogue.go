package refuge

import (
	"context"
	"sync"
	"time"

	"frontdoor/internal/store"
)

// catalogueCache keeps the properties (with units and bedspaces) and the
// unreleased claims on bedspaces in memory, each with the version counter
// it was loaded at (refuge_versions, moved on by triggers in every
// transaction that changes them). A search reads the counters in its own
// transaction and reloads only what has moved, in that same transaction,
// so it sees exactly what a full read would have. Nothing here is
// personal: property addresses stay sealed, and claims name bedspaces,
// referrals and stays by ID.
//
// What is cached is shared between requests and never changed after
// loading: callers must treat it as read-only.
type catalogueCache struct {
	mu           sync.Mutex
	loaded       bool
	catalogueVer int64
	props        []*propertyRow
	claimsVer    int64
	claims       []claimState // unreleased, expired holds included
}

// catalogue returns every property and the claims live at now, from the
// cache when the counters read in tx have not moved.
func (s *Service) catalogue(ctx context.Context, tx *store.Tx, now time.Time) ([]*propertyRow, map[string]claimState, error) {
	var catVer, claimsVer int64
	if err := tx.QueryRow(ctx, `SELECT catalogue, claims FROM refuge_versions WHERE id = 1`, nil, &catVer, &claimsVer); err != nil {
		return nil, nil, err
	}
	c := &s.cache
	c.mu.Lock()
	props, claims := c.props, c.claims
	propsOK := c.loaded && c.catalogueVer == catVer
	claimsOK := c.loaded && c.claimsVer == claimsVer
	c.mu.Unlock()
	var err error
	if !propsOK {
		if props, err = loadProperties(ctx, tx, ""); err != nil {
			return nil, nil, err
		}
	}
	if !claimsOK {
		if claims, err = unreleasedClaims(ctx, tx); err != nil {
			return nil, nil, err
		}
	}
	if !propsOK || !claimsOK {
		c.mu.Lock()
		// Two loads may race; either is right for its own version pair,
		// and the next search reloads if the pair it keeps is stale.
		c.loaded, c.catalogueVer, c.props, c.claimsVer, c.claims = true, catVer, props, claimsVer, claims
		c.mu.Unlock()
	}
	live := make(map[string]claimState, len(claims))
	for _, cl := range claims {
		if cl.Expires.IsZero() || cl.Expires.After(now) {
			live[cl.Bedspace] = cl
		}
	}
	return props, live, nil
}

// unreleasedClaims reads every claim not released, whatever its expiry.
func unreleasedClaims(ctx context.Context, tx *store.Tx) ([]claimState, error) {
	rows, err := store.QueryAll[claimRow](ctx, tx, `SELECT c.bedspace_id, c.referral_id, c.stay_id, c.expires_at, st.expected_move_out
		FROM refuge_claims c LEFT JOIN refuge_stays st ON st.id = c.stay_id
		WHERE c.released_at IS NULL`)
	if err != nil {
		return nil, err
	}
	out := make([]claimState, len(rows))
	for i := range rows {
		out[i] = rows[i].state()
	}
	return out, nil
}
