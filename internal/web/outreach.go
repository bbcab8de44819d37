package web

import (
	"net/http"
	"slices"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/outreach"
	"frontdoor/internal/store"
)

// The outreach pages: a client's support plan with its sessions, the
// worker's week, a session's record, lone-working check-ins and the duty
// managers' escalations. Handlers are thin: read the form, call the
// outreach service (which decides and audits), show every field error at
// once beside its input and keep what was typed. Times are typed and
// shown in the pages' zone (frontDoorZone); the service keeps UTC.

// outreachOn answers for a server built without outreach.
func (s *Server) outreachOn(w http.ResponseWriter, r *http.Request) bool {
	if s.Outreach == nil {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return false
	}
	return true
}

// outreachChoices are the values the outreach forms offer, in display
// order.
type outreachChoices struct {
	Areas        []outreach.Area
	NeedStatuses []outreach.NeedStatus
	Stages       []outreach.Stage
	Answers      []string
	Kinds        []outreach.Kind
	Reminders    []outreach.Reminder
	Recorded     []outreach.SessionStatus
	Scale        []int
	Rows         []int
}

var ocChoices = outreachChoices{Areas: outreach.Areas, NeedStatuses: outreach.NeedStatuses, Stages: outreach.Stages,
	Answers: outreach.AbuseStoppedAnswers, Kinds: outreach.Kinds, Reminders: outreach.Reminders,
	Recorded: []outreach.SessionStatus{outreach.Held, outreach.Missed, outreach.Cancelled},
	Scale:    []int{1, 2, 3, 4, 5}, Rows: []int{1, 2, 3}}

// sessionRow is a session with its times in the pages' zone.
type sessionRow struct {
	outreach.Session
	LocalStart, LocalEnd time.Time
	// CanCheckIn: the reader's own home visit, begun, not cancelled and
	// not yet checked in.
	CanCheckIn bool
}

func (s *Server) sessionRowOf(se outreach.Session, me string) sessionRow {
	return sessionRow{Session: se, LocalStart: se.Start.In(frontDoorZone), LocalEnd: se.End.In(frontDoorZone),
		CanCheckIn: se.WorkerID == me && se.Kind == outreach.HomeVisit && se.CheckedInAt.IsZero() && se.Status != outreach.Cancelled &&
			!s.Now().Before(se.Start)}
}

// planPage is a client's support plan page.
type planPage struct {
	ClientID string
	Plan     *outreach.Plan // nil: the client has no plan yet
	// CanUpdate is the policy's answer for changing the client: starting
	// a plan, booking and every plan form.
	CanUpdate bool
	Sessions  []sessionRow
	// FreeAreas are the need areas not yet in the plan.
	FreeAreas []outreach.Area
	// NextStage is the outcome form's default stage.
	NextStage outreach.Stage
	Me        string
	Today     string
	// FormFor is the form just refused ("start", "need-add", "safety",
	// "outcome", "book", a need's ID or "action-" and a need's ID), so its
	// inputs keep what was typed and show their errors; Book is the
	// booking form's values.
	FormFor string
	Book    map[string]string
	Choices outreachChoices
}

// mayUpdateClient is the policy's answer for changing a client.
func (s *Server) mayUpdateClient(r *http.Request, actor access.Actor, clientID string) (bool, error) {
	var ok bool
	err := s.DB.Read(r.Context(), func(tx *store.Tx) error {
		rec, err := s.People.Facts(r.Context(), tx, actor, clientID)
		ok = err == nil && access.Decide(actor, access.UpdateRecord, rec).Allow
		return err
	})
	return ok, err
}

// planRender draws a client's plan page, with err's field errors against
// the form named formFor.
func (s *Server) planRender(w http.ResponseWriter, r *http.Request, clientID string, status int, v view, formFor string, err error) {
	actor := actorOf(sessionOf(r))
	page := &planPage{ClientID: clientID, Me: actor.StaffID, Today: s.Now().In(frontDoorZone).Format(refugeDate), FormFor: formFor,
		Choices: ocChoices, NextStage: outreach.AtStart}
	p, lerr := s.Outreach.Plan(r.Context(), actor, clientID)
	switch {
	case lerr == nil:
		page.Plan = p
	case errs.As(lerr).Key == "outreach.no_plan":
		lerr = nil
	}
	var sessions []outreach.Session
	if lerr == nil {
		sessions, lerr = s.Outreach.ClientSessions(r.Context(), actor, clientID)
	}
	if lerr == nil {
		page.CanUpdate, lerr = s.mayUpdateClient(r, actor, clientID)
	}
	if lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	for _, se := range sessions {
		page.Sessions = append(page.Sessions, s.sessionRowOf(se, actor.StaffID))
	}
	if page.Plan != nil {
		for _, a := range outreach.Areas {
			if !slices.ContainsFunc(page.Plan.Needs, func(n outreach.Need) bool { return n.Area == a }) {
				page.FreeAreas = append(page.FreeAreas, a)
			}
		}
		for _, o := range page.Plan.Outcomes {
			if o.Stage == outreach.AtStart {
				page.NextStage = outreach.AtReview
			}
		}
	}
	if v.Form == nil {
		v.Form = map[string]string{}
	}
	page.Book = map[string]string{"kind": string(outreach.HomeVisit), "date": page.Today, "time": "10:00", "minutes": "60", "weeks": "1",
		"reminder": string(outreach.NoReminder)}
	if formFor == "book" {
		page.Book = v.Form
	}
	v.Title, v.Data = "outreachweb.plan_title", page
	if err != nil {
		s.formError(w, r, "outreach_plan", v, err)
		return
	}
	s.render(w, r, status, "outreach_plan", v)
}

func (s *Server) outreachPlan(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	cid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	s.planRender(w, r, cid, http.StatusOK, view{}, "", nil)
}

// planStep answers a change to a plan: back to the plan (at anchor) on
// success; the plan page with the field errors against the form, or a
// conflict (stale, already done, closed) at the top, changing nothing;
// the error page otherwise.
func (s *Server) planStep(w http.ResponseWriter, r *http.Request, clientID, formFor, anchor string, err error) {
	switch {
	case err == nil:
		http.Redirect(w, r, "/people/"+clientID+"/plan#"+anchor, http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0 || errs.CodeOf(err) == errs.Conflict:
		if len(errs.AllFields(err)) == 0 {
			err = conflictOnForm(err)
		}
		s.planRender(w, r, clientID, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, formFor, err)
	default:
		s.formError(w, r, "error", view{}, err)
	}
}

// formClient reads the client a plan form is about (a hidden field: the
// page to go back to, never trusted for a decision).
func (s *Server) formClient(w http.ResponseWriter, r *http.Request) (string, bool) {
	cid := r.PostFormValue("client")
	if !id.Valid(cid) {
		s.renderError(w, r, http.StatusBadRequest, "error.bad_form")
		return "", false
	}
	return cid, true
}

// planAndClient reads the path's ID and the form's client.
func (s *Server) planAndClient(w http.ResponseWriter, r *http.Request) (string, string, bool) {
	if !s.outreachOn(w, r) {
		return "", "", false
	}
	pid, ok := s.pathID(w, r)
	if !ok {
		return "", "", false
	}
	cid, ok := s.formClient(w, r)
	return pid, cid, ok
}

func (s *Server) outreachStartPlan(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	cid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	_, err := s.Outreach.StartPlan(r.Context(), actorOf(sessionOf(r)), cid)
	s.planStep(w, r, cid, "start", "needs", err)
}

func (s *Server) outreachAddNeed(w http.ResponseWriter, r *http.Request) {
	pid, cid, ok := s.planAndClient(w, r)
	if !ok {
		return
	}
	nid, err := s.Outreach.AddNeed(r.Context(), actorOf(sessionOf(r)), pid, outreachNeedForm(r.PostFormValue))
	s.planStep(w, r, cid, "need-add", "need-"+nid, err)
}

// staleOnForm shows a stale edit as a form-level conflict.
func staleOnForm(err error) error {
	if errs.CodeOf(err) == errs.Conflict && len(errs.AllFields(err)) == 0 {
		return conflictOnForm(err)
	}
	return err
}

func (s *Server) outreachUpdateNeed(w http.ResponseWriter, r *http.Request) {
	nid, cid, ok := s.planAndClient(w, r)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	err := s.Outreach.UpdateNeed(r.Context(), actorOf(sessionOf(r)), nid, version, outreachNeedUpdateForm(r.PostFormValue))
	s.planStep(w, r, cid, nid, "need-"+nid, staleOnForm(err))
}

func (s *Server) outreachAddAction(w http.ResponseWriter, r *http.Request) {
	nid, cid, ok := s.planAndClient(w, r)
	if !ok {
		return
	}
	actor := actorOf(sessionOf(r))
	a, parse := outreachActionForm(r.PostFormValue, nid, actor.StaffID)
	var err error
	if len(parse) > 0 {
		err = parse
	} else {
		_, err = s.Outreach.AddAction(r.Context(), actor, a)
		// The form's need is the path's: an unknown one is not a field.
		if f := errs.AllFields(err); len(f) == 1 && f[0].Field == "need" {
			err = errs.New(errs.NotFound, "error.not_found")
		}
	}
	s.planStep(w, r, cid, "action-"+nid, "need-"+nid, err)
}

func (s *Server) outreachActionDone(w http.ResponseWriter, r *http.Request) {
	aid, cid, ok := s.planAndClient(w, r)
	if !ok {
		return
	}
	err := s.Outreach.CompleteAction(r.Context(), actorOf(sessionOf(r)), aid)
	s.planStep(w, r, cid, "", "action-"+aid, err)
}

func (s *Server) outreachSafetyPlan(w http.ResponseWriter, r *http.Request) {
	pid, cid, ok := s.planAndClient(w, r)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	_, err := s.Outreach.SaveSafetyPlan(r.Context(), actorOf(sessionOf(r)), pid, version, r.PostFormValue("safety_plan"))
	s.planStep(w, r, cid, "safety", "safety", staleOnForm(err))
}

func (s *Server) outreachOutcome(w http.ResponseWriter, r *http.Request) {
	pid, cid, ok := s.planAndClient(w, r)
	if !ok {
		return
	}
	// A score that does not read is sent on outside the scale, which the
	// service refuses with the other fields' errors.
	o, parse := outreachOutcomeForm(r.PostFormValue)
	err := s.Outreach.RecordOutcome(r.Context(), actorOf(sessionOf(r)), pid, o)
	s.planStep(w, r, cid, "outcome", "outcomes", maracWithParseErrors(parse, err))
}

// outreachBook books one session or a weekly series for the client with
// the signed-in worker.
func (s *Server) outreachBook(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	cid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	b, parse := outreachBookingForm(r.PostFormValue, frontDoorZone)
	b.ClientID = cid
	_, err := s.Outreach.Book(r.Context(), actorOf(sessionOf(r)), b.NewSessions)
	err = renameFields(err, map[string]string{"start": b.startField, "duration": "minutes"})
	s.planStep(w, r, cid, "book", "sessions", maracWithParseErrors(parse, err))
}

// ---- The week ----

// weekPage is a worker's week of sessions.
type weekPage struct {
	Sessions   []sessionRow
	Start      time.Time
	Prev, Next string
	StartParam string
	Worker     string // "" for the reader's own week
}

func (s *Server) outreachWeek(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	actor := actorOf(sessionOf(r))
	start, worker, ok := outreachWeekQuery(r.URL.Query().Get, s.Now(), frontDoorZone)
	if !ok {
		s.renderError(w, r, http.StatusBadRequest, "error.bad_form")
		return
	}
	list, err := s.Outreach.Week(r.Context(), actor, worker, start)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	page := weekPage{Start: start, StartParam: start.Format(refugeDate), Prev: start.AddDate(0, 0, -7).Format(refugeDate),
		Next: start.AddDate(0, 0, 7).Format(refugeDate)}
	if worker != "" && worker != actor.StaffID {
		page.Worker = worker
	}
	for _, se := range list {
		page.Sessions = append(page.Sessions, s.sessionRowOf(se, actor.StaffID))
	}
	s.render(w, r, http.StatusOK, "outreach_week", view{Title: "outreachweb.week_title", Data: page})
}

// ---- A session ----

// sessionPage is one session with its record form: the client's plan
// needs are what agreed actions are for.
type sessionPage struct {
	Session sessionRow
	Needs   []outreach.Need
	Me      string
	Today   string
	Choices outreachChoices
}

func (s *Server) sessionRender(w http.ResponseWriter, r *http.Request, status int, v view, err error) {
	sid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	actor := actorOf(sessionOf(r))
	se, lerr := s.Outreach.OpenSession(r.Context(), actor, sid)
	if lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	page := sessionPage{Session: s.sessionRowOf(*se, actor.StaffID), Me: actor.StaffID, Today: s.Now().In(frontDoorZone).Format(refugeDate),
		Choices: ocChoices}
	if se.CanUpdate && se.Status == outreach.Booked {
		p, perr := s.Outreach.Plan(r.Context(), actor, se.ClientID)
		switch {
		case perr == nil:
			if p.Open {
				page.Needs = p.Needs
			}
		case errs.As(perr).Key != "outreach.no_plan":
			s.formError(w, r, "error", view{}, perr)
			return
		}
	}
	if v.Form == nil {
		v.Form = map[string]string{"status": string(outreach.Held)}
	}
	v.Title, v.Data = "outreachweb.session_title", page
	if err != nil {
		s.formError(w, r, "outreach_session", v, err)
		return
	}
	s.render(w, r, status, "outreach_session", v)
}

func (s *Server) outreachSession(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	s.sessionRender(w, r, http.StatusOK, view{}, nil)
}

// recordFields gives the service's field errors about agreed actions the
// names of the first row's inputs (the rows were checked one by one
// before, so what is left is about them all, or a need of another plan).
var recordFields = map[string]string{"action_text": agreedField(1, "text"), "action_due": agreedField(1, "due"),
	"need": agreedField(1, "need"), "owner": agreedField(1, "owner")}

func (s *Server) outreachRecordSession(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	sid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	actor := actorOf(sessionOf(r))
	rec, parse := outreachRecordForm(r.PostFormValue, actor.StaffID)
	if len(parse) > 0 {
		// A row that did not pass is sent on as an empty action, which
		// the service refuses before it writes anything: its errors about
		// the status and what was discussed come back with the rows'.
		rec.Actions = append(rec.Actions, outreach.NewAction{})
	}
	err := s.Outreach.RecordSession(r.Context(), actor, sid, version, rec)
	if len(parse) > 0 {
		var rest errs.Fields
		for _, f := range errs.AllFields(err) {
			if f.Field != "action_text" && f.Field != "action_due" {
				rest = append(rest, f)
			}
		}
		err = maracWithParseErrors(parse, rest.Err())
		if err == nil {
			err = parse
		}
	} else {
		err = renameFields(err, recordFields)
	}
	switch {
	case err == nil:
		http.Redirect(w, r, "/outreach/sessions/"+sid, http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0 || errs.CodeOf(err) == errs.Conflict:
		s.sessionRender(w, r, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, staleOnForm(err))
	default:
		s.formError(w, r, "error", view{}, err)
	}
}

// outreachCheckIn is the worker's "I am safe" on their own home visit;
// back to the page the button was on.
func (s *Server) outreachCheckIn(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	sid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	if err := s.Outreach.CheckIn(r.Context(), actorOf(sessionOf(r)), sid); err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	next := "/outreach/sessions/" + sid
	if start := r.PostFormValue("start"); r.PostFormValue("return") == "week" {
		next = "/outreach/week"
		if _, err := time.Parse(refugeDate, start); err == nil {
			next += "?start=" + start
		}
		next += "#session-" + sid
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// ---- Escalations ----

// escalationRow is an escalation with its times in the pages' zone.
type escalationRow struct {
	outreach.Escalation
	LocalStart, LocalEnd, LocalDue, LocalRaised, LocalResponded, LocalCheckedIn time.Time
}

// escalationsPage is the duty managers' screen; NotDutyManager says the
// reader has no team to be duty manager of.
type escalationsPage struct {
	Items          []escalationRow
	NotDutyManager bool
	FormFor        string
}

func (s *Server) escalationsRender(w http.ResponseWriter, r *http.Request, status int, v view, formFor string, err error) {
	page := escalationsPage{FormFor: formFor}
	list, lerr := s.Outreach.Escalations(r.Context(), actorOf(sessionOf(r)))
	switch errs.CodeOf(lerr) {
	case "":
	case errs.Forbidden:
		// Escalations go to the duty managers (team managers) of the
		// worker's teams: anyone else has none to see.
		page.NotDutyManager = true
	default:
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	z := frontDoorZone
	for _, e := range list {
		row := escalationRow{Escalation: e, LocalStart: e.Start.In(z), LocalEnd: e.End.In(z), LocalDue: e.DueAt.In(z), LocalRaised: e.RaisedAt.In(z)}
		if !e.RespondedAt.IsZero() {
			row.LocalResponded = e.RespondedAt.In(z)
		}
		if !e.CheckedInAt.IsZero() {
			row.LocalCheckedIn = e.CheckedInAt.In(z)
		}
		page.Items = append(page.Items, row)
	}
	v.Title, v.Data = "outreachweb.escalations_title", page
	if err != nil {
		s.formError(w, r, "outreach_escalations", v, err)
		return
	}
	s.render(w, r, status, "outreach_escalations", v)
}

func (s *Server) outreachEscalations(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	s.escalationsRender(w, r, http.StatusOK, view{}, "", nil)
}

func (s *Server) outreachRespond(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	eid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	err := s.Outreach.Respond(r.Context(), actorOf(sessionOf(r)), eid, r.PostFormValue("response"))
	if errs.CodeOf(err) == errs.Forbidden {
		// Not a duty manager: no part in any escalation.
		err = errs.New(errs.NotFound, "error.not_found")
	}
	switch {
	case err == nil:
		http.Redirect(w, r, "/outreach/escalations#escalation-"+eid, http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0 || errs.CodeOf(err) == errs.Conflict:
		s.escalationsRender(w, r, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, eid, staleOnForm(err))
	default:
		s.formError(w, r, "error", view{}, err)
	}
}
