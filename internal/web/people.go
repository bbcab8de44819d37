package web

import (
	"errors"
	"net/http"
	"slices"

	"frontdoor/internal/access"
	"frontdoor/internal/id"
	"frontdoor/internal/people"
)

// teamChoice is a team the actor may put a new client in.
type teamChoice struct{ ID, Name string }

func (s *Server) actorTeams(r *http.Request) ([]teamChoice, error) {
	se := sessionOf(r)
	var out []teamChoice
	for _, t := range se.TeamIDs {
		name, err := s.teamName(r, t)
		if err != nil {
			return nil, err
		}
		out = append(out, teamChoice{ID: t, Name: name})
	}
	return out, nil
}

func (s *Server) newClientForm(w http.ResponseWriter, r *http.Request) {
	teams, err := s.actorTeams(r)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	s.render(w, r, http.StatusOK, "client_new", view{Title: "client.new_title", Data: teams})
}

func (s *Server) createClient(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	n := people.NewClient{GivenName: r.PostFormValue("given_name"), FamilyName: r.PostFormValue("family_name"), TeamID: r.PostFormValue("team")}
	c, err := s.People.Create(r.Context(), actorOf(sessionOf(r)), n)
	if err != nil {
		teams, terr := s.actorTeams(r)
		if terr != nil {
			s.formError(w, r, "error", view{}, terr)
			return
		}
		s.formError(w, r, "client_new", view{Title: "client.new_title", Data: teams,
			Form: map[string]string{"given_name": n.GivenName, "family_name": n.FamilyName, "team": n.TeamID}}, err)
		return
	}
	http.Redirect(w, r, "/people/"+c.ID, http.StatusSeeOther)
}

// clientPage is a client's record, or the refusal with the way to
// emergency access.
type clientPage struct {
	Client     *people.Client
	Staff      []namedStaff // who a manager can name on a restriction
	Team       string
	BreakGlass bool // opened under break-glass: say so on every view
	Denied     *people.Denied
	ID         string
}

func (s *Server) client(w http.ResponseWriter, r *http.Request) {
	cid := r.PathValue("id")
	if !id.Valid(cid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	c, err := s.People.Open(r.Context(), actorOf(sessionOf(r)), cid)
	var denied *people.Denied
	if errors.As(err, &denied) {
		s.render(w, r, http.StatusForbidden, "client_denied", view{Title: "client.denied_title", Data: clientPage{Denied: denied, ID: cid}})
		return
	}
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	team, err := s.teamName(r, c.TeamID)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	page := clientPage{Client: c, Team: team, ID: cid, BreakGlass: c.Relation == access.BreakGlassActive}
	if c.CanRestrict {
		if page.Staff, err = s.orgStaff(r, c); err != nil {
			s.formError(w, r, "error", view{}, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "client", view{Title: "client.title", Data: page})
}

// namedStaff is a colleague a manager may name on a restriction.
type namedStaff struct {
	ID, Name string
	Named    bool
}

func (s *Server) orgStaff(r *http.Request, c *people.Client) ([]namedStaff, error) {
	list, err := s.Auth.ListStaff(r.Context())
	if err != nil {
		return nil, err
	}
	var out []namedStaff
	for _, st := range list {
		if st.OrganisationID != c.OrganisationID || st.Disabled || st.ID == staffOf(r).ID {
			continue
		}
		switch st.Role {
		case access.RoleAdministrator, access.RoleCommissioner, access.RolePartnerAgencyUser:
			continue
		}
		out = append(out, namedStaff{ID: st.ID, Name: st.DisplayName + " (" + st.Username + ")", Named: slices.Contains(c.RestrictedTo, st.ID)})
	}
	return out, nil
}

func (s *Server) clientHistory(w http.ResponseWriter, r *http.Request) {
	cid := r.PathValue("id")
	if !id.Valid(cid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	events, err := s.People.History(r.Context(), actorOf(sessionOf(r)), cid)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	names, err := s.names(r)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	page := historyPage{RecordID: cid}
	for _, e := range events {
		page.Events = append(page.Events, reviewEvent{Event: e, Actor: names[e.ActorID]})
	}
	s.render(w, r, http.StatusOK, "history", view{Title: "history.title", Data: page})
}

func (s *Server) restrictClient(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	cid := r.PathValue("id")
	if !id.Valid(cid) || r.ParseForm() != nil {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	var named []string
	for _, v := range r.PostForm["staff"] {
		if id.Valid(v) {
			named = append(named, v)
		}
	}
	if err := s.People.Restrict(r.Context(), actorOf(sessionOf(r)), cid, named); err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	http.Redirect(w, r, "/people/"+cid, http.StatusSeeOther)
}

func (s *Server) unrestrictClient(w http.ResponseWriter, r *http.Request) {
	cid := r.PathValue("id")
	if !id.Valid(cid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	if err := s.People.Unrestrict(r.Context(), actorOf(sessionOf(r)), cid); err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	http.Redirect(w, r, "/people/"+cid, http.StatusSeeOther)
}

func (s *Server) breakGlass(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	cid := r.PathValue("id")
	if !id.Valid(cid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	if _, err := s.People.BreakGlass(r.Context(), actorOf(sessionOf(r)), cid, r.PostFormValue("reason")); err != nil {
		s.formError(w, r, "client_denied", view{Title: "client.denied_title",
			Data: clientPage{Denied: &people.Denied{BreakGlass: true}, ID: cid}}, err)
		return
	}
	http.Redirect(w, r, "/people/"+cid, http.StatusSeeOther)
}

func (s *Server) teamName(r *http.Request, teamID string) (string, error) {
	return s.Auth.TeamName(r.Context(), teamID)
}
