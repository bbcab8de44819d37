package refuge

import (
	"context"
	"database/sql"

	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// What a stay and its move-on say about the household is sealed, not kept
// in columns a query could read: why they left and where they went, the
// plan's goal, each housing application's provider, band and status, each
// event's kind and band, and who declined a referral. No query filters or
// groups on them; figures over them (departure reasons, move-on
// destinations) are made in Go after opening. What the vacancy, occupancy
// and turnaway queries need stays in clear: properties, units, dates,
// statuses of referrals, turnaway reasons (docs/security.md, section 4).

// departureDoc is a stay's sealed departure.
type departureDoc struct {
	Reason DepartureReason `json:"reason"`
	MoveOn MoveOn          `json:"move_on"`
}

// applicationDoc is a housing application's sealed provider, band and
// status (the kind of its latest event).
type applicationDoc struct {
	Provider string        `json:"provider"`
	Band     string        `json:"band,omitempty"`
	Status   HousingStatus `json:"status"`
}

// eventDoc is a housing event's sealed kind and band.
type eventDoc struct {
	Kind HousingStatus `json:"kind"`
	Band string        `json:"band,omitempty"`
}

func (s *Service) sealApplication(id string, d applicationDoc) (string, error) {
	return vault.SealJSON(s.Vault, d, "refuge_housing_applications", id, "application")
}

func (s *Service) openApplication(id, sealed string) (applicationDoc, error) {
	var d applicationDoc
	return d, vault.OpenJSON(s.Vault, sealed, &d, "refuge_housing_applications", id, "application")
}

// SealClearColumns is the sealed_columns migration's data step for this
// package's tables: it seals what earlier versions kept in clear
// (departures, move-on goals, housing applications' provider, band and
// status, their events' kind and band, who declined a referral) into the
// new sealed columns, in the migration's transaction, in batches. The
// clear columns go after it, in the same migration; the audit trail is not
// touched.
func SealClearColumns(ctx context.Context, tx *store.Tx, v Sealer) error {
	steps := []struct {
		query, table, key, set string
		seal                   func(id string, c []sql.NullString) (string, error)
	}{
		{`SELECT id, departure_reason, move_on FROM refuge_stays WHERE id > $1 AND move_out IS NOT NULL ORDER BY id LIMIT 500`,
			"refuge_stays", "id", "departure_sealed",
			func(id string, c []sql.NullString) (string, error) {
				return vault.SealJSON(v, departureDoc{Reason: DepartureReason(c[0].String), MoveOn: MoveOn(c[1].String)}, "refuge_stays", id, "departure")
			}},
		{`SELECT stay_id, goal FROM refuge_moveon_plans WHERE stay_id > $1 ORDER BY stay_id LIMIT 500`,
			"refuge_moveon_plans", "stay_id", "goal_sealed",
			func(id string, c []sql.NullString) (string, error) {
				return v.SealString(c[0].String, "refuge_moveon_plans", id, "goal"), nil
			}},
		{`SELECT id, provider, band, status FROM refuge_housing_applications WHERE id > $1 ORDER BY id LIMIT 500`,
			"refuge_housing_applications", "id", "application_sealed",
			func(id string, c []sql.NullString) (string, error) {
				return vault.SealJSON(v, applicationDoc{Provider: c[0].String, Band: c[1].String, Status: HousingStatus(c[2].String)}, "refuge_housing_applications", id, "application")
			}},
		{`SELECT id, kind, band FROM refuge_housing_events WHERE id > $1 ORDER BY id LIMIT 500`,
			"refuge_housing_events", "id", "event_sealed",
			func(id string, c []sql.NullString) (string, error) {
				return vault.SealJSON(v, eventDoc{Kind: HousingStatus(c[0].String), Band: c[1].String}, "refuge_housing_events", id, "event")
			}},
		{`SELECT id, decided_by FROM refuge_referrals WHERE id > $1 AND decided_by IS NOT NULL ORDER BY id LIMIT 500`,
			"refuge_referrals", "id", "decided_by_sealed",
			func(id string, c []sql.NullString) (string, error) {
				return v.SealString(c[0].String, "refuge_referrals", id, "decided_by"), nil
			}},
	}
	for _, st := range steps {
		err := store.RewriteRows(ctx, tx, st.query, st.table, st.key, []string{st.set}, func(c []sql.NullString) ([]any, error) {
			sealed, err := st.seal(c[0].String, c[1:])
			return []any{sealed}, err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
