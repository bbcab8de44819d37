package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/intake"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/review"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// controllerWorld is a client of the holding organisation's outreach team
// living in a refuge that a partner organisation runs, with the people
// the outside testers used: the partner's refuge manager, the client's
// worker and manager, the holding organisation's data protection lead.
type controllerWorld struct {
	*frontDoor
	client, stay                      string
	orgB                              string
	worker, manager, dpl, partnerBoss *harness
	workerA, managerA, dplA, partnerA access.Actor
	partnerWorker, partnerWorkerB     access.Actor
	refugeOps                         *refuge.Service
}

func newControllerWorld(t *testing.T, d store.Dialect) *controllerWorld {
	t.Helper()
	ctx := context.Background()
	f := newFrontDoor(t, d)
	w := &controllerWorld{frontDoor: f, orgB: "0190f2a0-0000-7000-8000-0000000000b7", refugeOps: attachRefuge(f)}
	now := f.clock.Now()
	if err := f.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Partner Refuge Trust', 'refuge_operator', $2)`, w.orgB, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('team-b-refuge', $1, 'Refuge', 'refuge', $2)`, w.orgB, now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	w.worker, w.workerA = f.staffIn(t, f.org, "client.worker", access.RoleOutreachWorker, "team-outreach")
	w.manager, w.managerA = f.staffIn(t, f.org, "client.manager", access.RoleTeamManager, "team-outreach")
	w.dpl, w.dplA = f.staffIn(t, f.org, "holding.dpl", access.RoleDataProtectionLead)
	w.partnerBoss, w.partnerA = f.staffIn(t, w.orgB, "partner.manager", access.RoleTeamManager, "team-b-refuge")
	_, w.partnerWorker = f.staffIn(t, w.orgB, "partner.worker", access.RoleRefugeWorker, "team-b-refuge")
	_, w.partnerWorkerB = f.staffIn(t, w.orgB, "partner.other", access.RoleRefugeWorker, "team-b-refuge")
	if err := w.refugeOps.ImportProperties(ctx, []refuge.NewProperty{{ID: "0190f2a0-0000-7000-8000-0000000b0b77", TeamID: "team-b-refuge", Name: "Partner House",
		Kind: refuge.Satellite, Town: "Southtown", Area: "South", Address: "9 Secret Row",
		Accepts: refuge.Criteria{Service: refuge.Women, MaxHouseholdSize: 2, MaxChildren: 1, MaxBoyAge: 17, OutOfArea: true},
		Units:   []refuge.NewUnit{{ID: "0190f2a0-0000-7000-8000-0000000b0b78", Name: "Flat", Bedspaces: 2}}}}); err != nil {
		t.Fatal(err)
	}
	o := f.srv.Options
	c, err := o.People.Create(ctx, w.workerA, people.NewClient{GivenName: "Harriet", FamilyName: "Vane", TeamID: "team-outreach",
		Details: people.Details{Gender: "female", Address: "4 New Home Close"}})
	if err != nil {
		t.Fatal(err)
	}
	w.client = c.ID
	ref, err := w.refugeOps.Hold(ctx, w.workerA, refuge.HoldRequest{UnitID: "0190f2a0-0000-7000-8000-0000000b0b78",
		Household: refuge.Household{ClientID: c.ID, Adults: 2, Service: refuge.Women}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.refugeOps.Offer(ctx, w.partnerWorker, ref.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.refugeOps.Accept(ctx, w.workerA, ref.ID); err != nil {
		t.Fatal(err)
	}
	st, err := w.refugeOps.Admit(ctx, w.partnerWorker, ref.ID, refuge.Admission{MoveIn: f.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	w.stay = st.ID
	return w
}

func (w *controllerWorld) restrictions(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.db.Read(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT count(*) FROM record_restrictions WHERE record_id = $1`, []any{w.client}, &n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// The outside testers' case: the manager of the partner organisation
// running a client's refuge stay restricted her to himself, locking out
// her own worker, manager and data protection lead, and kept her address
// after she left. Now the partner reads while the stay lasts and can do
// nothing else to the record; only the holding organisation restricts,
// naming only its own active staff; its data protection lead can always
// lift a restriction; the partner's access ends with the stay.
func TestPartnerOrganisationCannotTakeOverARecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newControllerWorld(t, d)
		person := "/people/" + w.client

		// During the stay the partner's manager reads the record...
		if resp, body := w.partnerBoss.get(t, person); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Harriet") {
			t.Fatalf("the partner's manager during the stay: %d", resp.StatusCode)
		}
		// ...and can neither restrict it, change it, nor see who read it.
		resp, body := w.partnerBoss.post(t, person+"/restrict", url.Values{"staff": {w.partnerA.StaffID}})
		if resp.StatusCode != http.StatusForbidden || strings.Contains(body, "Harriet") {
			t.Fatalf("the partner's manager restricting the record: %d, want 403", resp.StatusCode)
		}
		if n := w.restrictions(t); n != 0 {
			t.Fatalf("the partner's refused restriction left %d rows", n)
		}
		if resp, _ := w.partnerBoss.post(t, person, url.Values{"version": {"1"}, "given_name": {"Changed"}, "family_name": {"Vane"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("the partner's manager editing the record: %d, want 403", resp.StatusCode)
		}
		if resp, _ := w.partnerBoss.get(t, person+"/history"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("the partner's manager reading the access history: %d, want 403", resp.StatusCode)
		}
		if _, body := w.partnerBoss.get(t, person); strings.Contains(body, `action="`+person+`/restrict"`) {
			t.Error("the client page offers the partner's manager the restriction form")
		}

		// The holding organisation's manager cannot name the partner's
		// staff, nor anyone who is not active staff of the organisation:
		// a field error, nothing changed.
		for who, staff := range map[string]string{"the partner's manager": w.partnerA.StaffID, "the partner's refuge worker": w.partnerWorker.StaffID,
			"a staff ID that names nobody": unknownID} {
			resp, body := w.manager.post(t, person+"/restrict", url.Values{"staff": {staff}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "active staff of the organisation that holds this record") {
				t.Errorf("naming %s on a restriction: %d\n%s", who, resp.StatusCode, errorSummary(body))
			}
			if n := w.restrictions(t); n != 0 {
				t.Fatalf("naming %s left %d restriction rows", who, n)
			}
		}
		_, disabled := w.staffIn(t, w.org, "left.worker", access.RoleOutreachWorker, "team-outreach")
		if err := w.auth.SetDisabled(context.Background(), "", disabled.StaffID, true, "left the organisation last week"); err != nil {
			t.Fatal(err)
		}
		if resp, _ := w.manager.post(t, person+"/restrict", url.Values{"staff": {disabled.StaffID}}); resp.StatusCode != http.StatusUnprocessableEntity || w.restrictions(t) != 0 {
			t.Fatalf("naming a disabled account: %d", resp.StatusCode)
		}

		// The manager restricts the record to themselves: the client's own
		// worker and the partner are shut out.
		if resp, _ := w.manager.post(t, person+"/restrict", url.Values{}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("restrict: %d", resp.StatusCode)
		}
		for who, h := range map[string]*harness{"the client's worker": w.worker, "the partner's manager": w.partnerBoss} {
			if resp, _ := h.get(t, person); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("%s after the restriction: %d, want 404", who, resp.StatusCode)
			}
		}

		// The data protection lead of the holding organisation, not named,
		// finds it on the review page and lifts it with a reason.
		_, body = w.dpl.get(t, "/review")
		if !strings.Contains(body, `id="restricted-records"`) || !strings.Contains(body, `action="`+person+`/unrestrict"`) || strings.Contains(body, "Harriet") {
			t.Fatalf("the review page does not offer to lift the restriction, or names the client:\n%s", body)
		}
		if resp, body := w.dpl.post(t, person+"/unrestrict", url.Values{"from": {"review"}, "reason": {""}}); resp.StatusCode != http.StatusUnprocessableEntity || w.restrictions(t) != 1 {
			t.Fatalf("lifting without a reason: %d %s", resp.StatusCode, errorSummary(body))
		}
		if resp, _ := w.dpl.post(t, person+"/unrestrict", url.Values{"from": {"review"}, "reason": {"the manager restricted it to himself by mistake"}}); resp.StatusCode != http.StatusSeeOther || w.restrictions(t) != 0 {
			t.Fatalf("the data protection lead lifting the restriction: %d", resp.StatusCode)
		}
		if resp, _ := w.worker.get(t, person); resp.StatusCode != http.StatusOK {
			t.Fatalf("the client's worker after the lift: %d", resp.StatusCode)
		}
		if _, body := w.dpl.get(t, "/review"); !strings.Contains(body, "the manager restricted it to himself by mistake") || !strings.Contains(body, "Restriction lifted") {
			t.Error("the review page does not show the lift with its reason")
		}
		// The data protection lead of another organisation cannot.
		_, otherDPL := w.staffIn(t, w.orgB, "partner.dpl", access.RoleDataProtectionLead)
		if err := w.srv.Options.People.Restrict(context.Background(), w.managerA, w.client, nil); err != nil {
			t.Fatal(err)
		}
		if err := w.srv.Options.People.LiftRestriction(context.Background(), otherDPL, w.client, "I lead data protection at the partner"); err == nil || w.restrictions(t) == 0 {
			t.Fatalf("another organisation's data protection lead lifted a restriction: %v", err)
		}
		if err := w.srv.Options.People.LiftRestriction(context.Background(), w.dplA, w.client, "back to the team after review"); err != nil {
			t.Fatal(err)
		}

		// The partner's access ends when the stay does.
		today := w.clock.Now().UTC()
		if err := w.refugeOps.Depart(context.Background(), w.partnerWorker, w.stay, refuge.Departure{Date: today, Reason: "planned_move_on", MoveOn: refuge.SocialHousing}); err != nil {
			t.Fatal(err)
		}
		if resp, body := w.partnerBoss.get(t, person); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "4 New Home Close") {
			t.Fatalf("the partner's manager after the departure: %d, want 404", resp.StatusCode)
		}
	})
}

// Break-glass is for staff of the record's organisation, for a reason
// from the short list with what happened; the holding organisation's data
// protection lead sees it at once on their home page.
func TestBreakGlassStaysWithinTheRecordsOrganisation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newControllerWorld(t, d)
		person := "/people/" + w.client
		grants := func() int {
			var n int
			if err := w.db.Read(context.Background(), func(tx *store.Tx) error {
				return tx.QueryRow(context.Background(), `SELECT count(*) FROM break_glass_grants WHERE record_id = $1`, []any{w.client}, &n)
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// Another organisation's refuge worker with no stay relation (a
		// second partner team member is in the stay's team, so take one
		// from an unrelated organisation): told nothing, granted nothing.
		const orgC = "0190f2a0-0000-7000-8000-0000000000c7"
		if err := w.db.Write(context.Background(), func(tx *store.Tx) error {
			_, err := tx.Exec(context.Background(), `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Another Refuge', 'refuge_operator', $2)`, orgC, w.clock.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		outsider, _ := w.staffIn(t, orgC, "outside.refuge", access.RoleRefugeWorker)
		resp, body := outsider.post(t, person+"/break-glass", url.Values{"reason_kind": {"immediate_danger"}, "reason": {"curiosity, nothing urgent at all"}})
		if resp.StatusCode != http.StatusNotFound || grants() != 0 || strings.Contains(body, "Harriet") {
			t.Fatalf("break-glass across organisations: %d, %d grants", resp.StatusCode, grants())
		}
		if resp, _ := outsider.get(t, person); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("another organisation's worker opening the record: %d, want 404", resp.StatusCode)
		}

		// The holding organisation's helpline worker, no relation: offered
		// the form with the list; a reason off the list is refused.
		helpline, _ := w.staffIn(t, w.org, "night.helpline", access.RoleFrontDoorWorker, "team-helpline")
		resp, body = helpline.get(t, person)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `name="reason_kind"`) || !strings.Contains(body, "Someone is in danger now") {
			t.Fatalf("the refusal page of the organisation's own worker: %d", resp.StatusCode)
		}
		resp, body = helpline.post(t, person+"/break-glass", url.Values{"reason_kind": {"curiosity"}, "reason": {"curiosity, nothing urgent at all"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose why you need emergency access now") || grants() != 0 {
			t.Fatalf("break-glass for a reason off the list: %d, %d grants", resp.StatusCode, grants())
		}
		resp, _ = helpline.post(t, person+"/break-glass", url.Values{"reason_kind": {"client_in_contact"}, "reason": {"she rang the helpline at 9 pm and her worker is off"}})
		if resp.StatusCode != http.StatusSeeOther || grants() != 1 {
			t.Fatalf("break-glass with a listed reason: %d, %d grants", resp.StatusCode, grants())
		}
		_, body = w.dpl.get(t, "/")
		if !strings.Contains(body, `id="home-break-glass"`) || !strings.Contains(body, "she rang the helpline at 9 pm and her worker is off") ||
			!strings.Contains(body, "The client is in touch now and their workers cannot be reached") {
			t.Fatalf("the data protection lead's home page does not show the break-glass at once:\n%s", body)
		}
		// The partner organisation's lead sees none of it.
		partnerDPL, _ := w.staffIn(t, w.orgB, "partner.lead", access.RoleDataProtectionLead)
		if _, body := partnerDPL.get(t, "/"); strings.Contains(body, "her worker is off") {
			t.Error("another organisation's data protection lead sees the break-glass")
		}
	})
}

// Every refusal is in the audit trail with who, what and why, and the
// data protection lead's review page shows them, raising an alert for an
// account refused many times in a day.
func TestRefusalsReachTheReviewPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newControllerWorld(t, d)
		prober, probe := w.staffIn(t, w.org, "curious.worker", access.RoleFrontDoorWorker, "team-helpline")
		before := 0
		if err := w.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = $1`, []any{audit.ActionRefused}, &before)
		}); err != nil {
			t.Fatal(err)
		}
		// Refused a page of the service, a record's edit, a stay, a
		// referral to a refuge: each recorded.
		for i := range review.RefusalAlertThreshold {
			paths := []string{"/people/" + w.client + "/edit", "/refuge/stays/" + w.stay, "/review", "/people/" + w.client + "/history"}
			if resp, _ := prober.get(t, paths[i%len(paths)]); resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
				t.Fatalf("%s: %d, want a refusal", paths[i%len(paths)], resp.StatusCode)
			}
		}
		var events []audit.Event
		if err := w.db.Read(context.Background(), func(tx *store.Tx) error {
			var err error
			events, err = audit.Recent(context.Background(), tx, audit.ActionRefused, w.clock.Now().Add(-time.Hour), 100)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		mine := 0
		for _, e := range events {
			if e.ActorID == probe.StaffID {
				mine++
				if e.Purpose == "" || !strings.Contains(e.Purpose, ": ") {
					t.Errorf("a refusal without the action and reason: %+v", e)
				}
			}
		}
		if mine != review.RefusalAlertThreshold {
			t.Fatalf("%d refusal events for %d refused requests", mine, review.RefusalAlertThreshold)
		}
		resp, body := w.dpl.get(t, "/review")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="refusals"`) || !strings.Contains(body, "Staff curious.worker") ||
			!strings.Contains(body, "change the record") || !strings.Contains(body, `id="refusal-alerts"`) {
			t.Fatalf("the review page's refusals and alert:\n%s", body)
		}
		if _, body := w.dpl.get(t, "/"); !strings.Contains(body, `id="refusal-alerts"`) || !strings.Contains(body, "Staff curious.worker") {
			t.Error("the data protection lead's home page does not raise the alert")
		}
		// Another organisation's data protection lead sees none of it.
		partnerDPL, _ := w.staffIn(t, w.orgB, "partner.lead", access.RoleDataProtectionLead)
		if _, body := partnerDPL.get(t, "/review"); strings.Contains(body, "curious.worker") {
			t.Error("another organisation's data protection lead sees this organisation's refusals")
		}
	})
}

// A restricted client's accommodation referral and stay leave the
// refuge's own lists too (the inbox, the board's links), not only their
// pages: her unit still shows as occupied, with nothing to open.
func TestRestrictedClientLeavesTheRefugesLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newControllerWorld(t, d)
		ctx := context.Background()
		partner, _ := w.staffIn(t, w.orgB, "partner.desk", access.RoleRefugeWorker, "team-b-refuge")
		inbox, err := w.refugeOps.Inbox(ctx, w.partnerWorker)
		if err != nil || len(inbox) != 1 {
			t.Fatalf("the partner's inbox before the restriction: %+v %v", inbox, err)
		}
		referral := inbox[0].ReferralID
		if _, body := partner.get(t, "/refuge/referrals"); !strings.Contains(body, referral) {
			t.Fatal("the inbox page does not list the referral before the restriction")
		}
		if _, body := partner.get(t, "/vacancies"); !strings.Contains(body, "/refuge/stays/"+w.stay) {
			t.Fatal("the board does not link the stay before the restriction")
		}
		if err := w.srv.Options.People.Restrict(ctx, w.managerA, w.client, nil); err != nil {
			t.Fatal(err)
		}
		if inbox, err := w.refugeOps.Inbox(ctx, w.partnerWorker); err != nil || len(inbox) != 0 {
			t.Fatalf("the partner's inbox after the restriction: %+v %v", inbox, err)
		}
		if _, body := partner.get(t, "/refuge/referrals"); strings.Contains(body, referral) {
			t.Error("the inbox page still lists a restricted client's referral")
		}
		board, err := w.refugeOps.Board(ctx, w.partnerWorker)
		if err != nil || len(board) != 1 || len(board[0].Units) != 1 {
			t.Fatalf("board: %+v %v", board, err)
		}
		if u := board[0].Units[0]; u.State != refuge.UnitOccupied || u.StayID != "" {
			t.Fatalf("a restricted client's unit on the board: %+v, want occupied with nothing to open", u)
		}
		if _, body := partner.get(t, "/vacancies"); strings.Contains(body, w.stay) || !strings.Contains(body, `action="/vacancies/units/0190f2a0-0000-7000-8000-0000000b0b78/vacate"`) {
			t.Error("the board page still links a restricted client's stay, or offers no way to record that she left")
		}
		// When she leaves, the refuge frees the unit from the board.
		resp, body := partner.post(t, "/vacancies/units/0190f2a0-0000-7000-8000-0000000b0b78/vacate", url.Values{"date": {"soon"}, "reason": {""}, "move_on": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity || strings.Contains(body, "Harriet") {
			t.Fatalf("a bad departure by the unit: %d", resp.StatusCode)
		}
		today := w.clock.Now().UTC().Format("2006-01-02")
		if resp, _ := partner.post(t, "/vacancies/units/0190f2a0-0000-7000-8000-0000000b0b78/vacate", url.Values{"date": {today}, "reason": {"planned_move_on"}, "move_on": {"unknown"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the refuge recording that the household left: %d", resp.StatusCode)
		}
		if board, err := w.refugeOps.Board(ctx, w.partnerWorker); err != nil || board[0].Units[0].State != refuge.UnitFree {
			t.Fatalf("the unit after the departure: %+v %v", board, err)
		}
	})
}

// The data protection lead reviews their own organisation: another
// organisation's lead is told nothing of this one's records, refusals,
// break-glass or restrictions, and gets "not found" for its records'
// histories.
func TestReviewIsTheLeadsOwnOrganisation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newControllerWorld(t, d)
		ctx := context.Background()
		helpline, _ := w.staffIn(t, w.org, "review.helpline", access.RoleFrontDoorWorker, "team-helpline")
		if resp, _ := helpline.post(t, "/people/"+w.client+"/break-glass", url.Values{"reason_kind": {"immediate_danger"}, "reason": {"police at the door asking for her"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("break-glass: %d", resp.StatusCode)
		}
		if err := w.srv.Options.People.Restrict(ctx, w.managerA, w.client, nil); err != nil {
			t.Fatal(err)
		}
		partnerDPL, _ := w.staffIn(t, w.orgB, "partner.review", access.RoleDataProtectionLead)
		_, body := partnerDPL.get(t, "/review")
		for _, leak := range []string{"police at the door", w.client, "Staff review.helpline", "Staff client.manager"} {
			if strings.Contains(body, leak) {
				t.Errorf("another organisation's review page shows %q", leak)
			}
		}
		for _, id := range []string{w.client, w.workerA.StaffID} {
			if resp, _ := partnerDPL.get(t, "/review/records/"+id); resp.StatusCode != http.StatusNotFound {
				t.Errorf("another organisation's lead reading the history of %s: %d, want 404", id, resp.StatusCode)
			}
		}
		// The holding organisation's lead sees all of it.
		_, body = w.dpl.get(t, "/review")
		for _, want := range []string{"police at the door asking for her", `action="/people/` + w.client + `/unrestrict"`, "Staff client.manager"} {
			if !strings.Contains(body, want) {
				t.Errorf("the holding organisation's review page lacks %q", want)
			}
		}
		if resp, body := w.dpl.get(t, "/review/records/"+w.client); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Emergency access opened") {
			t.Errorf("the holding organisation's lead reading the history: %d", resp.StatusCode)
		}
	})
}

// A client restricted away from her own worker and from another manager
// of her team, once her risk review is due: their home page and task list
// still open, with her left out, and nothing is recorded as refused (a
// list leaving out what the reader may not see refuses nothing).
func TestRestrictedClientsDueReviewLeavesHomePagesWorking(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		f := newFrontDoor(t, d)
		f.auth.IdleTimeout, f.auth.AbsoluteTimeout = 72*time.Hour, 72*time.Hour
		o := f.srv.Options
		o.Risk.ReviewAfter = map[risk.Level]time.Duration{risk.Standard: time.Hour, risk.Medium: time.Hour, risk.High: time.Hour}
		worker, workerA := f.staffIn(t, f.org, "due.worker", access.RoleOutreachWorker, "team-outreach")
		_, restricting := f.staffIn(t, f.org, "due.manager", access.RoleTeamManager, "team-outreach")
		other, _ := f.staffIn(t, f.org, "due.other", access.RoleTeamManager, "team-outreach")
		c, err := o.People.Create(ctx, workerA, people.NewClient{GivenName: "Review", FamilyName: "Due", TeamID: "team-outreach"})
		if err != nil {
			t.Fatal(err)
		}
		set, err := o.Risk.Set(ctx, risk.DefaultSetID, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := risk.NewAssessment{ClientID: c.ID}
		for _, it := range set.Items {
			n.Answers = append(n.Answers, risk.AnswerInput{Key: it.Key, Value: risk.No, Source: risk.FromClient})
		}
		if _, err := o.Risk.Assess(ctx, workerA, n); err != nil {
			t.Fatal(err)
		}
		if err := o.People.Restrict(ctx, restricting, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(2 * time.Hour)
		count := func() int {
			var k int
			if err := f.db.Read(ctx, func(tx *store.Tx) error {
				return tx.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = $1`, []any{audit.ActionRefused}, &k)
			}); err != nil {
				t.Fatal(err)
			}
			return k
		}
		for who, h := range map[string]*harness{"her worker": worker, "another manager of her team": other} {
			for _, path := range []string{"/", "/tasks"} {
				before := count()
				resp, body := h.get(t, path)
				if resp.StatusCode != http.StatusOK || strings.Contains(body, "Review Due") || count() != before {
					t.Errorf("%s: GET %s = %d, %d refusals recorded", who, path, resp.StatusCode, count()-before)
				}
			}
		}
	})
}

// Admission names the other adults moving in by client ID: an ID that
// names a client restricted from the refuge's team, another
// organisation's client or nobody is answered alike, and nobody hidden is
// written into the stay.
func TestAdmissionCannotAskWhetherAnIDNamesSomeone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newControllerWorld(t, d)
		ctx := context.Background()
		o := w.srv.Options
		if err := w.refugeOps.ImportProperties(ctx, []refuge.NewProperty{{ID: "0190f2a0-0000-7000-8000-0000000b1b77", TeamID: "team-b-refuge", Name: "Second House",
			Kind: refuge.Satellite, Town: "Southtown", Area: "South", Address: "11 Secret Row",
			Accepts: refuge.Criteria{Service: refuge.Women, MaxHouseholdSize: 3, MaxChildren: 1, MaxBoyAge: 17, OutOfArea: true},
			Units:   []refuge.NewUnit{{ID: "0190f2a0-0000-7000-8000-0000000b1b78", Name: "Flat", Bedspaces: 3}}}}); err != nil {
			t.Fatal(err)
		}
		mother, err := o.People.Create(ctx, w.workerA, people.NewClient{GivenName: "Moving", FamilyName: "Household", TeamID: "team-outreach", Details: people.Details{Gender: "female"}})
		if err != nil {
			t.Fatal(err)
		}
		hidden, err := o.People.Create(ctx, w.workerA, people.NewClient{GivenName: "Hidden", FamilyName: "Adult", TeamID: "team-outreach"})
		if err != nil {
			t.Fatal(err)
		}
		if err := o.People.Restrict(ctx, w.managerA, hidden.ID, nil); err != nil {
			t.Fatal(err)
		}
		ref, err := w.refugeOps.Hold(ctx, w.workerA, refuge.HoldRequest{UnitID: "0190f2a0-0000-7000-8000-0000000b1b78",
			Household: refuge.Household{ClientID: mother.ID, Adults: 2, Service: refuge.Women}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.refugeOps.Offer(ctx, w.partnerWorker, ref.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.refugeOps.Accept(ctx, w.workerA, ref.ID); err != nil {
			t.Fatal(err)
		}
		answer := func(adult string) string {
			_, err := w.refugeOps.Admit(ctx, w.partnerWorker, ref.ID, refuge.Admission{MoveIn: w.clock.Now(), AdultIDs: []string{adult}})
			if err == nil {
				t.Fatalf("admitting beside %s was accepted", adult)
			}
			return err.Error()
		}
		if h, r := answer(hidden.ID), answer(unknownID); h != r {
			t.Fatalf("a restricted client's ID is answered %q, an ID that names nobody %q", h, r)
		}
		var n int
		if err := w.db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM refuge_stay_members WHERE person_id = $1`, []any{hidden.ID}, &n)
		}); err != nil || n != 0 {
			t.Fatalf("the hidden client was written into a stay: %d %v", n, err)
		}
	})
}

// A partner refuge reads what the stay needs: the client's record, and the
// children who live there with her, not a child who stayed elsewhere; and
// not the front door's work (calls, referrals, triage, cases), which is the
// holding organisation's, as its referral pages are.
func TestPartnerReadsWhatTheStayNeeds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newControllerWorld(t, d)
		ctx := context.Background()
		o := w.srv.Options
		if err := w.refugeOps.ImportProperties(ctx, []refuge.NewProperty{{ID: "0190f2a0-0000-7000-8000-0000000b2b77", TeamID: "team-b-refuge", Name: "Family House",
			Kind: refuge.Satellite, Town: "Southtown", Area: "South", Address: "13 Secret Row",
			Accepts: refuge.Criteria{Service: refuge.Women, MaxHouseholdSize: 3, MaxChildren: 2, MaxBoyAge: 17, OutOfArea: true},
			Units:   []refuge.NewUnit{{ID: "0190f2a0-0000-7000-8000-0000000b2b78", Name: "Flat", Bedspaces: 2}}}}); err != nil {
			t.Fatal(err)
		}
		mother, err := o.People.Create(ctx, w.workerA, people.NewClient{GivenName: "Mother", FamilyName: "Moving", TeamID: "team-outreach", Details: people.Details{Gender: "female"}})
		if err != nil {
			t.Fatal(err)
		}
		with, err := o.People.CreateChild(ctx, w.workerA, mother.ID, people.NewChild{GivenName: "Withher", FamilyName: "Moving"})
		if err != nil {
			t.Fatal(err)
		}
		elsewhere, err := o.People.CreateChild(ctx, w.workerA, mother.ID, people.NewChild{GivenName: "Atnans", FamilyName: "Moving"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.Intake.LogContact(ctx, w.workerA, intake.NewContact{Channel: "phone", Direction: "in", CallerType: "victim", ServiceLine: "main",
			Outcome: "advice_given", ClientID: mother.ID, Note: "told us where her sister lives"}); err != nil {
			t.Fatal(err)
		}
		ref, err := w.refugeOps.Hold(ctx, w.workerA, refuge.HoldRequest{UnitID: "0190f2a0-0000-7000-8000-0000000b2b78",
			Household: refuge.Household{ClientID: mother.ID, Adults: 1, Children: []refuge.Child{{}}, Service: refuge.Women}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.refugeOps.Offer(ctx, w.partnerWorker, ref.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.refugeOps.Accept(ctx, w.workerA, ref.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.refugeOps.Admit(ctx, w.partnerWorker, ref.ID, refuge.Admission{MoveIn: w.clock.Now(), ChildIDs: []string{with.ID}}); err != nil {
			t.Fatal(err)
		}
		partner, _ := w.staffIn(t, w.orgB, "partner.keyworker", access.RoleRefugeWorker, "team-b-refuge")
		if resp, body := partner.get(t, "/children/"+with.ID); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Withher") {
			t.Fatalf("the partner opening the child who lives there: %d", resp.StatusCode)
		}
		if resp, body := partner.get(t, "/children/"+elsewhere.ID); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Atnans") {
			t.Fatalf("the partner opening the child who stayed elsewhere: %d, want 404", resp.StatusCode)
		}
		if resp, body := partner.get(t, "/people/"+mother.ID+"/timeline"); resp.StatusCode != http.StatusOK || strings.Contains(body, "where her sister lives") {
			t.Fatalf("the partner's case page: %d, shows the front door's notes: %v", resp.StatusCode, strings.Contains(body, "where her sister lives"))
		}
		if _, body := w.worker.get(t, "/people/"+mother.ID+"/timeline"); !strings.Contains(body, "where her sister lives") {
			t.Fatal("her own worker's case page does not show the call")
		}
	})
}

// The review's lists are the organisation's, chosen in the database: a
// flood of another organisation's refusals cannot push this one's out of
// view; another organisation's staff refused on this one's records are
// shown (and alerted on) too; a long access history pages back.
func TestReviewListsCannotBeFlooded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newControllerWorld(t, d)
		ctx := context.Background()
		rec := w.srv.Options.Record
		_, ours := w.staffIn(t, w.org, "our.prober", access.RoleFrontDoorWorker, "team-helpline")
		_, theirs := w.staffIn(t, w.orgB, "their.prober", access.RoleRefugeWorker, "team-b-refuge")
		write := func(n int, e audit.Event) {
			if err := w.db.Write(ctx, func(tx *store.Tx) error {
				for range n {
					if err := rec(ctx, tx, e); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		refusal := func(actor, record, what string) audit.Event {
			return audit.Event{ActorID: actor, Action: audit.ActionRefused, RecordKind: "client", RecordID: record, Purpose: what + ": a test of the review"}
		}
		// Ours, first; then another organisation's staff on our client;
		// then a flood by the other organisation on a record that is
		// nobody's here.
		write(1, refusal(ours.StaffID, unknownID, "record.export"))
		write(review.RefusalAlertThreshold, refusal(theirs.StaffID, w.client, "record.history"))
		write(2100, refusal(theirs.StaffID, "0190f2a0-0000-7000-8000-00000000f100", "record.update"))
		_, body := w.dpl.get(t, "/review")
		if !strings.Contains(body, "export the record") || !strings.Contains(body, "Staff our.prober") {
			t.Error("our own account's refusal was pushed out of the review by another organisation's")
		}
		if !strings.Contains(body, "see the access history") || !strings.Contains(body, `id="refusal-alerts"`) || !strings.Contains(body, "Staff their.prober") {
			t.Error("another organisation's staff refused on our record are not shown and alerted on")
		}
		if strings.Contains(body, "0190f2a0-0000-7000-8000-00000000f100") {
			t.Error("a refusal that concerns another organisation only is on this review page")
		}

		// 250 reads of the client: the history shows the newest 200 and
		// pages back to the rest.
		write(250, audit.Event{ActorID: w.workerA.StaffID, Action: "record.read", RecordKind: "client", RecordID: w.client})
		resp, body := w.dpl.get(t, "/review/records/"+w.client)
		older := regexp.MustCompile(`href="(/review/records/[^"?]+\?before=\d+)" id="history-older"`).FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || strings.Count(body, "<tr>") < audit.HistoryPage || older == nil {
			t.Fatalf("the first page of a long history: %d, %d rows, older link %v", resp.StatusCode, strings.Count(body, "<tr>"), older)
		}
		_, body = w.dpl.get(t, strings.ReplaceAll(older[1], "&amp;", "&"))
		if !strings.Contains(body, "Record added") {
			t.Error("paging back does not reach the record's first events")
		}
	})
}
