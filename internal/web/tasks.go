package web

import (
	"net/http"
	"strings"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/risk"
)

// tasksData is the actor's open tasks and the reviews due.
type tasksData struct {
	Tasks   []risk.Task
	Reviews []risk.Due
	// IDVAs are who an IDVA allocation task can be given to.
	IDVAs []auth.Staff
	// ErrorTask is the task whose form the errors are about.
	ErrorTask string
	Done      string // what the last action did: "allocated" or "closed"
}

// idvas lists the active IDVAs of the actor's organisation.
func (s *Server) idvas(r *http.Request) ([]auth.Staff, error) {
	list, err := s.Auth.ListStaff(r.Context())
	if err != nil {
		return nil, err
	}
	org := staffOf(r).OrganisationID
	var out []auth.Staff
	for _, st := range list {
		if st.OrganisationID == org && st.Role == access.RoleIDVA && !st.Disabled {
			out = append(out, st)
		}
	}
	return out, nil
}

func (s *Server) tasksView(w http.ResponseWriter, r *http.Request, status int, v view, err error) {
	actor := actorOf(sessionOf(r))
	page := tasksData{Done: r.URL.Query().Get("done")}
	if d, ok := v.Data.(string); ok {
		page.ErrorTask = d
	}
	var lerr error
	if page.Tasks, lerr = s.Risk.Tasks(r.Context(), actor); lerr == nil {
		if page.Reviews, lerr = s.Risk.DueReviews(r.Context(), actor, s.Now()); lerr == nil {
			page.IDVAs, lerr = s.idvas(r)
		}
	}
	if lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	v.Title, v.Data = "tasks.title", page
	if err != nil {
		s.formError(w, r, "tasks", v, err)
		return
	}
	s.render(w, r, status, "tasks", v)
}

func (s *Server) tasks(w http.ResponseWriter, r *http.Request) {
	s.tasksView(w, r, http.StatusOK, view{}, nil)
}

// taskAnswer answers a task form: back to the list, or the list with the
// form's errors.
func (s *Server) taskAnswer(w http.ResponseWriter, r *http.Request, taskID, done string, form map[string]string, err error) {
	if err == nil {
		http.Redirect(w, r, "/tasks?done="+done, http.StatusSeeOther)
		return
	}
	if len(errs.AllFields(err)) == 0 {
		s.formError(w, r, "error", view{}, err)
		return
	}
	s.tasksView(w, r, http.StatusUnprocessableEntity, view{Data: taskID, Form: form}, err)
}

func (s *Server) allocateTask(w http.ResponseWriter, r *http.Request) {
	tid := r.PathValue("id")
	if !id.Valid(tid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	idva := strings.TrimSpace(r.PostFormValue("idva"))
	err := s.Risk.AllocateIDVA(r.Context(), actorOf(sessionOf(r)), tid, idva)
	s.taskAnswer(w, r, tid, "allocated", map[string]string{"idva": idva}, err)
}

func (s *Server) closeTask(w http.ResponseWriter, r *http.Request) {
	tid := r.PathValue("id")
	if !id.Valid(tid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	note := r.PostFormValue("note")
	err := s.Risk.CloseTask(r.Context(), actorOf(sessionOf(r)), tid, note)
	s.taskAnswer(w, r, tid, "closed", map[string]string{"note": note}, err)
}
