// Package review is the data protection lead's oversight of their
// organisation: every break-glass on its records, every refusal of its
// staff (and the accounts refused often), its restricted records with the
// way to lift them, the account events that change who can get in, and a
// record's access history. Each view decides access, reads in one
// transaction and records that it was looked at before returning.
package review

import (
	"context"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/store"
)

// Window is how far back the dashboard looks; RefusalWindow how far back
// it lists refusals.
const (
	Window        = 30 * 24 * time.Hour
	RefusalWindow = 7 * 24 * time.Hour
)

// RefusalAlertThreshold is how many refusals one account may meet in 24
// hours before the dashboard raises an alert about it: a few are a worker
// following an old link; this many is someone looking for records.
const RefusalAlertThreshold = 10

// Sealer opens the reasons kept sealed in the trail.
type Sealer interface {
	OpenString(sealed string, aad ...string) (string, error)
}

// Service is the data protection lead's review.
type Service struct {
	DB       *store.DB
	Grants   *access.Grants
	Accounts *auth.Service
	Vault    Sealer
	Record   audit.Recorder
	// ReadLog records the review's reads by group commit; nil records
	// them in a write transaction.
	ReadLog audit.ReadLog
	Now     func() time.Time
	// RecordOrganisation answers which organisation holds a person's
	// record (client, child, perpetrator), or false when none does.
	RecordOrganisation func(ctx context.Context, tx *store.Tx, recordID string) (string, bool, error)
}

// Event is an audit event as the review shows it: who, and about whom
// when the record is an account.
type Event struct {
	audit.Event
	Actor  string
	Target string
	// Reason is the opened reason of an account action or a lifted
	// restriction, shown to the reviewer.
	Reason string
}

// Refusal is one refused request: who was refused what, on which record,
// and why.
type Refusal struct {
	At         time.Time
	ActorID    string
	Actor      string
	Action     string // the policy action, e.g. record.update
	Reason     string
	RecordKind string
	RecordID   string
}

// RefusalAlert is an account that met many refusals in the last 24 hours.
type RefusalAlert struct {
	ActorID string
	Actor   string
	Count   int
}

// Grant is a break-glass grant with who opened it.
type Grant struct {
	access.Grant
	Staff string
}

// Restriction is a restricted record with names for who set it and who is
// named.
type Restriction struct {
	access.Restriction
	ByName     string
	NamedNames []string
}

// Dashboard is the review page.
type Dashboard struct {
	BreakGlass    []Grant
	Refusals      []Refusal
	RefusalAlerts []RefusalAlert
	Restrictions  []Restriction
	Security      []Event
	Failed24h     int
}

// securityActions are the account and access events the dashboard lists.
var securityActions = []string{"account.create", "account.setup", "account.setup_link", "factor.enrol", "factor.reset", "password.change",
	"account.disable", "account.enable", "session.end", "token.create", "token.revoke", "record.restrict", "record.unrestrict"}

// instanceActions concern every organisation of the instance.
var instanceActions = []string{"backup.restore", "sessions.end_all"}

// sealedReasons are the actions whose purpose is a reason sealed for the
// record it concerns (an account, or a record whose restriction was lifted).
var sealedReasons = map[string]bool{"factor.reset": true, "account.disable": true, "account.enable": true, "record.unrestrict": true, "sessions.end_all": true}

func (s *Service) now() time.Time { return s.Now().UTC() }

// staff maps every account to its name and organisation.
func (s *Service) staff(ctx context.Context) (map[string]auth.Staff, error) {
	list, err := s.Accounts.ListStaff(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]auth.Staff, len(list))
	for _, st := range list {
		out[st.ID] = st
	}
	return out, nil
}

func name(st auth.Staff) string { return st.DisplayName + " (" + st.Username + ")" }

// people answers, for the reviewer, whether an account is of their
// organisation and how it is named.
func (s *Service) people(ctx context.Context, actor access.Actor) (ours func(string) bool, named func(string) string, err error) {
	staff, err := s.staff(ctx)
	if err != nil {
		return nil, nil, err
	}
	ours = func(id string) bool { st, ok := staff[id]; return ok && st.OrganisationID == actor.OrganisationID }
	named = func(id string) string {
		if st, ok := staff[id]; ok {
			return name(st)
		}
		return ""
	}
	return ours, named, nil
}

// Dashboard is the data protection lead's review of their organisation.
// Reading it (break-glass reasons included) is itself recorded.
func (s *Service) Dashboard(ctx context.Context, actor access.Actor) (*Dashboard, error) {
	if err := access.RequireService(actor, access.ReviewAudit); err != nil {
		return nil, err
	}
	ours, named, err := s.people(ctx, actor)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *Dashboard
	err = audit.Read(ctx, s.DB, s.Record, s.ReadLog, func(tx *store.Tx) ([]audit.Event, error) {
		out = &Dashboard{}
		grants, err := s.Grants.BreakGlassSince(ctx, tx, actor.OrganisationID, now.Add(-Window), 200)
		if err != nil {
			return nil, err
		}
		for _, g := range grants {
			out.BreakGlass = append(out.BreakGlass, Grant{Grant: g, Staff: named(g.StaffID)})
		}
		if out.Refusals, out.RefusalAlerts, err = s.refusals(ctx, tx, actor.OrganisationID, now, named); err != nil {
			return nil, err
		}
		rs, err := s.Grants.Restrictions(ctx, tx, actor.OrganisationID)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			row := Restriction{Restriction: r, ByName: named(r.By)}
			for _, n := range r.Named {
				row.NamedNames = append(row.NamedNames, named(n))
			}
			out.Restrictions = append(out.Restrictions, row)
		}
		// The organisation's own accounts and records: who acted, or whom
		// it was about; filtered in the database.
		events, err := audit.RecentConcerning(ctx, tx, securityActions, actor.OrganisationID, now.Add(-Window), 0, 300)
		if err != nil {
			return nil, err
		}
		// A restore, or ending every sign-in, concerns every organisation
		// of the instance.
		for _, action := range instanceActions {
			all, err := audit.Recent(ctx, tx, action, now.Add(-Window), 50)
			if err != nil {
				return nil, err
			}
			events = append(events, all...)
		}
		for _, e := range events {
			out.Security = append(out.Security, Event{Event: e, Actor: named(e.ActorID), Target: named(e.RecordID), Reason: s.reason(e)})
		}
		slices.SortFunc(out.Security, func(a, b Event) int { return int(b.Seq - a.Seq) })
		failed, err := audit.Recent(ctx, tx, "signin.failed", now.Add(-24*time.Hour), audit.MaxLimit)
		if err != nil {
			return nil, err
		}
		for _, e := range failed {
			if e.ActorID == "" || ours(e.ActorID) || ours(e.RecordID) {
				out.Failed24h++
			}
		}
		return []audit.Event{{ActorID: actor.StaffID, Action: "audit.review", Purpose: "dashboard"}}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// holds reports whether the organisation holds the person's record.
func (s *Service) holds(ctx context.Context, tx *store.Tx, organisationID, recordID string) bool {
	if s.RecordOrganisation == nil {
		return false
	}
	org, ok, err := s.RecordOrganisation(ctx, tx, recordID)
	return err == nil && ok && org == organisationID
}

// reason opens the sealed reason of an event that carries one.
func (s *Service) reason(e audit.Event) string {
	if !sealedReasons[e.Action] {
		return ""
	}
	if r, err := s.Vault.OpenString(e.Purpose, "audit_reason", e.RecordID); err == nil {
		return r
	}
	return ""
}

// refusals lists the refusals that concern the organisation in the last
// RefusalWindow (its staff refused anything, or anyone refused one of its
// records), newest first, and the accounts refused many times in the last
// day; filtered in the database, so nobody else's refusals can push them
// out of view.
func (s *Service) refusals(ctx context.Context, tx *store.Tx, organisationID string, now time.Time, named func(string) string) ([]Refusal, []RefusalAlert, error) {
	events, err := audit.RecentConcerning(ctx, tx, []string{audit.ActionRefused}, organisationID, now.Add(-RefusalWindow), 0, 200)
	if err != nil {
		return nil, nil, err
	}
	var list []Refusal
	for _, e := range events {
		act, reason, _ := strings.Cut(e.Purpose, ": ")
		list = append(list, Refusal{At: e.At, ActorID: e.ActorID, Actor: named(e.ActorID), Action: act, Reason: reason, RecordKind: e.RecordKind, RecordID: e.RecordID})
	}
	counts, err := audit.CountConcerning(ctx, tx, audit.ActionRefused, organisationID, now.Add(-24*time.Hour))
	if err != nil {
		return nil, nil, err
	}
	var alerts []RefusalAlert
	for actor, n := range counts {
		if n >= RefusalAlertThreshold {
			alerts = append(alerts, RefusalAlert{ActorID: actor, Actor: named(actor), Count: n})
		}
	}
	slices.SortFunc(alerts, func(a, b RefusalAlert) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.ActorID, b.ActorID)
	})
	return list, alerts, nil
}

// Attention is what the data protection lead's home page shows at once:
// break-glass on the organisation's records in the last week, and the
// accounts refused often today.
type Attention struct {
	BreakGlass    []Grant
	RefusalAlerts []RefusalAlert
}

// AttentionWindow is how far back the home page lists break-glass.
const AttentionWindow = 7 * 24 * time.Hour

// Attention reads the home page's part of the review, recorded as read.
func (s *Service) Attention(ctx context.Context, actor access.Actor) (*Attention, error) {
	if err := access.RequireService(actor, access.ReviewAudit); err != nil {
		return nil, err
	}
	_, named, err := s.people(ctx, actor)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *Attention
	err = audit.Read(ctx, s.DB, s.Record, s.ReadLog, func(tx *store.Tx) ([]audit.Event, error) {
		out = &Attention{}
		grants, err := s.Grants.BreakGlassSince(ctx, tx, actor.OrganisationID, now.Add(-AttentionWindow), 50)
		if err != nil {
			return nil, err
		}
		for _, g := range grants {
			out.BreakGlass = append(out.BreakGlass, Grant{Grant: g, Staff: named(g.StaffID)})
		}
		if _, out.RefusalAlerts, err = s.refusals(ctx, tx, actor.OrganisationID, now, named); err != nil {
			return nil, err
		}
		return []audit.Event{{ActorID: actor.StaffID, Action: "audit.review", Purpose: "home"}}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// History is one record's access history for the data protection lead of
// the organisation that holds it (a person's record, or an account of the
// organisation): who read, changed or was refused it, and when. Another
// organisation's record, or an ID that names nothing, is not found.
func (s *Service) History(ctx context.Context, actor access.Actor, recordID string, before int64) ([]Event, error) {
	if err := access.RequireService(actor, access.ReviewAudit); err != nil {
		return nil, err
	}
	ours, named, err := s.people(ctx, actor)
	if err != nil {
		return nil, err
	}
	var out []Event
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		if !ours(recordID) && !s.holds(ctx, tx, actor.OrganisationID, recordID) {
			return access.Hide(actor, access.ReviewAudit, "", recordID, "not a record of the reviewer's organisation")
		}
		events, err := audit.HistoryBefore(ctx, tx, recordID, before, audit.HistoryPage)
		if err != nil {
			return err
		}
		for _, e := range events {
			out = append(out, Event{Event: e, Actor: named(e.ActorID), Reason: s.reason(e)})
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.history", RecordID: recordID, Purpose: "review"})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
