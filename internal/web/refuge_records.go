package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
)

// referralPage is a referral to a vacancy with the next steps the person
// may take. It names the property's town and area, never its address.
type referralPage struct {
	ID, ClientID, PropertyID, PropertyName, Town, Area, UnitName string
	Status                                                       refuge.Status
	HeldUntil                                                    time.Time
	StayID                                                       string
	// Runs: the person is on the team that runs the property (offer,
	// admit, decline for the refuge). ForClient: they may change the
	// client (accept, decline for the client).
	Runs, ForClient bool
	Children        []people.ChildSummary
	Reasons         []refuge.TurnawayReason
	Today           string
}

// Live reports whether the referral still holds its unit.
func (p *referralPage) Live() bool {
	return p.Status == refuge.Held || p.Status == refuge.Offered || p.Status == refuge.Accepted
}

// loadReferral reads a referral for its page through the refuge service
// (which decides who may see it and audits the read), with the children
// the refuge may admit alongside the client.
func (s *Server) loadReferral(ctx context.Context, actor access.Actor, referralID string) (*referralPage, error) {
	r, err := s.Refuge.OpenReferral(ctx, actor, referralID)
	if err != nil {
		return nil, err
	}
	p := &referralPage{ID: r.ID, ClientID: r.ClientID, PropertyID: r.PropertyID, PropertyName: r.PropertyName, Town: r.Town, Area: r.Area,
		UnitName: r.UnitName, Status: r.Status, HeldUntil: r.HeldUntil, StayID: r.StayID, Runs: r.Runs, ForClient: r.ForClient,
		Reasons: refuge.TurnawayReasons}
	if p.Runs && p.Status == refuge.Accepted {
		// The children to admit with the client, where the team may read
		// the client's household; otherwise the client alone.
		if hh, err := s.People.Household(ctx, actor, p.ClientID); err == nil {
			p.Children = hh.Children
		}
	}
	return p, nil
}

func (s *Server) referralRender(w http.ResponseWriter, r *http.Request, status int, v view, err error) {
	rid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	p, lerr := s.loadReferral(r.Context(), actorOf(sessionOf(r)), rid)
	if lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	p.Today = s.Now().UTC().Format(refugeDate)
	v.Title, v.Data = "accommodation.referral_title", p
	if err != nil {
		s.formError(w, r, "refuge_referral", v, err)
		return
	}
	s.render(w, r, status, "refuge_referral", v)
}

func (s *Server) refugeReferral(w http.ResponseWriter, r *http.Request) {
	s.referralRender(w, r, http.StatusOK, view{}, nil)
}

// referralStep answers a step on a referral: back to the referral page on
// success, the page with its field errors, or the error page.
func (s *Server) referralStep(w http.ResponseWriter, r *http.Request, rid, next string, err error) {
	switch {
	case err == nil:
		if next == "" {
			next = "/refuge/referrals/" + rid
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0:
		s.referralRender(w, r, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, err)
	default:
		s.formError(w, r, "error", view{}, err)
	}
}

func (s *Server) offerReferral(w http.ResponseWriter, r *http.Request) {
	rid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	_, err := s.Refuge.Offer(r.Context(), actorOf(sessionOf(r)), rid)
	next := ""
	if err == nil && r.PostFormValue("return") == "board" {
		next = "/vacancies"
	}
	s.referralStep(w, r, rid, next, err)
}

func (s *Server) acceptReferral(w http.ResponseWriter, r *http.Request) {
	rid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	_, err := s.Refuge.Accept(r.Context(), actorOf(sessionOf(r)), rid)
	s.referralStep(w, r, rid, "", err)
}

func (s *Server) declineReferral(w http.ResponseWriter, r *http.Request) {
	rid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	err := s.Refuge.Decline(r.Context(), actorOf(sessionOf(r)), rid, declineForm(r.PostFormValue))
	s.referralStep(w, r, rid, "", err)
}

func (s *Server) admitReferral(w http.ResponseWriter, r *http.Request) {
	rid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	a, parse := admissionForm(r.PostFormValue, r.PostForm["children"])
	var err error = parse
	next := ""
	if len(parse) == 0 {
		var st *refuge.Stay
		if st, err = s.Refuge.Admit(r.Context(), actorOf(sessionOf(r)), rid, a); err == nil {
			next = "/refuge/stays/" + st.ID
		}
	}
	s.referralStep(w, r, rid, next, err)
}

// stayPage is a stay with its forms.
type stayPage struct {
	Stay       *refuge.Stay
	LengthDays int
	Reasons    []refuge.DepartureReason
	MoveOns    []refuge.MoveOn
	Today      string
	// Move is the children's tasks and the move-on plan (moveon.go).
	Move *stayMoveOn
}

func (s *Server) stayRender(w http.ResponseWriter, r *http.Request, status int, v view, err error) {
	sid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	st, lerr := s.Refuge.OpenStay(r.Context(), actorOf(sessionOf(r)), sid)
	if lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	move, lerr := s.loadStayMoveOn(r, actorOf(sessionOf(r)), sid)
	if lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	now := s.Now().UTC()
	v.Title, v.Data = "accommodation.stay_title", stayPage{Stay: st, LengthDays: st.LengthDays(now), Reasons: refuge.DepartureReasons,
		MoveOns: refuge.MoveOns, Today: now.Format(refugeDate), Move: move}
	if err != nil {
		s.formError(w, r, "refuge_stay", v, err)
		return
	}
	s.render(w, r, status, "refuge_stay", v)
}

func (s *Server) refugeStay(w http.ResponseWriter, r *http.Request) {
	s.stayRender(w, r, http.StatusOK, view{}, nil)
}

// stayStep answers a change to a stay like referralStep.
func (s *Server) stayStep(w http.ResponseWriter, r *http.Request, sid, next string, err error) {
	switch {
	case err == nil:
		if next == "" {
			next = "/refuge/stays/" + sid
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0:
		s.stayRender(w, r, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, err)
	default:
		s.formError(w, r, "error", view{}, err)
	}
}

// setExpectedMoveOut is the board's one click: the date a household is
// expected to leave (empty clears it).
func (s *Server) setExpectedMoveOut(w http.ResponseWriter, r *http.Request) {
	sid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	var fe errs.Fields
	d := parseDate(&fe, "expected_move_out", r.PostFormValue("expected_move_out"))
	var err error = fe
	if len(fe) == 0 {
		err = s.Refuge.SetExpectedMoveOut(r.Context(), actorOf(sessionOf(r)), sid, d)
	}
	next := ""
	if r.PostFormValue("return") == "board" {
		next = "/vacancies"
	}
	s.stayStep(w, r, sid, next, err)
}

func (s *Server) departStay(w http.ResponseWriter, r *http.Request) {
	sid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	// A date that does not parse is sent on as none, which the service
	// refuses with the other fields' errors: every problem at once.
	d, parse := departureForm(r.PostFormValue)
	err := s.Refuge.Depart(r.Context(), actorOf(sessionOf(r)), sid, d)
	s.stayStep(w, r, sid, "", maracWithParseErrors(parse, err))
}

// propertyPage is a property: its criteria (a form for those who run it)
// and units; the address only when OpenProperty gives it.
type propertyPage struct {
	Property  *refuge.Property
	Languages string
}

func (s *Server) propertyRender(w http.ResponseWriter, r *http.Request, status int, v view, err error) {
	pid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	p, lerr := s.Refuge.OpenProperty(r.Context(), actorOf(sessionOf(r)), pid)
	if lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	page := propertyPage{Property: p, Languages: strings.Join(p.Accepts.Languages, ", ")}
	if v.Form == nil {
		v.Form = criteriaValues(p.Accepts)
	}
	v.Title, v.Data = "accommodation.property_title", page
	if err != nil {
		s.formError(w, r, "refuge_property", v, err)
		return
	}
	s.render(w, r, status, "refuge_property", v)
}

func (s *Server) refugeProperty(w http.ResponseWriter, r *http.Request) {
	s.propertyRender(w, r, http.StatusOK, view{}, nil)
}

func (s *Server) updatePropertyCriteria(w http.ResponseWriter, r *http.Request) {
	pid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	c, parse := criteriaForm(r.PostFormValue)
	_, err := s.Refuge.UpdateCriteria(r.Context(), actorOf(sessionOf(r)), pid, version, c)
	err = maracWithParseErrors(parse, err)
	switch {
	case err == nil:
		http.Redirect(w, r, "/refuge/properties/"+pid, http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0:
		s.propertyRender(w, r, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, err)
	default:
		s.formError(w, r, "error", view{}, err)
	}
}

// unsafeAreasPage is a client's unsafe areas.
type unsafeAreasPage struct {
	ClientID  string
	Areas     []string
	CanUpdate bool
	Saved     bool
}

func (s *Server) unsafeAreasRender(w http.ResponseWriter, r *http.Request, status int, v view, err error) {
	cid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	actor := actorOf(sessionOf(r))
	areas, lerr := s.Refuge.UnsafeAreas(r.Context(), actor, cid)
	if lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	page := unsafeAreasPage{ClientID: cid, Areas: areas, Saved: r.URL.Query().Get("saved") == "1"}
	if lerr = s.DB.Read(r.Context(), func(tx *store.Tx) error {
		rec, err := s.People.Facts(r.Context(), tx, actor, cid)
		page.CanUpdate = err == nil && access.Decide(actor, access.UpdateRecord, rec).Allow
		return err
	}); lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	if v.Form == nil {
		text := ""
		for _, a := range areas {
			text += a + "\n"
		}
		v.Form = map[string]string{"unsafe_areas": text}
	}
	v.Title, v.Data = "accommodation.unsafe_title", page
	if err != nil {
		s.formError(w, r, "refuge_unsafe_areas", v, err)
		return
	}
	s.render(w, r, status, "refuge_unsafe_areas", v)
}

func (s *Server) unsafeAreas(w http.ResponseWriter, r *http.Request) {
	s.unsafeAreasRender(w, r, http.StatusOK, view{}, nil)
}

func (s *Server) saveUnsafeAreas(w http.ResponseWriter, r *http.Request) {
	cid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	err := s.Refuge.SetUnsafeAreas(r.Context(), actorOf(sessionOf(r)), cid, unsafeAreasForm(r.PostFormValue("unsafe_areas")))
	switch {
	case err == nil:
		http.Redirect(w, r, "/people/"+cid+"/unsafe-areas?saved=1", http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0:
		s.unsafeAreasRender(w, r, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, err)
	default:
		s.formError(w, r, "error", view{}, err)
	}
}
