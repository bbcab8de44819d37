package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/people"
	"frontdoor/internal/risk"
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
	s.render(w, r, http.StatusOK, "client_new", view{Title: "client.new_title", Data: teams, Form: clientFormValues(people.NewClient{})})
}

// clientForm reads the client form. Unparseable numbers are kept as typed
// and reported against their field with the rest.
func clientForm(r *http.Request) (people.NewClient, map[string]string, error) {
	v := func(k string) string { return r.PostFormValue(k) }
	n := people.NewClient{GivenName: v("given_name"), FamilyName: v("family_name"), TeamID: v("team"), Details: people.Details{
		Aliases: strings.Split(v("aliases"), "\n"), DateOfBirth: v("date_of_birth"), Gender: v("gender"), Phone: v("phone"),
		Email: v("email"), Address: v("address"), Language: v("language"), InterpreterNeeded: v("interpreter_needed") == "yes",
		Disabilities: v("disabilities"), Immigration: v("immigration"),
		Equality: people.Equality{Ethnicity: v("ethnicity"), Religion: v("religion"), SexualOrientation: v("sexual_orientation"), Disability: v("equality_disability")},
		SafeContact: people.SafeContact{Phone: v("safe_phone"), Times: v("safe_times"), Voicemail: v("safe_voicemail"), Text: v("safe_text"),
			Email: v("safe_email"), Post: v("safe_post"), Codeword: v("codeword"), WhoElseMayAnswer: v("who_else_may_answer")},
	}}
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = v(k)
	}
	var ageErr error
	if a := strings.TrimSpace(v("estimated_age")); a != "" {
		age, err := strconv.Atoi(a)
		if err != nil {
			ageErr = errs.Field("estimated_age", "field.number_range", 0, 120)
		}
		n.Details.EstimatedAge = age
	}
	return n, form, ageErr
}

// clientFormValues fills the form from a record, for editing.
func clientFormValues(n people.NewClient) map[string]string {
	d := n.Details
	age := ""
	if d.EstimatedAge > 0 {
		age = strconv.Itoa(d.EstimatedAge)
	}
	interp := ""
	if d.InterpreterNeeded {
		interp = "yes"
	}
	sc := d.SafeContact
	for _, p := range []*string{&sc.Voicemail, &sc.Text, &sc.Email, &sc.Post} {
		if *p == "" {
			*p = people.NotKnown
		}
	}
	return map[string]string{"given_name": n.GivenName, "family_name": n.FamilyName, "team": n.TeamID,
		"aliases": strings.Join(d.Aliases, "\n"), "date_of_birth": d.DateOfBirth, "estimated_age": age, "gender": d.Gender,
		"phone": d.Phone, "email": d.Email, "address": d.Address, "language": d.Language, "interpreter_needed": interp,
		"disabilities": d.Disabilities, "immigration": d.Immigration, "ethnicity": d.Equality.Ethnicity, "religion": d.Equality.Religion,
		"sexual_orientation": d.Equality.SexualOrientation, "equality_disability": d.Equality.Disability,
		"safe_phone": sc.Phone, "safe_times": sc.Times, "safe_voicemail": sc.Voicemail, "safe_text": sc.Text, "safe_email": sc.Email,
		"safe_post": sc.Post, "codeword": sc.Codeword, "who_else_may_answer": sc.WhoElseMayAnswer}
}

func (s *Server) createClient(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	n, form, formErr := clientForm(r)
	var c *people.Client
	err := formErr
	if err == nil {
		c, err = s.People.Create(r.Context(), actorOf(sessionOf(r)), n)
	}
	if err != nil {
		teams, terr := s.actorTeams(r)
		if terr != nil {
			s.formError(w, r, "error", view{}, terr)
			return
		}
		s.formError(w, r, "client_new", view{Title: "client.new_title", Data: teams, Form: form}, err)
		return
	}
	http.Redirect(w, r, "/people/"+c.ID+alertQuery(c.Alerts), http.StatusSeeOther)
}

// alertQuery marks the redirect after a save that raised a
// counter-allegation alert, so the page can say managers were alerted (the
// URL carries no personal data, only that an alert was raised).
func alertQuery(alerts int) string {
	if alerts > 0 {
		return "?alert=raised"
	}
	return ""
}

// editPage is the edit form's data.
type editPage struct {
	ID      string
	Version int
	Safe    people.SafeContact
}

func (s *Server) editClientForm(w http.ResponseWriter, r *http.Request) {
	c, ok := s.openClientFor(w, r, s.People.OpenForUpdate)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "client_edit", view{Title: "client.edit_title", Data: editPage{ID: c.ID, Version: c.Version, Safe: c.Details.SafeContact},
		Form: clientFormValues(people.NewClient{GivenName: c.GivenName, FamilyName: c.FamilyName, TeamID: c.TeamID, Details: c.Details})})
}

func (s *Server) updateClient(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	cid := r.PathValue("id")
	if !id.Valid(cid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	n, form, err := clientForm(r)
	version, verr := strconv.Atoi(r.PostFormValue("version"))
	if verr != nil {
		s.renderError(w, r, http.StatusBadRequest, "record.stale")
		return
	}
	alerts := 0
	if err == nil {
		alerts, err = s.People.Update(r.Context(), actorOf(sessionOf(r)), cid, version, n)
	}
	if err != nil {
		if errs.As(err).Key == "record.stale" {
			s.render(w, r, http.StatusConflict, "client_edit", view{Title: "client.edit_title", Data: editPage{ID: cid, Version: version},
				Form: form, Errors: []fieldError{{Field: "form", Message: s.printer(r).T("record.stale")}}})
			return
		}
		s.formError(w, r, "client_edit", view{Title: "client.edit_title", Data: editPage{ID: cid, Version: version}, Form: form}, err)
		return
	}
	http.Redirect(w, r, "/people/"+cid+alertQuery(alerts), http.StatusSeeOther)
}

// openClient opens a client for the request's actor, answering the
// refusal or not-found itself; ok is false when it has answered.
func (s *Server) openClient(w http.ResponseWriter, r *http.Request) (*people.Client, bool) {
	return s.openClientFor(w, r, s.People.Open)
}

func (s *Server) openClientFor(w http.ResponseWriter, r *http.Request, open func(context.Context, access.Actor, string) (*people.Client, error)) (*people.Client, bool) {
	cid := r.PathValue("id")
	if !id.Valid(cid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return nil, false
	}
	c, err := open(r.Context(), actorOf(sessionOf(r)), cid)
	var denied *people.Denied
	if errors.As(err, &denied) {
		// The refusal says the record exists: its audit event (held
		// when the page defers its reads) is committed first.
		if err := audit.FlushDeferred(r.Context()); err != nil {
			s.formError(w, r, "error", view{}, err)
			return nil, false
		}
		s.render(w, r, http.StatusForbidden, "client_denied", view{Title: "client.denied_title",
			Data: breakGlassPage{clientPage: clientPage{Denied: denied, ID: cid}, Reasons: access.BreakGlassReasons}})
		return nil, false
	}
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return nil, false
	}
	return c, true
}

// clientPage is a client's record, or the refusal with the way to
// emergency access.
type clientPage struct {
	Client     *people.Client
	Risk       []risk.Point // oldest first
	Staff      []namedStaff // who a manager can name on a restriction
	Team       string
	BreakGlass bool // opened under break-glass: say so on every view
	Denied     *people.Denied
	ID         string
	// Household lists the children and perpetrators the reader may read
	// (never nil on the client page).
	Household *people.Household
	// AlertRaised: the save that led here raised a counter-allegation
	// alert for managers.
	AlertRaised bool
}

func (s *Server) client(w http.ResponseWriter, r *http.Request) {
	c, ok := s.openClient(w, r)
	if !ok {
		return
	}
	cid := c.ID
	team, err := s.teamName(r, c.TeamID)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	page := clientPage{Client: c, Team: team, ID: cid, BreakGlass: c.Relation == access.BreakGlassActive, AlertRaised: r.URL.Query().Get("alert") == "raised"}
	if page.Household, err = s.People.Household(r.Context(), actorOf(sessionOf(r)), cid); err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	if s.Risk != nil {
		points, err := s.Risk.History(r.Context(), actorOf(sessionOf(r)), cid)
		if err != nil {
			s.formError(w, r, "error", view{}, err)
			return
		}
		page.Risk = points
	}
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
	before, ok := beforeSeq(r)
	if !id.Valid(cid) || !ok {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	events, err := s.People.History(r.Context(), actorOf(sessionOf(r)), cid, before)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	names, err := s.names(r)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	page := historyPage{RecordID: cid, Path: "/people/" + cid + "/history"}
	for _, e := range events {
		page.Events = append(page.Events, reviewEvent{Event: e, Actor: names[e.ActorID]})
	}
	page.older(len(events))
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
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	cid := r.PathValue("id")
	if !id.Valid(cid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	if err := s.People.LiftRestriction(r.Context(), actorOf(sessionOf(r)), cid, r.PostFormValue("reason")); err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	// The data protection lead lifts from the review page, and may not
	// read the record they gave back; a named manager returns to it.
	if r.PostFormValue("from") == "review" {
		http.Redirect(w, r, "/review#restrictions", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/people/"+cid, http.StatusSeeOther)
}

// breakGlassPage is the refusal page's emergency-access form.
type breakGlassPage struct {
	clientPage
	Reasons []access.BreakGlassReason
}

func (s *Server) breakGlass(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	cid := r.PathValue("id")
	if !id.Valid(cid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	kind, reason := access.BreakGlassReason(r.PostFormValue("reason_kind")), r.PostFormValue("reason")
	if _, err := s.People.BreakGlass(r.Context(), actorOf(sessionOf(r)), cid, kind, reason); err != nil {
		s.formError(w, r, "client_denied", view{Title: "client.denied_title",
			Data: breakGlassPage{clientPage: clientPage{Denied: &people.Denied{BreakGlass: true}, ID: cid}, Reasons: access.BreakGlassReasons},
			Form: map[string]string{"reason_kind": string(kind), "reason": reason}}, err)
		return
	}
	http.Redirect(w, r, "/people/"+cid, http.StatusSeeOther)
}

func (s *Server) teamName(r *http.Request, teamID string) (string, error) {
	return s.Auth.TeamName(r.Context(), teamID)
}
