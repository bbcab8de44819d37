package refuge_test

import (
	"testing"

	"frontdoor/internal/errs"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// A client restricted to named staff: the stay, its children's tasks and
// its move-on plan do not exist for the refuge's other staff, though
// their team runs the property; the named still work them.
func TestRestrictedClientsStayIsHidden(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c := w.client(t, "Amina")
		boy := w.child(t, c, "Tobi")
		p := w.property(t, "Rowan House", "Ashby", "Northgate", "1 Secret Row", criteria(), 3)
		h := refuge.Household{ClientID: c, Adults: 1, Children: []refuge.Child{{Age: 14, Boy: true}}, Service: refuge.Women}
		ref, err := w.svc.Hold(ctx, w.frontdoor, refuge.HoldRequest{UnitID: p.Units[0].ID, Household: h})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Offer(ctx, w.workerA, ref.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Accept(ctx, w.frontdoor, ref.ID); err != nil {
			t.Fatal(err)
		}
		stay, err := w.svc.Admit(ctx, w.workerA, ref.ID, refuge.Admission{MoveIn: w.now(), ChildIDs: []string{boy}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.ChildTasks(ctx, w.workerA, stay.ID); err != nil {
			t.Fatalf("before the restriction: %v", err)
		}
		if err := w.people.Restrict(ctx, w.managerA, c, []string{w.managerA.StaffID, w.frontdoor.StaffID}); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.OpenStay(ctx, w.workerA, stay.ID)
		code(t, err, errs.NotFound, "")
		_, err = w.svc.ChildTasks(ctx, w.workerA, stay.ID)
		code(t, err, errs.NotFound, "")
		_, err = w.svc.MoveOnPlan(ctx, w.workerA, stay.ID)
		code(t, err, errs.NotFound, "")
		code(t, w.svc.Depart(ctx, w.workerA, stay.ID, refuge.Departure{Date: w.now(), Reason: "planned_move_on", MoveOn: "own_tenancy"}), errs.NotFound, "")
		// The named manager still runs the stay.
		if _, err := w.svc.OpenStay(ctx, w.managerA, stay.ID); err != nil {
			t.Fatal(err)
		}
		if tasks, err := w.svc.ChildTasks(ctx, w.managerA, stay.ID); err != nil || len(tasks) != 2 {
			t.Fatalf("the named manager's tasks %+v %v", tasks, err)
		}
	})
}
