package api

// Outreach through the API: support plans (needs, actions, the safety
// plan, outcome measures), the diary of sessions and home-visit check-ins,
// referrals to partner agencies and volunteer matches. These are a member
// of staff's work, so every route but the agency ones needs a staff token
// (scope outreach), which acts as that person exactly as accommodation
// does: the handler loads their current role, organisation and teams
// (auth.TokenActor) and calls the outreach service with them, so every
// decision is the pages'. Answers carry no address except a partner
// referral's shared fields, which the service gives only to those who
// may read them (the client's workers, and the agency it was sent to).
//
// A partner agency's own system reads and moves on the partner referrals
// sent to its organisation (/api/v1/agency/..., scopes agency.read and
// agency.update): the token acts as a partner agency user of its
// organisation, for nobody in particular, so its audit events have no
// actor. Every audit event of these routes names the token in its purpose
// ("...; via API token <id>") and carries the request ID, which the API's
// log line joins to the token too. The diary's sessions carry the
// client's name for those who may read the client (as the pages do).

import (
	"context"
	"net/http"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/outreach"
	"frontdoor/internal/store"
)

// ScopeOutreach is the scope of every staff outreach route; only a staff
// token can carry it.
const ScopeOutreach = auth.ScopeOutreach

// Created is the answer to a POST that made a record: its ID.
type Created struct {
	ID string `json:"id"`
}

// Saved is the answer to a POST that changed a record: its ID and, where
// the record is versioned, its new version.
type Saved struct {
	ID      string `json:"id"`
	Version int    `json:"version,omitempty"`
}

// NeedRequest is the body of POST /api/v1/plans/{id}/needs.
type NeedRequest struct {
	Area  string `json:"area"`
	Need  string `json:"need"`
	Goals string `json:"goals"`
}

// NeedUpdateRequest is the body of POST /api/v1/needs/{id}: the need's
// new wording, goals, progress and status, if nobody changed it since
// version.
type NeedUpdateRequest struct {
	Need     string `json:"need"`
	Goals    string `json:"goals"`
	Progress string `json:"progress,omitempty"`
	Status   string `json:"status"`
	Version  int    `json:"version"`
}

// ActionRequest is the body of POST /api/v1/needs/{id}/actions: the step,
// its owner (a member of staff of the organisation; left out: the client)
// and its due date (YYYY-MM-DD).
type ActionRequest struct {
	Text    string `json:"text"`
	OwnerID string `json:"owner_id,omitempty"`
	Due     string `json:"due"`
}

// SafetyPlanRequest is the body of POST /api/v1/plans/{id}/safety-plan:
// the whole safety plan ("" clears it), if nobody changed the plan since
// version.
type SafetyPlanRequest struct {
	SafetyPlan string `json:"safety_plan"`
	Version    int    `json:"version"`
}

// AreaScore is the score of one need area, 1 (worst) to 5 (best).
type AreaScore struct {
	Area  string `json:"area"`
	Score int    `json:"score"`
}

// OutcomeRequest is the body of POST /api/v1/plans/{id}/outcomes: a score
// for every need area of the plan, "feels safer" (1 to 5) and whether the
// abuse has stopped (yes, no, not_known).
type OutcomeRequest struct {
	Stage        string      `json:"stage"`
	Scores       []AreaScore `json:"scores"`
	FeelsSafer   int         `json:"feels_safer"`
	AbuseStopped string      `json:"abuse_stopped"`
}

// SupportPlan is a client's support plan (the open one, else the latest).
type SupportPlan struct {
	ID         string        `json:"id"`
	ClientID   string        `json:"client_id"`
	Open       bool          `json:"open"`
	SafetyPlan string        `json:"safety_plan"`
	CreatedAt  time.Time     `json:"created_at"`
	Version    int           `json:"version"`
	CanUpdate  bool          `json:"can_update"`
	Needs      []NeedView    `json:"needs"`
	Outcomes   []OutcomeView `json:"outcomes"`
}

// NeedView is one need area of a plan with its actions.
type NeedView struct {
	ID       string       `json:"id"`
	Area     string       `json:"area"`
	Need     string       `json:"need"`
	Goals    string       `json:"goals"`
	Progress string       `json:"progress"`
	Status   string       `json:"status"`
	Version  int          `json:"version"`
	Actions  []ActionView `json:"actions"`
}

// ActionView is an action of a need.
type ActionView struct {
	ID        string    `json:"id"`
	SessionID string    `json:"session_id,omitempty"`
	Text      string    `json:"text"`
	OwnerID   string    `json:"owner_id,omitempty"`
	Due       string    `json:"due"`
	DoneAt    time.Time `json:"done_at,omitzero"`
}

// OutcomeView is a recorded outcome measure.
type OutcomeView struct {
	ID           string      `json:"id"`
	Stage        string      `json:"stage"`
	Scores       []AreaScore `json:"scores"`
	FeelsSafer   int         `json:"feels_safer"`
	AbuseStopped string      `json:"abuse_stopped"`
	RecordedAt   time.Time   `json:"recorded_at"`
}

// BookRequest is the body of POST /api/v1/clients/{id}/sessions: one
// session, or the same slot weekly for weeks weeks. The reminder must be
// a channel the client's safe-contact rules mark safe, or none.
type BookRequest struct {
	Kind            string `json:"kind"`
	Start           string `json:"start"` // RFC 3339
	DurationMinutes int    `json:"duration_minutes"`
	Weeks           int    `json:"weeks,omitempty"` // left out: 1
	Reminder        string `json:"reminder"`
	WorkerID        string `json:"worker_id,omitempty"` // left out: the token's member of staff
}

// SessionsBooked is the answer to a booking: the sessions' IDs in order.
type SessionsBooked struct {
	IDs []string `json:"ids"`
}

// SessionActionIn is an action agreed at a session.
type SessionActionIn struct {
	NeedID  string `json:"need_id"`
	Text    string `json:"text"`
	OwnerID string `json:"owner_id,omitempty"`
	Due     string `json:"due"`
}

// RecordSessionRequest is the body of POST /api/v1/sessions/{id}: held
// (with what was discussed and the actions agreed), missed or cancelled.
type RecordSessionRequest struct {
	Status    string            `json:"status"`
	Discussed string            `json:"discussed,omitempty"`
	Actions   []SessionActionIn `json:"actions,omitempty"`
	Version   int               `json:"version"`
}

// SessionView is a session as the diary shows it. Restricted: the reader
// may not read the client, so nothing about the person is given.
type SessionView struct {
	ID             string    `json:"id"`
	ClientID       string    `json:"client_id,omitempty"`
	ClientName     string    `json:"client_name,omitempty"`
	Restricted     bool      `json:"restricted"`
	WorkerID       string    `json:"worker_id"`
	SeriesID       string    `json:"series_id,omitempty"`
	Kind           string    `json:"kind"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	Reminder       string    `json:"reminder"`
	ReminderUnsafe bool      `json:"reminder_unsafe"`
	Status         string    `json:"status"`
	Discussed      string    `json:"discussed,omitempty"`
	CheckedInAt    time.Time `json:"checked_in_at,omitzero"`
	Overdue        bool      `json:"overdue"`
	CanUpdate      bool      `json:"can_update"`
	Version        int       `json:"version"`
}

// SessionList is a week of the token's member of staff's diary.
type SessionList struct {
	Sessions []SessionView `json:"sessions"`
}

// PartnerReferralRequest is the body of POST
// /api/v1/clients/{id}/partner-referrals: the information sharing
// agreement it relies on, what is asked, the fields shared (name,
// address, safe_phone, safe_times, codeword) and, when the agreement's
// basis is consent, that the client consented.
type PartnerReferralRequest struct {
	AgreementID string   `json:"agreement_id"`
	Kind        string   `json:"kind"`
	Consent     bool     `json:"consent,omitempty"`
	Share       []string `json:"share,omitempty"`
	Request     string   `json:"request"`
}

// WithdrawRequest is the body of POST /api/v1/partner-referrals/{id}/withdraw.
type WithdrawRequest struct {
	Note    string `json:"note"`
	Version int    `json:"version"`
}

// AgencyStatusRequest is the body of POST
// /api/v1/agency/referrals/{id}/status: the agency's move (accepted,
// declined, in_progress, done) with a note (required to decline).
type AgencyStatusRequest struct {
	To      string `json:"to"`
	Note    string `json:"note,omitempty"`
	Version int    `json:"version"`
}

// SharedView is what the agency was sent, as it was when sent.
type SharedView struct {
	Name      string `json:"name,omitempty"`
	Address   string `json:"address,omitempty"`
	SafePhone string `json:"safe_phone,omitempty"`
	SafeTimes string `json:"safe_times,omitempty"`
	Codeword  string `json:"codeword,omitempty"`
	Request   string `json:"request"`
}

// PartnerEventView is one step of a partner referral.
type PartnerEventView struct {
	Status string    `json:"status"`
	Note   string    `json:"note,omitempty"`
	At     time.Time `json:"at"`
}

// PartnerReferralView is a partner referral as the reader sees it: the
// client's ID for the service's workers only.
type PartnerReferralView struct {
	ID             string             `json:"id"`
	ClientID       string             `json:"client_id,omitempty"`
	PartnerID      string             `json:"partner_id"`
	PartnerName    string             `json:"partner_name"`
	AgreementTitle string             `json:"agreement_title"`
	LegalBasis     string             `json:"legal_basis"`
	Kind           string             `json:"kind"`
	Status         string             `json:"status"`
	Shared         SharedView         `json:"shared"`
	CreatedAt      time.Time          `json:"created_at"`
	Version        int                `json:"version"`
	Events         []PartnerEventView `json:"events"`
	Moves          []string           `json:"moves"`
}

// PartnerReferralList is a list of partner referrals.
type PartnerReferralList struct {
	Referrals []PartnerReferralView `json:"referrals"`
}

// MatchRequest is the body of POST /api/v1/clients/{id}/volunteer-matches.
type MatchRequest struct {
	VolunteerID  string `json:"volunteer_id"`
	Kind         string `json:"kind"`
	Purpose      string `json:"purpose"`
	ShareAddress bool   `json:"share_address,omitempty"`
}

// MatchView is a volunteer match: never the client's address or contact
// details.
type MatchView struct {
	ID           string `json:"id"`
	ClientID     string `json:"client_id"`
	VolunteerID  string `json:"volunteer_id"`
	Kind         string `json:"kind"`
	Purpose      string `json:"purpose"`
	ShareAddress bool   `json:"share_address"`
	StartsOn     string `json:"starts_on"`
	Ended        bool   `json:"ended"`
}

// MatchList is a client's volunteer matches.
type MatchList struct {
	Matches []MatchView `json:"matches"`
}

// What each body is held to: its keys and the document's schema.
var (
	needBody            = bodyOf[NeedRequest]("POST /api/v1/plans/{id}/needs")
	needUpdateBody      = bodyOf[NeedUpdateRequest]("POST /api/v1/needs/{id}")
	actionBody          = bodyOf[ActionRequest]("POST /api/v1/needs/{id}/actions")
	safetyPlanBody      = bodyOf[SafetyPlanRequest]("POST /api/v1/plans/{id}/safety-plan")
	outcomeBody         = bodyOf[OutcomeRequest]("POST /api/v1/plans/{id}/outcomes")
	bookBody            = bodyOf[BookRequest]("POST /api/v1/clients/{id}/sessions")
	recordSessionBody   = bodyOf[RecordSessionRequest]("POST /api/v1/sessions/{id}")
	partnerReferralBody = bodyOf[PartnerReferralRequest]("POST /api/v1/clients/{id}/partner-referrals")
	withdrawBody        = bodyOf[WithdrawRequest]("POST /api/v1/partner-referrals/{id}/withdraw")
	agencyStatusBody    = bodyOf[AgencyStatusRequest]("POST /api/v1/agency/referrals/{id}/status")
	matchBody           = bodyOf[MatchRequest]("POST /api/v1/clients/{id}/volunteer-matches")
)

func (a *API) outreachRoutes() []route {
	return []route{
		{"GET /api/v1/clients/{id}/plan", ScopeOutreach, a.asOutreach(a.getPlan)},
		{"POST /api/v1/clients/{id}/plan", ScopeOutreach, a.asOutreach(a.startPlan)},
		{"POST /api/v1/plans/{id}/needs", ScopeOutreach, a.asOutreach(a.addNeed)},
		{"POST /api/v1/needs/{id}", ScopeOutreach, a.asOutreach(a.updateNeed)},
		{"POST /api/v1/needs/{id}/actions", ScopeOutreach, a.asOutreach(a.addAction)},
		{"POST /api/v1/actions/{id}/done", ScopeOutreach, a.asOutreach(a.completeAction)},
		{"POST /api/v1/plans/{id}/safety-plan", ScopeOutreach, a.asOutreach(a.saveSafetyPlan)},
		{"POST /api/v1/plans/{id}/outcomes", ScopeOutreach, a.asOutreach(a.recordOutcome)},
		{"POST /api/v1/clients/{id}/sessions", ScopeOutreach, a.asOutreach(a.bookSessions)},
		{"GET /api/v1/sessions", ScopeOutreach, a.asOutreach(a.sessionWeek)},
		{"GET /api/v1/sessions/{id}", ScopeOutreach, a.asOutreach(a.getSession)},
		{"POST /api/v1/sessions/{id}", ScopeOutreach, a.asOutreach(a.recordSession)},
		{"POST /api/v1/sessions/{id}/checkin", ScopeOutreach, a.asOutreach(a.checkIn)},
		{"GET /api/v1/clients/{id}/partner-referrals", ScopeOutreach, a.asOutreach(a.clientPartnerReferrals)},
		{"POST /api/v1/clients/{id}/partner-referrals", ScopeOutreach, a.asOutreach(a.referToPartner)},
		{"POST /api/v1/partner-referrals/{id}/withdraw", ScopeOutreach, a.asOutreach(a.withdrawPartnerReferral)},
		{"GET /api/v1/clients/{id}/volunteer-matches", ScopeOutreach, a.asOutreach(a.clientMatches)},
		{"POST /api/v1/clients/{id}/volunteer-matches", ScopeOutreach, a.asOutreach(a.matchVolunteer)},
		{"POST /api/v1/volunteer-matches/{id}/end", ScopeOutreach, a.asOutreach(a.endMatch)},
		{"GET /api/v1/agency/referrals", auth.ScopeAgencyRead, a.asAgency(a.agencyReferrals)},
		{"POST /api/v1/agency/referrals/{id}/status", auth.ScopeAgencyUpdate, a.asAgency(a.agencyMove)},
	}
}

// outreachHandler is a handler of an outreach route: the service to call
// (audited via the token) and the actor to call it as.
type outreachHandler func(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor)

// via is the outreach service whose audit events carry the request's ID
// and name the token in their purpose, so that an event of an agency
// token (which has no member of staff to name) is still traced to it.
func (a *API) via(t *auth.APIToken) *outreach.Service {
	svc := *a.Outreach
	record := a.Outreach.Record
	tokenID := t.ID
	svc.Record = func(ctx context.Context, tx *store.Tx, e audit.Event) error {
		if e.RequestID == "" {
			e.RequestID = RequestID(ctx)
		}
		if e.Purpose == "" {
			e.Purpose = "via API token " + tokenID
		} else {
			e.Purpose += "; via API token " + tokenID
		}
		return record(ctx, tx, e)
	}
	return &svc
}

// asOutreach runs h as the token's member of staff as they are now (as
// asStaff does for accommodation).
func (a *API) asOutreach(h outreachHandler) func(http.ResponseWriter, *http.Request, *auth.APIToken) {
	return func(w http.ResponseWriter, r *http.Request, t *auth.APIToken) {
		if a.Outreach == nil {
			a.fail(w, r, http.StatusServiceUnavailable, problem{Code: string(errs.Unavailable), Reason: a.msg("api.outreach.unavailable")})
			return
		}
		actor, err := a.Auth.TokenActor(r.Context(), t)
		switch errs.CodeOf(err) {
		case "":
			if !a.roleMayUse(w, r, actor, ScopeOutreach) {
				return
			}
			h(w, r, a.via(t), actor)
		case errs.Unauthenticated:
			w.Header().Set("WWW-Authenticate", `Bearer realm="frontdoor", error="invalid_token"`)
			a.fail(w, r, http.StatusUnauthorized, problem{Code: string(errs.Unauthenticated), Reason: a.msg("api.token_invalid")})
		case errs.Forbidden:
			a.fail(w, r, http.StatusForbidden, problem{Code: codeStaffTokenRequired, Reason: a.msg("api.staff_token_required")})
		default:
			a.fault(w, r, err)
		}
	}
}

// asAgency runs h as a partner agency user of the token's organisation,
// acting for no member of staff. Only a partner token may: a staff token
// cannot carry the referral scopes, and is refused here all the same.
func (a *API) asAgency(h outreachHandler) func(http.ResponseWriter, *http.Request, *auth.APIToken) {
	return func(w http.ResponseWriter, r *http.Request, t *auth.APIToken) {
		if a.Outreach == nil {
			a.fail(w, r, http.StatusServiceUnavailable, problem{Code: string(errs.Unavailable), Reason: a.msg("api.outreach.unavailable")})
			return
		}
		if t.StaffID != "" || t.OrganisationID == "" {
			a.fail(w, r, http.StatusForbidden, problem{Code: string(errs.Forbidden), Reason: a.msg("api.outreach.agency_token_required")})
			return
		}
		// The token's organisation must be a registered partner agency.
		var n int
		if err := a.DB.Read(r.Context(), func(tx *store.Tx) error {
			return tx.QueryRow(r.Context(), `SELECT count(*) FROM partner_agencies WHERE organisation_id = $1`, []any{t.OrganisationID}, &n)
		}); err != nil || n != 1 {
			a.fail(w, r, http.StatusForbidden, problem{Code: string(errs.Forbidden), Reason: a.msg("api.outreach.agency_token_required")})
			return
		}
		h(w, r, a.via(t), access.Actor{Role: access.RolePartnerAgencyUser, OrganisationID: t.OrganisationID})
	}
}

// outreachPath maps the outreach service's field names to the request
// bodies' JSON names.
func outreachPath(f string) string {
	switch {
	case f == "agreement":
		return "agreement_id"
	case f == "volunteer":
		return "volunteer_id"
	case f == "worker":
		return "worker_id"
	case f == "owner":
		return "owner_id"
	case f == "duration":
		return "duration_minutes"
	case f == "status" || f == "to":
		return f
	case strings.HasPrefix(f, "score_"):
		return "scores"
	}
	return f
}

// sessionPath names the fields of a session's record: the actions'
// fields are the actions list's.
func sessionPath(f string) string {
	if strings.HasPrefix(f, "action_") || f == "need" || f == "owner" {
		return "actions"
	}
	return outreachPath(f)
}

// agencyPath names the fields of an agency's move.
func agencyPath(f string) string {
	if f == "status" {
		return "to"
	}
	return f
}

// validID adds a field error when v is given and not an ID the service
// gave out; it reports whether v may be passed on.
func validID(fe *errs.Fields, field, v string) bool {
	if v != "" && !id.Valid(v) {
		fe.Add(field, "api.accommodation.id_invalid")
		return false
	}
	return true
}

func (a *API) getPlan(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	cid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	p, err := svc.Plan(r.Context(), actor, cid)
	if err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	out := SupportPlan{ID: p.ID, ClientID: p.ClientID, Open: p.Open, SafetyPlan: p.SafetyPlan, CreatedAt: p.CreatedAt.UTC(), Version: p.Version,
		CanUpdate: p.CanUpdate, Needs: make([]NeedView, 0, len(p.Needs)), Outcomes: make([]OutcomeView, 0, len(p.Outcomes))}
	for _, n := range p.Needs {
		nv := NeedView{ID: n.ID, Area: string(n.Area), Need: n.Need, Goals: n.Goals, Progress: n.Progress, Status: string(n.Status), Version: n.Version,
			Actions: make([]ActionView, 0, len(n.Actions))}
		for _, ac := range n.Actions {
			av := ActionView{ID: ac.ID, SessionID: ac.SessionID, Text: ac.Text, OwnerID: ac.OwnerID, Due: dateOrEmpty(ac.Due)}
			if ac.Done() {
				av.DoneAt = ac.DoneAt.UTC()
			}
			nv.Actions = append(nv.Actions, av)
		}
		out.Needs = append(out.Needs, nv)
	}
	for _, o := range p.Outcomes {
		ov := OutcomeView{ID: o.ID, Stage: string(o.Stage), FeelsSafer: o.FeelsSafer, AbuseStopped: o.AbuseStopped, RecordedAt: o.RecordedAt.UTC(),
			Scores: make([]AreaScore, 0, len(o.Scores))}
		for _, area := range outreach.Areas {
			if v, ok := o.Scores[area]; ok {
				ov.Scores = append(ov.Scores, AreaScore{Area: string(area), Score: v})
			}
		}
		out.Outcomes = append(out.Outcomes, ov)
	}
	a.writeJSON(w, http.StatusOK, out)
}

func (a *API) startPlan(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	cid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	pid, err := svc.StartPlan(r.Context(), actor, cid)
	if err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	w.Header().Set("Location", "/api/v1/clients/"+cid+"/plan")
	a.writeJSON(w, http.StatusCreated, Created{ID: pid})
}

// body decodes a request body strictly into T; false when it answered.
func body[T any](a *API, w http.ResponseWriter, r *http.Request, spec *bodySpec) (T, bool) {
	req, err := decodeBody[T](http.MaxBytesReader(w, r.Body, a.MaxBody), r.Header.Get("Content-Type"), a.MaxBody, spec)
	if a.decodeFailed(w, r, err) {
		return req, false
	}
	return req, true
}

func (a *API) addNeed(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	pid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, ok := body[NeedRequest](a, w, r, needBody)
	if !ok {
		return
	}
	nid, err := svc.AddNeed(r.Context(), actor, pid, outreach.NewNeed{Area: outreach.Area(req.Area), Need: req.Need, Goals: req.Goals})
	if err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	a.writeJSON(w, http.StatusCreated, Created{ID: nid})
}

func (a *API) updateNeed(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	nid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, ok := body[NeedUpdateRequest](a, w, r, needUpdateBody)
	if !ok {
		return
	}
	err := svc.UpdateNeed(r.Context(), actor, nid, req.Version, outreach.NeedUpdate{Need: req.Need, Goals: req.Goals, Progress: req.Progress,
		Status: outreach.NeedStatus(req.Status)})
	if err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	a.writeJSON(w, http.StatusOK, Saved{ID: nid, Version: req.Version + 1})
}

// actionPath names the fields of a single action's body.
func actionPath(f string) string {
	switch f {
	case "owner":
		return "owner_id"
	case "need":
		return "need"
	}
	return f
}

func (a *API) addAction(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	nid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, ok := body[ActionRequest](a, w, r, actionBody)
	if !ok {
		return
	}
	var fe errs.Fields
	due := parseAPIDate(&fe, "due", req.Due)
	if !validID(&fe, "owner_id", req.OwnerID) {
		req.OwnerID = ""
	}
	if len(fe) > 0 {
		a.fault(w, r, fe, identity)
		return
	}
	aid, err := svc.AddAction(r.Context(), actor, outreach.NewAction{NeedID: nid, Text: req.Text, OwnerID: req.OwnerID, Due: due})
	if errs.As(err).Field == "need" {
		// The need of the path: no such need is a 404, not a field.
		a.fail(w, r, http.StatusNotFound, problem{Code: string(errs.NotFound), Reason: a.msg("error.not_found")})
		return
	}
	if err != nil {
		a.fault(w, r, err, actionPath)
		return
	}
	a.writeJSON(w, http.StatusCreated, Created{ID: aid})
}

func (a *API) completeAction(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	a.byID(w, r, func(id string) error { return svc.CompleteAction(r.Context(), actor, id) })
}

func (a *API) saveSafetyPlan(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	pid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, ok := body[SafetyPlanRequest](a, w, r, safetyPlanBody)
	if !ok {
		return
	}
	v, err := svc.SaveSafetyPlan(r.Context(), actor, pid, req.Version, req.SafetyPlan)
	if err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	a.writeJSON(w, http.StatusOK, Saved{ID: pid, Version: v})
}

func (a *API) recordOutcome(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	pid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, ok := body[OutcomeRequest](a, w, r, outcomeBody)
	if !ok {
		return
	}
	o, fe := req.outcome()
	if len(fe) > 0 {
		a.fault(w, r, fe, identity)
		return
	}
	if err := svc.RecordOutcome(r.Context(), actor, pid, o); err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	a.writeJSON(w, http.StatusOK, Saved{ID: pid})
}

// outcome reads an OutcomeRequest into the service's input: each area
// scored once.
func (req OutcomeRequest) outcome() (outreach.NewOutcome, errs.Fields) {
	var fe errs.Fields
	o := outreach.NewOutcome{Stage: outreach.Stage(req.Stage), FeelsSafer: req.FeelsSafer, AbuseStopped: req.AbuseStopped, Scores: map[outreach.Area]int{}}
	for _, s := range req.Scores {
		if _, dup := o.Scores[outreach.Area(s.Area)]; dup {
			fe.Add("scores", "api.outreach.area_twice")
			break
		}
		o.Scores[outreach.Area(s.Area)] = s.Score
	}
	return o, fe
}

// sessions reads a BookRequest into the service's input.
func (req BookRequest) sessions(clientID string) (outreach.NewSessions, errs.Fields) {
	var fe errs.Fields
	n := outreach.NewSessions{ClientID: clientID, Kind: outreach.Kind(req.Kind), Weeks: req.Weeks, Reminder: outreach.Reminder(req.Reminder)}
	if req.Start != "" {
		t, err := time.Parse(time.RFC3339, req.Start)
		if err != nil || t.Year() < 2000 || t.Year() > 9999 {
			fe.Add("start", "api.outreach.time_invalid")
		} else {
			n.Start = t
		}
	}
	if req.DurationMinutes > 0 && req.DurationMinutes <= int(outreach.MaxSessionTime/time.Minute) {
		n.Duration = time.Duration(req.DurationMinutes) * time.Minute
	}
	if n.Weeks == 0 {
		n.Weeks = 1
	}
	if validID(&fe, "worker_id", req.WorkerID) {
		n.WorkerID = req.WorkerID
	}
	return n, fe
}

func (a *API) bookSessions(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	cid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, ok := body[BookRequest](a, w, r, bookBody)
	if !ok {
		return
	}
	n, fe := req.sessions(cid)
	if len(fe) > 0 {
		a.fault(w, r, fe, identity)
		return
	}
	ids, err := svc.Book(r.Context(), actor, n)
	if err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	a.writeJSON(w, http.StatusCreated, SessionsBooked{IDs: ids})
}

func sessionView(s outreach.Session) SessionView {
	return SessionView{ID: s.ID, ClientID: s.ClientID, ClientName: s.ClientName, Restricted: s.Restricted, WorkerID: s.WorkerID, SeriesID: s.SeriesID,
		Kind: string(s.Kind), Start: s.Start.UTC(), End: s.End.UTC(), Reminder: string(s.Reminder), ReminderUnsafe: s.ReminderUnsafe,
		Status: string(s.Status), Discussed: s.Discussed, CheckedInAt: s.CheckedInAt, Overdue: s.Overdue, CanUpdate: s.CanUpdate, Version: s.Version}
}

func (a *API) sessionWeek(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	from := a.Now().UTC().Truncate(24 * time.Hour)
	if v := r.URL.Query().Get("from"); v != "" {
		var fe errs.Fields
		from = parseAPIDate(&fe, "from", v)
		if len(fe) > 0 {
			a.fault(w, r, fe, identity)
			return
		}
	}
	list, err := svc.Week(r.Context(), actor, "", from)
	if err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	out := SessionList{Sessions: make([]SessionView, 0, len(list))}
	for _, s := range list {
		out.Sessions = append(out.Sessions, sessionView(s))
	}
	a.writeJSON(w, http.StatusOK, out)
}

func (a *API) answerSession(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor, sid string) {
	s, err := svc.OpenSession(r.Context(), actor, sid)
	if err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	a.writeJSON(w, http.StatusOK, sessionView(*s))
}

func (a *API) getSession(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	if sid, ok := a.pathRecord(w, r); ok {
		a.answerSession(w, r, svc, actor, sid)
	}
}

// record reads a RecordSessionRequest into the service's input.
func (req RecordSessionRequest) record() (outreach.SessionRecord, errs.Fields) {
	var fe errs.Fields
	rec := outreach.SessionRecord{Status: outreach.SessionStatus(req.Status), Discussed: req.Discussed}
	for _, ac := range req.Actions {
		due := parseAPIDate(&fe, "actions", ac.Due)
		if !id.Valid(ac.NeedID) || !validID(&fe, "actions", ac.OwnerID) {
			if !containsField(fe, "actions") {
				fe.Add("actions", "api.accommodation.id_invalid")
			}
			continue
		}
		rec.Actions = append(rec.Actions, outreach.NewAction{NeedID: ac.NeedID, Text: ac.Text, OwnerID: ac.OwnerID, Due: due})
	}
	return rec, fe
}

func (a *API) recordSession(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	sid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, ok := body[RecordSessionRequest](a, w, r, recordSessionBody)
	if !ok {
		return
	}
	rec, fe := req.record()
	if len(fe) > 0 {
		a.fault(w, r, fe, identity)
		return
	}
	if err := svc.RecordSession(r.Context(), actor, sid, req.Version, rec); err != nil {
		a.fault(w, r, err, sessionPath)
		return
	}
	a.answerSession(w, r, svc, actor, sid)
}

func (a *API) checkIn(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	a.byID(w, r, func(id string) error { return svc.CheckIn(r.Context(), actor, id) })
}

func partnerView(p outreach.PartnerReferral) PartnerReferralView {
	v := PartnerReferralView{ID: p.ID, ClientID: p.ClientID, PartnerID: p.PartnerID, PartnerName: p.PartnerName, AgreementTitle: p.AgreementTitle,
		LegalBasis: string(p.LegalBasis), Kind: string(p.Kind), Status: string(p.Status), CreatedAt: p.CreatedAt.UTC(), Version: p.Version,
		Shared: SharedView{Name: p.Shared.Name, Address: p.Shared.Address, SafePhone: p.Shared.SafePhone, SafeTimes: p.Shared.SafeTimes,
			Codeword: p.Shared.Codeword, Request: p.Shared.Request},
		Events: make([]PartnerEventView, 0, len(p.Events)), Moves: make([]string, 0, len(p.Moves))}
	for _, e := range p.Events {
		v.Events = append(v.Events, PartnerEventView{Status: string(e.Status), Note: e.Note, At: e.At.UTC()})
	}
	for _, m := range p.Moves {
		v.Moves = append(v.Moves, string(m))
	}
	return v
}

func (a *API) answerPartnerReferrals(w http.ResponseWriter, list []outreach.PartnerReferral) {
	out := PartnerReferralList{Referrals: make([]PartnerReferralView, 0, len(list))}
	for _, p := range list {
		out.Referrals = append(out.Referrals, partnerView(p))
	}
	a.writeJSON(w, http.StatusOK, out)
}

func (a *API) answerPartnerReferral(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor, rid string, status int) {
	p, err := svc.OpenPartnerReferral(r.Context(), actor, rid)
	if err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	a.writeJSON(w, status, partnerView(*p))
}

func (a *API) clientPartnerReferrals(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	cid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	list, err := svc.PartnerReferrals(r.Context(), actor, cid)
	if err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	a.answerPartnerReferrals(w, list)
}

func (a *API) referToPartner(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	cid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, ok := body[PartnerReferralRequest](a, w, r, partnerReferralBody)
	if !ok {
		return
	}
	var fe errs.Fields
	if !validID(&fe, "agreement_id", req.AgreementID) {
		a.fault(w, r, fe, identity)
		return
	}
	n := outreach.NewPartnerReferral{ClientID: cid, AgreementID: req.AgreementID, Kind: outreach.ReferralKind(req.Kind), Consent: req.Consent,
		Request: req.Request}
	for _, s := range req.Share {
		n.Share = append(n.Share, outreach.ShareField(s))
	}
	rid, err := svc.ReferToPartner(r.Context(), actor, n)
	if err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	a.answerPartnerReferral(w, r, svc, actor, rid, http.StatusCreated)
}

func (a *API) withdrawPartnerReferral(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	rid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, ok := body[WithdrawRequest](a, w, r, withdrawBody)
	if !ok {
		return
	}
	if err := svc.MovePartnerReferral(r.Context(), actor, rid, req.Version, outreach.Withdrawn, req.Note); err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	a.answerPartnerReferral(w, r, svc, actor, rid, http.StatusOK)
}

func (a *API) agencyReferrals(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	list, err := svc.PartnerReferrals(r.Context(), actor, "")
	if err != nil {
		a.fault(w, r, err, agencyPath)
		return
	}
	a.answerPartnerReferrals(w, list)
}

func (a *API) agencyMove(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	rid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, ok := body[AgencyStatusRequest](a, w, r, agencyStatusBody)
	if !ok {
		return
	}
	if err := svc.MovePartnerReferral(r.Context(), actor, rid, req.Version, outreach.PartnerStatus(req.To), req.Note); err != nil {
		a.fault(w, r, err, agencyPath)
		return
	}
	a.answerPartnerReferral(w, r, svc, actor, rid, http.StatusOK)
}

func (a *API) clientMatches(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	cid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	list, err := svc.ClientMatches(r.Context(), actor, cid)
	if err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	out := MatchList{Matches: make([]MatchView, 0, len(list))}
	for _, m := range list {
		out.Matches = append(out.Matches, MatchView{ID: m.ID, ClientID: m.ClientID, VolunteerID: m.VolunteerID, Kind: string(m.Kind), Purpose: m.Purpose,
			ShareAddress: m.ShareAddress, StartsOn: dateOrEmpty(m.StartsOn), Ended: m.Ended})
	}
	a.writeJSON(w, http.StatusOK, out)
}

func (a *API) matchVolunteer(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	cid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, ok := body[MatchRequest](a, w, r, matchBody)
	if !ok {
		return
	}
	var fe errs.Fields
	if !validID(&fe, "volunteer_id", req.VolunteerID) {
		a.fault(w, r, fe, identity)
		return
	}
	mid, err := svc.MatchVolunteer(r.Context(), actor, outreach.NewMatch{ClientID: cid, VolunteerID: req.VolunteerID, Kind: outreach.MatchKind(req.Kind),
		Purpose: req.Purpose, ShareAddress: req.ShareAddress})
	if err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	a.writeJSON(w, http.StatusCreated, Created{ID: mid})
}

func (a *API) endMatch(w http.ResponseWriter, r *http.Request, svc *outreach.Service, actor access.Actor) {
	a.byID(w, r, func(id string) error { return svc.EndMatch(r.Context(), actor, id) })
}

// byID answers a POST whose only input is the record in its path (an
// action done, a check-in, a match ended): the ID back, or the fault.
func (a *API) byID(w http.ResponseWriter, r *http.Request, do func(id string) error) {
	id, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	if err := do(id); err != nil {
		a.fault(w, r, err, outreachPath)
		return
	}
	a.writeJSON(w, http.StatusOK, Saved{ID: id})
}
