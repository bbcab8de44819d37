package demo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/refuge"
)

// loadedHousehold is what the stays replay needs of a household whose
// people were loaded: its client, the worker who may update the client,
// and its children's IDs (index as Household.Children; "" when not
// loaded, a child grown up by now).
type loadedHousehold struct {
	client   string
	worker   access.Actor
	children []string
}

// stayedSince reports whether the household lived in refuge on or after t.
func stayedSince(h *Household, t time.Time) bool {
	for _, pm := range h.Placements {
		if pm.MoveOut.IsZero() || pm.MoveOut.After(t) {
			return true
		}
	}
	return false
}

// turnedAwaySince reports whether a refuge referral of the household
// ended without admission on or after t.
func turnedAwaySince(h *Household, t time.Time) bool {
	for _, r := range h.Referrals {
		if isTurnaway(r) && !r.Received.Before(t) {
			return true
		}
	}
	return false
}

func isTurnaway(r Referral) bool {
	return r.Outcome == "turnaway_no_space" || r.Outcome == "turnaway_needs_not_met"
}

// stayEvent is one step of the refuge history: an arrival (hold, offer,
// acceptance, admission), a departure, or a referral that ended without
// admission.
type stayEvent struct {
	at   time.Time // in the generator's time
	kind int       // order at the same time: departures free units first
	h    *Household
	pm   *Placement
	ref  *Referral
	stay string // filled by the arrival, for the departure
}

const (
	departs = iota
	turnedAway
	arrives
)

// stays replays the loaded households' refuge history through the refuge
// service, in time order across households (a unit is free for the next
// household only once the last has left): for each placement a front door
// worker holds the unit, the refuge's own team offers it, the worker
// records the client's acceptance and the refuge team admits the
// household at its move-in; those who have left depart with their reason
// and move-on destination. Refuge referrals that ended without admission
// are turnaways: a refusal by the refuge when a unit was free but could
// not meet the household's needs, else recorded with their reason.
func (l *peopleLoader) stays(ctx context.Context, households []*Household) error {
	props := map[string]Property{}
	for _, p := range l.partnership.Properties {
		props[p.ID] = p
	}
	var events []*stayEvent
	for _, h := range households {
		if l.loaded[h] == nil {
			continue
		}
		for i := range h.Placements {
			pm := &h.Placements[i]
			if _, ok := props[pm.PropertyID]; !ok {
				continue
			}
			in := &stayEvent{at: pm.MoveIn, kind: arrives, h: h, pm: pm}
			events = append(events, in)
			if !pm.MoveOut.IsZero() && pm.MoveOut.Add(l.shift).Before(time.Now()) {
				events = append(events, &stayEvent{at: pm.MoveOut, kind: departs, h: h, pm: pm})
			}
		}
		for i := range h.Referrals {
			r := &h.Referrals[i]
			if isTurnaway(*r) {
				events = append(events, &stayEvent{at: r.Received, kind: turnedAway, h: h, ref: r})
			}
		}
	}
	slices.SortStableFunc(events, func(a, b *stayEvent) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.kind - b.kind
	})
	stays := map[*Placement]string{}
	departed := map[*Placement]bool{}
	for _, e := range events {
		var err error
		switch e.kind {
		case arrives:
			var id string
			id, err = l.arrive(ctx, e, props[e.pm.PropertyID])
			if id != "" {
				stays[e.pm] = id
			}
		case departs:
			if id := stays[e.pm]; id != "" {
				departed[e.pm] = true
				err = l.depart(ctx, e, props[e.pm.PropertyID], id)
			}
		case turnedAway:
			err = l.turnaway(ctx, e)
		}
		if err != nil {
			return fmt.Errorf("household %d: %w", e.h.Index, err)
		}
	}
	// The households still in refuge: move-on under way, children's
	// tasks partly done.
	for _, e := range events {
		if id := stays[e.pm]; e.kind == arrives && id != "" && !departed[e.pm] {
			if err := l.moveOn(ctx, e.h, e.pm, props[e.pm.PropertyID], id, false); err != nil {
				return fmt.Errorf("household %d: %w", e.h.Index, err)
			}
		}
	}
	l.clock.set(time.Time{})
	return nil
}

// refugeWorker is the first refuge worker of the team that runs the
// property.
func (l *peopleLoader) refugeWorker(p Property) access.Actor {
	for _, s := range l.staffList {
		if s.Role == access.RoleRefugeWorker && slices.Contains(s.TeamIDs, p.TeamID) {
			return l.actor(s.ID)
		}
	}
	return access.Actor{}
}

// household is the refuge's view of who needs a place at t: the client
// and the children under 18 then.
func (l *peopleLoader) refugeHousehold(h *Household, t time.Time) refuge.Household {
	out := refuge.Household{ClientID: l.loaded[h].client, Adults: 1}
	if h.Client.Gender == "non_binary" {
		// The record does not say which service: the worker chooses (a
		// non-binary client is placed in a mixed property).
		out.Service = refuge.Women
	}
	for _, c := range h.Children {
		age := c.EstimatedAge
		if !c.DateOfBirth.IsZero() {
			if c.DateOfBirth.After(t) {
				continue // not born yet
			}
			age = yearsBetween(c.DateOfBirth, t)
		}
		if age < 0 || age > 17 {
			continue
		}
		out.Children = append(out.Children, refuge.Child{Age: age, Boy: c.Gender == "male"})
	}
	return out
}

func yearsBetween(from, to time.Time) int {
	y := to.Year() - from.Year()
	if to.YearDay() < from.YearDay() {
		y--
	}
	return y
}

// skippable is a refusal the demo passes over (a household whose
// generated stay the service would not take: a unit unsuitable by today's
// criteria, taken, or a client the worker may not see) rather than stop.
func skippable(err error) bool {
	switch errs.CodeOf(err) {
	case errs.Conflict, errs.Invalid, errs.NotFound, errs.Forbidden:
		return true
	}
	return false
}

func (l *peopleLoader) arrive(ctx context.Context, e *stayEvent, p Property) (string, error) {
	lh, pm := l.loaded[e.h], e.pm
	team := l.refugeWorker(p)
	if team.StaffID == "" || !l.canWrite(lh.worker) {
		return "", nil
	}
	svc := l.svc.Refuge
	// Referred, offered and accepted the hours before the move-in.
	l.at(pm.MoveIn.Add(-3 * time.Hour))
	ref, err := svc.Hold(ctx, lh.worker, refuge.HoldRequest{UnitID: pm.UnitID, Household: l.refugeHousehold(e.h, pm.MoveIn)})
	if skippable(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("hold: %w", err)
	}
	l.at(pm.MoveIn.Add(-2 * time.Hour))
	if _, err := svc.Offer(ctx, team, ref.ID); err != nil {
		return "", fmt.Errorf("offer: %w", err)
	}
	l.at(pm.MoveIn.Add(-time.Hour))
	if _, err := svc.Accept(ctx, lh.worker, ref.ID); err != nil {
		return "", fmt.Errorf("accept: %w", err)
	}
	moveIn := l.at(pm.MoveIn)
	var children []string
	for _, c := range lh.children {
		if c != "" && 1+len(children) < len(pm.BedspaceIDs) {
			children = append(children, c)
		}
	}
	st, err := svc.Admit(ctx, team, ref.ID, refuge.Admission{MoveIn: moveIn, ChildIDs: children})
	if err != nil {
		return "", fmt.Errorf("admit: %w", err)
	}
	l.res.Stays++
	return st.ID, nil
}

func (l *peopleLoader) depart(ctx context.Context, e *stayEvent, p Property, stayID string) error {
	pm := e.pm
	reason, dest := refuge.DepartureReason(pm.DepartureReason), refuge.MoveOn(pm.MoveOnDestination)
	if !slices.Contains(refuge.DepartureReasons, reason) {
		reason = "other"
	}
	if !slices.Contains(refuge.MoveOns, dest) {
		dest = refuge.MoveOnUnknown
	}
	if err := l.moveOn(ctx, e.h, pm, p, stayID, true); err != nil {
		return err
	}
	at := l.at(pm.MoveOut)
	if err := l.svc.Refuge.Depart(ctx, l.refugeWorker(p), stayID, refuge.Departure{Date: at, Reason: reason, MoveOn: dest}); err != nil {
		return fmt.Errorf("depart: %w", err)
	}
	l.res.Departures++
	return nil
}

// turnaway: when a unit of the refuge the household was referred to is
// free, the worker holds it and the refuge declines (needs not met, or no
// space for the household's size); otherwise the turnaway is recorded with
// its reason.
func (l *peopleLoader) turnaway(ctx context.Context, e *stayEvent) error {
	lh := l.loaded[e.h]
	if !l.canWrite(lh.worker) {
		return nil
	}
	reason := refuge.NoSpace
	if e.ref.Outcome == "turnaway_needs_not_met" {
		reason = refuge.NeedsNotMet
	}
	l.at(e.ref.Received)
	h := l.refugeHousehold(e.h, e.ref.Received)
	svc := l.svc.Refuge
	if reason == refuge.NeedsNotMet {
		for _, p := range l.partnership.Properties {
			if p.TeamID != e.ref.TeamID {
				continue
			}
			team := l.refugeWorker(p)
			if team.StaffID == "" {
				break
			}
			for _, u := range p.Units {
				ref, err := svc.Hold(ctx, lh.worker, refuge.HoldRequest{UnitID: u.ID, Household: h})
				if skippable(err) {
					continue
				}
				if err != nil {
					return fmt.Errorf("turnaway hold: %w", err)
				}
				if err := svc.Decline(ctx, team, ref.ID, refuge.Decline{By: refuge.ByRefuge, Reason: reason}); err != nil {
					return fmt.Errorf("decline: %w", err)
				}
				l.res.Turnaways++
				return nil
			}
			break
		}
	}
	err := svc.RecordTurnaway(ctx, lh.worker, h, reason)
	if skippable(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("turnaway: %w", err)
	}
	l.res.Turnaways++
	return nil
}

// moveOn replays a stay's children's tasks and move-on plan, at their
// dates between the move-in and the departure (departed) or today: the
// refuge's team closes most children's tasks in the first days (a school
// place is not needed for a child under school age or over it), makes a
// plan, and applies to the district's housing provider. A household that
// left for social housing was housed through its application first; one
// that left for its own or a private tenancy had an application it
// withdrew; those still in refuge have applications at every stage. The
// choices follow the household's index, so the same seed makes the same
// demo.
func (l *peopleLoader) moveOn(ctx context.Context, h *Household, pm *Placement, p Property, stayID string, departed bool) error {
	team := l.refugeWorker(p)
	if team.StaffID == "" {
		return nil
	}
	svc := l.svc.Refuge
	in, end := pm.MoveIn, pm.MoveOut
	if !departed {
		end = time.Now().UTC().Add(-l.shift)
	}
	if !end.After(in) {
		return nil
	}
	span := end.Sub(in)
	// when is the generator's time a fraction of the way through the stay.
	when := func(frac float64) time.Time { return l.at(in.Add(time.Duration(float64(span) * frac))) }
	days := func(n int) time.Time {
		t := in.Add(time.Duration(n) * 24 * time.Hour)
		if t.After(end) {
			t = end
		}
		return l.at(t)
	}

	// Children's tasks: ages as at the move-in.
	ages := map[string]int{}
	for i, id := range l.loaded[h].children {
		if id == "" || i >= len(h.Children) {
			continue
		}
		c := h.Children[i]
		ages[id] = c.EstimatedAge
		if !c.DateOfBirth.IsZero() {
			ages[id] = yearsBetween(c.DateOfBirth, in)
		}
	}
	days(0)
	tasks, err := svc.ChildTasks(ctx, team, stayID)
	if err != nil {
		return fmt.Errorf("children's tasks: %w", err)
	}
	for i, t := range tasks {
		n := 2 + (h.Index+i)%7 // days after the move-in
		open := (h.Index+i)%6 == 0
		if !departed {
			open = open || (h.Index+i)%3 == 0 || in.Add(time.Duration(n)*24*time.Hour).After(end)
		}
		if open {
			continue
		}
		status, note := refuge.TaskDone, ""
		switch t.Kind {
		case refuge.GPRegistration:
			note = "Registered with " + p.Town + " Medical Practice"
		case refuge.SchoolPlace:
			if age := ages[t.ChildID]; age < refuge.SchoolAgeFrom || age > refuge.SchoolAgeTo {
				status = refuge.TaskNotNeeded
			} else {
				note = "Place at " + p.Town + " Primary School"
				if age >= 11 {
					note = "Place at " + p.Town + " High School"
				}
			}
		}
		days(n)
		if err := svc.CompleteChildTask(ctx, team, t.ID, status, note); err != nil {
			return fmt.Errorf("children's task: %w", err)
		}
	}

	// The plan and the housing applications.
	dest := refuge.MoveOn(pm.MoveOnDestination)
	stage := h.Index % 6
	if departed {
		switch dest {
		case refuge.SocialHousing:
			stage = 7 // housed
		case refuge.OwnTenancy, refuge.PrivateRented:
			stage = 6 // withdrawn
		default:
			stage = h.Index % 2 // a plan, or none
		}
	}
	if stage == 0 {
		return nil
	}
	goal := refuge.SocialHousing
	if departed && slices.Contains(refuge.MoveOns, dest) && dest != refuge.ReturnedToPerpetrator {
		goal = dest
	}
	at := days(3)
	var target time.Time
	if !pm.MoveOut.IsZero() {
		target = pm.MoveOut.Add(l.shift)
	}
	if target.Before(at) {
		target = time.Time{}
	}
	plan := refuge.PlanInput{Goal: goal, TargetDate: target, Notes: "Needs a two-bedroom home away from the perpetrator's area."}
	if err := svc.SaveMoveOnPlan(ctx, team, stayID, 0, plan); err != nil {
		return fmt.Errorf("move-on plan: %w", err)
	}
	if stage == 1 {
		return nil
	}
	provider := p.Town + " District Council"
	app, err := svc.AddHousingApplication(ctx, team, stayID, refuge.NewHousingApplication{Provider: provider, AppliedOn: when(0.15),
		Reference: fmt.Sprintf("HR-%05d", 10000+h.Index%90000)})
	if err != nil {
		return fmt.Errorf("housing application: %w", err)
	}
	bands := []string{"Band A", "Band B", "Band C"}
	steps := []refuge.NewHousingEvent{
		{Kind: refuge.Registered, Band: bands[h.Index%3]},
		{Kind: refuge.BidPlaced, Detail: fmt.Sprintf("Property %04d, %s", 1000+h.Index%9000, p.Town)},
		{Kind: refuge.OfferMade, Detail: p.Town},
		{Kind: refuge.OfferAccepted},
		{Kind: refuge.Housed},
	}
	switch stage {
	case 2:
		steps = nil
	case 3:
		steps = steps[:1]
	case 4:
		steps = steps[:2]
	case 5:
		steps = steps[:3]
	case 6:
		steps = append(steps[:1:1], refuge.NewHousingEvent{Kind: refuge.Withdrawn})
	}
	for i, e := range steps {
		e.Date = when(0.15 + 0.8*float64(i+1)/float64(len(steps)))
		if err := svc.RecordHousingEvent(ctx, team, app.ID, e); err != nil {
			return fmt.Errorf("housing %s: %w", e.Kind, err)
		}
	}
	return nil
}
