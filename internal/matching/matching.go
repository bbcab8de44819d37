// Package matching finds likely existing people as a worker enters a new
// one (name variants and nicknames, transposed or partial dates of birth,
// the same phone number), over encrypted data: keyed blind-indexed
// blocking keys narrow the search, then the few candidates' sealed match
// profiles are opened and scored in memory. A new client who matches a
// recorded perpetrator, or a new perpetrator who matches a client, raises
// a counter-allegation alert.
package matching

import (
	"context"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/store"
)

// Kind is what kind of person record a subject is.
type Kind string

const (
	Client      Kind = "client"
	Perpetrator Kind = "perpetrator"
	Child       Kind = "child"
)

// Subject is what matching keeps about one person record: its blocking
// keys and a sealed match profile. The record's own package calls Put in
// the transaction that creates or changes the record.
type Subject struct {
	Kind           Kind
	ID             string
	OrganisationID string
	Given, Family  string
	Aliases        []string // other names, each "given family" or one word
	DOB            string   // YYYY-MM-DD, or "" when unknown
	BirthYear      int      // an estimated year when DOB is unknown, else 0
	Phones         []string
}

// Probe is what a worker has typed so far.
type Probe struct {
	Given, Family string
	Aliases       []string
	DOB           string // YYYY-MM-DD or ""; a partial "YYYY-MM" or "YYYY" is taken too
	Phones        []string
	Kinds         []Kind // which kinds to look among; nil means all
	BirthYear     int    // an estimated year when DOB is unknown, else 0
}

// Candidate is a likely match, best first. Reasons are i18n keys
// ("match.reason.nickname", "match.reason.dob_transposed"...).
type Candidate struct {
	Kind    Kind
	ID      string
	Score   float64 // 0..1
	Reasons []string
}

// Alert is a counter-allegation alert: a client and a perpetrator record
// that look like the same person.
type Alert struct {
	ID            string
	ClientID      string
	PerpetratorID string
	Score         float64
	Reasons       []string
	RaisedAt      time.Time
	RaisedBy      string // staff ID, "" when raised by an inbound referral
	Read          bool   // the asking actor has marked it read
}

// Facts loads what the access policy needs about a client or perpetrator
// record (the people package provides it).
type Facts func(ctx context.Context, tx *store.Tx, actor access.Actor, kind Kind, id string) (access.Record, error)

// Sealer is what the vault does for this package.
type Sealer interface {
	SealString(plaintext string, aad ...string) string
	OpenString(sealed string, aad ...string) (string, error)
	BlindIndex(purpose, normalised string) string
}

// Index keeps the blocking keys and match profiles, finds candidates and
// raises and lists counter-allegation alerts.
type Index struct {
	Vault  Sealer
	DB     *store.DB
	Record audit.Recorder
	Now    func() time.Time
	Facts  Facts
}
