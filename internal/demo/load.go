package demo

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"frontdoor/internal/auth"
	"frontdoor/internal/store"
)

// settingKey records which seed filled an instance, so a restart with
// --demo does not load it twice.
const settingKey = "demo_seed"

// LoadResult says what Load did.
type LoadResult struct {
	Loaded        bool   // false: this seed's demo was already there
	Seed          int64  // the seed of the demo in the database
	AdminID       string // the demo administrator's staff ID
	Organisations int
	Teams         int
	Staff         int
}

// ErrNotEmpty: the demo only fills an instance that holds nothing else, so
// fictional records can never mix with real ones.
var ErrNotEmpty = errors.New("this instance already holds data that is not the demo's; the demo loads only into an empty instance (use a new --data dir or database)")

// Load writes the partnership's organisations, teams and staff accounts
// (without passwords) into db in one transaction, once. Person records are
// written by their capability packages as those land, each encrypted and
// audited through the security core.
func Load(ctx context.Context, db *store.DB, accounts *auth.Service, cfg Config) (LoadResult, error) {
	cfg = cfg.normalized()
	p := NewPartnership(cfg)
	res := LoadResult{Seed: cfg.Seed, Organisations: len(p.Organisations), Teams: len(p.Teams), Staff: len(p.Staff)}
	for _, s := range p.Staff {
		if s.Username == "admin" {
			res.AdminID = s.ID
		}
	}
	err := db.Write(ctx, func(tx *store.Tx) error {
		var seed string
		err := tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, []any{settingKey}, &seed)
		if err == nil {
			if seed != strconv.FormatInt(cfg.Seed, 10) {
				return fmt.Errorf("the demo with seed %s is already loaded; use a new --data dir or database for seed %d", seed, cfg.Seed)
			}
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM organisations) + (SELECT count(*) FROM staff)`, nil, &n); err != nil {
			return err
		}
		if n > 0 {
			return ErrNotEmpty
		}
		now := cfg.Now.Add(-2 * 365 * 24 * 3600 * 1e9).UTC() // the partnership predates its history
		for _, o := range p.Organisations {
			if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4)`, o.ID, o.Name, o.Kind, now); err != nil {
				return err
			}
		}
		for _, t := range p.Teams {
			if _, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ($1, $2, $3, $4, $5)`,
				t.ID, t.OrganisationID, t.Name, t.Service, now); err != nil {
				return err
			}
		}
		for _, s := range p.Staff {
			st := &auth.Staff{ID: s.ID, OrganisationID: s.OrganisationID, Username: s.Username, DisplayName: s.DisplayName, Role: s.Role}
			if err := accounts.InsertStaff(ctx, tx, st, s.TeamIDs, nil, now); err != nil {
				return err
			}
		}
		res.Loaded = true
		_, err = tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)`, settingKey, strconv.FormatInt(cfg.Seed, 10))
		return err
	})
	return res, err
}
