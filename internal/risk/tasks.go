package risk

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// TaskKind is what a task asks for.
type TaskKind string

// IDVAAllocation asks for an IDVA to be allocated to a high-risk client.
const IDVAAllocation TaskKind = "idva_allocation"

// IDVAService is the teams.service of IDVA teams: their IDVAs and managers
// see every open IDVA allocation task of their organisation.
const IDVAService = "idva"

// Task is an open task as the actor's list shows it.
type Task struct {
	ID   string
	Kind TaskKind
	// Restricted: the actor may not read the client's record, so nothing
	// about the person is shown (ClientID and ClientName are empty).
	Restricted   bool
	ClientID     string
	ClientName   string
	AssessmentID string
	AssignedTo   string // "" for a task for the service (the IDVA team) to pick up
	CreatedAt    time.Time
	Due          time.Time
	// CanUpdate is the policy's answer for allocating or closing it.
	CanUpdate bool
}

// entry is how a listed client stands for the actor.
type entry struct {
	vis       visibility
	reason    string // the policy's reason for the read, for the audit trail
	canUpdate bool
}

// look decides ReadRecord and UpdateRecord on a listed client.
func (s *Service) look(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) (entry, error) {
	rec, err := s.ClientFacts(ctx, tx, actor, clientID)
	if errors.Is(err, store.ErrNotFound) || errs.CodeOf(err) == errs.NotFound {
		return entry{vis: leftOut}, nil
	}
	if err != nil {
		return entry{}, err
	}
	d := access.Decide(actor, access.ReadRecord, rec)
	switch {
	case d.Hidden:
		return entry{vis: leftOut}, nil
	case !d.Allow:
		return entry{vis: restricted}, nil
	}
	return entry{vis: readable, reason: d.Reason, canUpdate: access.Decide(actor, access.UpdateRecord, rec).Allow}, nil
}

// inIDVATeam reports whether the actor is an IDVA or a team manager in one
// of their organisation's IDVA teams: the IDVA allocation queue is theirs.
func inIDVATeam(ctx context.Context, tx *store.Tx, actor access.Actor) (bool, error) {
	if (actor.Role != access.RoleIDVA && actor.Role != access.RoleTeamManager) || len(actor.TeamIDs) == 0 {
		return false, nil
	}
	in, args := inList([]any{actor.OrganisationID, IDVAService}, actor.TeamIDs)
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM teams WHERE organisation_id = $1 AND service = $2 AND id IN `+in, args, &n)
	return n > 0, err
}

// Tasks lists the open tasks for the actor, soonest due first: tasks
// assigned to them or on clients assigned to them; for a team manager,
// tasks on their teams' clients; for IDVAs and managers of an IDVA team,
// every unassigned IDVA allocation task of their organisation. A task on
// a record hidden from the actor is left out; one on a record they may
// not read is listed as restricted, with nothing about the person. Each
// client named is audited.
func (s *Service) Tasks(ctx context.Context, actor access.Actor) ([]Task, error) {
	var out []Task
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		queue, err := inIDVATeam(ctx, tx, actor)
		if err != nil {
			return err
		}
		args := []any{actor.StaffID, actor.OrganisationID, string(IDVAAllocation), queue}
		teams := "FALSE"
		if actor.Role == access.RoleTeamManager && len(actor.TeamIDs) > 0 {
			var in string
			in, args = inList(args, actor.TeamIDs)
			teams = "c.team_id IN " + in
		}
		rows, err := tx.Query(ctx, `SELECT t.id, t.kind, t.client_id, t.assessment_id, t.assigned_to, t.created_at, t.due_at
			FROM tasks t JOIN clients c ON c.id = t.client_id
			WHERE t.status = 'open' AND c.organisation_id = $2 AND (t.assigned_to = $1
				OR EXISTS (SELECT 1 FROM client_workers w WHERE w.client_id = t.client_id AND w.staff_id = $1)
				OR `+teams+`
				OR ($4 AND t.kind = $3 AND t.assigned_to IS NULL))
			ORDER BY t.due_at, t.id`, args...)
		if err != nil {
			return err
		}
		var all []Task
		for rows.Next() {
			var t Task
			var kind string
			var assessment, assigned sql.NullString
			if err := rows.Scan(&t.ID, &kind, &t.ClientID, &assessment, &assigned, &t.CreatedAt, &t.Due); err != nil {
				rows.Close()
				return err
			}
			t.Kind, t.AssessmentID, t.AssignedTo = TaskKind(kind), assessment.String, assigned.String
			all = append(all, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, t := range all {
			e, err := s.look(ctx, tx, actor, t.ClientID)
			if err != nil {
				return err
			}
			switch e.vis {
			case leftOut:
				continue
			case restricted:
				t.Restricted, t.ClientID, t.AssessmentID = true, "", ""
			case readable:
				if t.ClientName, err = s.clientName(ctx, tx, t.ClientID); err != nil {
					return err
				}
				t.CanUpdate = e.canUpdate
				if err := s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "task.list", RecordKind: RecordKind, RecordID: t.ClientID, Purpose: e.reason}); err != nil {
					return err
				}
			}
			out = append(out, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// openTask loads an open task's client and kind and decides UpdateRecord
// on the client.
func (s *Service) openTask(ctx context.Context, tx *store.Tx, actor access.Actor, taskID string) (clientID string, kind TaskKind, d access.Decision, err error) {
	var k, status string
	err = tx.QueryRow(ctx, `SELECT client_id, kind, status FROM tasks WHERE id = $1`, []any{taskID}, &clientID, &k, &status)
	if errors.Is(err, store.ErrNotFound) {
		return "", "", d, errNotFound
	}
	if err != nil {
		return "", "", d, err
	}
	if d, err = s.decided(ctx, tx, actor, clientID, access.UpdateRecord); err != nil {
		return "", "", d, err
	}
	if status != "open" {
		return "", "", d, errs.New(errs.Conflict, "risk.task_done")
	}
	return clientID, TaskKind(k), d, nil
}

// AllocateIDVA completes an IDVA allocation task by allocating an IDVA
// (an active IDVA of the client's organisation), who becomes an assigned
// worker of the client in the same transaction; the actor needs
// UpdateRecord on the client (the policy's "allocate").
func (s *Service) AllocateIDVA(ctx context.Context, actor access.Actor, taskID, idvaStaffID string) error {
	idvaStaffID = strings.TrimSpace(idvaStaffID)
	if idvaStaffID == "" {
		return FieldErrors{errs.Field("idva", "risk.idva_required")}
	}
	return s.DB.Serializable(ctx, func(tx *store.Tx) error {
		clientID, kind, d, err := s.openTask(ctx, tx, actor, taskID)
		if err != nil {
			return err
		}
		if kind != IDVAAllocation {
			return errs.New(errs.Conflict, "risk.task_not_idva")
		}
		var org, role string
		var disabled *time.Time
		err = tx.QueryRow(ctx, `SELECT s.organisation_id, s.role, s.disabled_at FROM staff s JOIN clients c ON c.organisation_id = s.organisation_id
			WHERE s.id = $1 AND c.id = $2`, []any{idvaStaffID, clientID}, &org, &role, &disabled)
		if errors.Is(err, store.ErrNotFound) || err == nil && (access.Role(role) != access.RoleIDVA || disabled != nil) {
			return FieldErrors{errs.Field("idva", "risk.idva_unknown")}
		}
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO client_workers (client_id, staff_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, clientID, idvaStaffID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tasks SET status = 'done', done_at = $2, done_by = $3, allocated_to = $4 WHERE id = $1`,
			taskID, now, actor.StaffID, idvaStaffID); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "task.allocate_idva", RecordKind: RecordKind, RecordID: clientID,
			Purpose: "idva " + idvaStaffID + " assigned: " + d.Reason})
	})
}

// CloseTask completes a task without its usual result (an IDVA already
// working with the client, support declined), with a note saying why;
// the note is sealed.
func (s *Service) CloseTask(ctx context.Context, actor access.Actor, taskID, note string) error {
	note = strings.TrimSpace(note)
	var fe FieldErrors
	checkLongText(&fe, "note", note, true, maxReasonLen)
	if len(fe) > 0 {
		return fe
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		clientID, _, d, err := s.openTask(ctx, tx, actor, taskID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tasks SET status = 'done', done_at = $2, done_by = $3, note_sealed = $4 WHERE id = $1`,
			taskID, s.now(), actor.StaffID, s.Vault.SealString(note, "tasks", taskID, "note")); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "task.close", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason})
	})
}

// RequestReview records a change of circumstance for a client who has
// been assessed: the review becomes due now (DueReviews lists it,
// flagged) until the next assessment. The reason is sealed.
func (s *Service) RequestReview(ctx context.Context, actor access.Actor, clientID, reason string) error {
	reason = strings.TrimSpace(reason)
	var fe FieldErrors
	checkLongText(&fe, "reason", reason, true, maxReasonLen)
	if len(fe) > 0 {
		return fe
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		d, err := s.decided(ctx, tx, actor, clientID, access.UpdateRecord)
		if err != nil {
			return err
		}
		var due time.Time
		err = tx.QueryRow(ctx, `SELECT review_due FROM risk_levels WHERE client_id = $1`, []any{clientID}, &due)
		if errors.Is(err, store.ErrNotFound) {
			return errs.New(errs.Conflict, "risk.review_needs_assessment")
		}
		if err != nil {
			return err
		}
		now := s.now()
		if due.After(now) {
			due = now
		}
		reqID := id.New()
		if _, err := tx.Exec(ctx, `INSERT INTO risk_review_requests (id, client_id, requested_by, requested_at, reason_sealed) VALUES ($1, $2, $3, $4, $5)`,
			reqID, clientID, actor.StaffID, now, s.Vault.SealString(reason, "risk_review_requests", reqID, "reason")); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE risk_levels SET review_due = $2, review_requested_at = $3 WHERE client_id = $1`, clientID, due, now); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "risk.review_request", RecordKind: RecordKind, RecordID: clientID, Purpose: d.Reason})
	})
}
