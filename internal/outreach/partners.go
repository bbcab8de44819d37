package outreach

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
)

// Partner agencies are organisations of their own (kind "partner"); their
// users are staff of that organisation with the partner agency role. A
// referral to a partner carries only the fields the worker chose to share,
// sealed as they were when sent, names the information sharing agreement
// it relies on and its legal basis (with the client's consent recorded
// when the basis is consent), and is tracked to done. Partner users see
// and update only the referrals sent to their agency (the policy's
// shared-with-agency relation): never the client's record.

// AgencyKind is what kind of partner an agency is.
type AgencyKind string

// AgencyKinds lists them.
var AgencyKinds = []AgencyKind{"police", "housing", "children_services", "gp", "solicitor", "security", "other"}

// LegalBasis is the basis in data protection law for sharing.
type LegalBasis string

// LegalBases lists them; ConsentBasis needs the client's consent recorded.
var LegalBases = []LegalBasis{ConsentBasis, "vital_interests", "legal_obligation", "public_task", "legitimate_interests"}

// ConsentBasis is sharing with the client's consent.
const ConsentBasis LegalBasis = "consent"

// ReferralKind is what a partner referral asks for.
type ReferralKind string

// ReferralKinds lists them.
var ReferralKinds = []ReferralKind{"target_hardening", "police_marker", "housing", "children_services", "health", "legal", "other"}

// PartnerStatus is where a partner referral stands.
type PartnerStatus string

const (
	Sent       PartnerStatus = "sent"
	Accepted   PartnerStatus = "accepted"
	InProgress PartnerStatus = "in_progress"
	Done       PartnerStatus = "done"
	Declined   PartnerStatus = "declined"
	Withdrawn  PartnerStatus = "withdrawn"
)

// partnerMoves are the agency's moves; the service may only withdraw.
var partnerMoves = map[PartnerStatus][]PartnerStatus{
	Sent:       {Accepted, Declined},
	Accepted:   {InProgress, Done},
	InProgress: {Done},
}

// ShareField is a field a worker may choose to share.
type ShareField string

// ShareFields lists them, in the order forms show them. The request (what
// is asked of the agency) is always sent.
var ShareFields = []ShareField{"name", "address", "safe_phone", "safe_times", "codeword"}

// Agency is a partner agency.
type Agency struct {
	ID   string
	Name string
	Kind AgencyKind
}

func (a *Agency) Dest() []any { return []any{&a.ID, &a.Name, &a.Kind} }

// manageSharing is who records agencies and agreements: administrators
// and the data protection lead of the organisation.
func manageSharing(actor access.Actor) error {
	if access.Decide(actor, access.ManageSharing, access.Record{}).Allow {
		return nil
	}
	return errForbidden
}

// RegisterAgency adds a partner agency as an organisation whose users can
// then be added with the partner agency role.
func (s *Service) RegisterAgency(ctx context.Context, actor access.Actor, name string, kind AgencyKind) (string, error) {
	if err := manageSharing(actor); err != nil {
		return "", err
	}
	var fe FieldErrors
	name = strings.TrimSpace(name)
	check(&fe, "name", name, true, 200)
	if !slices.Contains(AgencyKinds, kind) {
		fe.Add("kind", "outreach.choose_one")
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	oid := id.New()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, 'partner', $3)`, oid, name, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO partner_agencies (organisation_id, kind, registered_by, created_at) VALUES ($1, $2, $3, $4)`,
			oid, string(kind), actor.OrganisationID, now); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "partner.register", RecordKind: "organisation", RecordID: oid})
	})
	return oid, err
}

// Agencies lists the partner agencies the actor's organisation registered.
func (s *Service) Agencies(ctx context.Context, actor access.Actor) ([]Agency, error) {
	var out []Agency
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = store.QueryAll[Agency](ctx, tx, `SELECT o.id, o.name, p.kind FROM partner_agencies p JOIN organisations o ON o.id = p.organisation_id
			WHERE p.registered_by = $1 ORDER BY o.name, o.id`, actor.OrganisationID)
		return err
	})
	return out, err
}

// Agreement is an information sharing agreement with a partner.
type Agreement struct {
	ID, PartnerID, Title, Reference string
	LegalBasis                      LegalBasis
	StartsOn, EndsOn                time.Time
}

func (a *Agreement) Dest() []any {
	return []any{&a.ID, &a.PartnerID, &a.Title, &a.Reference, &a.LegalBasis, &a.StartsOn, &a.EndsOn}
}

// Live reports whether the agreement is in force at t.
func (a Agreement) Live(t time.Time) bool {
	return !t.Before(a.StartsOn) && (a.EndsOn.IsZero() || t.Before(a.EndsOn))
}

// AddAgreement records an information sharing agreement with a partner
// agency the actor's organisation registered.
func (s *Service) AddAgreement(ctx context.Context, actor access.Actor, a Agreement) (string, error) {
	if err := manageSharing(actor); err != nil {
		return "", err
	}
	var fe FieldErrors
	a.Title, a.Reference = strings.TrimSpace(a.Title), strings.TrimSpace(a.Reference)
	check(&fe, "title", a.Title, true, 200)
	check(&fe, "reference", a.Reference, false, 200)
	if !slices.Contains(LegalBases, a.LegalBasis) {
		fe.Add("legal_basis", "outreach.choose_one")
	}
	if a.StartsOn.IsZero() {
		fe.Add("starts_on", "outreach.date_required")
	} else if !a.EndsOn.IsZero() && !a.EndsOn.After(a.StartsOn) {
		fe.Add("ends_on", "outreach.ends_before_start")
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	aid := id.New()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM partner_agencies WHERE organisation_id = $1 AND registered_by = $2`,
			[]any{a.PartnerID, actor.OrganisationID}, &n); err != nil {
			return err
		}
		if n != 1 {
			return errs.Field("partner", "outreach.partner_unknown")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sharing_agreements (id, organisation_id, partner_id, title, legal_basis, reference, starts_on, ends_on, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, aid, actor.OrganisationID, a.PartnerID, a.Title, string(a.LegalBasis), a.Reference,
			a.StartsOn.UTC(), nullTime(a.EndsOn), actor.StaffID, s.now()); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "partner.agreement_add", RecordKind: "organisation", RecordID: a.PartnerID, Purpose: aid})
	})
	return aid, err
}

type agreementRow struct {
	Agreement
	ends *time.Time
}

func (r *agreementRow) Dest() []any {
	return []any{&r.ID, &r.PartnerID, &r.Title, &r.Reference, &r.LegalBasis, &r.StartsOn, &r.ends}
}

func (r agreementRow) agreement() Agreement {
	a := r.Agreement
	a.StartsOn = a.StartsOn.UTC()
	if r.ends != nil {
		a.EndsOn = r.ends.UTC()
	}
	return a
}

// Agreements lists the actor's organisation's agreements, every partner
// or one ("" for all).
func (s *Service) Agreements(ctx context.Context, actor access.Actor, partnerID string) ([]Agreement, error) {
	var out []Agreement
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		rows, err := store.QueryAll[agreementRow](ctx, tx, `SELECT id, partner_id, title, reference, legal_basis, starts_on, ends_on FROM sharing_agreements
			WHERE organisation_id = $1 AND ($2 = '' OR partner_id = $2) ORDER BY starts_on DESC, id`, actor.OrganisationID, partnerID)
		out = nil
		for _, r := range rows {
			out = append(out, r.agreement())
		}
		return err
	})
	return out, err
}

// NewPartnerReferral is a referral to a partner agency.
type NewPartnerReferral struct {
	ClientID    string
	AgreementID string
	Kind        ReferralKind
	// Consent: the client agreed to this sharing (required when the
	// agreement's basis is consent).
	Consent bool
	Share   []ShareField
	Request string // what is asked of the agency
}

// Shared is what a partner agency was sent: the chosen fields, as they
// were when sent, and the request.
type Shared struct {
	Name      string `json:"name,omitempty"`
	Address   string `json:"address,omitempty"`
	SafePhone string `json:"safe_phone,omitempty"`
	SafeTimes string `json:"safe_times,omitempty"`
	Codeword  string `json:"codeword,omitempty"`
	Request   string `json:"request"`
}

func shareOf(sh people.Shareable, fields []ShareField, request string) Shared {
	out := Shared{Request: request}
	for _, f := range fields {
		switch f {
		case "name":
			out.Name = sh.Name
		case "address":
			out.Address = sh.Address
		case "safe_phone":
			out.SafePhone = sh.SafeContact.Phone
		case "safe_times":
			out.SafeTimes = sh.SafeContact.Times
		case "codeword":
			out.Codeword = sh.SafeContact.Codeword
		}
	}
	return out
}

// ReferToPartner sends a referral to a partner agency under a live
// agreement, sharing only the chosen fields, in one transaction with its
// audit event (which names the fields shared). Only staff of the client's
// own organisation share the client onward, under its own agreements: a
// partner team of another organisation (the refuge of a stay) works the
// client but does not decide who else learns of them.
func (s *Service) ReferToPartner(ctx context.Context, actor access.Actor, n NewPartnerReferral) (string, error) {
	var fe FieldErrors
	if !slices.Contains(ReferralKinds, n.Kind) {
		fe.Add("kind", "outreach.choose_one")
	}
	check(&fe, "request", n.Request, true, maxShort)
	for _, f := range n.Share {
		if !slices.Contains(ShareFields, f) {
			fe.Add("share", "outreach.choose_one")
			break
		}
	}
	if n.AgreementID == "" {
		fe.Add("agreement", "outreach.choose_one")
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	rid := id.New()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		reason, err := s.decided(ctx, tx, actor, n.ClientID, access.UpdateRecord)
		if err != nil {
			return err
		}
		clientOrg, err := ownOrganisation(ctx, tx, actor, n.ClientID)
		if err != nil {
			return err
		}
		rows, err := store.QueryAll[agreementRow](ctx, tx, `SELECT id, partner_id, title, reference, legal_basis, starts_on, ends_on FROM sharing_agreements
			WHERE id = $1 AND organisation_id = $2`, n.AgreementID, actor.OrganisationID)
		if err != nil {
			return err
		}
		now := s.now()
		if len(rows) == 0 || !rows[0].agreement().Live(now) {
			return errs.Field("agreement", "outreach.agreement_not_live")
		}
		ag := rows[0].agreement()
		var consentAt any
		if ag.LegalBasis == ConsentBasis {
			if !n.Consent {
				return errs.Field("consent", "outreach.consent_required")
			}
			consentAt = now
		}
		sh, err := s.Clients.ShareableInTx(ctx, tx, n.ClientID)
		if err != nil {
			return err
		}
		body, err := json.Marshal(shareOf(sh, n.Share, strings.TrimSpace(n.Request)))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO partner_referrals (id, client_id, organisation_id, partner_id, agreement_id, kind_sealed, legal_basis, consent_at, shared_sealed, status, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'sent', $10, $11, $11)`, rid, n.ClientID, clientOrg, ag.PartnerID, ag.ID,
			s.Vault.SealString(string(n.Kind), "partner_referrals", rid, "kind"),
			string(ag.LegalBasis), consentAt, s.Vault.SealString(string(body), "partner_referrals", rid, "shared"), actor.StaffID, now); err != nil {
			return err
		}
		if err := s.partnerEvent(ctx, tx, rid, Sent, "", actor.StaffID, now); err != nil {
			return err
		}
		fields := make([]string, len(n.Share))
		for i, f := range n.Share {
			fields[i] = string(f)
		}
		return s.audit(ctx, tx, actor, "partner.refer", n.ClientID, reason+"; agreement "+ag.ID+"; shared: request "+strings.Join(fields, " "))
	})
	return rid, err
}

func (s *Service) partnerEvent(ctx context.Context, tx *store.Tx, referralID string, status PartnerStatus, note, by string, at time.Time) error {
	eid := id.New()
	_, err := tx.Exec(ctx, `INSERT INTO partner_referral_events (id, referral_id, status_sealed, note_sealed, by_staff, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		eid, referralID, s.Vault.SealString(string(status), "partner_referral_events", eid, "status"),
		s.seal(note, "partner_referral_events", eid, "note"), nullString(by), at)
	return err
}

// PartnerEvent is one step of a partner referral.
type PartnerEvent struct {
	Status PartnerStatus
	Note   string
	At     time.Time
}

// PartnerReferral is a partner referral as either side sees it. ClientID
// is set for the service's workers only; the agency sees Shared.
type PartnerReferral struct {
	ID             string
	ClientID       string
	PartnerID      string
	PartnerName    string
	AgreementTitle string
	LegalBasis     LegalBasis
	Kind           ReferralKind
	Status         PartnerStatus
	Shared         Shared
	CreatedAt      time.Time
	Version        int
	Events         []PartnerEvent
	// Moves are the statuses the reader may move it to.
	Moves []PartnerStatus
}

type partnerRow struct {
	PartnerReferral
	kind, sealed string
}

func (r *partnerRow) Dest() []any {
	return []any{&r.ID, &r.ClientID, &r.PartnerID, &r.PartnerName, &r.AgreementTitle, &r.LegalBasis, &r.kind, &r.Status, &r.sealed, &r.CreatedAt, &r.Version}
}

const partnerCols = `r.id, r.client_id, r.partner_id, o.name, a.title, r.legal_basis, r.kind_sealed, r.status, r.shared_sealed, r.created_at, r.version
	FROM partner_referrals r JOIN organisations o ON o.id = r.partner_id JOIN sharing_agreements a ON a.id = r.agreement_id`

type eventRow struct {
	id     string
	status string // sealed
	note   *string
	at     time.Time
}

func (r *eventRow) Dest() []any { return []any{&r.id, &r.status, &r.note, &r.at} }

// partnerView decides whether the actor may see a partner referral (an
// agency user: sent to their agency; the service: may read the client),
// fills it for them and audits the read. When the decision is a refusal
// the view is empty; update says whether they may move it on.
func (s *Service) partnerView(ctx context.Context, tx *store.Tx, actor access.Actor, r partnerRow) (v PartnerReferral, d access.Decision, update bool, err error) {
	v = r.PartnerReferral
	v.CreatedAt = v.CreatedAt.UTC()
	rec, err := s.Clients.Facts(ctx, tx, actor, v.ClientID)
	if err != nil {
		return PartnerReferral{}, d, false, err
	}
	agency := actor.Role == access.RolePartnerAgencyUser
	act, change := access.ReadRecord, access.UpdateRecord
	if agency {
		if actor.OrganisationID != v.PartnerID {
			return PartnerReferral{}, access.Decision{Reason: "sent to another agency", Hidden: true}, false, nil
		}
		act, change = access.ReadReferral, access.UpdateReferral
	}
	if d = access.Decide(actor, act, rec); !d.Allow {
		return PartnerReferral{}, d, false, nil
	}
	kind, err := s.Vault.OpenString(r.kind, "partner_referrals", v.ID, "kind")
	if err != nil {
		return PartnerReferral{}, d, false, err
	}
	v.Kind = ReferralKind(kind)
	plain, err := s.Vault.OpenString(r.sealed, "partner_referrals", v.ID, "shared")
	if err != nil {
		return PartnerReferral{}, d, false, err
	}
	if err := json.Unmarshal([]byte(plain), &v.Shared); err != nil {
		return PartnerReferral{}, d, false, err
	}
	if agency && v.Status == Withdrawn {
		// Sent in error or no longer needed: the agency learns that it is
		// withdrawn (so nobody goes to the door), no longer what was shared.
		v.Shared = Shared{}
	}
	events, err := store.QueryAll[eventRow](ctx, tx, `SELECT id, status_sealed, note_sealed, at FROM partner_referral_events WHERE referral_id = $1 ORDER BY at, id`, v.ID)
	if err != nil {
		return PartnerReferral{}, d, false, err
	}
	for _, e := range events {
		status, err := s.Vault.OpenString(e.status, "partner_referral_events", e.id, "status")
		if err != nil {
			return PartnerReferral{}, d, false, err
		}
		note, err := s.open(e.note, "partner_referral_events", e.id, "note")
		if err != nil {
			return PartnerReferral{}, d, false, err
		}
		v.Events = append(v.Events, PartnerEvent{Status: PartnerStatus(status), Note: note, At: e.at.UTC()})
	}
	if update = access.Decide(actor, change, rec).Allow; update {
		if agency {
			v.Moves = partnerMoves[v.Status]
		} else if v.Status != Done && v.Status != Declined && v.Status != Withdrawn {
			v.Moves = []PartnerStatus{Withdrawn}
		}
	}
	if agency {
		v.ClientID = "" // the agency has the shared fields, not the record
	}
	return v, d, update, s.audit(ctx, tx, actor, "partner.referral_read", r.ClientID, d.Reason+"; referral "+v.ID)
}

// PartnerReferrals lists referrals: with no client, an agency user's (those
// sent to their agency); with one, the client's, for those who may read her
// record (an agency user never may: the agency has the referral, not the
// record).
func (s *Service) PartnerReferrals(ctx context.Context, actor access.Actor, clientID string) ([]PartnerReferral, error) {
	var out []PartnerReferral
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		var rows []partnerRow
		var err error
		if clientID == "" {
			if actor.Role != access.RolePartnerAgencyUser {
				return access.RequireService(actor, access.AgencyReferrals)
			}
			rows, err = store.QueryAll[partnerRow](ctx, tx, `SELECT `+partnerCols+` WHERE r.partner_id = $1 ORDER BY r.status IN ('done', 'declined', 'withdrawn'), r.created_at DESC`, actor.OrganisationID)
		} else {
			if _, err := s.decided(ctx, tx, actor, clientID, access.ReadRecord); err != nil {
				return err
			}
			rows, err = store.QueryAll[partnerRow](ctx, tx, `SELECT `+partnerCols+` WHERE r.client_id = $1 ORDER BY r.created_at DESC`, clientID)
		}
		if err != nil {
			return err
		}
		for _, r := range rows {
			v, d, _, err := s.partnerView(ctx, tx, actor, r)
			if err != nil {
				return err
			}
			if d.Allow {
				out = append(out, v)
			}
		}
		return nil
	})
	return out, err
}

// OpenPartnerReferral reads one partner referral; to anyone who may not
// see it, it does not exist.
func (s *Service) OpenPartnerReferral(ctx context.Context, actor access.Actor, referralID string) (*PartnerReferral, error) {
	var out *PartnerReferral
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		v, _, _, err := s.openPartner(ctx, tx, actor, referralID)
		out = &v
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// openPartner loads one partner referral for the actor inside tx, with
// its client's ID (for the audit trail: the view hides it from an agency)
// and whether they may move it on; a refusal when they may not see it.
func (s *Service) openPartner(ctx context.Context, tx *store.Tx, actor access.Actor, referralID string) (PartnerReferral, string, bool, error) {
	rows, err := store.QueryAll[partnerRow](ctx, tx, `SELECT `+partnerCols+` WHERE r.id = $1`, referralID)
	if err != nil {
		return PartnerReferral{}, "", false, err
	}
	if len(rows) == 0 {
		return PartnerReferral{}, "", false, errNotFound
	}
	act := access.ReadRecord
	if actor.Role == access.RolePartnerAgencyUser {
		act = access.ReadReferral
	}
	v, d, update, err := s.partnerView(ctx, tx, actor, rows[0])
	if err == nil && !d.Allow {
		err = access.Refusal(actor, act, RecordKind, rows[0].ClientID, d)
	}
	return v, rows[0].ClientID, update, err
}

// MovePartnerReferral moves a referral on: the agency through accepted,
// in progress and done (or declined), the service to withdrawn; with a
// note, if nobody moved it since version.
func (s *Service) MovePartnerReferral(ctx context.Context, actor access.Actor, referralID string, version int, to PartnerStatus, note string) error {
	var fe FieldErrors
	check(&fe, "note", note, to == Declined || to == Withdrawn, maxShort)
	if err := fe.Err(); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		v, client, update, err := s.openPartner(ctx, tx, actor, referralID)
		if err != nil {
			return err
		}
		if !update {
			change := access.UpdateRecord
			if actor.Role == access.RolePartnerAgencyUser {
				change = access.UpdateReferral
			}
			return access.Deny(actor, change, RecordKind, client, "may read the referral, not move it on")
		}
		if !slices.Contains(v.Moves, to) {
			return errs.Field("status", "outreach.move_not_allowed")
		}
		now := s.now()
		res, err := tx.Exec(ctx, `UPDATE partner_referrals SET status = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4`,
			string(to), now, referralID, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errStale
		}
		if err := s.partnerEvent(ctx, tx, referralID, to, strings.TrimSpace(note), actor.StaffID, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "partner.referral_"+string(to), client, "referral "+referralID)
	})
}

// ownOrganisation returns the client's organisation if it is the actor's:
// onward sharing (a partner referral, a volunteer match) is the client's
// own organisation's decision, never a partner team's.
func ownOrganisation(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) (string, error) {
	var org string
	if err := tx.QueryRow(ctx, `SELECT organisation_id FROM clients WHERE id = $1`, []any{clientID}, &org); err != nil {
		return "", err
	}
	if org != actor.OrganisationID {
		return "", errs.New(errs.Forbidden, "outreach.other_organisation")
	}
	return org, nil
}
