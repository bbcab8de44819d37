package intake

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
)

// Incoming is a referral that arrives from outside, with the client it is
// about: nobody on the staff keyed it. The client is always new (matching
// against existing records happens at triage). Client's TeamID is ignored:
// the client goes to the receiving organisation's intake team.
type Incoming struct {
	// Via is ViaSelfReferral (the public page) or ViaAPI (a partner
	// agency's integration).
	Via            string
	OrganisationID string // the organisation whose triage queue receives it
	// APITokenID and IdempotencyKey are required for ViaAPI and must be
	// empty otherwise: the same token and key again is the same referral.
	APITokenID     string
	IdempotencyKey string
	Client         people.NewClient
	Referral       IncomingReferral
}

// IncomingReferral is the referral part of an Incoming.
type IncomingReferral struct {
	Source      Source    `json:"source"`
	ReferrerOrg string    `json:"referrer_org"` // the referring organisation's name, optional
	RiskLevel   RiskLevel `json:"risk_level"`   // empty: not known
	Summary     string    `json:"summary"`
}

// MaxIdempotencyKeyLen bounds an Idempotency-Key.
const MaxIdempotencyKeyLen = 255

// ValidIdempotencyKey reports whether k is 1 to 255 printable ASCII
// characters.
func ValidIdempotencyKey(k string) bool {
	if k == "" || len(k) > MaxIdempotencyKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

var (
	errKeyReused   = errs.New(errs.Conflict, "inbound.idempotency_key_reused")
	errNoFrontDoor = errs.New(errs.Unavailable, "inbound.no_front_door")
)

// validateInbound checks everything but the client (which the people
// service checks) and returns its field errors, named "referral.*" and
// "client.*". Problems with the channel itself are returned alone.
func validateInbound(in *Incoming) (FieldErrors, error) {
	switch in.Via {
	case ViaSelfReferral:
		if in.APITokenID != "" || in.IdempotencyKey != "" {
			return nil, errs.New(errs.Internal, "error.internal")
		}
	case ViaAPI:
		if in.APITokenID == "" || !ValidIdempotencyKey(in.IdempotencyKey) {
			return nil, errs.New(errs.Internal, "error.internal")
		}
	default:
		return nil, errs.New(errs.Internal, "error.internal")
	}
	if in.OrganisationID == "" {
		return nil, errNoFrontDoor
	}
	return inboundFields(in), nil
}

// inboundFields is validateInbound's field errors, normalising in.
func inboundFields(in *Incoming) FieldErrors {
	r := &in.Referral
	r.ReferrerOrg, r.Summary = strings.TrimSpace(r.ReferrerOrg), strings.TrimSpace(r.Summary)
	if r.RiskLevel == "" {
		r.RiskLevel = RiskNotKnown
	}
	var fe FieldErrors
	if !slices.Contains(Sources, r.Source) || r.Source == FromContact {
		fe.Add("referral.source", "intake.source_invalid")
	}
	if !slices.Contains(RiskLevels, r.RiskLevel) {
		fe.Add("referral.risk_level", "intake.risk_level_invalid")
	}
	checkText(&fe, "referral.referrer_org", r.ReferrerOrg, false, maxNameLen)
	checkText(&fe, "referral.summary", r.Summary, true, maxNoteLen)
	c := in.Client
	if strings.TrimSpace(c.Details.Phone) == "" && strings.TrimSpace(c.Details.SafeContact.Phone) == "" && strings.TrimSpace(c.Details.Email) == "" {
		// Nobody can be helped who cannot be reached.
		fe.Add("client.phone", "inbound.contact_required")
	}
	return fe
}

// CheckIncoming is every field error Receive would answer for in
// ("client.*", "referral.*"), without writing anything or looking at the
// channel: for the API, which found problems of its own in the body and
// names every problem at once.
func (s *Service) CheckIncoming(in Incoming) error {
	fe := inboundFields(&in)
	if s.People != nil {
		fe = append(fe, clientFields(s.People.Check(in.Client))...)
	}
	return fe.Err()
}

// clientFields is the people service's field errors named "client.*".
func clientFields(err error) FieldErrors {
	var fe FieldErrors
	for _, f := range errs.AllFields(err) {
		fe = append(fe, &errs.Error{Code: errs.Invalid, Key: f.Key, Field: "client." + f.Field, Args: f.Args})
	}
	return fe
}

// bodyHash is a keyed hash of what was sent, to tell a retry (same body)
// from a different referral under a reused key. Keyed, so the stored hash
// cannot confirm a guess at the personal data in it.
func (s *Service) bodyHash(in Incoming) (string, error) {
	ix, ok := s.Vault.(interface {
		BlindIndex(purpose, normalised string) string
	})
	if !ok {
		return "", errors.New("intake: the vault cannot make keyed hashes")
	}
	b, err := json.Marshal(struct {
		Via      string
		Client   people.NewClient
		Referral IncomingReferral
	}{in.Via, in.Client, in.Referral})
	if err != nil {
		return "", err
	}
	return ix.BlindIndex("intake.inbound_body", string(b)), nil
}

// errIdempotencyRace says another request with the same token and key
// committed first; the work is run again and finds it.
var errIdempotencyRace = errors.New("intake: idempotency key taken concurrently")

// Receive records a referral that arrived from outside, with its new client,
// in the receiving organisation's intake team, in one transaction: the
// client (people.Service.CreateInTx, no staff member), the referral row
// (received_via, api_token_id, idempotency_key) and audit events with no
// actor whose purpose names the channel. Every field error comes back at
// once ("client.*", "referral.*") and nothing is written.
//
// For the API, the same token and Idempotency-Key again returns the first
// referral and creates nothing; under concurrency the database's unique
// key decides which request creates it. The same key with a different body
// is a Conflict.
func (s *Service) Receive(ctx context.Context, in Incoming) (*Referral, error) {
	fe, err := validateInbound(&in)
	if err != nil {
		return nil, err
	}
	if s.People == nil {
		return nil, errs.Wrap(errors.New("intake: no people service"), errs.Internal, "error.internal")
	}
	var hash string
	if in.Via == ViaAPI {
		if hash, err = s.bodyHash(in); err != nil {
			return nil, err
		}
	}
	var out *Referral
	for attempt := 0; ; attempt++ {
		err = s.DB.Write(ctx, func(tx *store.Tx) error {
			out = nil
			if in.Via == ViaAPI {
				done, err := s.replay(ctx, tx, in, hash)
				if err != nil || done != nil {
					out = done
					return err
				}
			}
			r, err := s.receive(ctx, tx, in, hash, fe)
			out = r
			return err
		})
		if errors.Is(err, errIdempotencyRace) && attempt < 3 {
			continue
		}
		break
	}
	if errors.Is(err, errIdempotencyRace) {
		err = errs.Wrap(err, errs.Unavailable, "inbound.try_again")
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// replay returns the referral an earlier request with the same token and
// key created (nil when there is none), recording the replay.
func (s *Service) replay(ctx context.Context, tx *store.Tx, in Incoming, hash string) (*Referral, error) {
	var earlierHash, referralID string
	err := tx.QueryRow(ctx, `SELECT body_hash, referral_id FROM api_idempotency WHERE api_token_id = $1 AND idempotency_key = $2`,
		[]any{in.APITokenID, in.IdempotencyKey}, &earlierHash, &referralID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if earlierHash != hash {
		return nil, errKeyReused
	}
	var row referralRow
	if err := tx.QueryRow(ctx, `SELECT `+referralCols+` FROM intake_referrals WHERE id = $1`, []any{referralID}, row.Dest()...); err != nil {
		return nil, err
	}
	r, err := s.referral(&row)
	if err != nil {
		return nil, err
	}
	return r, s.Record(ctx, tx, audit.Event{Action: "referral.receive_replay", RecordKind: RecordKind, RecordID: r.ClientID,
		Purpose: purposeOf(in)})
}

func purposeOf(in Incoming) string {
	if in.Via == ViaAPI {
		return "api token " + in.APITokenID
	}
	return in.Via
}

func (s *Service) receive(ctx context.Context, tx *store.Tx, in Incoming, hash string, fe FieldErrors) (*Referral, error) {
	now := s.now()
	r := &Referral{ID: id.New(), Source: in.Referral.Source, ReceivedAt: now, ReferrerOrg: in.Referral.ReferrerOrg,
		RiskLevel: in.Referral.RiskLevel, Summary: in.Referral.Summary, ReceivedVia: in.Via}
	if in.Via == ViaAPI {
		// The key is claimed first: a concurrent request with the same
		// key waits here for this one, then fails on the unique key and
		// is run again to find this referral.
		if _, err := tx.Exec(ctx, `INSERT INTO api_idempotency (api_token_id, idempotency_key, body_hash, referral_id, created_at)
			VALUES ($1, $2, $3, $4, $5)`, in.APITokenID, in.IdempotencyKey, hash, r.ID, now); err != nil {
			if errors.Is(err, store.ErrUnique) {
				return nil, errIdempotencyRace
			}
			return nil, err
		}
	}
	team, err := s.People.IntakeTeam(ctx, tx, in.OrganisationID)
	if c := errs.CodeOf(err); errors.Is(err, store.ErrNotFound) || c == errs.NotFound || c == errs.Invalid {
		// The organisation has no front door (helpline) team to hold the
		// client: not the sender's mistake.
		return nil, errNoFrontDoor
	}
	if err != nil {
		return nil, err
	}
	client := in.Client
	client.TeamID = team
	c, err := s.People.CreateInTx(ctx, tx, people.Origin{OrganisationID: in.OrganisationID, TeamID: team}, client)
	if fields := clientFields(err); len(fields) > 0 {
		return nil, append(fe, fields...)
	}
	if err != nil {
		return nil, err
	}
	if len(fe) > 0 {
		return nil, fe
	}
	r.ClientID = c.ID
	var org any
	if r.ReferrerOrg != "" {
		org = s.Vault.SealString(r.ReferrerOrg, "intake_referrals", r.ID, "referrer_org")
	}
	var token, key any
	if in.Via == ViaAPI {
		token, key = in.APITokenID, in.IdempotencyKey
	}
	details, err := SealReferral(s.Vault, r.ID, r.Source, r.RiskLevel)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO intake_referrals (id, organisation_id, client_id, details_sealed, received_at, referrer_org_sealed,
		summary_sealed, repeat, received_via, api_token_id, idempotency_key, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		r.ID, in.OrganisationID, r.ClientID, details, r.ReceivedAt, org,
		s.Vault.SealString(r.Summary, "intake_referrals", r.ID, "summary"), false, in.Via, token, key, now); err != nil {
		if errors.Is(err, store.ErrUnique) {
			return nil, errIdempotencyRace
		}
		return nil, err
	}
	return r, s.Record(ctx, tx, audit.Event{Action: "referral.receive", RecordKind: RecordKind, RecordID: r.ClientID, Purpose: purposeOf(in)})
}

// FrontDoorOrganisation is the organisation that receives self-referrals
// (and partner agencies' API referrals): the one with a helpline team,
// the first by name when there are several. A store without one is
// Unavailable. (To become a setting.)
func (s *Service) FrontDoorOrganisation(ctx context.Context) (string, error) {
	var org string
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT o.id FROM organisations o
			WHERE EXISTS (SELECT 1 FROM teams t WHERE t.organisation_id = o.id AND t.service = 'helpline')
			ORDER BY o.name, o.id LIMIT 1`, nil, &org)
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", errNoFrontDoor
	}
	return org, err
}

// InboundState is what a partner agency may know about a referral it sent:
// that it arrived and how far triage has got. Nothing about the person.
type InboundState struct {
	ID         string
	ReceivedAt time.Time
	// Status is "awaiting_triage", or the triage decision: "allocated",
	// "signposted" or "declined".
	Status string
}

// Statuses a partner agency sees.
const (
	StatusAwaitingTriage = "awaiting_triage"
	StatusAllocated      = "allocated"
	StatusSignposted     = "signposted"
	StatusDeclined       = "declined"
)

// InboundStatus reads the state of a referral sent through an API token
// of organisationID (the sending agency's organisation), recording the
// read with the token that asked. A referral another organisation sent, or
// that did not arrive by the API, is NotFound.
func (s *Service) InboundStatus(ctx context.Context, organisationID, tokenID, referralID string) (*InboundState, error) {
	var out *InboundState
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		var st InboundState
		var clientID string
		var decision sql.NullString
		err := tx.QueryRow(ctx, `SELECT r.id, r.received_at, r.client_id, t.decision_sealed FROM intake_referrals r
			JOIN api_tokens k ON k.id = r.api_token_id
			LEFT JOIN intake_triage t ON t.referral_id = r.id
			WHERE r.id = $1 AND r.received_via = 'api' AND k.organisation_id = $2`, []any{referralID, organisationID},
			&st.ID, &st.ReceivedAt, &clientID, &decision)
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		st.ReceivedAt = st.ReceivedAt.UTC()
		var dd decisionDoc
		if decision.Valid {
			if dd, err = s.openDecision(st.ID, decision.String); err != nil {
				return err
			}
		}
		switch dd.Decision {
		case Allocate:
			st.Status = StatusAllocated
		case Signpost:
			st.Status = StatusSignposted
		case Decline:
			st.Status = StatusDeclined
		default:
			st.Status = StatusAwaitingTriage
		}
		out = &st
		return s.Record(ctx, tx, audit.Event{Action: "referral.status_read", RecordKind: RecordKind, RecordID: clientID,
			Purpose: "api token " + tokenID + " referral " + st.ID})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
