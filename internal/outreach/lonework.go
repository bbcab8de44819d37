package outreach

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// Lone working: a home visit has a planned end (ends_at). The worker
// checks in when safe (CheckIn, or recording the visit). When a visit is
// past its end plus the grace without a check-in, the escalation job
// (Escalate) raises one escalation for it, shown to the duty managers of
// the worker's teams (Escalations), and queues a notice for every
// configured channel, which Deliver sends. A duty manager records who
// responded and what was done (Respond).

// SessionRecordKind is a session in the audit trail, for the events of
// the escalation job (which acts for nobody) and check-ins.
const SessionRecordKind = "outreach_session"

// Notice is what a channel sends about an escalation. It holds no
// personal data, neither the client's nor the worker's: the duty manager
// follows the link and signs in to see who and where.
type Notice struct {
	EscalationID string
	DueAt        time.Time
	Link         string
}

// Text is the notice as one line for an SMS or an email subject.
func (n Notice) Text() string {
	return fmt.Sprintf("frontdoor lone working: a home visit check-in is overdue since %s UTC. Sign in to see who and respond: %s",
		n.DueAt.UTC().Format("2 Jan 15:04"), n.Link)
}

// Channel sends notices: a webhook (an SMS gateway), email.
type Channel interface {
	Name() string // "webhook" or "email", as outreach_notifications.channel
	Send(ctx context.Context, n Notice) error
}

// lookback bounds how far back the job looks for overdue visits, so that
// turning lone working on, or restoring an old backup, does not escalate
// visits that ended long ago.
const lookback = 24 * time.Hour

// CheckIn records that the worker of a home visit is safe. Only the
// worker checks in for themselves; checking in twice is harmless.
func (s *Service) CheckIn(ctx context.Context, actor access.Actor, sessionID string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		var worker, kind string
		var checked *time.Time
		var starts time.Time
		var client string
		err := tx.QueryRow(ctx, `SELECT worker_id, kind, checked_in_at, starts_at, client_id FROM outreach_sessions WHERE id = $1`, []any{sessionID}, &worker, &kind, &checked, &starts, &client)
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if worker != actor.StaffID {
			// Someone who may read the client knows the visit exists; to
			// anyone else it does not.
			if _, err := s.decided(ctx, tx, actor, client, access.ReadRecord); err != nil {
				return err
			}
			return access.Deny(actor, access.UpdateRecord, RecordKind, client, "only the visiting worker checks in")
		}
		if Kind(kind) != HomeVisit {
			return errs.New(errs.Invalid, "outreach.checkin_home_visits")
		}
		if checked != nil {
			return nil
		}
		if s.now().Before(starts) {
			// A check-in before the visit would silence its alarm.
			return errs.New(errs.Conflict, "outreach.checkin_before_visit")
		}
		if _, err := tx.Exec(ctx, `UPDATE outreach_sessions SET checked_in_at = $1 WHERE id = $2`, s.now(), sessionID); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "outreach.checkin", RecordKind: SessionRecordKind, RecordID: sessionID})
	})
}

// Escalate is the escalation job: it raises an escalation for every home
// visit whose check-in is overdue and queues its notices. Several nodes
// may run it at once: the unique session of an escalation lets one win.
// It returns how many escalations this call raised.
func (s *Service) Escalate(ctx context.Context) (int, error) {
	now := s.now()
	n := 0
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		n = 0
		due, err := store.QueryAll[overdueRow](ctx, tx, `SELECT s.id, s.worker_id, s.ends_at FROM outreach_sessions s
			WHERE s.kind = 'home_visit' AND s.checked_in_at IS NULL AND s.status <> 'cancelled'
				AND s.ends_at <= $1 AND s.ends_at >= $2
				AND NOT EXISTS (SELECT 1 FROM outreach_escalations e WHERE e.session_id = s.id)
			ORDER BY s.ends_at`, now.Add(-s.grace()), now.Add(-lookback))
		if err != nil {
			return err
		}
		for _, d := range due {
			eid := id.New()
			res, err := tx.Exec(ctx, `INSERT INTO outreach_escalations (id, session_id, worker_id, due_at, raised_at)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id) DO NOTHING`, eid, d.session, d.worker, d.end.UTC().Add(s.grace()), now)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k != 1 {
				continue // another node raised it
			}
			for _, ch := range s.Channels {
				if _, err := tx.Exec(ctx, `INSERT INTO outreach_notifications (id, escalation_id, channel, status, created_at) VALUES ($1, $2, $3, 'pending', $4)`,
					id.New(), eid, ch.Name(), now); err != nil {
					return err
				}
			}
			if err := s.Record(ctx, tx, audit.Event{Action: "outreach.escalation_raised", RecordKind: SessionRecordKind, RecordID: d.session}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

type overdueRow struct {
	session, worker string
	end             time.Time
}

func (r *overdueRow) Dest() []any { return []any{&r.session, &r.worker, &r.end} }

// Delivery bounds: a notice is claimed for lease while it is sent, and
// given up after maxAttempts.
const (
	lease       = time.Minute
	maxAttempts = 5
	sendTimeout = 30 * time.Second
)

type pendingRow struct{ id, escalation, channel string }

func (r *pendingRow) Dest() []any { return []any{&r.id, &r.escalation, &r.channel} }

// Deliver sends the pending notices. Each is claimed first (a lease in
// its row, taken by a conditional update, so two nodes never send the
// same notice at once; a node that dies mid-send leaves a lease that runs
// out and another retries). A failure is retried later, up to
// maxAttempts. It returns how many were sent.
func (s *Service) Deliver(ctx context.Context) (int, error) {
	now := s.now()
	var pending []pendingRow
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		pending, err = store.QueryAll[pendingRow](ctx, tx, `SELECT id, escalation_id, channel FROM outreach_notifications
			WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until <= $1) ORDER BY created_at LIMIT 50`, now)
		return err
	})
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, p := range pending {
		var claimed bool
		var due time.Time
		var attempts int
		err := s.DB.Write(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE outreach_notifications SET claimed_until = $1, attempts = attempts + 1
				WHERE id = $2 AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= $3)`, now.Add(lease), p.id, now)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			if claimed = k == 1; !claimed {
				return nil
			}
			return tx.QueryRow(ctx, `SELECT e.due_at, n.attempts FROM outreach_escalations e JOIN outreach_notifications n ON n.escalation_id = e.id
				WHERE n.id = $1`, []any{p.id}, &due, &attempts)
		})
		if err != nil {
			return sent, err
		}
		if !claimed {
			continue
		}
		i := slices.IndexFunc(s.Channels, func(c Channel) bool { return c.Name() == p.channel })
		var sendErr error
		if i < 0 {
			sendErr = errors.New("channel no longer configured")
		} else {
			// A channel that hangs must not hold the notices behind it.
			sctx, cancel := context.WithTimeout(ctx, sendTimeout)
			sendErr = s.Channels[i].Send(sctx, Notice{EscalationID: p.escalation, DueAt: due, Link: strings.TrimSuffix(s.BaseURL, "/") + "/outreach/escalations"})
			cancel()
		}
		err = s.DB.Write(ctx, func(tx *store.Tx) error {
			if sendErr == nil {
				_, err := tx.Exec(ctx, `UPDATE outreach_notifications SET status = 'sent', sent_at = $1, last_error = NULL WHERE id = $2`, s.now(), p.id)
				return err
			}
			status, retry := "pending", s.now().Add(time.Duration(attempts)*lease)
			if attempts >= maxAttempts {
				status = "failed"
			}
			// The error text is the channel's (a status code, a
			// connection refused): it carries no personal data.
			msg := sendErr.Error()
			if len(msg) > 300 {
				msg = msg[:300]
			}
			_, err := tx.Exec(ctx, `UPDATE outreach_notifications SET status = $1, claimed_until = $2, last_error = $3 WHERE id = $4`, status, retry, msg, p.id)
			return err
		})
		if err != nil {
			return sent, err
		}
		if sendErr == nil {
			sent++
		}
	}
	return sent, nil
}

// Escalation is an overdue check-in as the duty managers' screen shows it.
type Escalation struct {
	ID          string
	SessionID   string
	WorkerID    string
	WorkerName  string
	Start, End  time.Time
	DueAt       time.Time
	RaisedAt    time.Time
	CheckedInAt time.Time // the worker checked in after it was raised
	// The visit's client, when the reader may read the client's record
	// (where the worker went); Restricted otherwise.
	ClientID, ClientName string
	Restricted           bool
	// VisitAddress is where the worker went, while nobody has responded:
	// the duty manager must be able to send help even when the client's
	// record is restricted from them. Each disclosure is audited.
	VisitAddress    string
	RespondedBy     string
	RespondedByName string
	RespondedAt     time.Time
	Response        string
	// Notices: how each channel's notice stands ("sent", "pending",
	// "failed").
	Notices map[string]string
}

// Open reports whether nobody has responded yet.
func (e Escalation) Open() bool { return e.RespondedAt.IsZero() }

type escalationRow struct {
	e         Escalation
	client    string
	checkedIn *time.Time
	by        *string
	at        *time.Time
	response  *string
	worker    string // sealed display name
	byName    *string
}

func (r *escalationRow) Dest() []any {
	return []any{&r.e.ID, &r.e.SessionID, &r.e.WorkerID, &r.e.Start, &r.e.End, &r.e.DueAt, &r.e.RaisedAt, &r.checkedIn, &r.client,
		&r.by, &r.at, &r.response, &r.worker, &r.byName}
}

type noticeRow struct{ escalation, channel, status string }

func (r *noticeRow) Dest() []any { return []any{&r.escalation, &r.channel, &r.status} }

// ReadEscalations: team managers are the duty managers of their teams.
func dutyManager(actor access.Actor) error {
	if actor.Role != access.RoleTeamManager || len(actor.TeamIDs) == 0 {
		return errForbidden
	}
	return nil
}

// Escalations lists the escalations for workers on the actor's teams:
// every open one, oldest first, then those answered in the last day.
func (s *Service) Escalations(ctx context.Context, actor access.Actor) ([]Escalation, error) {
	if err := dutyManager(actor); err != nil {
		return nil, err
	}
	var out []Escalation
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		args := []any{actor.OrganisationID, s.now().Add(-24 * time.Hour)}
		ph := make([]string, len(actor.TeamIDs))
		for i, t := range actor.TeamIDs {
			args = append(args, t)
			ph[i] = fmt.Sprintf("$%d", i+3)
		}
		rows, err := store.QueryAll[escalationRow](ctx, tx, `SELECT e.id, e.session_id, e.worker_id, s.starts_at, s.ends_at, e.due_at, e.raised_at, s.checked_in_at, s.client_id,
				e.responded_by, e.responded_at, e.response_sealed, w.display_name_sealed, r.display_name_sealed
			FROM outreach_escalations e JOIN outreach_sessions s ON s.id = e.session_id JOIN staff w ON w.id = e.worker_id
				LEFT JOIN staff r ON r.id = e.responded_by
			WHERE w.organisation_id = $1 AND (e.responded_at IS NULL OR e.responded_at >= $2)
				AND EXISTS (SELECT 1 FROM team_members m WHERE m.staff_id = e.worker_id AND m.team_id IN (`+strings.Join(ph, ", ")+`))
			ORDER BY e.responded_at IS NOT NULL, e.raised_at, e.id`, args...)
		if err != nil {
			return err
		}
		notices, err := store.QueryAll[noticeRow](ctx, tx, `SELECT n.escalation_id, n.channel, n.status FROM outreach_notifications n
			JOIN outreach_escalations e ON e.id = n.escalation_id WHERE e.responded_at IS NULL OR e.responded_at >= $1`, args[1])
		if err != nil {
			return err
		}
		for _, r := range rows {
			e := r.e
			e.Start, e.End, e.DueAt, e.RaisedAt = e.Start.UTC(), e.End.UTC(), e.DueAt.UTC(), e.RaisedAt.UTC()
			if r.checkedIn != nil {
				e.CheckedInAt = r.checkedIn.UTC()
			}
			if r.by != nil {
				e.RespondedBy, e.RespondedAt = *r.by, r.at.UTC()
				if e.RespondedByName, err = s.open(r.byName, "staff", e.RespondedBy, "display_name"); err != nil {
					return err
				}
			}
			if e.Response, err = s.open(r.response, "outreach_escalations", e.ID, "response"); err != nil {
				return err
			}
			if e.WorkerName, err = s.Vault.OpenString(r.worker, "staff", e.WorkerID, "display_name"); err != nil {
				return err
			}
			e.Notices = map[string]string{}
			for _, n := range notices {
				if n.escalation == e.ID {
					e.Notices[n.channel] = n.status
				}
			}
			reason, err := s.decided(ctx, tx, actor, r.client, access.ReadRecord)
			switch errs.CodeOf(err) {
			case "":
				card, err := s.Clients.CardInTx(ctx, tx, r.client)
				if err != nil {
					return err
				}
				e.ClientID, e.ClientName = r.client, card.Name
				if err := s.audit(ctx, tx, actor, "outreach.escalation_read", r.client, reason); err != nil {
					return err
				}
			case errs.Forbidden, errs.NotFound:
				e.Restricted = true
			default:
				return err
			}
			if e.Open() {
				sh, err := s.Clients.ShareableInTx(ctx, tx, r.client)
				if err != nil {
					return err
				}
				e.VisitAddress = sh.Address
				if err := s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "outreach.escalation_location", RecordKind: RecordKind, RecordID: r.client,
					Purpose: "lone working: where the worker went, for an overdue check-in (escalation " + e.ID + ")"}); err != nil {
					return err
				}
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Respond records that a duty manager responded to an escalation and
// what was done; an escalation is answered once.
func (s *Service) Respond(ctx context.Context, actor access.Actor, escalationID, response string) error {
	var fe FieldErrors
	check(&fe, "response", response, true, maxShort)
	if err := fe.Err(); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		var worker, session string
		var responded *time.Time
		err := tx.QueryRow(ctx, `SELECT worker_id, session_id, responded_at FROM outreach_escalations WHERE id = $1`, []any{escalationID}, &worker, &session, &responded)
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if err := managesWorker(ctx, tx, actor, worker); err != nil {
			return access.Hide(actor, access.UpdateRecord, SessionRecordKind, session, "not a duty manager of the visiting worker")
		}
		if responded != nil {
			return errs.New(errs.Conflict, "outreach.escalation_answered")
		}
		res, err := tx.Exec(ctx, `UPDATE outreach_escalations SET responded_by = $1, responded_at = $2, response_sealed = $3 WHERE id = $4 AND responded_at IS NULL`,
			actor.StaffID, s.now(), s.Vault.SealString(strings.TrimSpace(response), "outreach_escalations", escalationID, "response"), escalationID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.New(errs.Conflict, "outreach.escalation_answered")
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "outreach.escalation_response", RecordKind: SessionRecordKind, RecordID: session})
	})
}
