package outreach

import (
	"context"
	"errors"
	"slices"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// Kind of session.
type Kind string

const (
	HomeVisit Kind = "home_visit" // lone working: a check-in is expected
	Office    Kind = "office"
	Phone     Kind = "phone"
	Video     Kind = "video"
)

// Kinds lists them for forms.
var Kinds = []Kind{HomeVisit, Office, Phone, Video}

// SessionStatus is where a session stands.
type SessionStatus string

const (
	Booked    SessionStatus = "booked"
	Held      SessionStatus = "held"
	Missed    SessionStatus = "missed" // the client was not there
	Cancelled SessionStatus = "cancelled"
)

// Reminder is how the client is reminded of a session; the client's
// safe-contact rules decide which are allowed.
type Reminder string

const (
	NoReminder Reminder = "none"
	ByText     Reminder = "text"
	ByEmail    Reminder = "email"
	ByVoice    Reminder = "voicemail"
	ByPost     Reminder = "post"
)

// Reminders lists them for forms.
var Reminders = []Reminder{NoReminder, ByText, ByEmail, ByVoice, ByPost}

// reminderDoc is a session's reminder as stored, sealed: the channel
// (which of her channels are safe is hers, and sealed with her record)
// and what the reminder job did with a text ("" until it has). In clear
// the session keeps only whether the job still has a reminder to look at
// (remind).
type reminderDoc struct {
	Channel Reminder `json:"channel"`
	State   string   `json:"state,omitempty"`
}

func sealReminder(v Sealer, sessionID string, d reminderDoc) (string, error) {
	return vault.SealJSON(v, d, "outreach_sessions", sessionID, "reminder")
}

func openReminder(v Sealer, sessionID, sealed string) (reminderDoc, error) {
	var d reminderDoc
	err := vault.OpenJSON(v, sealed, &d, "outreach_sessions", sessionID, "reminder")
	return d, err
}

// Limits of a booking.
const (
	MaxWeekly      = 26 // half a year of weekly sessions in one booking
	MaxSessionTime = 8 * time.Hour
	// MaxBookAheadDays bounds how far ahead a first session is booked: a
	// diary a year out is already a guess, and a start in year 9999
	// (with its weekly series after it) is no date at all.
	MaxBookAheadDays = 366
)

// NewSessions books one session, or the same slot weekly.
type NewSessions struct {
	ClientID string
	WorkerID string // "" for the actor
	Kind     Kind
	Start    time.Time
	Duration time.Duration
	Weeks    int // 1 for a single session
	Reminder Reminder
}

// Book books sessions for a client with a worker who may work the client.
// A reminder by a channel the client's safe-contact rules do not mark
// safe is refused: a text about "your appointment with the outreach
// service" on a phone the abuser reads can be the danger itself.
func (s *Service) Book(ctx context.Context, actor access.Actor, n NewSessions) ([]string, error) {
	var fe FieldErrors
	if n.WorkerID == "" {
		n.WorkerID = actor.StaffID
	}
	if !slices.Contains(Kinds, n.Kind) {
		fe.Add("kind", "outreach.choose_one")
	}
	if n.Start.IsZero() {
		fe.Add("start", "outreach.date_required")
	} else if n.Start.Before(s.now().Add(-24 * time.Hour)) {
		fe.Add("start", "outreach.start_past")
	} else if n.Start.After(s.now().AddDate(0, 0, MaxBookAheadDays)) {
		fe.Add("start", "outreach.start_far", MaxBookAheadDays)
	}
	if n.Duration <= 0 || n.Duration > MaxSessionTime {
		fe.Add("duration", "outreach.duration", int(MaxSessionTime/time.Hour))
	}
	if n.Weeks < 1 || n.Weeks > MaxWeekly {
		fe.Add("weeks", "outreach.weeks", MaxWeekly)
	}
	if !slices.Contains(Reminders, n.Reminder) {
		fe.Add("reminder", "outreach.choose_one")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var ids []string
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		ids = nil
		reason, err := s.decided(ctx, tx, actor, n.ClientID, access.UpdateRecord)
		if err != nil {
			return err
		}
		if n.WorkerID != actor.StaffID {
			// The worker must be able to work the client themselves.
			worker, err := staffActor(ctx, tx, n.WorkerID, actor.OrganisationID)
			if err != nil {
				return err
			}
			if ok, err := s.allows(ctx, tx, worker, n.ClientID, access.UpdateRecord); err != nil || !ok {
				if err == nil {
					err = errs.Field("worker", "outreach.worker_cannot")
				}
				return err
			}
		}
		if n.Reminder != NoReminder {
			card, err := s.Clients.CardInTx(ctx, tx, n.ClientID)
			if err != nil {
				return err
			}
			if !reminderSafe(card.SafeContact, n.Reminder) {
				return errs.Field("reminder", "outreach.reminder_unsafe")
			}
		}
		series := ""
		if n.Weeks > 1 {
			series = id.New()
		}
		now := s.now()
		for w := range n.Weeks {
			start := n.Start.UTC().AddDate(0, 0, 7*w)
			sid := id.New()
			reminder, err := sealReminder(s.Vault, sid, reminderDoc{Channel: n.Reminder})
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO outreach_sessions (id, client_id, worker_id, series_id, kind, starts_at, ends_at, remind, reminder_sealed, status, created_by, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'booked', $10, $11)`, sid, n.ClientID, n.WorkerID, nullString(series), string(n.Kind),
				start, start.Add(n.Duration), n.Reminder != NoReminder, reminder, actor.StaffID, now); err != nil {
				return err
			}
			ids = append(ids, sid)
		}
		return s.audit(ctx, tx, actor, "outreach.sessions_book", n.ClientID, reason)
	})
	return ids, err
}

// reminderSafe reports whether the client's rules mark the channel safe.
func reminderSafe(sc people.SafeContact, r Reminder) bool {
	return sc.Rule(string(r)) == people.Safe
}

// staffActor loads a member of staff of org as an actor, for deciding
// what they may do.
func staffActor(ctx context.Context, tx *store.Tx, staffID, org string) (access.Actor, error) {
	a := access.Actor{StaffID: staffID, OrganisationID: org}
	err := tx.QueryRow(ctx, `SELECT role FROM staff WHERE id = $1 AND organisation_id = $2 AND disabled_at IS NULL`, []any{staffID, org}, &a.Role)
	if errors.Is(err, store.ErrNotFound) {
		return a, errs.Field("worker", "outreach.worker_unknown")
	}
	if err != nil {
		return a, err
	}
	rows, err := store.QueryAll[idRow](ctx, tx, `SELECT team_id FROM team_members WHERE staff_id = $1 ORDER BY team_id`, staffID)
	for _, r := range rows {
		a.TeamIDs = append(a.TeamIDs, r.id)
	}
	return a, err
}

type idRow struct{ id string }

func (r *idRow) Dest() []any { return []any{&r.id} }

// Session is a session as the diary shows it. Restricted: the reader may
// not read the client, so nothing about the person is shown (not even
// how she is reminded).
type Session struct {
	ID          string
	ClientID    string
	ClientName  string
	Restricted  bool
	WorkerID    string
	SeriesID    string
	Kind        Kind
	Start, End  time.Time
	Reminder    Reminder
	Status      SessionStatus
	Discussed   string
	CheckedInAt time.Time
	Version     int
	// ReminderUnsafe: the client's rules have changed since booking and
	// the reminder's channel is no longer marked safe (it is not sent).
	ReminderUnsafe bool
	// ReminderState is what became of a text reminder: "" (not yet),
	// sent, skipped_unsafe, skipped_no_number or failed.
	ReminderState string
	// Overdue: a home visit past its end and grace without a check-in.
	Overdue   bool
	CanUpdate bool
}

type sessionRow struct {
	s         Session
	series    *string
	discussed *string
	checkedIn *time.Time
	status    string
	reminder  string // sealed reminderDoc
}

func (r *sessionRow) Dest() []any {
	return []any{&r.s.ID, &r.s.ClientID, &r.s.WorkerID, &r.series, &r.s.Kind, &r.s.Start, &r.s.End, &r.reminder, &r.status,
		&r.discussed, &r.checkedIn, &r.s.Version}
}

const sessionCols = `id, client_id, worker_id, series_id, kind, starts_at, ends_at, reminder_sealed, status, discussed_sealed, checked_in_at, version`

// view fills a session row for the reader: the client's name and
// safe-contact check when they may read the client, nothing about the
// person otherwise. It audits each client named.
func (s *Service) view(ctx context.Context, tx *store.Tx, actor access.Actor, r sessionRow, withNotes bool) (Session, bool, error) {
	out := r.s
	out.Status = SessionStatus(r.status)
	out.Start, out.End = out.Start.UTC(), out.End.UTC()
	if r.series != nil {
		out.SeriesID = *r.series
	}
	if r.checkedIn != nil {
		out.CheckedInAt = r.checkedIn.UTC()
	}
	out.Overdue = out.Kind == HomeVisit && out.CheckedInAt.IsZero() && out.Status != Cancelled && !s.now().Before(out.End.Add(s.grace()))
	reason, err := s.decided(ctx, tx, actor, out.ClientID, access.ReadRecord)
	switch errs.CodeOf(err) {
	case "":
	case errs.Forbidden:
		out.Restricted, out.ClientID = true, ""
		return out, true, nil
	case errs.NotFound:
		return out, false, nil
	default:
		return out, false, err
	}
	card, err := s.Clients.CardInTx(ctx, tx, out.ClientID)
	if err != nil {
		return out, false, err
	}
	out.ClientName = card.Name
	rem, err := openReminder(s.Vault, out.ID, r.reminder)
	if err != nil {
		return out, false, err
	}
	out.Reminder, out.ReminderState = rem.Channel, rem.State
	out.ReminderUnsafe = out.Reminder != NoReminder && out.Status == Booked && !reminderSafe(card.SafeContact, out.Reminder)
	if withNotes {
		if out.Discussed, err = s.open(r.discussed, "outreach_sessions", out.ID, "discussed"); err != nil {
			return out, false, err
		}
	}
	if out.CanUpdate, err = s.allows(ctx, tx, actor, out.ClientID, access.UpdateRecord); err != nil {
		return out, false, err
	}
	return out, true, s.audit(ctx, tx, actor, "outreach.session_read", out.ClientID, reason)
}

// Week lists a worker's sessions in the seven days from start: the
// worker's own diary, or a manager's view of a worker on their team.
// Sessions with clients the reader may not read show as restricted;
// those hidden from them are left out.
func (s *Service) Week(ctx context.Context, actor access.Actor, workerID string, start time.Time) ([]Session, error) {
	if workerID == "" {
		workerID = actor.StaffID
	}
	var out []Session
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		if workerID != actor.StaffID {
			if err := managesWorker(ctx, tx, actor, workerID); err != nil {
				return err
			}
		}
		rows, err := store.QueryAll[sessionRow](ctx, tx, `SELECT `+sessionCols+` FROM outreach_sessions
			WHERE worker_id = $1 AND starts_at >= $2 AND starts_at < $3 ORDER BY starts_at, id`, workerID, start.UTC(), start.UTC().AddDate(0, 0, 7))
		if err != nil {
			return err
		}
		for _, r := range rows {
			v, ok, err := s.view(ctx, tx, actor, r, false)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, v)
			}
		}
		return nil
	})
	return out, err
}

// managesWorker allows a team manager to see the diary of staff on one
// of their teams.
func managesWorker(ctx context.Context, tx *store.Tx, actor access.Actor, workerID string) error {
	if actor.Role != access.RoleTeamManager || len(actor.TeamIDs) == 0 {
		return errForbidden
	}
	teams, err := store.QueryAll[idRow](ctx, tx, `SELECT m.team_id FROM team_members m JOIN staff s ON s.id = m.staff_id
		WHERE m.staff_id = $1 AND s.organisation_id = $2`, workerID, actor.OrganisationID)
	if err != nil {
		return err
	}
	for _, t := range teams {
		if slices.Contains(actor.TeamIDs, t.id) {
			return nil
		}
	}
	return errForbidden
}

// ClientSessions lists a client's sessions, newest first.
func (s *Service) ClientSessions(ctx context.Context, actor access.Actor, clientID string) ([]Session, error) {
	var out []Session
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		if _, err := s.decided(ctx, tx, actor, clientID, access.ReadRecord); err != nil {
			return err
		}
		rows, err := store.QueryAll[sessionRow](ctx, tx, `SELECT `+sessionCols+` FROM outreach_sessions
			WHERE client_id = $1 ORDER BY starts_at DESC, id`, clientID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			v, ok, err := s.view(ctx, tx, actor, r, true)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, v)
			}
		}
		return nil
	})
	return out, err
}

// OpenSession reads one session with what was discussed.
func (s *Service) OpenSession(ctx context.Context, actor access.Actor, sessionID string) (*Session, error) {
	var out *Session
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rows, err := store.QueryAll[sessionRow](ctx, tx, `SELECT `+sessionCols+` FROM outreach_sessions WHERE id = $1`, sessionID)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return errNotFound
		}
		// Only someone who may read the client opens the session.
		if _, err := s.decided(ctx, tx, actor, rows[0].s.ClientID, access.ReadRecord); err != nil {
			return err
		}
		v, ok, err := s.view(ctx, tx, actor, rows[0], true)
		if err != nil {
			return err
		}
		if !ok || v.Restricted {
			return errNotFound
		}
		out = &v
		return nil
	})
	return out, err
}

// SessionRecord is what happened at a session: held (with what was
// discussed and the actions agreed), missed or cancelled.
type SessionRecord struct {
	Status    SessionStatus
	Discussed string
	Actions   []NewAction
}

// RecordSession records a booked session's outcome if nobody changed it
// since version, with the actions agreed, in one transaction.
func (s *Service) RecordSession(ctx context.Context, actor access.Actor, sessionID string, version int, rec SessionRecord) error {
	var fe FieldErrors
	if rec.Status != Held && rec.Status != Missed && rec.Status != Cancelled {
		fe.Add("status", "outreach.choose_one")
	}
	check(&fe, "discussed", rec.Discussed, rec.Status == Held, maxLong)
	for i := range rec.Actions {
		rec.Actions[i].validate(&fe, "action_", s.now())
	}
	if len(rec.Actions) > 0 && rec.Status != Held {
		fe.Add("action_text", "outreach.actions_when_held")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		var client, status, worker, kind string
		var starts time.Time
		if err := tx.QueryRow(ctx, `SELECT client_id, status, worker_id, kind, starts_at FROM outreach_sessions WHERE id = $1`, []any{sessionID},
			&client, &status, &worker, &kind, &starts); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return errNotFound
			}
			return err
		}
		reason, err := s.decided(ctx, tx, actor, client, access.UpdateRecord)
		if err != nil {
			return err
		}
		if SessionStatus(status) != Booked {
			return errs.New(errs.Conflict, "outreach.session_recorded")
		}
		// Once a home visit has begun, only its worker says how it went:
		// anyone else cancelling it would silence its lone-working alarm.
		if Kind(kind) == HomeVisit && actor.StaffID != worker && !s.now().Before(starts) {
			return errs.Field("status", "outreach.visit_under_way")
		}
		// The worker recording their own home visit is back and safe: it
		// counts as their check-in.
		// A session no longer booked has no reminder to send.
		res, err := tx.Exec(ctx, `UPDATE outreach_sessions SET status = $1, discussed_sealed = $2, version = version + 1, remind = FALSE,
				checked_in_at = CASE WHEN checked_in_at IS NULL AND worker_id = $5 AND kind = 'home_visit' THEN $6 ELSE checked_in_at END
			WHERE id = $3 AND version = $4`,
			string(rec.Status), s.seal(rec.Discussed, "outreach_sessions", sessionID, "discussed"), sessionID, version, actor.StaffID, s.now())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errStale
		}
		for _, a := range rec.Actions {
			if _, err := s.addAction(ctx, tx, actor, a, sessionID, client); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actor, "outreach.session_"+string(rec.Status), client, reason)
	})
}
