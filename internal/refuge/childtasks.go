package refuge

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// ChildTaskKind is something a child in refuge needs done soon after
// moving in.
type ChildTaskKind string

const (
	GPRegistration ChildTaskKind = "gp_registration"
	SchoolPlace    ChildTaskKind = "school_place"
)

// ChildTaskKinds lists every kind, in the order a stay's tasks show.
var ChildTaskKinds = []ChildTaskKind{GPRegistration, SchoolPlace}

// ChildTaskStatus is where a child's task stands.
type ChildTaskStatus string

const (
	TaskOpen      ChildTaskStatus = "open"
	TaskDone      ChildTaskStatus = "done"
	TaskNotNeeded ChildTaskStatus = "not_needed"
)

// TaskClosings are the statuses a task can be closed with.
var TaskClosings = []ChildTaskStatus{TaskDone, TaskNotNeeded}

// How long after the move-in each task is due.
const (
	GPRegistrationDue = 5 * 24 * time.Hour
	SchoolPlaceDue    = 10 * 24 * time.Hour
)

// Children of school age: a child's date of birth is sealed in the
// child's own record (the people package holds its key context), so the
// refuge cannot tell a child's age at admission; every child gets a
// school-place task and the refuge's team closes it as not needed for a
// child under 4 or over 16.
const (
	SchoolAgeFrom = 4
	SchoolAgeTo   = 16
)

var errTaskClosed = errs.New(errs.Conflict, "moveon.task_closed")

// ChildTask is one task for a child in a stay.
type ChildTask struct {
	ID, StayID, ChildID string
	// Child is the child's place (from 1) among the stay's children, as
	// the stay page lists them, which carries no names.
	Child      int
	PropertyID string
	Kind       ChildTaskKind
	Status     ChildTaskStatus
	DueAt      time.Time
	DoneAt     time.Time
	DoneBy     string
	// Note is what closing the task recorded (the school's name...);
	// ChildTasks opens it, DueChildTasks never does.
	Note string
}

// Overdue reports whether the task is open past its due date at asOf.
func (t *ChildTask) Overdue(asOf time.Time) bool {
	return t.Status == TaskOpen && asOf.After(t.DueAt)
}

// createChildTasks creates the tasks of a stay's children at admission,
// inside Admit's transaction.
func (s *Service) createChildTasks(ctx context.Context, tx *store.Tx, actor access.Actor, st *Stay, now time.Time) error {
	for _, cid := range st.ChildIDs {
		for _, k := range ChildTaskKinds {
			due := st.MoveIn.Add(GPRegistrationDue)
			if k == SchoolPlace {
				due = st.MoveIn.Add(SchoolPlaceDue)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO refuge_child_tasks (id, stay_id, child_id, kind, status, due_at, created_at)
				VALUES ($1, $2, $3, $4, 'open', $5, $6)`, id.New(), st.ID, cid, string(k), due, now); err != nil {
				return err
			}
		}
		if err := s.audit(ctx, tx, actor, "refuge.child_tasks", "child", cid, "stay "+st.ID); err != nil {
			return err
		}
	}
	return nil
}

// stayRef is a stay as the move-on and children's task operations see
// it, with whether the actor runs its property.
type stayRef struct {
	ID, PropertyID, ClientID string
	MoveIn, MoveOut          time.Time
	Runs                     bool
	Children                 []string // in the stay page's order
}

// stayAccess loads a stay for an operation on its children's tasks or
// move-on: the team that runs the property (its staff and managers) may
// change them; anyone the policy lets read the client (the client's
// worker) may read them; to anyone else the stay does not exist.
func (s *Service) stayAccess(ctx context.Context, tx *store.Tx, actor access.Actor, stayID string, write bool) (*stayRef, error) {
	st := &stayRef{ID: stayID}
	var out *time.Time
	err := tx.QueryRow(ctx, `SELECT property_id, client_id, move_in, move_out FROM refuge_stays WHERE id = $1`, []any{stayID},
		&st.PropertyID, &st.ClientID, &st.MoveIn, &out)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	st.MoveIn = st.MoveIn.UTC()
	if out != nil {
		st.MoveOut = out.UTC()
	}
	props, err := loadProperties(ctx, tx, `WHERE p.id = $1`, st.PropertyID)
	if err != nil {
		return nil, err
	}
	if len(props) == 0 {
		return nil, errNotFound
	}
	act := access.ReadRecord
	if write {
		act = access.UpdateRecord
	}
	rec, err := s.clientGate(ctx, tx, actor, st.ClientID, act)
	if err != nil {
		return nil, err
	}
	st.Runs = runsProperty(actor, access.UpdateRecord, props[0].record())
	if !st.Runs {
		if !access.Decide(actor, access.ReadRecord, rec).Allow {
			return nil, access.Hide(actor, act, ClientRecordKind, st.ClientID, "neither the refuge's team nor the client's workers")
		}
		if write {
			return nil, access.Deny(actor, act, ClientRecordKind, st.ClientID, "the refuge's team keeps the stay's records")
		}
	}
	st.Children, err = queryStrings(ctx, tx, `SELECT person_id FROM refuge_stay_members WHERE stay_id = $1 AND person_kind = 'child' ORDER BY person_kind, person_id`, stayID)
	return st, err
}

type childTaskRow struct {
	ChildTask
	kind, status string
	doneAt       *time.Time
	doneBy, note *string
}

func (r *childTaskRow) Dest() []any {
	return []any{&r.ID, &r.StayID, &r.ChildID, &r.PropertyID, &r.kind, &r.status, &r.DueAt, &r.doneAt, &r.doneBy, &r.note}
}

func (r *childTaskRow) task() ChildTask {
	t := r.ChildTask
	t.Kind, t.Status, t.DueAt = ChildTaskKind(r.kind), ChildTaskStatus(r.status), r.DueAt.UTC()
	if r.doneAt != nil {
		t.DoneAt = r.doneAt.UTC()
	}
	if r.doneBy != nil {
		t.DoneBy = *r.doneBy
	}
	return t
}

const childTaskCols = `t.id, t.stay_id, t.child_id, st.property_id, t.kind, t.status, t.due_at, t.done_at, t.done_by, t.note_sealed`

func (s *Service) openTaskNote(r *childTaskRow) (string, error) {
	if r.note == nil || *r.note == "" {
		return "", nil
	}
	return s.Vault.OpenString(*r.note, "refuge_child_tasks", r.ID, "note")
}

// ChildTasks lists the tasks of a stay's children, by child then kind,
// with their notes: for the property's team and the client's worker. The
// read is audited on the client.
func (s *Service) ChildTasks(ctx context.Context, actor access.Actor, stayID string) ([]ChildTask, error) {
	var out []ChildTask
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		st, err := s.stayAccess(ctx, tx, actor, stayID, false)
		if err != nil {
			return err
		}
		rows, err := store.QueryAll[childTaskRow](ctx, tx, `SELECT `+childTaskCols+`
			FROM refuge_child_tasks t JOIN refuge_stays st ON st.id = t.stay_id WHERE t.stay_id = $1 ORDER BY t.child_id, t.kind`, stayID)
		if err != nil {
			return err
		}
		for i := range rows {
			t := rows[i].task()
			if t.Note, err = s.openTaskNote(&rows[i]); err != nil {
				return err
			}
			for n, c := range st.Children {
				if c == t.ChildID {
					t.Child = n + 1
				}
			}
			out = append(out, t)
		}
		return s.audit(ctx, tx, actor, "refuge.child_tasks_read", ClientRecordKind, st.ClientID, "stay "+stayID)
	})
	return out, err
}

// CompleteChildTask closes an open task as done or not needed, with an
// optional note (the school's or surgery's name): the property's team. A
// task closed already is refused.
func (s *Service) CompleteChildTask(ctx context.Context, actor access.Actor, taskID string, status ChildTaskStatus, note string) error {
	var fe FieldErrors
	if !oneOf(status, TaskClosings) {
		fe.Add("status", "refuge.choose_one")
	}
	checkText(&fe, "note", note, false, maxNoteLen, true)
	if err := fe.Err(); err != nil {
		return err
	}
	now := s.now()
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		var stayID, childID, kind, cur string
		err := tx.QueryRow(ctx, `SELECT stay_id, child_id, kind, status FROM refuge_child_tasks WHERE id = $1`, []any{taskID}, &stayID, &childID, &kind, &cur)
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if _, err := s.stayAccess(ctx, tx, actor, stayID, true); err != nil {
			return err
		}
		if ChildTaskStatus(cur) != TaskOpen {
			return errTaskClosed
		}
		var sealed any
		if note != "" {
			sealed = s.Vault.SealString(note, "refuge_child_tasks", taskID, "note")
		}
		res, err := tx.Exec(ctx, `UPDATE refuge_child_tasks SET status = $1, done_at = $2, done_by = $3, note_sealed = $4, version = version + 1
			WHERE id = $5 AND status = 'open'`, string(status), now, nullable(actor.StaffID), sealed, taskID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errTaskClosed
		}
		return s.audit(ctx, tx, actor, "refuge.child_task", "child", childID, "stay "+stayID+": "+kind+" "+string(status))
	})
}

// DueChildTasks lists the open tasks of households living in the
// properties the actor's teams run, soonest due first: the refuge team's
// inbox. No notes, no names.
func (s *Service) DueChildTasks(ctx context.Context, actor access.Actor) ([]ChildTask, error) {
	var out []ChildTask
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		out = nil
		props, err := loadProperties(ctx, tx, "")
		if err != nil {
			return err
		}
		runs := map[string]bool{}
		for _, p := range props {
			runs[p.ID] = runsProperty(actor, access.UpdateRecord, p.record())
		}
		rows, err := store.QueryAll[childTaskRow](ctx, tx, `SELECT `+childTaskCols+`
			FROM refuge_child_tasks t JOIN refuge_stays st ON st.id = t.stay_id
			WHERE t.status = 'open' AND st.move_out IS NULL ORDER BY t.due_at, t.stay_id, t.child_id, t.kind`)
		if err != nil {
			return err
		}
		// The stays' clients, to leave out those restricted from the reader.
		stays := map[string]string{}
		for _, r := range rows {
			if runs[r.PropertyID] {
				stays[r.StayID] = ""
			}
		}
		for stay := range stays {
			var client string
			if err := tx.QueryRow(ctx, `SELECT client_id FROM refuge_stays WHERE id = $1`, []any{stay}, &client); err != nil {
				return err
			}
			stays[stay] = client
		}
		excluded, err := s.excluded(ctx, tx, actor, slices.Collect(maps.Values(stays)))
		if err != nil {
			return err
		}
		children := map[string][]string{}
		for _, r := range rows {
			if !runs[r.PropertyID] || excluded[stays[r.StayID]] {
				continue
			}
			t := r.task()
			list, ok := children[t.StayID]
			if !ok {
				if list, err = queryStrings(ctx, tx, `SELECT person_id FROM refuge_stay_members WHERE stay_id = $1 AND person_kind = 'child' ORDER BY person_kind, person_id`, t.StayID); err != nil {
					return err
				}
				children[t.StayID] = list
			}
			for n, c := range list {
				if c == t.ChildID {
					t.Child = n + 1
				}
			}
			out = append(out, t)
		}
		return nil
	})
	return out, err
}
