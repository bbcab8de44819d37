package refuge_test

import (
	"testing"

	"frontdoor/internal/errs"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

// admitted is a household of Rowan House (run by refuge-a), a mother and
// two children, admitted today: the stay, the client and the children.
func admitted(t *testing.T, w *world) (*refuge.Stay, string, []string) {
	t.Helper()
	c := w.client(t, "Amina")
	kids := []string{w.child(t, c, "Sami"), w.child(t, c, "Lena")}
	p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), 3)
	ref, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p.Units[0].ID, Household: family(c)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Offer(ctx, w.workerA, ref.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Accept(ctx, w.frontdoor, ref.ID); err != nil {
		t.Fatal(err)
	}
	st, err := w.svc.Admit(ctx, w.workerA, ref.ID, refuge.Admission{MoveIn: w.now(), ChildIDs: kids})
	if err != nil {
		t.Fatal(err)
	}
	return st, c, kids
}

func TestChildTasks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		st, c, kids := admitted(t, w)

		// Each child has a GP registration and a school place task.
		tasks, err := w.svc.ChildTasks(ctx, w.workerA, st.ID)
		if err != nil || len(tasks) != 4 {
			t.Fatalf("tasks %+v %v", tasks, err)
		}
		perChild := map[string]map[refuge.ChildTaskKind]refuge.ChildTask{}
		for _, tk := range tasks {
			if perChild[tk.ChildID] == nil {
				perChild[tk.ChildID] = map[refuge.ChildTaskKind]refuge.ChildTask{}
			}
			perChild[tk.ChildID][tk.Kind] = tk
			if tk.Status != refuge.TaskOpen || tk.StayID != st.ID || tk.Child < 1 || tk.Child > 2 || !tk.DoneAt.IsZero() {
				t.Fatalf("task %+v", tk)
			}
		}
		for _, k := range kids {
			gp, school := perChild[k][refuge.GPRegistration], perChild[k][refuge.SchoolPlace]
			if gp.ID == "" || school.ID == "" {
				t.Fatalf("child %s tasks %+v", k, perChild[k])
			}
			if !gp.DueAt.Equal(st.MoveIn.Add(refuge.GPRegistrationDue)) || !school.DueAt.Equal(st.MoveIn.Add(refuge.SchoolPlaceDue)) {
				t.Fatalf("due %s %s after move-in %s", gp.DueAt, school.DueAt, st.MoveIn)
			}
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'refuge.child_tasks' AND record_kind = 'child'`); n != 2 {
			t.Fatalf("task creation audited on %d children", n)
		}

		// The team's inbox; another refuge's is empty.
		due, err := w.svc.DueChildTasks(ctx, w.managerA)
		if err != nil || len(due) != 4 || due[0].Kind != refuge.GPRegistration || due[0].Note != "" {
			t.Fatalf("due %+v %v", due, err)
		}
		if due, err := w.svc.DueChildTasks(ctx, w.workerB); err != nil || len(due) != 0 {
			t.Fatalf("other refuge's inbox %+v %v", due, err)
		}

		// The client's worker reads; another refuge does not see the stay.
		if got, err := w.svc.ChildTasks(ctx, w.frontdoor, st.ID); err != nil || len(got) != 4 {
			t.Fatalf("client's worker reads %d %v", len(got), err)
		}
		_, err = w.svc.ChildTasks(ctx, w.workerB, st.ID)
		code(t, err, errs.NotFound, "")

		school := perChild[kids[0]][refuge.SchoolPlace]
		code(t, w.svc.CompleteChildTask(ctx, w.workerB, school.ID, refuge.TaskDone, "x"), errs.NotFound, "")
		code(t, w.svc.CompleteChildTask(ctx, w.frontdoor, school.ID, refuge.TaskDone, "x"), errs.Forbidden, "")
		code(t, w.svc.CompleteChildTask(ctx, w.workerA, "0190f2a0-0000-7000-8000-00000000dead", refuge.TaskDone, ""), errs.NotFound, "")
		// A bad form changes nothing.
		events := w.count(t, `SELECT count(*) FROM audit_events`)
		err = w.svc.CompleteChildTask(ctx, w.workerA, school.ID, "open", "bad\x00note")
		if got := fields(t, err); len(got) != 2 {
			t.Fatalf("fields %v", got)
		}
		if w.count(t, `SELECT count(*) FROM refuge_child_tasks WHERE status <> 'open'`) != 0 || w.count(t, `SELECT count(*) FROM audit_events`) != events {
			t.Fatal("a refused completion wrote")
		}

		if err := w.svc.CompleteChildTask(ctx, w.workerA, school.ID, refuge.TaskDone, "Northgate Primary School"); err != nil {
			t.Fatal(err)
		}
		gp := perChild[kids[1]][refuge.GPRegistration]
		if err := w.svc.CompleteChildTask(ctx, w.managerA, gp.ID, refuge.TaskNotNeeded, ""); err != nil {
			t.Fatal(err)
		}
		// A second completion is refused and changes nothing.
		code(t, w.svc.CompleteChildTask(ctx, w.managerA, school.ID, refuge.TaskNotNeeded, "again"), errs.Conflict, "moveon.task_closed")

		tasks, err = w.svc.ChildTasks(ctx, w.workerA, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range tasks {
			switch tk.ID {
			case school.ID:
				if tk.Status != refuge.TaskDone || tk.Note != "Northgate Primary School" || tk.DoneBy != w.workerA.StaffID || tk.DoneAt.IsZero() {
					t.Fatalf("done task %+v", tk)
				}
			case gp.ID:
				if tk.Status != refuge.TaskNotNeeded || tk.Note != "" || tk.DoneBy != w.managerA.StaffID {
					t.Fatalf("not needed task %+v", tk)
				}
			default:
				if tk.Status != refuge.TaskOpen {
					t.Fatalf("open task %+v", tk)
				}
			}
		}
		if due, err := w.svc.DueChildTasks(ctx, w.workerA); err != nil || len(due) != 2 {
			t.Fatalf("due after completion %+v %v", due, err)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'refuge.child_task' AND record_kind = 'child'`); n != 2 {
			t.Fatalf("completions audited %d times", n)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'refuge.child_tasks_read' AND record_kind = 'client' AND record_id = $1`, c); n != 3 {
			t.Fatalf("task reads audited %d times", n)
		}
		vaulttest.AssertNoPlaintext(t, w.db, w.cfg, "Northgate Primary School")

		// A departed household leaves the inbox.
		if err := w.svc.Depart(ctx, w.workerA, st.ID, refuge.Departure{Date: w.now(), Reason: "planned_move_on", MoveOn: refuge.SocialHousing}); err != nil {
			t.Fatal(err)
		}
		if due, err := w.svc.DueChildTasks(ctx, w.workerA); err != nil || len(due) != 0 {
			t.Fatalf("due after departure %+v %v", due, err)
		}
	})
}

// A household admitted without children has no tasks.
func TestChildTasksNoChildren(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Bea")
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), 1)
		ref, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p.Units[0].ID, Household: refuge.Household{ClientID: c, Adults: 1, Service: refuge.Women}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Offer(ctx, w.workerA, ref.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Accept(ctx, w.frontdoor, ref.ID); err != nil {
			t.Fatal(err)
		}
		st, err := w.svc.Admit(ctx, w.workerA, ref.ID, refuge.Admission{MoveIn: w.now()})
		if err != nil {
			t.Fatal(err)
		}
		if tasks, err := w.svc.ChildTasks(ctx, w.workerA, st.ID); err != nil || len(tasks) != 0 {
			t.Fatalf("tasks %+v %v", tasks, err)
		}
	})
}
