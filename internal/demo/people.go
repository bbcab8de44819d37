package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/intake"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
)

// peopleKey records that the demo's people were loaded, so a restart with
// --demo does not load them twice.
const peopleKey = "demo_people"

// Services are the capability services the demo's people go through, so
// that every record is sealed, access-checked, matched and audited exactly
// as a worker's would be. Their Now must be the Clock's, so that records
// carry the times of the fictional history.
type Services struct {
	DB     *store.DB
	People *people.Service
	Intake *intake.Service
	Risk   *risk.Service
	// Refuge, when set, also replays the loaded households' refuge stays
	// and turnaways (stays.go); the properties must be loaded first
	// (LoadProperties).
	Refuge *refuge.Service
	// Outreach, when set, also replays outreach households' support
	// plans, outcome measures and sessions (outreach.go).
	Outreach *outreach.Service
}

// Clock is the loader's clock: the time of the event being recorded, or
// the real time when none is set.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *Clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// PeopleResult says what LoadPeople did.
type PeopleResult struct {
	Loaded                      bool
	Meetings, OnAgenda          int
	Clients, Children           int
	Perpetrators, Contacts      int
	Referrals, Assessments      int
	AwaitingTriage, ClosedCases int
	// With Services.Refuge: stays admitted, of them departed, and
	// referrals that ended without admission.
	Stays, Departures, Turnaways int
	// With Services.Outreach: support plans started and sessions booked.
	Plans, Sessions int
}

// LoadPeople writes the newest households' people and their front door history
// (contacts, referrals, triage, cases, risk assessments with their IDVA
// tasks and MARAC referrals, children and perpetrators) through the
// capability services, once. The fictional history ends "now": every time
// is moved forward so that the newest referrals are waiting in today's
// triage queue. At most limit households are loaded (0: all).
func LoadPeople(ctx context.Context, svc Services, clock *Clock, cfg Config, limit int) (PeopleResult, error) {
	var res PeopleResult
	var done string
	err := svc.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, []any{peopleKey}, &done)
	})
	if err == nil {
		return res, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return res, err
	}
	defer clock.set(time.Time{})
	cfg = cfg.normalized()
	p := NewPartnership(cfg)
	l := &peopleLoader{svc: svc, clock: clock, shift: time.Now().UTC().Sub(cfg.Now), staff: map[string]Staff{}, teams: map[string]Team{},
		queued: map[*Household]time.Time{}, loaded: map[*Household]*loadedHousehold{}, res: &res, partnership: p}
	for _, s := range p.Staff {
		l.staff[s.ID] = s
	}
	l.staffList = p.Staff
	for _, t := range p.Teams {
		l.teams[t.ID] = t
		if t.Service == "helpline" && l.helpline == "" {
			l.helpline = t.ID
		}
	}
	set := risk.DefaultSet()
	for _, it := range set.Items {
		l.riskKeys = append(l.riskKeys, it.Key)
	}
	// The newest households: open caseloads, a triage queue, recent
	// risk assessments; older ones are closed history.
	var all []*Household
	if err := p.Households(cfg, func(h *Household) error {
		if len(h.Referrals) > 0 {
			all = append(all, h)
		}
		return nil
	}); err != nil {
		return res, err
	}
	slices.SortStableFunc(all, func(a, b *Household) int { return b.Referrals[0].Received.Compare(a.Referrals[0].Received) })
	if limit > 0 && len(all) > limit {
		// With the refuge: every household with a stay or a turnaway in
		// the last year too, so that the vacancy board, occupancy and
		// turnaway figures show a year.
		keep := all[:limit:limit]
		if svc.Refuge != nil {
			for _, h := range all[limit:] {
				if stayedSince(h, cfg.Now.AddDate(-1, 0, 0)) || turnedAwaySince(h, cfg.Now.AddDate(-1, 0, 0)) {
					keep = append(keep, h)
				}
			}
		}
		all = keep
	}
	// The newest few arrived in the last two days and wait in today's
	// triage queue, some already past their first-contact target.
	for i := 0; i < queued && i < len(all); i++ {
		l.queued[all[i]] = time.Now().UTC().Add(-time.Duration(3+i*7) * time.Hour)
	}
	// Oldest first, as they happened.
	slices.Reverse(all)
	n := 0
	for _, h := range all {
		if err := l.household(ctx, h); err != nil {
			return res, fmt.Errorf("demo household %d: %w", h.Index, err)
		}
		n++
	}
	if svc.Refuge != nil {
		if err := l.stays(ctx, all); err != nil {
			return res, fmt.Errorf("demo stays: %w", err)
		}
	}
	if err := l.marac(ctx); err != nil {
		return res, fmt.Errorf("demo MARAC: %w", err)
	}
	res.Loaded = true
	return res, svc.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)`, peopleKey, fmt.Sprint(n))
		return err
	})
}

type peopleLoader struct {
	svc   Services
	clock *Clock
	shift time.Duration
	staff map[string]Staff
	teams map[string]Team
	// staffList is the staff in the partnership's order, so that the
	// same seed makes the same demo.
	staffList []Staff
	queued    map[*Household]time.Time // households left in the triage queue, with their arrival
	helpline  string
	riskKeys  []string
	res       *PeopleResult
	// loaded is what the stays replay needs of each loaded household.
	loaded      map[*Household]*loadedHousehold
	partnership *Partnership
}

func (l *peopleLoader) actor(staffID string) access.Actor {
	s := l.staff[staffID]
	return access.Actor{StaffID: s.ID, Role: s.Role, OrganisationID: s.OrganisationID, TeamIDs: s.TeamIDs}
}

// frontDoorWorker is a helpline worker: the one who took the first contact
// when there was one, else the first front door worker of the helpline.
func (l *peopleLoader) frontDoorWorker(h *Household) access.Actor {
	for _, c := range h.Contacts {
		if s, ok := l.staff[c.StaffID]; ok && s.Role == access.RoleFrontDoorWorker {
			return l.actor(s.ID)
		}
	}
	for _, s := range l.staffList {
		if s.Role == access.RoleFrontDoorWorker && len(s.TeamIDs) > 0 && s.TeamIDs[0] == l.helpline {
			return l.actor(s.ID)
		}
	}
	return access.Actor{}
}

func (l *peopleLoader) at(t time.Time) time.Time {
	t = t.Add(l.shift)
	if now := time.Now().UTC(); t.After(now) {
		t = now
	}
	l.clock.set(t)
	return t
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

func safety(ok bool) string {
	if ok {
		return people.Safe
	}
	return people.Unsafe
}

func (l *peopleLoader) newClient(p Person, team string) *people.NewClient {
	sc := p.SafeContact
	imm := ""
	if p.NRPF {
		imm = "nrpf"
	}
	return &people.NewClient{GivenName: p.GivenName, FamilyName: p.FamilyName, TeamID: team, Details: people.Details{
		Aliases: p.Aliases, DateOfBirth: date(p.DateOfBirth), EstimatedAge: p.EstimatedAge, Gender: p.Gender,
		Phone: p.Phone, Email: p.Email, Address: strings.TrimSpace(p.Address + "\n" + p.Town), Language: p.Language,
		InterpreterNeeded: p.InterpreterNeeded, Disabilities: strings.Join(p.Disabilities, ", "), Immigration: imm,
		SafeContact: people.SafeContact{Phone: sc.SafePhone, Times: sc.SafeTimes, Voicemail: safety(sc.VoicemailSafe),
			Text: safety(sc.TextSafe), Email: safety(sc.EmailSafe), Post: safety(sc.PostSafe), Codeword: sc.Codeword,
			WhoElseMayAnswer: sc.WhoElseMayAnswer},
	}}
}

// The generator's words for contacts, mapped to the front door's.
var (
	demoOutcome = map[string]intake.Outcome{
		"advice_and_information": intake.AdviceGiven, "safety_planning": intake.AdviceGiven, "referral_taken": intake.ReferralTaken,
		"signposted": intake.Signposted, "call_back_booked": intake.CallbackNeeded, "risk_assessment_started": intake.OutcomeOther,
		"call_dropped": intake.NoAnswer,
	}
	demoCaller = map[string]intake.CallerType{
		"victim": intake.CallerVictim, "professional": intake.CallerProfessional, "friend_or_family": intake.CallerFriendFamily,
		"anonymous": intake.CallerUnknown,
	}
	demoService = map[string]intake.CaseService{
		"outreach": intake.Outreach, "idva": intake.IDVA, "refuge": intake.Refuge, "male_victim": intake.MaleVictim,
	}
	demoRelationship = map[string]string{
		"partner": "partner", "spouse": "partner", "ex_partner": "ex_partner", "ex_spouse": "ex_partner", "family_member": "family_member",
	}
	demoSummary = map[string]string{
		"self":               "Called the helpline herself after an incident at home; wants advice and support.",
		"police":             "Police attended a domestic incident; the officer completed a referral with consent.",
		"health":             "Disclosed abuse to a health visitor; referred with consent.",
		"childrens_services": "Children's social care referral following a strategy discussion.",
		"housing":            "Housing options officer referred after a homelessness application citing abuse.",
		"other_agency":       "Referred by a partner agency supporting the family.",
		"contact":            "Referral taken during a helpline call.",
	}
)

// queued is how many of the newest referrals the demo leaves in the
// triage queue for its workers to pick up.
const queued = 6

func (l *peopleLoader) household(ctx context.Context, h *Household) error {
	if len(h.Referrals) == 0 {
		return nil
	}
	fdw := l.frontDoorWorker(h)
	if fdw.StaffID == "" {
		return errors.New("no front door worker in the partnership")
	}
	first := h.Referrals[0]
	risky := intake.RiskLevel(first.Risk)
	if risky == "" {
		risky = intake.RiskNotKnown
	}
	arrived, waiting := l.queued[h]
	if !waiting {
		arrived = first.Received.Add(l.shift)
	}
	received := l.at(arrived.Add(-l.shift))
	ref, err := l.svc.Intake.CreateReferral(ctx, fdw, intake.NewReferral{
		Source: intake.Source(first.Source), ReceivedAt: received, RiskLevel: risky, Summary: demoSummary[first.Source],
		NewClient: l.newClient(h.Client, fdw.TeamIDs[0]),
	})
	if err != nil {
		return fmt.Errorf("referral: %w", err)
	}
	l.res.Clients++
	l.res.Referrals++
	client := ref.ClientID
	l.loaded[h] = &loadedHousehold{client: client, worker: fdw, children: make([]string, len(h.Children))}

	for _, c := range h.Contacts {
		s, ok := l.staff[c.StaffID]
		if !ok || s.Role != access.RoleFrontDoorWorker || (waiting && c.Time.Add(l.shift).After(received)) {
			continue
		}
		line := intake.LineMain
		if c.ServiceLine == "male" {
			line = intake.LineMaleVictim
		}
		at := l.at(c.Time)
		n := intake.NewContact{Channel: intake.Channel(c.Channel), Direction: intake.Inbound, CallerType: demoCaller[c.CallerType],
			ServiceLine: line, Outcome: demoOutcome[c.Outcome], ClientID: client, At: at}
		if n.CallerType == "" {
			n.CallerType = intake.CallerUnknown
		}
		if n.Outcome == "" {
			n.Outcome = intake.OutcomeOther
		}
		if n.Outcome == intake.CallbackNeeded {
			n.FollowUp, n.CallbackDue = true, at.Add(4*time.Hour)
		}
		if _, err := l.svc.Intake.LogContact(ctx, l.actor(s.ID), n); err != nil {
			return fmt.Errorf("contact: %w", err)
		}
		l.res.Contacts++
	}

	// Recent referrals wait in the queue; older ones were triaged.
	if waiting {
		l.res.AwaitingTriage++
		return l.people(ctx, h, fdw, client)
	}
	svc, ok := demoService[first.Service]
	if !ok {
		svc = demoService[h.Service]
	}
	if svc == "" {
		svc = intake.Outreach
	}
	team := h.TeamID
	if l.teams[team].OrganisationID != fdw.OrganisationID || demoService[l.teams[team].Service] != svc {
		// Refuges run by other organisations take their referrals through
		// the accommodation capability; the front door allocates outreach.
		svc, team = intake.Outreach, ""
	}
	l.at(first.Received.Add(2 * time.Hour))
	tr, err := l.svc.Intake.TriageReferral(ctx, fdw, ref.ID, intake.NewTriage{Decision: intake.Allocate, Service: svc, TeamID: team})
	if err != nil {
		return fmt.Errorf("triage: %w", err)
	}
	if _, err := l.svc.Intake.RecordFirstContact(ctx, fdw, ref.ID, l.at(first.Received.Add(5*time.Hour))); err != nil {
		return fmt.Errorf("first contact: %w", err)
	}
	worker := fdw
	if kw, ok := l.staff[h.KeyWorkerID]; ok && slices.Contains(kw.TeamIDs, tr.TeamID) {
		worker = l.actor(h.KeyWorkerID)
	} else {
		for _, st := range l.staffList {
			if st.Role != access.RoleTeamManager && st.Role.Valid() && len(st.TeamIDs) > 0 && st.TeamIDs[0] == tr.TeamID && st.Role != access.RoleVolunteer {
				worker = l.actor(st.ID)
				break
			}
		}
	}
	for _, ra := range h.RiskAssessments {
		if !l.canWrite(worker) {
			break
		}
		n := ra.assessment(client, l.riskKeys, l.at(ra.Completed))
		if _, err := l.svc.Risk.Assess(ctx, worker, n); err != nil {
			return fmt.Errorf("risk assessment: %w", err)
		}
		l.res.Assessments++
	}
	if err := l.people(ctx, h, worker, client); err != nil {
		return err
	}
	if err := l.supportPlan(ctx, h, worker, client); err != nil {
		return err
	}
	if !h.Closed.IsZero() && time.Since(h.Closed.Add(l.shift)) > 0 {
		return l.close(ctx, worker, client, h.Closed)
	}
	return nil
}

// canWrite is false for an actor with no role (a key worker the demo does
// not hold, which would be a generator defect, not a reason to stop).
func (l *peopleLoader) canWrite(a access.Actor) bool { return a.Role.Valid() }

// people adds the household's children and perpetrators.
func (l *peopleLoader) people(ctx context.Context, h *Household, actor access.Actor, client string) error {
	// Recorded as they are known today: a child may have been born since
	// the referral.
	l.clock.set(time.Time{})
	for i, c := range h.Children {
		if !c.DateOfBirth.IsZero() && c.DateOfBirth.AddDate(people.MaxChildAge, 0, 0).Before(l.clock.Now()) {
			continue // grown up by now: an adult in their own right
		}
		child, err := l.svc.People.CreateChild(ctx, actor, client, people.NewChild{GivenName: c.GivenName, FamilyName: c.FamilyName,
			Details: people.ChildDetails{DateOfBirth: date(c.DateOfBirth), EstimatedAge: c.EstimatedAge, Gender: c.Gender, School: c.School, GP: c.GP}})
		if err != nil {
			return fmt.Errorf("child: %w", err)
		}
		if lh := l.loaded[h]; lh != nil {
			lh.children[i] = child.ID
		}
		l.res.Children++
	}
	for _, p := range h.Perpetrators {
		rel := demoRelationship[p.Relationship]
		if rel == "" {
			rel = "other"
		}
		if _, err := l.svc.People.CreatePerpetrator(ctx, actor, client, people.NewPerpetrator{GivenName: p.GivenName, FamilyName: p.FamilyName,
			Relationship: rel, Details: people.PerpetratorDetails{Aliases: p.Aliases, DateOfBirth: date(p.DateOfBirth), EstimatedAge: p.EstimatedAge,
				Phone: p.Phone, Description: p.Description, Vehicle: p.Vehicle, KnownAddresses: strings.Join(p.KnownAddresses, "\n"),
				Conditions: strings.Join(p.Conditions, "\n")}}); err != nil {
			return fmt.Errorf("perpetrator: %w", err)
		}
		l.res.Perpetrators++
	}
	return nil
}

// close walks the household's live cases to closed, support completed.
func (l *peopleLoader) close(ctx context.Context, actor access.Actor, client string, at time.Time) error {
	l.at(at)
	cases, err := l.svc.Intake.Cases(ctx, actor, client)
	if err != nil {
		return fmt.Errorf("cases: %w", err)
	}
	for _, c := range cases {
		if c.Status == intake.CaseClosed {
			continue
		}
		version := c.Version
		if slices.Contains(c.Next, intake.CaseActive) {
			if err := l.svc.Intake.SetCaseStatus(ctx, actor, c.ID, intake.CaseStatusChange{Version: version, To: intake.CaseActive}); err != nil {
				return fmt.Errorf("case active: %w", err)
			}
			version++
		}
		if err := l.svc.Intake.SetCaseStatus(ctx, actor, c.ID, intake.CaseStatusChange{Version: version, To: intake.CaseClosed, Reason: intake.SupportCompleted}); err != nil {
			return fmt.Errorf("case closed: %w", err)
		}
		l.res.ClosedCases++
	}
	return nil
}

// marac holds two MARAC meetings: one a fortnight ago, with outcomes and
// actions recorded for the referrals discussed, and one next week with
// referrals on its agenda; the newest referrals still await an agenda.
func (l *peopleLoader) marac(ctx context.Context) error {
	l.clock.set(time.Time{})
	var chair, idva access.Actor
	for _, st := range l.staffList {
		if chair.StaffID == "" && st.Role == access.RoleTeamManager && slices.Contains(st.TeamIDs, l.helpline) {
			chair = l.actor(st.ID)
		}
		if idva.StaffID == "" && st.Role == access.RoleIDVA {
			idva = l.actor(st.ID)
		}
	}
	if chair.StaffID == "" || idva.StaffID == "" {
		return nil
	}
	waiting, err := l.svc.Risk.AwaitingAgenda(ctx, chair)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Hour)
	past, err := l.svc.Risk.CreateMeeting(ctx, chair, risk.NewMeeting{Date: now.AddDate(0, 0, -14), Area: "Hollinshire North"})
	if err != nil {
		return err
	}
	next, err := l.svc.Risk.CreateMeeting(ctx, chair, risk.NewMeeting{Date: now.AddDate(0, 0, 7), Area: "Hollinshire North"})
	if err != nil {
		return err
	}
	l.res.Meetings = 2
	i := 0
	for _, item := range waiting {
		if item.Restricted || !item.CanUpdate {
			continue
		}
		if i >= 8 {
			break
		}
		if i < 4 {
			if err := l.svc.Risk.AddToAgenda(ctx, chair, past.ID, item.ReferralID); err != nil {
				return err
			}
			if _, err := l.svc.Risk.RecordAction(ctx, chair, item.ReferralID, risk.NewAction{OwnerStaffID: idva.StaffID,
				Due: now.AddDate(0, 0, 7*(i%2)-3), Text: "Safety plan reviewed with the client; sanctuary scheme referral for the back door and window locks."}); err != nil {
				return err
			}
			if err := l.svc.Risk.RecordOutcome(ctx, chair, item.ReferralID, "Information shared; police marker on the address; IDVA to stay in contact weekly."); err != nil {
				return err
			}
		} else if err := l.svc.Risk.AddToAgenda(ctx, chair, next.ID, item.ReferralID); err != nil {
			return err
		}
		l.res.OnAgenda++
		i++
	}
	return nil
}
