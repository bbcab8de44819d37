package web

import (
	"net/http"
	"slices"
	"strings"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/outreach"
)

// The partner agency and volunteer pages. The administration of partner
// agencies and their information sharing agreements; on a client, the
// referrals to partner agencies and the volunteer matches; for a partner
// agency's users, the referrals sent to their agency; for a volunteer,
// their matched clients in the limited view and their supervision. As in
// the outreach pages, handlers are thin: the outreach service decides,
// audits and says what is wrong with a form, every problem at once.

// ---- Administration: agencies and agreements ----

// partnerAgreement is an agreement with whether it is in force today.
type partnerAgreement struct {
	outreach.Agreement
	Live bool
}

// partnerAgency is a registered agency with its agreements.
type partnerAgency struct {
	outreach.Agency
	Agreements []partnerAgreement
}

// partnersAdminPage is the administrators' and data protection lead's
// page of partner agencies.
type partnersAdminPage struct {
	Agencies []partnerAgency
	Kinds    []outreach.AgencyKind
	Bases    []outreach.LegalBasis
	// FormFor is the form just refused: "register" or an agency's ID.
	FormFor string
	Today   string
}

func (s *Server) partnersRender(w http.ResponseWriter, r *http.Request, status int, v view, formFor string, err error) {
	actor := actorOf(sessionOf(r))
	page := partnersAdminPage{Kinds: outreach.AgencyKinds, Bases: outreach.LegalBases, FormFor: formFor,
		Today: s.Now().In(frontDoorZone).Format(refugeDate)}
	agencies, lerr := s.Outreach.Agencies(r.Context(), actor)
	var agreements []outreach.Agreement
	if lerr == nil {
		agreements, lerr = s.Outreach.Agreements(r.Context(), actor, "")
	}
	if lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	now := s.Now()
	for _, a := range agencies {
		row := partnerAgency{Agency: a}
		for _, ag := range agreements {
			if ag.PartnerID == a.ID {
				row.Agreements = append(row.Agreements, partnerAgreement{Agreement: ag, Live: ag.Live(now)})
			}
		}
		page.Agencies = append(page.Agencies, row)
	}
	if v.Form == nil {
		v.Form = map[string]string{}
	}
	v.Title, v.Data = "partnersweb.admin_title", page
	if err != nil {
		s.formError(w, r, "partner_admin", v, err)
		return
	}
	s.render(w, r, status, "partner_admin", v)
}

func (s *Server) partnersPage(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	s.partnersRender(w, r, http.StatusOK, view{}, "", nil)
}

// partnersStep answers an administration form: back to the page (at
// anchor) on success, the page with the errors against the form, or the
// error page.
func (s *Server) partnersStep(w http.ResponseWriter, r *http.Request, formFor, anchor string, err error) {
	switch {
	case err == nil:
		http.Redirect(w, r, "/partners#"+anchor, http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0:
		s.partnersRender(w, r, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, formFor, err)
	default:
		s.formError(w, r, "error", view{}, err)
	}
}

func (s *Server) partnersRegister(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	name, kind := partnerAgencyForm(r.PostFormValue)
	aid, err := s.Outreach.RegisterAgency(r.Context(), actorOf(sessionOf(r)), name, kind)
	s.partnersStep(w, r, "register", "agency-"+aid, err)
}

func (s *Server) partnersAgreement(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	pid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	a, parse := partnerAgreementForm(r.PostFormValue, pid)
	var err error
	if len(parse) > 0 {
		// A date that does not read is not sent on: an agreement without
		// its end date would be saved as open ended.
		err = parse
	} else {
		_, err = s.Outreach.AddAgreement(r.Context(), actorOf(sessionOf(r)), a)
		// The agency is the path's: one not registered here is not a field.
		if f := errs.AllFields(err); len(f) == 1 && f[0].Field == "partner" {
			err = errs.New(errs.NotFound, "error.not_found")
		}
	}
	s.partnersStep(w, r, pid, "agency-"+pid, err)
}

// ---- A client's partner referrals ----

// partnerChoice is a live agreement offered on the refer form.
type partnerChoice struct {
	outreach.Agreement
	PartnerName string
}

// clientPartnersPage is a client's referrals to partner agencies.
type clientPartnersPage struct {
	ClientID  string
	CanUpdate bool
	Referrals []outreach.PartnerReferral
	// Agreements are the organisation's agreements in force today;
	// NeedConsent says some of them rely on consent.
	Agreements  []partnerChoice
	NeedConsent bool
	Kinds       []outreach.ReferralKind
	Fields      []outreach.ShareField
	// Shared are the share boxes ticked on a refused form.
	Shared map[outreach.ShareField]bool
	// FormFor is the form just refused: "refer" or a referral's ID.
	FormFor string
}

// localReferrals shows a list's times in the pages' zone.
func localReferrals(list []outreach.PartnerReferral) []outreach.PartnerReferral {
	for i := range list {
		list[i].CreatedAt = list[i].CreatedAt.In(frontDoorZone)
		for j := range list[i].Events {
			list[i].Events[j].At = list[i].Events[j].At.In(frontDoorZone)
		}
	}
	return list
}

func (s *Server) clientPartnersRender(w http.ResponseWriter, r *http.Request, clientID string, status int, v view, formFor string, err error) {
	actor := actorOf(sessionOf(r))
	page := clientPartnersPage{ClientID: clientID, Kinds: outreach.ReferralKinds, Fields: outreach.ShareFields, FormFor: formFor,
		Shared: map[outreach.ShareField]bool{}}
	list, lerr := s.Outreach.PartnerReferrals(r.Context(), actor, clientID)
	if lerr == nil {
		page.CanUpdate, lerr = s.mayUpdateClient(r, actor, clientID)
	}
	if lerr == nil && page.CanUpdate {
		lerr = s.partnerChoices(r, actor, &page)
	}
	if lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	page.Referrals = localReferrals(list)
	if formFor == "refer" {
		for _, f := range r.PostForm["share"] {
			page.Shared[outreach.ShareField(f)] = true
		}
	} else {
		page.Shared["name"] = true
	}
	if v.Form == nil {
		v.Form = map[string]string{}
	}
	v.Title, v.Data = "partnersweb.client_title", page
	if err != nil {
		s.formError(w, r, "partner_client", v, err)
		return
	}
	s.render(w, r, status, "partner_client", v)
}

// partnerChoices fills the refer form's agreements: those of the reader's
// organisation in force today, each with its agency's name.
func (s *Server) partnerChoices(r *http.Request, actor access.Actor, page *clientPartnersPage) error {
	agencies, err := s.Outreach.Agencies(r.Context(), actor)
	if err != nil {
		return err
	}
	agreements, err := s.Outreach.Agreements(r.Context(), actor, "")
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, a := range agencies {
		names[a.ID] = a.Name
	}
	now := s.Now()
	for _, ag := range agreements {
		if !ag.Live(now) {
			continue
		}
		page.Agreements = append(page.Agreements, partnerChoice{Agreement: ag, PartnerName: names[ag.PartnerID]})
		if ag.LegalBasis == outreach.ConsentBasis {
			page.NeedConsent = true
		}
	}
	slices.SortStableFunc(page.Agreements, func(a, b partnerChoice) int { return strings.Compare(a.PartnerName, b.PartnerName) })
	return nil
}

func (s *Server) clientPartners(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	cid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	s.clientPartnersRender(w, r, cid, http.StatusOK, view{}, "", nil)
}

// clientPartnersStep answers a change to a client's partner referrals.
func (s *Server) clientPartnersStep(w http.ResponseWriter, r *http.Request, clientID, formFor, anchor string, err error) {
	switch {
	case err == nil:
		http.Redirect(w, r, "/people/"+clientID+"/partners#"+anchor, http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0 || errs.CodeOf(err) == errs.Conflict:
		s.clientPartnersRender(w, r, clientID, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, formFor, staleOnForm(err))
	default:
		s.formError(w, r, "error", view{}, err)
	}
}

// referToPartner sends a referral to a partner agency, sharing only the
// ticked fields.
func (s *Server) referToPartner(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	cid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	n := partnerReferralForm(r.PostFormValue, r.PostForm["share"], cid)
	rid, err := s.Outreach.ReferToPartner(r.Context(), actorOf(sessionOf(r)), n)
	s.clientPartnersStep(w, r, cid, "refer", "referral-"+rid, err)
}

// withdrawPartnerReferral withdraws a referral, with a note; the client
// in the form is the page to go back to.
func (s *Server) withdrawPartnerReferral(w http.ResponseWriter, r *http.Request) {
	rid, cid, ok := s.planAndClient(w, r)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	err := s.Outreach.MovePartnerReferral(r.Context(), actorOf(sessionOf(r)), rid, version, outreach.Withdrawn, r.PostFormValue("note"))
	// The form has no status input: a move no longer allowed (done or
	// declined since the page was drawn) is about the form.
	err = renameFields(err, map[string]string{"status": "form"})
	s.clientPartnersStep(w, r, cid, rid, "referral-"+rid, err)
}

// ---- A client's volunteers ----

// volunteerChoice is a volunteer of the organisation.
type volunteerChoice struct{ ID, Name string }

// clientVolunteersPage is a client's volunteer matches.
type clientVolunteersPage struct {
	ClientID  string
	CanUpdate bool
	Matches   []outreach.Match
	// Volunteers are the organisation's volunteers, for the match form;
	// Names names the matched ones.
	Volunteers []volunteerChoice
	Names      map[string]string
	Kinds      []outreach.MatchKind
	// Manager: the reader is a team manager, who records supervision
	// (the service checks the volunteer is on one of their teams).
	Manager bool
	// FormFor is the form just refused: "match", "appt-" or "end-" and a
	// match's ID, or "supervision-" and a volunteer's ID.
	FormFor string
	Today   string
}

// volunteersOf lists the active volunteers of the actor's organisation.
// There is no listing by role in auth: this reads every account through
// ListStaff and keeps the organisation's volunteers.
func (s *Server) volunteersOf(r *http.Request, actor access.Actor) ([]volunteerChoice, error) {
	if s.Auth == nil {
		return nil, nil
	}
	all, err := s.Auth.ListStaff(r.Context())
	if err != nil {
		return nil, err
	}
	var out []volunteerChoice
	for _, st := range all {
		if st.OrganisationID == actor.OrganisationID && st.Role == access.RoleVolunteer && !st.Disabled {
			out = append(out, volunteerChoice{ID: st.ID, Name: displayName(st)})
		}
	}
	slices.SortFunc(out, func(a, b volunteerChoice) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func displayName(st auth.Staff) string {
	if st.DisplayName != "" {
		return st.DisplayName
	}
	return st.Username
}

func (s *Server) clientVolunteersRender(w http.ResponseWriter, r *http.Request, clientID string, status int, v view, formFor string, err error) {
	actor := actorOf(sessionOf(r))
	today := s.Now().In(frontDoorZone)
	page := clientVolunteersPage{ClientID: clientID, Kinds: outreach.MatchKinds, FormFor: formFor, Names: map[string]string{},
		Manager: actor.Role == access.RoleTeamManager, Today: today.Format(refugeDate)}
	matches, lerr := s.Outreach.ClientMatches(r.Context(), actor, clientID)
	if lerr == nil {
		page.CanUpdate, lerr = s.mayUpdateClient(r, actor, clientID)
	}
	if lerr == nil {
		page.Volunteers, lerr = s.volunteersOf(r, actor)
	}
	if lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	for _, vc := range page.Volunteers {
		page.Names[vc.ID] = vc.Name
	}
	for i := range matches {
		for j := range matches[i].Appointments {
			matches[i].Appointments[j].At = matches[i].Appointments[j].At.In(frontDoorZone)
		}
	}
	page.Matches = matches
	if v.Form == nil {
		v.Form = map[string]string{}
	}
	v.Title, v.Data = "partnersweb.volunteers_title", page
	if err != nil {
		s.formError(w, r, "volunteer_client", v, err)
		return
	}
	s.render(w, r, status, "volunteer_client", v)
}

func (s *Server) clientVolunteers(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	cid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	s.clientVolunteersRender(w, r, cid, http.StatusOK, view{}, "", nil)
}

// clientVolunteersStep answers a change to a client's volunteer matches.
func (s *Server) clientVolunteersStep(w http.ResponseWriter, r *http.Request, clientID, formFor, anchor string, err error) {
	switch {
	case err == nil:
		http.Redirect(w, r, "/people/"+clientID+"/volunteers#"+anchor, http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0 || errs.CodeOf(err) == errs.Conflict:
		s.clientVolunteersRender(w, r, clientID, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, formFor, staleOnForm(err))
	default:
		s.formError(w, r, "error", view{}, err)
	}
}

func (s *Server) matchVolunteer(w http.ResponseWriter, r *http.Request) {
	if !s.outreachOn(w, r) {
		return
	}
	cid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	mid, err := s.Outreach.MatchVolunteer(r.Context(), actorOf(sessionOf(r)), volunteerMatchForm(r.PostFormValue, cid))
	s.clientVolunteersStep(w, r, cid, "match", "match-"+mid, err)
}

func (s *Server) endVolunteerMatch(w http.ResponseWriter, r *http.Request) {
	mid, cid, ok := s.planAndClient(w, r)
	if !ok {
		return
	}
	err := s.Outreach.EndMatch(r.Context(), actorOf(sessionOf(r)), mid)
	s.clientVolunteersStep(w, r, cid, "end-"+mid, "match-"+mid, err)
}

func (s *Server) addVolunteerAppointment(w http.ResponseWriter, r *http.Request) {
	mid, cid, ok := s.planAndClient(w, r)
	if !ok {
		return
	}
	at, what, parse := volunteerAppointmentForm(r.PostFormValue, frontDoorZone)
	_, err := s.Outreach.AddAppointment(r.Context(), actorOf(sessionOf(r)), mid, at, what)
	err = renameFields(err, map[string]string{"starts_at": "date"})
	s.clientVolunteersStep(w, r, cid, "appt-"+mid, "match-"+mid, maracWithParseErrors(parse, err))
}

// recordSupervision records a volunteer's supervision session; the form
// is on a client's volunteers page (the client is the page to go back to).
func (s *Server) recordSupervision(w http.ResponseWriter, r *http.Request) {
	vid, cid, ok := s.planAndClient(w, r)
	if !ok {
		return
	}
	held, notes, parse := supervisionForm(r.PostFormValue, frontDoorZone)
	_, err := s.Outreach.RecordSupervision(r.Context(), actorOf(sessionOf(r)), vid, held, notes)
	if f := errs.AllFields(err); len(f) == 1 && f[0].Field == "volunteer" {
		err = errs.New(errs.NotFound, "error.not_found")
	}
	s.clientVolunteersStep(w, r, cid, "supervision-"+vid, "supervision-"+vid, maracWithParseErrors(parse, err))
}

// ---- The partner agency's referrals and the volunteer's clients ----

// roleHome is the home page of the roles the policy gives no service-wide
// action: a partner agency's user sees the referrals sent to their agency,
// a volunteer their matched clients. The outreach service decides what
// each may see. ok is false when it has nothing for the role.
func (s *Server) roleHome(w http.ResponseWriter, r *http.Request, actor access.Actor) bool {
	if s.Outreach == nil {
		return false
	}
	switch actor.Role {
	case access.RolePartnerAgencyUser:
		s.agencyRender(w, r, http.StatusOK, view{}, "", nil)
		return true
	case access.RoleVolunteer:
		s.volunteerHome(w, r, actor)
		return true
	}
	return false
}

// agencyPage is a partner agency's referrals.
type agencyPage struct {
	Referrals []outreach.PartnerReferral
	// FormFor is the referral whose move was just refused.
	FormFor string
}

func (s *Server) agencyRender(w http.ResponseWriter, r *http.Request, status int, v view, formFor string, err error) {
	list, lerr := s.Outreach.PartnerReferrals(r.Context(), actorOf(sessionOf(r)), "")
	if lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	if v.Form == nil {
		v.Form = map[string]string{}
	}
	v.Title, v.Data = "partnersweb.agency_title", agencyPage{Referrals: localReferrals(list), FormFor: formFor}
	if err != nil {
		s.formError(w, r, "partner_agency", v, err)
		return
	}
	s.render(w, r, status, "partner_agency", v)
}

// agencyMove is a partner agency user's move of a referral sent to their
// agency (accepted, declined, in progress, done), with a note. Anyone
// else is answered as if the page did not exist: the service's own
// withdraw is on the client's page.
func (s *Server) agencyMove(w http.ResponseWriter, r *http.Request) {
	actor := actorOf(sessionOf(r))
	if s.Outreach == nil {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	rid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	to, note := partnerMoveForm(r.PostFormValue)
	err := s.Outreach.MovePartnerReferral(r.Context(), actor, rid, version, to, note)
	switch {
	case err == nil:
		http.Redirect(w, r, "/agency#referral-"+rid, http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0 || errs.CodeOf(err) == errs.Conflict:
		s.agencyRender(w, r, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, rid, staleOnForm(err))
	default:
		s.formError(w, r, "error", view{}, err)
	}
}

// volunteerHomePage is a volunteer's matched clients, in the limited
// view, and their own supervision sessions.
type volunteerHomePage struct {
	Matches      []outreach.Match
	Supervisions []outreach.Supervision
}

func (s *Server) volunteerHome(w http.ResponseWriter, r *http.Request, actor access.Actor) {
	matches, err := s.Outreach.MyMatches(r.Context(), actor)
	var sup []outreach.Supervision
	if err == nil {
		sup, err = s.Outreach.Supervisions(r.Context(), actor, actor.StaffID)
	}
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	for i := range matches {
		for j := range matches[i].Appointments {
			matches[i].Appointments[j].At = matches[i].Appointments[j].At.In(frontDoorZone)
		}
	}
	for i := range sup {
		sup[i].HeldAt = sup[i].HeldAt.In(frontDoorZone)
	}
	s.render(w, r, http.StatusOK, "volunteer_home", view{Title: "partnersweb.volunteer_title", Data: volunteerHomePage{Matches: matches, Supervisions: sup}})
}

// agencyPage is the partner agency user's work queue.
func (s *Server) agencyPage(w http.ResponseWriter, r *http.Request) {
	if s.Outreach == nil {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	s.agencyRender(w, r, http.StatusOK, view{}, "", nil)
}

// volunteerPage is the volunteer's matched clients and supervision.
func (s *Server) volunteerPage(w http.ResponseWriter, r *http.Request) {
	if s.Outreach == nil {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	s.volunteerHome(w, r, actorOf(sessionOf(r)))
}
