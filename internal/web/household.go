package web

import (
	"errors"
	"net/http"
	"strconv"

	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/people"
)

// householdPage is the data of the child and perpetrator forms and pages.
type householdPage struct {
	ClientID    string // the client a new child or perpetrator is added to
	ID          string // the child or perpetrator being edited
	Version     int
	Child       *people.Child
	Perpetrator *people.Perpetrator
	AlertRaised bool
	// The link-existing-perpetrator search.
	Query    string
	Searched bool
	Results  []people.Summary
}

// pathID reads the {id} path value, answering not-found itself when it is
// not an ID; ok is false when it has answered.
func (s *Server) pathID(w http.ResponseWriter, r *http.Request) (string, bool) {
	v := r.PathValue("id")
	if !id.Valid(v) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return "", false
	}
	return v, true
}

// clientForHousehold opens the client a child or perpetrator is being
// added to, and refuses the form to someone who may not change the client.
func (s *Server) clientForHousehold(w http.ResponseWriter, r *http.Request) (*people.Client, bool) {
	return s.openClientFor(w, r, s.People.OpenForUpdate)
}

// formVersion reads the version an edit form was opened at.
func (s *Server) formVersion(w http.ResponseWriter, r *http.Request) (int, bool) {
	v, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil {
		s.renderError(w, r, http.StatusBadRequest, "record.stale")
		return 0, false
	}
	return v, true
}

// saveError re-renders an edit form after a refused save: a stale edit
// keeps what the person typed and says why, at the top of the form.
func (s *Server) saveError(w http.ResponseWriter, r *http.Request, page string, v view, err error) {
	if errs.CodeOf(err) == errs.Conflict && errs.As(err).Key == "record.stale" {
		v.Errors = []fieldError{{Field: "form", Message: s.printer(r).T("record.stale")}}
		s.render(w, r, http.StatusConflict, page, v)
		return
	}
	s.formError(w, r, page, v, err)
}

// deniedOrError answers a failed open of a child or perpetrator: a
// refusal is 403 with the record kind's message, the rest as usual.
func (s *Server) deniedOrError(w http.ResponseWriter, r *http.Request, err error, key string) {
	var denied *people.Denied
	if errors.As(err, &denied) {
		s.renderError(w, r, http.StatusForbidden, key)
		return
	}
	s.formError(w, r, "error", view{}, err)
}

// Children.

func (s *Server) newChildForm(w http.ResponseWriter, r *http.Request) {
	c, ok := s.clientForHousehold(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "child_new", view{Title: "child.new_title", Data: householdPage{ClientID: c.ID},
		Form: people.ChildFormValues(people.NewChild{FamilyName: c.FamilyName})})
}

func (s *Server) createChild(w http.ResponseWriter, r *http.Request) {
	cid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	c, err := s.People.CreateChild(r.Context(), actorOf(sessionOf(r)), cid, people.ChildFromForm(r.PostForm))
	if err != nil {
		s.formError(w, r, "child_new", view{Title: "child.new_title", Data: householdPage{ClientID: cid}, Form: people.FormValues(r.PostForm)}, err)
		return
	}
	http.Redirect(w, r, "/children/"+c.ID, http.StatusSeeOther)
}

func (s *Server) child(w http.ResponseWriter, r *http.Request) {
	chid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	c, err := s.People.OpenChild(r.Context(), actorOf(sessionOf(r)), chid)
	if err != nil {
		s.deniedOrError(w, r, err, "child.denied")
		return
	}
	s.render(w, r, http.StatusOK, "child", view{Title: "child.title", Data: householdPage{ID: c.ID, Child: c}})
}

func (s *Server) editChildForm(w http.ResponseWriter, r *http.Request) {
	chid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	c, err := s.People.OpenChildForUpdate(r.Context(), actorOf(sessionOf(r)), chid)
	if err != nil {
		s.deniedOrError(w, r, err, "child.denied")
		return
	}
	s.render(w, r, http.StatusOK, "child_edit", view{Title: "child.edit_title", Data: householdPage{ID: c.ID, Version: c.Version},
		Form: people.ChildFormValues(people.NewChild{GivenName: c.GivenName, FamilyName: c.FamilyName, Details: c.Details})})
}

func (s *Server) updateChild(w http.ResponseWriter, r *http.Request) {
	chid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	if err := s.People.UpdateChild(r.Context(), actorOf(sessionOf(r)), chid, version, people.ChildFromForm(r.PostForm)); err != nil {
		s.saveError(w, r, "child_edit", view{Title: "child.edit_title", Data: householdPage{ID: chid, Version: version}, Form: people.FormValues(r.PostForm)}, err)
		return
	}
	http.Redirect(w, r, "/children/"+chid, http.StatusSeeOther)
}

// Perpetrators.

func (s *Server) newPerpetratorForm(w http.ResponseWriter, r *http.Request) {
	c, ok := s.clientForHousehold(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "perpetrator_new", view{Title: "perpetrator.new_title", Data: householdPage{ClientID: c.ID},
		Form: people.PerpetratorFormValues(people.NewPerpetrator{})})
}

func (s *Server) createPerpetrator(w http.ResponseWriter, r *http.Request) {
	cid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	p, err := s.People.CreatePerpetrator(r.Context(), actorOf(sessionOf(r)), cid, people.PerpetratorFromForm(r.PostForm))
	if err != nil {
		s.formError(w, r, "perpetrator_new", view{Title: "perpetrator.new_title", Data: householdPage{ClientID: cid}, Form: people.FormValues(r.PostForm)}, err)
		return
	}
	http.Redirect(w, r, "/perpetrators/"+p.ID+alertQuery(p.Alerts), http.StatusSeeOther)
}

func (s *Server) perpetrator(w http.ResponseWriter, r *http.Request) {
	pid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	p, err := s.People.OpenPerpetrator(r.Context(), actorOf(sessionOf(r)), pid)
	if err != nil {
		s.deniedOrError(w, r, err, "perpetrator.denied")
		return
	}
	s.render(w, r, http.StatusOK, "perpetrator", view{Title: "perpetrator.title",
		Data: householdPage{ID: p.ID, Perpetrator: p, AlertRaised: r.URL.Query().Get("alert") == "raised"}})
}

func (s *Server) editPerpetratorForm(w http.ResponseWriter, r *http.Request) {
	pid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	p, err := s.People.OpenPerpetratorForUpdate(r.Context(), actorOf(sessionOf(r)), pid)
	if err != nil {
		s.deniedOrError(w, r, err, "perpetrator.denied")
		return
	}
	s.render(w, r, http.StatusOK, "perpetrator_edit", view{Title: "perpetrator.edit_title", Data: householdPage{ID: p.ID, Version: p.Version},
		Form: people.PerpetratorFormValues(people.NewPerpetrator{GivenName: p.GivenName, FamilyName: p.FamilyName, Details: p.Details})})
}

func (s *Server) updatePerpetrator(w http.ResponseWriter, r *http.Request) {
	pid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	alerts, err := s.People.UpdatePerpetrator(r.Context(), actorOf(sessionOf(r)), pid, version, people.PerpetratorFromForm(r.PostForm))
	if err != nil {
		s.saveError(w, r, "perpetrator_edit", view{Title: "perpetrator.edit_title", Data: householdPage{ID: pid, Version: version}, Form: people.FormValues(r.PostForm)}, err)
		return
	}
	http.Redirect(w, r, "/perpetrators/"+pid+alertQuery(alerts), http.StatusSeeOther)
}

// linkPerpetratorForm is the search for a perpetrator record to link to
// this client. The search itself is a POST, so no name goes in a URL.
func (s *Server) linkPerpetratorForm(w http.ResponseWriter, r *http.Request) {
	c, ok := s.clientForHousehold(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "perpetrator_link", view{Title: "perpetrator.link_title", Data: householdPage{ClientID: c.ID}, Form: map[string]string{}})
}

// linkPerpetrator searches perpetrator records the worker may read (the
// search button), or links the chosen one to the client with the
// relationship (the link button). A refused link shows the results again.
func (s *Server) linkPerpetrator(w http.ResponseWriter, r *http.Request) {
	cid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	actor := actorOf(sessionOf(r))
	page := householdPage{ClientID: cid, Query: r.PostFormValue("q")}
	v := view{Title: "perpetrator.link_title", Form: people.FormValues(r.PostForm)}
	search := func() error {
		res, err := s.People.SearchPerpetrators(r.Context(), actor, page.Query, 20)
		page.Searched, page.Results = err == nil, res
		v.Data = page
		return err
	}
	if r.PostFormValue("action") == "search" {
		// The search is part of changing the client, as the page it comes
		// from is: refused (or not found) for whoever may not.
		if _, ok := s.clientForHousehold(w, r); !ok {
			return
		}
		if err := search(); err != nil {
			s.formError(w, r, "perpetrator_link", v, err)
			return
		}
		s.render(w, r, http.StatusOK, "perpetrator_link", v)
		return
	}
	pid := r.PostFormValue("perpetrator")
	var err error
	if !id.Valid(pid) {
		err = errs.Field("perpetrator", "perpetrator.link_choose_one")
	} else {
		err = s.People.LinkPerpetrator(r.Context(), actor, pid, cid, r.PostFormValue("relationship"))
	}
	if err != nil {
		if errs.CodeOf(err) == errs.Invalid && page.Query != "" {
			if serr := search(); serr != nil {
				err = serr
			}
		}
		v.Data = page
		s.formError(w, r, "perpetrator_link", v, err)
		return
	}
	http.Redirect(w, r, "/people/"+cid, http.StatusSeeOther)
}
