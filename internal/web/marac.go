package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/risk"
)

// Dates and times on MARAC forms are the browser's date and time inputs,
// read as UTC.
const (
	maracDateLayout = "2006-01-02"
	maracTimeLayout = "15:04"
)

// meetingForm reads the new-meeting form. A date or time that does not
// parse is a field error and leaves the date zero, which the service
// refuses, so nothing is written.
func meetingForm(get func(string) string) (risk.NewMeeting, errs.Fields) {
	var fe errs.Fields
	n := risk.NewMeeting{Area: get("area")}
	ds, ts := strings.TrimSpace(get("date")), strings.TrimSpace(get("time"))
	if ds == "" {
		return n, fe // the service reports the missing date
	}
	day, err := time.Parse(maracDateLayout, ds)
	if err != nil {
		fe.Add("date", "marac.date_invalid")
	}
	var clock time.Time
	if ts != "" {
		if clock, err = time.Parse(maracTimeLayout, ts); err != nil {
			fe.Add("time", "marac.time_invalid")
		}
	}
	if len(fe) == 0 {
		n.Date = day.Add(time.Duration(clock.Hour())*time.Hour + time.Duration(clock.Minute())*time.Minute)
	}
	return n, fe
}

// actionForm reads the MARAC action form.
func actionForm(get func(string) string) (risk.NewAction, errs.Fields) {
	var fe errs.Fields
	n := risk.NewAction{OwnerStaffID: strings.TrimSpace(get("owner")), Text: get("text")}
	if ds := strings.TrimSpace(get("due")); ds != "" {
		due, err := time.Parse(maracDateLayout, ds)
		if err != nil {
			fe.Add("due", "marac.date_invalid")
		} else {
			n.Due = due
		}
	}
	return n, fe
}

// maracWithParseErrors reports a form's parse errors together with the
// service's field errors for the other fields: every problem at once.
// An error that is not about fields (refused, not found) wins.
func maracWithParseErrors(parse errs.Fields, err error) error {
	if len(parse) == 0 || err != nil && len(errs.AllFields(err)) == 0 {
		return err
	}
	out := slices.Clone(parse)
	for _, f := range errs.AllFields(err) {
		if !slices.ContainsFunc(parse, func(p *errs.Error) bool { return p.Field == f.Field }) {
			out = append(out, f)
		}
	}
	return out
}

func maracFormValues(r *http.Request) map[string]string {
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostFormValue(k)
	}
	return form
}

// maracOverviewData is the MARAC overview: meetings and referrals awaiting an
// agenda.
type maracOverviewData struct {
	Meetings []risk.Meeting
	Awaiting []risk.AgendaItem
	Past     bool
}

func (s *Server) maracOverview(w http.ResponseWriter, r *http.Request, status int, v view, err error) {
	actor := actorOf(sessionOf(r))
	page := maracOverviewData{Past: r.URL.Query().Get("past") == "1"}
	from := s.Now().UTC().AddDate(0, 0, -7)
	if page.Past {
		from = time.Time{}
	}
	var lerr error
	if page.Meetings, lerr = s.Risk.Meetings(r.Context(), actor, from, time.Time{}); lerr == nil {
		page.Awaiting, lerr = s.Risk.AwaitingAgenda(r.Context(), actor)
	}
	if lerr != nil {
		s.formError(w, r, "error", view{}, lerr)
		return
	}
	v.Title, v.Data = "marac.title", page
	if err != nil {
		s.formError(w, r, "marac", v, err)
		return
	}
	s.render(w, r, status, "marac", v)
}

func (s *Server) marac(w http.ResponseWriter, r *http.Request) {
	s.maracOverview(w, r, http.StatusOK, view{}, nil)
}

func (s *Server) createMeeting(w http.ResponseWriter, r *http.Request) {
	n, parse := meetingForm(r.PostFormValue)
	m, err := s.Risk.CreateMeeting(r.Context(), actorOf(sessionOf(r)), n)
	if err = maracWithParseErrors(parse, err); err != nil {
		if len(errs.AllFields(err)) == 0 {
			s.formError(w, r, "error", view{}, err)
			return
		}
		s.maracOverview(w, r, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, err)
		return
	}
	http.Redirect(w, r, "/marac/meetings/"+m.ID, http.StatusSeeOther)
}

// maracMeetingView is a meeting with its agenda, and the referrals that could
// join it.
type maracMeetingView struct {
	Agenda   *risk.Agenda
	Awaiting []risk.AgendaItem
	Names    map[string]string
}

func (s *Server) maracMeeting(w http.ResponseWriter, r *http.Request) {
	mid := r.PathValue("id")
	if !id.Valid(mid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	actor := actorOf(sessionOf(r))
	a, err := s.Risk.Agenda(r.Context(), actor, mid)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	page := maracMeetingView{Agenda: a}
	if page.Awaiting, err = s.Risk.AwaitingAgenda(r.Context(), actor); err == nil {
		page.Names, err = s.names(r)
	}
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	s.render(w, r, http.StatusOK, "marac_meeting", view{Title: "marac.meeting_title", Data: page})
}

// maracReferralData is a referral with the forms for its actions and outcome.
type maracReferralData struct {
	Referral *risk.Referral
	Meetings []risk.Meeting // upcoming, for putting it on an agenda
	Owners   []auth.Staff   // who can own an action
	Names    map[string]string
}

func (s *Server) maracReferralPage(w http.ResponseWriter, r *http.Request, status int, v view, err error) {
	rid := r.PathValue("id")
	if !id.Valid(rid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	actor := actorOf(sessionOf(r))
	ref, rerr := s.Risk.GetReferral(r.Context(), actor, rid)
	if rerr != nil {
		s.formError(w, r, "error", view{}, rerr)
		return
	}
	page := maracReferralData{Referral: ref}
	if ref.CanUpdate {
		if page.Meetings, rerr = s.Risk.Meetings(r.Context(), actor, s.Now().UTC().AddDate(0, 0, -7), time.Time{}); rerr == nil {
			page.Owners, rerr = s.actionOwners(r)
		}
	}
	if rerr == nil {
		page.Names, rerr = s.names(r)
	}
	if rerr != nil {
		s.formError(w, r, "error", view{}, rerr)
		return
	}
	v.Title, v.Data = "marac.referral_title", page
	if err != nil {
		s.formError(w, r, "marac_referral", v, err)
		return
	}
	s.render(w, r, status, "marac_referral", v)
}

// actionOwners lists who can own a MARAC action: the actor's
// organisation's case-holding staff and the partner agencies' users.
func (s *Server) actionOwners(r *http.Request) ([]auth.Staff, error) {
	list, err := s.Auth.ListStaff(r.Context())
	if err != nil {
		return nil, err
	}
	org := staffOf(r).OrganisationID
	var out []auth.Staff
	for _, st := range list {
		if st.Disabled {
			continue
		}
		ours := st.OrganisationID == org && access.Decide(access.Actor{Role: st.Role}, access.CreateRecord, access.Record{}).Allow
		if ours || st.Role == access.RolePartnerAgencyUser {
			out = append(out, st)
		}
	}
	return out, nil
}

func (s *Server) maracReferral(w http.ResponseWriter, r *http.Request) {
	s.maracReferralPage(w, r, http.StatusOK, view{}, nil)
}

// maracReferralAnswer answers a referral form: on to next, or the referral
// page with the form's errors.
func (s *Server) maracReferralAnswer(w http.ResponseWriter, r *http.Request, next string, err error) {
	if err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if len(errs.AllFields(err)) == 0 {
		s.formError(w, r, "error", view{}, err)
		return
	}
	s.maracReferralPage(w, r, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, err)
}

func (s *Server) addToAgenda(w http.ResponseWriter, r *http.Request) {
	rid := r.PathValue("id")
	mid := strings.TrimSpace(r.PostFormValue("meeting"))
	if !id.Valid(rid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	var err error
	if !id.Valid(mid) {
		err = errs.Fields{errs.Field("meeting", "marac.meeting_choose")}
	} else {
		err = s.Risk.AddToAgenda(r.Context(), actorOf(sessionOf(r)), mid, rid)
	}
	s.maracReferralAnswer(w, r, "/marac/meetings/"+mid, err)
}

func (s *Server) recordAction(w http.ResponseWriter, r *http.Request) {
	rid := r.PathValue("id")
	if !id.Valid(rid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	n, parse := actionForm(r.PostFormValue)
	_, err := s.Risk.RecordAction(r.Context(), actorOf(sessionOf(r)), rid, n)
	s.maracReferralAnswer(w, r, "/marac/referrals/"+rid+"#actions", maracWithParseErrors(parse, err))
}

func (s *Server) recordOutcome(w http.ResponseWriter, r *http.Request) {
	rid := r.PathValue("id")
	if !id.Valid(rid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	err := s.Risk.RecordOutcome(r.Context(), actorOf(sessionOf(r)), rid, r.PostFormValue("outcome"))
	s.maracReferralAnswer(w, r, "/marac/referrals/"+rid+"#outcome", err)
}

func (s *Server) completeAction(w http.ResponseWriter, r *http.Request) {
	aid := r.PathValue("id")
	rid := strings.TrimSpace(r.PostFormValue("referral"))
	if !id.Valid(aid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	if err := s.Risk.CompleteAction(r.Context(), actorOf(sessionOf(r)), aid); err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	next := "/marac"
	if id.Valid(rid) {
		next = "/marac/referrals/" + rid + "#actions"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
