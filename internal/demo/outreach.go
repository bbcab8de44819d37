package demo

import (
	"context"
	"fmt"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/outreach"
)

// Outreach caseloads: a household whose case went to an outreach team gets
// a support plan through the outreach service, replayed from its history:
// need areas from the kinds of casework it had (benefits → money, court →
// legal...), a safety plan, the starting outcome measure and a review three
// months in; each past home visit or key-work session becomes a session
// held, with its note as what was discussed; a closed case has its exit
// measure; an open one has weekly home visits booked for the next four
// weeks. Households closed more than a year ago are left as history.

// needOf maps the generator's casework to need areas, with the demo's
// wording of each need and goal (generic, naming nobody).
var needOf = map[string]struct {
	area        outreach.Area
	need, goals string
}{
	"safety_plan":      {outreach.Safety, "Feels unsafe at home; ex-partner knows the address.", "Safety plan agreed and kept up to date; home made safer."},
	"target_hardening": {outreach.Safety, "Feels unsafe at home; ex-partner knows the address.", "Safety plan agreed and kept up to date; home made safer."},
	"benefits":         {outreach.Money, "Lost the household income when the partner left; arrears building.", "Benefits in payment and a plan for the arrears."},
	"housing":          {outreach.Housing, "Tenancy is in the partner's name.", "A secure tenancy in her own name."},
	"court":            {outreach.Legal, "Needs a non-molestation order and support at court.", "Order in place; supported at each hearing."},
	"school_liaison":   {outreach.Children, "Children's attendance has dropped since the separation.", "Children settled and attending; school aware of the safety plan."},
	"gp_liaison":       {outreach.Health, "Not registered with a GP since moving.", "Registered with a GP and attending appointments."},
	"key_work_session": {outreach.Wellbeing, "Low mood and anxiety; not sleeping.", "Coping better day to day; linked to counselling."},
	"interpreter_booked": {outreach.Social, "Isolated: no friends or family nearby, limited English.",
		"Linked to a local women's group and an English class."},
}

// sessionKinds are the casework events that are one-to-one sessions.
var sessionKinds = map[string]outreach.Kind{"home_visit": outreach.HomeVisit, "key_work_session": outreach.Office, "phone_call": outreach.Phone}

// supportPlan replays an outreach household's plan and sessions.
func (l *peopleLoader) supportPlan(ctx context.Context, h *Household, worker access.Actor, client string) error {
	svc := l.svc.Outreach
	if svc == nil || worker.Role != access.RoleOutreachWorker {
		return nil
	}
	now := time.Now().UTC()
	closed := !h.Closed.IsZero() && time.Since(h.Closed.Add(l.shift)) > 0
	if closed && now.Sub(h.Closed.Add(l.shift)) > 365*24*time.Hour {
		return nil
	}
	start := h.Opened
	if len(h.Referrals) > 0 {
		start = h.Referrals[0].Received
	}
	l.at(start.Add(24 * time.Hour))
	planID, err := svc.StartPlan(ctx, worker, client)
	if err != nil {
		return fmt.Errorf("support plan: %w", err)
	}
	l.res.Plans++
	// Need areas from the casework, safety always first.
	areas := map[outreach.Area]string{}
	add := func(kind string) error {
		n, ok := needOf[kind]
		if !ok {
			return nil
		}
		if _, done := areas[n.area]; done {
			return nil
		}
		nid, err := svc.AddNeed(ctx, worker, planID, outreach.NewNeed{Area: n.area, Need: n.need, Goals: n.goals})
		if err != nil {
			return fmt.Errorf("need: %w", err)
		}
		areas[n.area] = nid
		return nil
	}
	if err := add("safety_plan"); err != nil {
		return err
	}
	for _, e := range h.Events {
		if err := add(e.Kind); err != nil {
			return err
		}
	}
	if _, err := svc.SaveSafetyPlan(ctx, worker, planID, 1, "Safe word agreed with a neighbour. Bag with documents and medication kept at a friend's. "+
		"Calls 999 and says 55 if she cannot speak. Route to the children's school varied."); err != nil {
		return fmt.Errorf("safety plan: %w", err)
	}
	scores := func(base int) map[outreach.Area]int {
		out := map[outreach.Area]int{}
		for i, a := range outreach.Areas {
			if _, ok := areas[a]; ok {
				out[a] = min(outreach.ScaleMax, max(outreach.ScaleMin, base+(h.Index+i)%2))
			}
		}
		return out
	}
	if err := svc.RecordOutcome(ctx, worker, planID, outreach.NewOutcome{Stage: outreach.AtStart, Scores: scores(1), FeelsSafer: 1 + h.Index%2, AbuseStopped: outreach.No}); err != nil {
		return fmt.Errorf("start outcome: %w", err)
	}
	// Actions: one for each need, due two weeks in, done for older plans.
	for _, a := range outreach.Areas {
		nid, ok := areas[a]
		if !ok {
			continue
		}
		due := l.at(start.Add(15 * 24 * time.Hour))
		aid, err := svc.AddAction(ctx, worker, outreach.NewAction{NeedID: nid, Text: "First step on " + string(a) + " agreed with the client", OwnerID: worker.StaffID, Due: due})
		if err != nil {
			return fmt.Errorf("action: %w", err)
		}
		if due.Before(now) {
			if err := svc.CompleteAction(ctx, worker, aid); err != nil {
				return fmt.Errorf("action done: %w", err)
			}
		}
		l.at(start.Add(24 * time.Hour))
	}
	// Past sessions, as they happened.
	reviewed := false
	for _, e := range h.Events {
		kind, ok := sessionKinds[e.Kind]
		if !ok || e.Time.Add(l.shift).After(now) {
			continue
		}
		if !reviewed && e.Time.Sub(start) > 90*24*time.Hour {
			l.at(e.Time)
			if err := svc.RecordOutcome(ctx, worker, planID, outreach.NewOutcome{Stage: outreach.AtReview, Scores: scores(3), FeelsSafer: 3, AbuseStopped: outreach.NotKnown}); err != nil {
				return fmt.Errorf("review outcome: %w", err)
			}
			reviewed = true
		}
		at := l.at(e.Time)
		ids, err := svc.Book(ctx, worker, outreach.NewSessions{ClientID: client, Kind: kind, Start: at, Duration: time.Hour, Weeks: 1, Reminder: outreach.NoReminder})
		if err != nil {
			return fmt.Errorf("session: %w", err)
		}
		l.at(e.Time.Add(time.Hour))
		if err := svc.RecordSession(ctx, worker, ids[0], 1, outreach.SessionRecord{Status: outreach.Held, Discussed: e.Note}); err != nil {
			return fmt.Errorf("record session: %w", err)
		}
		l.res.Sessions++
	}
	if closed {
		l.at(h.Closed)
		err := svc.RecordOutcome(ctx, worker, planID, outreach.NewOutcome{Stage: outreach.AtExit, Scores: scores(4), FeelsSafer: 4 + h.Index%2, AbuseStopped: outreach.Yes})
		if err != nil {
			return fmt.Errorf("exit outcome: %w", err)
		}
		return nil
	}
	// An open case: weekly home visits for the next four weeks, on a
	// weekday morning.
	l.clock.set(time.Time{})
	next := now.Truncate(24*time.Hour).AddDate(0, 0, 1+h.Index%5).Add(time.Duration(9+h.Index%4) * time.Hour)
	_, err = svc.Book(ctx, worker, outreach.NewSessions{ClientID: client, Kind: outreach.HomeVisit, Start: next, Duration: time.Hour, Weeks: 4, Reminder: outreach.NoReminder})
	if err != nil {
		return fmt.Errorf("booking: %w", err)
	}
	l.res.Sessions += 4
	return nil
}
