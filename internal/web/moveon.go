package web

import (
	"net/http"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/refuge"
)

// stayMoveOn is what the stay page shows of the children's tasks and the
// move-on plan, with the choices of their forms.
type stayMoveOn struct {
	Tasks    []refuge.ChildTask
	Plan     *refuge.MoveOnPlan
	Closings []refuge.ChildTaskStatus
	Goals    []refuge.MoveOn
	Events   []refuge.HousingStatus
	// DefaultMoveOn pre-selects the departure form's destination: social
	// housing once an application has housed the household, else the
	// plan's goal.
	DefaultMoveOn string
	// FormFor is the task or application whose form was just refused,
	// so its field errors show beside it and nowhere else.
	FormFor string
	Now     time.Time
}

// loadStayMoveOn reads a stay's children's tasks and move-on plan for its
// page (the refuge service decides and audits the reads).
func (s *Server) loadStayMoveOn(r *http.Request, actor access.Actor, stayID string) (*stayMoveOn, error) {
	m := &stayMoveOn{Closings: refuge.TaskClosings, Goals: refuge.MoveOns, Now: s.Now().UTC()}
	for _, k := range refuge.HousingStatuses {
		if k != refuge.Applied {
			m.Events = append(m.Events, k)
		}
	}
	if r.Method == http.MethodPost {
		m.FormFor = r.PostFormValue("task") + r.PostFormValue("application")
	}
	var err error
	if m.Tasks, err = s.Refuge.ChildTasks(r.Context(), actor, stayID); err != nil {
		return nil, err
	}
	if m.Plan, err = s.Refuge.MoveOnPlan(r.Context(), actor, stayID); err != nil {
		return nil, err
	}
	switch {
	case m.Plan.Housed():
		m.DefaultMoveOn = string(refuge.SocialHousing)
	case m.Plan.Version > 0:
		m.DefaultMoveOn = string(m.Plan.Goal)
	}
	return m, nil
}

// moveOnStep answers a change to a stay's children's tasks or move-on:
// back to the stay's section on success; the stay page with the field
// errors, changing nothing, on a bad form; the error page otherwise. A
// stale edit of the plan shows beside the plan form.
func (s *Server) moveOnStep(w http.ResponseWriter, r *http.Request, sid, section string, err error) {
	if errs.CodeOf(err) == errs.Conflict && errs.As(err).Key == "record.stale" {
		err = &errs.Error{Code: errs.Conflict, Key: "record.stale", Field: "plan"}
	}
	switch {
	case err == nil:
		http.Redirect(w, r, "/refuge/stays/"+sid+"#"+section, http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0:
		s.stayRender(w, r, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, err)
	default:
		s.formError(w, r, "error", view{}, err)
	}
}

// renameFields gives a service's field errors the names of the form's
// fields, where two forms on one page would share a name.
func renameFields(err error, names map[string]string) error {
	fields := errs.AllFields(err)
	if len(fields) == 0 {
		return err
	}
	out := make(errs.Fields, 0, len(fields))
	for _, f := range fields {
		c := *f
		if n, ok := names[c.Field]; ok {
			c.Field = n
		}
		out = append(out, &c)
	}
	return out
}

func (s *Server) completeChildTask(w http.ResponseWriter, r *http.Request) {
	sid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	taskID, status, note, parse := refuge.ParseTaskClosing(r.PostFormValue)
	var err error = parse
	if len(parse) == 0 {
		err = s.Refuge.CompleteChildTask(r.Context(), actorOf(sessionOf(r)), taskID, status, note)
	}
	s.moveOnStep(w, r, sid, "child-tasks", err)
}

func (s *Server) saveMoveOnPlan(w http.ResponseWriter, r *http.Request) {
	sid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	p, version, parse := refuge.ParsePlan(r.PostFormValue)
	var err error = parse
	if len(parse) == 0 {
		err = s.Refuge.SaveMoveOnPlan(r.Context(), actorOf(sessionOf(r)), sid, version, p)
	}
	s.moveOnStep(w, r, sid, "moveon", err)
}

func (s *Server) addHousingApplication(w http.ResponseWriter, r *http.Request) {
	sid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	a, parse := refuge.ParseHousingApplication(r.PostFormValue)
	var err error = parse
	if len(parse) == 0 {
		_, err = s.Refuge.AddHousingApplication(r.Context(), actorOf(sessionOf(r)), sid, a)
	}
	s.moveOnStep(w, r, sid, "moveon", err)
}

func (s *Server) recordHousingEvent(w http.ResponseWriter, r *http.Request) {
	sid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	app, e, parse := refuge.ParseHousingEvent(r.PostFormValue)
	var err error = parse
	if len(parse) == 0 {
		err = s.Refuge.RecordHousingEvent(r.Context(), actorOf(sessionOf(r)), app, e)
		err = renameFields(err, map[string]string{"date": "event_date", "band": "event_band"})
	}
	s.moveOnStep(w, r, sid, "moveon", err)
}
