package intake

import (
	"context"
	"database/sql"

	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// What the front door records about a person is sealed, not kept in
// columns a query could read: how a contact came in and ended (channel,
// direction, caller type, service line, outcome), where a referral came
// from and the risk it gave, a triage decision, why a case closed, and
// each step of a case's history. No query filters or groups on them;
// figures over them are made in Go after opening. What the queues, the
// one-live-case rule and the partner API's idempotency need stays in
// clear (docs/security.md, section 4).

// contactDoc is a contact's sealed details.
type contactDoc struct {
	Channel     Channel     `json:"channel"`
	Direction   Direction   `json:"direction"`
	CallerType  CallerType  `json:"caller_type"`
	ServiceLine ServiceLine `json:"service_line"`
	Outcome     Outcome     `json:"outcome"`
}

// referralDoc is a referral's sealed source and risk.
type referralDoc struct {
	Source    Source    `json:"source"`
	RiskLevel RiskLevel `json:"risk_level"`
}

// decisionDoc is a triage decision, sealed.
type decisionDoc struct {
	Decision Decision    `json:"decision"`
	Service  CaseService `json:"service,omitempty"`
}

// changeDoc is a step of a case's history, sealed.
type changeDoc struct {
	Status CaseStatus  `json:"status"`
	Reason CloseReason `json:"reason,omitempty"`
}

// SealContact seals a contact's details for intake_contacts.details_sealed
// (also for bulk loads that write the table directly).
func SealContact(v Sealer, contactID string, c Contact) (string, error) {
	return vault.SealJSON(v, contactDoc{Channel: c.Channel, Direction: c.Direction, CallerType: c.CallerType, ServiceLine: c.ServiceLine, Outcome: c.Outcome},
		"intake_contacts", contactID, "details")
}

// SealReferral seals a referral's source and risk for
// intake_referrals.details_sealed.
func SealReferral(v Sealer, referralID string, source Source, risk RiskLevel) (string, error) {
	return vault.SealJSON(v, referralDoc{Source: source, RiskLevel: risk}, "intake_referrals", referralID, "details")
}

// SealDecision seals a triage decision for intake_triage.decision_sealed.
func SealDecision(v Sealer, referralID string, d Decision, svc CaseService) (string, error) {
	return vault.SealJSON(v, decisionDoc{Decision: d, Service: svc}, "intake_triage", referralID, "decision")
}

// SealChange seals a step of a case's history for
// intake_case_events.change_sealed.
func SealChange(v Sealer, eventID string, status CaseStatus, reason CloseReason) (string, error) {
	return vault.SealJSON(v, changeDoc{Status: status, Reason: reason}, "intake_case_events", eventID, "change")
}

// SealCloseReason seals why a case closed for
// intake_cases.close_reason_sealed.
func SealCloseReason(v Sealer, caseID string, r CloseReason) string {
	return v.SealString(string(r), "intake_cases", caseID, "close_reason")
}

func (s *Service) openDecision(referralID, sealed string) (decisionDoc, error) {
	var d decisionDoc
	return d, vault.OpenJSON(s.Vault, sealed, &d, "intake_triage", referralID, "decision")
}

// SealClearColumns is the sealed_columns migration's data step for this
// package's tables: it seals what earlier versions kept in clear
// (contacts' channels, directions, caller types, service lines and
// outcomes; referrals' sources and risk levels; triage decisions; close
// reasons; case histories' statuses and reasons) into the new sealed
// columns, in the migration's transaction, in batches. The clear columns
// go after it, in the same migration; the audit trail is not touched.
func SealClearColumns(ctx context.Context, tx *store.Tx, v Sealer) error {
	steps := []struct {
		query, table, key, set string
		seal                   func(id string, c []sql.NullString) (string, error)
	}{
		{`SELECT id, channel, direction, caller_type, service_line, outcome FROM intake_contacts WHERE id > $1 ORDER BY id LIMIT 1000`,
			"intake_contacts", "id", "details_sealed",
			func(id string, c []sql.NullString) (string, error) {
				return SealContact(v, id, Contact{Channel: Channel(c[0].String), Direction: Direction(c[1].String), CallerType: CallerType(c[2].String),
					ServiceLine: ServiceLine(c[3].String), Outcome: Outcome(c[4].String)})
			}},
		{`SELECT id, source, risk_level FROM intake_referrals WHERE id > $1 ORDER BY id LIMIT 1000`,
			"intake_referrals", "id", "details_sealed",
			func(id string, c []sql.NullString) (string, error) {
				return SealReferral(v, id, Source(c[0].String), RiskLevel(c[1].String))
			}},
		{`SELECT referral_id, decision, service FROM intake_triage WHERE referral_id > $1 ORDER BY referral_id LIMIT 1000`,
			"intake_triage", "referral_id", "decision_sealed",
			func(id string, c []sql.NullString) (string, error) {
				return SealDecision(v, id, Decision(c[0].String), CaseService(c[1].String))
			}},
		{`SELECT id, close_reason FROM intake_cases WHERE id > $1 AND close_reason IS NOT NULL ORDER BY id LIMIT 1000`,
			"intake_cases", "id", "close_reason_sealed",
			func(id string, c []sql.NullString) (string, error) {
				return SealCloseReason(v, id, CloseReason(c[0].String)), nil
			}},
		{`SELECT id, status, reason FROM intake_case_events WHERE id > $1 ORDER BY id LIMIT 1000`,
			"intake_case_events", "id", "change_sealed",
			func(id string, c []sql.NullString) (string, error) {
				return SealChange(v, id, CaseStatus(c[0].String), CloseReason(c[1].String))
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
