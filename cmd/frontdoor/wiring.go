package main

import (
	"context"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/intake"
	"frontdoor/internal/matching"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/review"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// newAccounts builds the account service over the vault and the audit
// trail, as every command that changes accounts must.
func newAccounts(db *store.DB, v *vault.Vault) *auth.Service {
	return auth.NewService(db, v, recorder(v), time.Now)
}

// openAccounts opens the migrated database, its vault and the account
// service, as every command that changes accounts does. create allows a
// new SQLite data dir and key file (commands that set an instance up).
func openAccounts(ctx context.Context, d dbFlags, k keyFlags, create bool, notify func(string)) (*store.DB, *auth.Service, error) {
	db, _, err := openMigrated(ctx, d, &k, create)
	if err != nil {
		return nil, nil, err
	}
	v, err := openVault(ctx, db, k, d, create && *d.databaseURL == "", notify)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, newAccounts(db, v), nil
}

// capabilities are the services that hold personal data, wired to one
// vault, audit trail and clock.
type capabilities struct {
	grants   *access.Grants
	people   *people.Service
	matches  *matching.Index
	risk     *risk.Service
	intake   *intake.Service
	refuge   *refuge.Service
	outreach *outreach.Service
}

func newCapabilities(db *store.DB, v *vault.Vault, rec audit.Recorder, now func() time.Time) capabilities {
	grants := &access.Grants{Vault: v, Record: rec, Now: now}
	clients := &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: now}
	// Likely existing people and counter-allegation alerts, over blind
	// indexes; every person record keeps its entry up to date.
	matches := &matching.Index{Vault: v, DB: db, Record: rec, Now: now, Facts: clients.MatchFacts}
	clients.Matches = matches
	return capabilities{
		grants:  grants,
		people:  clients,
		matches: matches,
		risk:    &risk.Service{DB: db, Vault: v, Record: rec, Now: now, ClientFacts: clients.Facts},
		// Referrals from staff and from outside (partner agencies' API,
		// the public self-referral page) go through the front door.
		intake: &intake.Service{DB: db, Vault: v, Record: rec, Now: now, ClientFacts: clients.Facts, People: clients, Matches: matches},
		// Accommodation: properties, vacancies, holds, stays; a live
		// stay lets the property's team work the client (people facts); a
		// hold's household is checked against the client's record.
		refuge: &refuge.Service{DB: db, Vault: v, Record: rec, Now: now, ClientFacts: clients.Facts, ClientHousehold: clients.Placement},
		// Outreach: support plans, sessions, lone working, partner
		// referrals and volunteers.
		outreach: &outreach.Service{DB: db, Vault: v, Record: rec, Now: now, Clients: clients},
	}
}

// review is the data protection lead's oversight over these capabilities.
func (c capabilities) review(accounts *auth.Service, log audit.ReadLog) *review.Service {
	return &review.Service{DB: c.people.DB, Grants: c.grants, Accounts: accounts, Vault: c.people.Vault, Record: c.people.Record,
		ReadLog: log, Now: c.people.Now, RecordOrganisation: c.people.RecordOrganisation}
}

// logReadsBy has the capabilities record their audited reads through log
// (group commit after a read-only transaction) instead of a write
// transaction each: what serve does, where many pages are read at once.
func (c capabilities) logReadsBy(log audit.ReadLog) {
	c.people.ReadLog, c.risk.ReadLog, c.intake.ReadLog, c.refuge.ReadLog = log, log, log, log
}
