package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/people"
	"frontdoor/internal/risk"
)

// riskForm is the assessment form: the question set's items, drawn from
// data, never from wording in the code.
type riskForm struct {
	Client *people.Client
	Set    *risk.QuestionSet
}

func (s *Server) riskFormPage(w http.ResponseWriter, r *http.Request, status int, c *people.Client, v view, err error) {
	set, serr := s.Risk.Set(r.Context(), risk.DefaultSetID, 0)
	if serr != nil {
		s.formError(w, r, "error", view{}, serr)
		return
	}
	v.Title = "risk.form_title"
	v.Data = riskForm{Client: c, Set: set}
	if v.Form == nil {
		v.Form = map[string]string{"source": string(risk.FromClient), "police_callouts": "0"}
	}
	if err != nil {
		s.formError(w, r, "risk_new", v, err)
		return
	}
	s.render(w, r, status, "risk_new", v)
}

func (s *Server) newRiskAssessment(w http.ResponseWriter, r *http.Request) {
	c, ok := s.openClientFor(w, r, s.People.OpenForUpdate)
	if !ok {
		return
	}
	s.riskFormPage(w, r, http.StatusOK, c, view{}, nil)
}

func (s *Server) assessRisk(w http.ResponseWriter, r *http.Request) {
	cid := r.PathValue("id")
	if !id.Valid(cid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	set, err := s.Risk.Set(r.Context(), risk.DefaultSetID, 0)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostFormValue(k)
	}
	n := risk.NewAssessment{ClientID: cid, SetID: set.ID, SetVersion: set.Version,
		Judgement: risk.Level(r.PostFormValue("judgement")), JudgementReason: r.PostFormValue("judgement_reason"),
		MARACReason: r.PostFormValue("marac_reason")}
	source := risk.Source(r.PostFormValue("source"))
	for _, it := range set.Items {
		n.Answers = append(n.Answers, risk.AnswerInput{Key: it.Key, Value: risk.Answer(r.PostFormValue("a_" + it.Key)),
			Source: source, Comment: r.PostFormValue("c_" + it.Key)})
	}
	var callErr error
	if n.PoliceCallouts, err = strconv.Atoi(strings.TrimSpace(r.PostFormValue("police_callouts"))); err != nil {
		callErr = errs.Field("police_callouts", "field.number_range", 0, 100)
	}
	var res *risk.Result
	if err = callErr; err == nil {
		res, err = s.Risk.Assess(r.Context(), actorOf(sessionOf(r)), n)
	}
	if err != nil {
		if len(errs.AllFields(err)) == 0 {
			s.formError(w, r, "error", view{}, err)
			return
		}
		c, ok := s.openClient(w, r)
		if !ok {
			return
		}
		s.riskFormPage(w, r, http.StatusUnprocessableEntity, c, view{Form: form}, err)
		return
	}
	// What the assessment set in motion is shown once on the result page;
	// the flags carry no personal data.
	q := url.Values{}
	if res.IDVATaskID != "" {
		q.Set("idva", "1")
	}
	if res.ReferralID != "" {
		q.Set("marac", "1")
	}
	if res.RepeatMARAC {
		q.Set("repeat", "1")
	}
	if res.EscalationSuggested {
		q.Set("escalation", "1")
	}
	http.Redirect(w, r, "/people/"+cid+"/risk/"+res.AssessmentID+"?"+q.Encode(), http.StatusSeeOther)
}

// riskResult is an assessment as its page shows it.
type riskResult struct {
	Client     *people.Client
	Assessment *risk.Assessment
	IDVA       bool
	MARAC      bool
	Repeat     bool
	Escalation bool
	Window     int // the escalation window in months
}

func (s *Server) riskAssessment(w http.ResponseWriter, r *http.Request) {
	c, ok := s.openClient(w, r)
	if !ok {
		return
	}
	aid := r.PathValue("aid")
	if !id.Valid(aid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	a, err := s.Risk.Get(r.Context(), actorOf(sessionOf(r)), aid)
	if err != nil || a.ClientID != c.ID {
		if err == nil {
			err = errs.New(errs.NotFound, "error.not_found")
		}
		s.formError(w, r, "error", view{}, err)
		return
	}
	q := r.URL.Query()
	s.render(w, r, http.StatusOK, "risk_result", view{Title: "risk.result_title", Data: riskResult{Client: c, Assessment: a,
		IDVA: q.Get("idva") == "1", MARAC: q.Get("marac") == "1", Repeat: q.Get("repeat") == "1", Escalation: q.Get("escalation") == "1",
		Window: s.Risk.EscalationWindow()}})
}

// riskReviewView is the change-of-circumstance form's data.
type riskReviewView struct {
	Client *people.Client
}

func (s *Server) reviewRequestPage(w http.ResponseWriter, r *http.Request, status int, v view, err error) {
	c, ok := s.openClientFor(w, r, s.People.OpenForUpdate)
	if !ok {
		return
	}
	v.Title, v.Data = "risk.review_title", riskReviewView{Client: c}
	if err != nil {
		s.formError(w, r, "risk_review", v, err)
		return
	}
	s.render(w, r, status, "risk_review", v)
}

func (s *Server) reviewRequestForm(w http.ResponseWriter, r *http.Request) {
	s.reviewRequestPage(w, r, http.StatusOK, view{}, nil)
}

// requestReview records a change of circumstance: the client's review is
// due now.
func (s *Server) requestReview(w http.ResponseWriter, r *http.Request) {
	cid := r.PathValue("id")
	if !id.Valid(cid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	reason := r.PostFormValue("reason")
	err := s.Risk.RequestReview(r.Context(), actorOf(sessionOf(r)), cid, reason)
	if err != nil {
		if len(errs.AllFields(err)) == 0 {
			s.formError(w, r, "error", view{}, err)
			return
		}
		s.reviewRequestPage(w, r, http.StatusUnprocessableEntity, view{Form: map[string]string{"reason": reason}}, err)
		return
	}
	http.Redirect(w, r, "/people/"+cid, http.StatusSeeOther)
}

// referEscalation makes the MARAC referral an assessment suggested on
// potential escalation: one click on the result page.
func (s *Server) referEscalation(w http.ResponseWriter, r *http.Request) {
	cid, aid := r.PathValue("id"), r.PathValue("aid")
	if !id.Valid(cid) || !id.Valid(aid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	actor := actorOf(sessionOf(r))
	// The assessment must be this client's: read it first (audited).
	a, err := s.Risk.Get(r.Context(), actor, aid)
	if err == nil && a.ClientID != cid {
		err = errs.New(errs.NotFound, "error.not_found")
	}
	var refID string
	if err == nil {
		refID, _, err = s.Risk.ReferEscalation(r.Context(), actor, aid, r.PostFormValue("reason"))
	}
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	http.Redirect(w, r, "/marac/referrals/"+refID, http.StatusSeeOther)
}
