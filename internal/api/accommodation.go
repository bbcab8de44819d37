package api

// Accommodation through the API: vacancy search, the vacancy board,
// holds, offers, acceptances, declines, admissions and departures. These
// are a member of staff's work, so every route needs a staff token (scope
// accommodation), which acts as that person: the handler loads their
// current role, organisation and teams (auth.TokenActor) and calls the
// refuge service with them, so the access decisions are exactly those of
// the pages. Answers carry IDs, states, dates, towns and areas; never an
// address, never a name of a person.

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/refuge"
)

// ScopeAccommodation is the scope of every accommodation route; only a
// staff token can carry it.
const ScopeAccommodation = auth.ScopeAccommodation

// HouseholdIn is who needs a place and what they need (refuge.Household).
type HouseholdIn struct {
	Adults       int       `json:"adults"`
	Children     []ChildIn `json:"children,omitempty"`
	Service      string    `json:"service,omitempty"` // women or men; left out: any
	Wheelchair   bool      `json:"wheelchair,omitempty"`
	GroundFloor  bool      `json:"ground_floor,omitempty"`
	MentalHealth bool      `json:"mental_health,omitempty"`
	SubstanceUse bool      `json:"substance_use,omitempty"`
	ComplexNeeds bool      `json:"complex_needs,omitempty"`
	NRPF         bool      `json:"nrpf,omitempty"`
	Pets         bool      `json:"pets,omitempty"`
	Language     string    `json:"language,omitempty"`
	Area         string    `json:"area,omitempty"`
	HomeTown     string    `json:"home_town,omitempty"`
}

// ChildIn is a child of the household: age and sex (male or female), which
// properties' rules on boys' ages need.
type ChildIn struct {
	Age int    `json:"age"`
	Sex string `json:"sex"`
}

// VacancySearchRequest is the body of POST /api/v1/vacancies/search. With
// a client, their unsafe areas are left out and the search is audited on
// their record.
type VacancySearchRequest struct {
	ClientID  string      `json:"client_id,omitempty"`
	Household HouseholdIn `json:"household"`
}

// HoldRequest is the body of POST /api/v1/holds. FurtherHold asks for a
// hold beside the client's live one: a team manager of the client's team
// only.
type HoldRequest struct {
	UnitID      string      `json:"unit_id"`
	ClientID    string      `json:"client_id"`
	Household   HouseholdIn `json:"household"`
	FurtherHold bool        `json:"further_hold,omitempty"`
}

// DeclineRequest is the body of POST .../{id}/decline.
type DeclineRequest struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
	Note   string `json:"note,omitempty"`
}

// AdmitRequest is the body of POST .../{id}/admit: the move-in date
// (YYYY-MM-DD) and who moved in besides the referred client.
type AdmitRequest struct {
	MoveIn  string    `json:"move_in"`
	Members MembersIn `json:"members,omitzero"`
}

// MembersIn is the rest of the household moving in: other adults (client
// IDs) and the client's children (child IDs).
type MembersIn struct {
	Adults   []string `json:"adults,omitempty"`
	Children []string `json:"children,omitempty"`
}

// DepartureRequest is the body of POST /api/v1/stays/{id}/departure.
type DepartureRequest struct {
	Date   string `json:"date"`
	Reason string `json:"reason"`
	MoveOn string `json:"move_on"`
}

// Vacancy is a unit free now that can take the household: the town and
// area, never the address.
type Vacancy struct {
	PropertyID   string `json:"property_id"`
	PropertyName string `json:"property_name"`
	Kind         string `json:"kind"`
	Town         string `json:"town"`
	Area         string `json:"area"`
	Service      string `json:"service"`
	UnitID       string `json:"unit_id"`
	UnitName     string `json:"unit_name"`
	Bedspaces    int    `json:"bedspaces"`
	GroundFloor  bool   `json:"ground_floor"`
	Wheelchair   bool   `json:"wheelchair"`
}

// VacancyList is the answer to a vacancy search.
type VacancyList struct {
	Vacancies []Vacancy `json:"vacancies"`
}

// Board is the vacancy board of the properties the staff member's teams
// run.
type Board struct {
	Properties []BoardProperty `json:"properties"`
}

// BoardProperty is one property on the board.
type BoardProperty struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Kind      string          `json:"kind"`
	Town      string          `json:"town"`
	Area      string          `json:"area"`
	Bedspaces int             `json:"bedspaces"`
	FreeNow   int             `json:"free_now"`
	Expected  []ExpectedFree  `json:"expected"`
	Units     []BoardUnitView `json:"units"`
}

// ExpectedFree is bedspaces expected to come free on a date.
type ExpectedFree struct {
	Date      string `json:"date"`
	Bedspaces int    `json:"bedspaces"`
}

// BoardUnitView is one unit on the board.
type BoardUnitView struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Bedspaces       int       `json:"bedspaces"`
	State           string    `json:"state"`
	HeldUntil       time.Time `json:"held_until,omitzero"`
	ReferralID      string    `json:"referral_id,omitempty"`
	StayID          string    `json:"stay_id,omitempty"`
	ExpectedMoveOut string    `json:"expected_move_out,omitempty"`
}

// AccommodationReferral is a household's referral to a unit, with the next
// steps the token's member of staff may take.
type AccommodationReferral struct {
	ID           string    `json:"id"`
	ClientID     string    `json:"client_id"`
	PropertyID   string    `json:"property_id"`
	PropertyName string    `json:"property_name"`
	Town         string    `json:"town"`
	Area         string    `json:"area"`
	UnitID       string    `json:"unit_id"`
	UnitName     string    `json:"unit_name"`
	Status       string    `json:"status"`
	HeldUntil    time.Time `json:"held_until,omitzero"`
	StayID       string    `json:"stay_id,omitempty"`
	Actions      []string  `json:"actions"`
}

// StayView is a household's stay in a unit: IDs and dates, no names.
type StayView struct {
	ID              string   `json:"id"`
	PropertyID      string   `json:"property_id"`
	UnitID          string   `json:"unit_id"`
	ClientID        string   `json:"client_id"`
	AdultIDs        []string `json:"adult_ids"`
	ChildIDs        []string `json:"child_ids"`
	Bedspaces       int      `json:"bedspaces"`
	MoveIn          string   `json:"move_in"`
	ExpectedMoveOut string   `json:"expected_move_out,omitempty"`
	MoveOut         string   `json:"move_out,omitempty"`
	DepartureReason string   `json:"departure_reason,omitempty"`
	MoveOn          string   `json:"move_on,omitempty"`
}

// What each body is held to: its keys and the document's schema.
var (
	searchBody    = bodyOf[VacancySearchRequest]("POST /api/v1/vacancies/search")
	holdBody      = bodyOf[HoldRequest]("POST /api/v1/holds")
	declineBody   = bodyOf[DeclineRequest]("POST /api/v1/accommodation-referrals/{id}/decline")
	admitBody     = bodyOf[AdmitRequest]("POST /api/v1/accommodation-referrals/{id}/admit")
	departureBody = bodyOf[DepartureRequest]("POST /api/v1/stays/{id}/departure")
)

const apiDate = "2006-01-02"

// accommodationRoutes are the staff-token routes.
func (a *API) accommodationRoutes() []route {
	return []route{
		{"POST /api/v1/vacancies/search", ScopeAccommodation, a.asStaff(a.searchVacancies)},
		{"GET /api/v1/vacancies", ScopeAccommodation, a.asStaff(a.vacancyBoard)},
		{"POST /api/v1/holds", ScopeAccommodation, a.asStaff(a.holdVacancy)},
		{"GET /api/v1/accommodation-referrals/{id}", ScopeAccommodation, a.asStaff(a.getAccommodationReferral)},
		{"POST /api/v1/accommodation-referrals/{id}/offer", ScopeAccommodation, a.asStaff(a.offerReferral)},
		{"POST /api/v1/accommodation-referrals/{id}/accept", ScopeAccommodation, a.asStaff(a.acceptReferral)},
		{"POST /api/v1/accommodation-referrals/{id}/decline", ScopeAccommodation, a.asStaff(a.declineReferral)},
		{"POST /api/v1/accommodation-referrals/{id}/admit", ScopeAccommodation, a.asStaff(a.admitReferral)},
		{"GET /api/v1/stays/{id}", ScopeAccommodation, a.asStaff(a.getStay)},
		{"POST /api/v1/stays/{id}/departure", ScopeAccommodation, a.asStaff(a.departStay)},
	}
}

type staffHandler func(w http.ResponseWriter, r *http.Request, actor access.Actor)

// asStaff runs h as the token's member of staff as they are now. The guard
// has already refused a token that acts for nobody; a member of staff
// disabled since is the same 401 as a bad token.
func (a *API) asStaff(h staffHandler) func(http.ResponseWriter, *http.Request, *auth.APIToken) {
	return func(w http.ResponseWriter, r *http.Request, t *auth.APIToken) {
		if a.Refuge == nil {
			a.fail(w, r, http.StatusServiceUnavailable, problem{Code: string(errs.Unavailable), Reason: a.msg("api.accommodation.unavailable")})
			return
		}
		actor, err := a.Auth.TokenActor(r.Context(), t)
		switch errs.CodeOf(err) {
		case "":
			if !a.roleMayUse(w, r, actor, ScopeAccommodation) {
				return
			}
			h(w, r, actor)
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

// roleMayUse refuses, with the reason, a staff token whose member of
// staff now holds a role that can never use the route's scope (moved to
// commissioner, say): the same rule as at token creation, so no route
// that skips the policy for a person's own work (their diary, a
// check-in) serves a role shut out of that work.
func (a *API) roleMayUse(w http.ResponseWriter, r *http.Request, actor access.Actor, scope string) bool {
	if auth.StaffScopeUsable(actor.Role, scope) {
		return true
	}
	refusal := errs.Refused(false, errs.Refusal{ActorID: actor.StaffID, Action: "api.scope", RecordKind: "staff", RecordID: actor.StaffID,
		Reason: "the member of staff's role (" + string(actor.Role) + ") can never use " + scope})
	if err := a.recordRefusal(r, refusal); err != nil {
		a.fault(w, r, err)
		return false
	}
	a.fail(w, r, http.StatusForbidden, problem{Code: string(errs.Forbidden), Reason: a.msg("token.scope_role", scope, string(actor.Role))})
	return false
}

// Codes of error bodies beyond the errs codes.
const (
	codeStaffTokenRequired = "staff_token_required"
	codeNoLongerAvailable  = "no_longer_available"
	codeClientHoldsSpace   = "client_holds_space"
	codeHoldLimit          = "hold_limit"
)

// decodeFailed answers a body that could not be decoded; it reports
// whether there was such a failure. Field errors name JSON paths already.
func (a *API) decodeFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	if err == nil {
		return false
	}
	var bad *errBody
	if errors.As(err, &bad) {
		p := bad.p
		p.Reason = a.msg(p.Reason)
		a.fail(w, r, bad.status, p)
		return true
	}
	a.fault(w, r, err)
	return true
}

// pathRecord is the {id} of the path, or a 404 when it is not an ID.
func (a *API) pathRecord(w http.ResponseWriter, r *http.Request) (string, bool) {
	rid := r.PathValue("id")
	if !id.Valid(rid) {
		a.fail(w, r, http.StatusNotFound, problem{Code: string(errs.NotFound), Reason: a.msg("error.not_found")})
		return "", false
	}
	return rid, true
}

// accommodationFault answers a refuge service error: a lost race for a
// unit is 409 no_longer_available; a second hold for a client who holds a
// space 409 client_holds_space (field client_id); a hold past the member
// of staff's holds per hour 429 hold_limit with Retry-After; everything
// else as fault does (a hold that does not fit the household: 422, each
// reason on unit_id).
func (a *API) accommodationFault(w http.ResponseWriter, r *http.Request, err error, fieldName func(string) string) {
	if fieldName == nil {
		fieldName = identity
	}
	var limited *refuge.HoldLimited
	e := errs.As(err)
	switch {
	case errors.Is(err, refuge.ErrNoLongerAvailable) || (e.Code == errs.Conflict && e.Key == refuge.ErrNoLongerAvailable.Key):
		a.fail(w, r, http.StatusConflict, problem{Code: codeNoLongerAvailable, Reason: a.msg(refuge.ErrNoLongerAvailable.Key)})
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(limited.Until.Sub(a.Now()).Seconds())+1)))
		a.fail(w, r, http.StatusTooManyRequests, problem{Code: codeHoldLimit, Reason: a.msg(e.Key, e.Args...)})
	case e.Code == errs.Conflict && e.Key == refuge.KeyClientHolds:
		a.fail(w, r, http.StatusConflict, problem{Field: fieldName(e.Field), Code: codeClientHoldsSpace, Reason: a.msg(e.Key, e.Args...)})
	default:
		a.fault(w, r, err, fieldName)
	}
}

// householdPaths maps the refuge service's field names to the JSON paths
// of VacancySearchRequest and HoldRequest.
var householdPaths = map[string]string{
	"client": "client_id", "unit": "unit_id", "further_hold": "further_hold",
	"adults": "household.adults", "children": "household.children", "service": "household.service",
	"language": "household.language", "area": "household.area", "home_town": "household.home_town",
}

func householdPath(f string) string {
	if p, ok := householdPaths[f]; ok {
		return p
	}
	if strings.HasPrefix(f, "household.") || f == "client_id" || f == "unit_id" || f == "further_hold" {
		return f
	}
	return "household"
}

// admitPaths maps the refuge service's admission fields to AdmitRequest's.
func admitPath(f string) string {
	switch f {
	case "move_in":
		return "move_in"
	case "adults", "members.adults":
		return "members.adults"
	case "children", "members.children":
		return "members.children"
	}
	return "members"
}

// household reads a household through refuge.ParseSearch, the pages' own
// parser, so the API validates it exactly as the vacancy form does. Field
// names are the service's (see householdPaths).
func (in HouseholdIn) household(clientID string) (refuge.Household, error) {
	var fe errs.Fields
	v := url.Values{}
	if clientID != "" {
		if !id.Valid(clientID) {
			fe.Add("client", "api.accommodation.id_invalid")
		} else {
			v.Set("client", clientID)
		}
	}
	v.Set("adults", strconv.Itoa(in.Adults))
	for _, c := range in.Children {
		boy := ""
		switch c.Sex {
		case "male":
			boy = "1"
		case "female":
		default:
			if !containsField(fe, "children") {
				fe.Add("children", "api.accommodation.child_sex")
			}
		}
		v.Add("child_age", strconv.Itoa(c.Age))
		v.Add("child_boy", boy)
	}
	for k, val := range map[string]string{"service": in.Service, "language": in.Language, "area": in.Area, "home_town": in.HomeTown} {
		if val != "" {
			v.Set(k, val)
		}
	}
	for k, b := range map[string]bool{"wheelchair": in.Wheelchair, "ground_floor": in.GroundFloor, "mental_health": in.MentalHealth,
		"substance_use": in.SubstanceUse, "complex_needs": in.ComplexNeeds, "nrpf": in.NRPF, "pets": in.Pets} {
		if b {
			v.Set(k, "1")
		}
	}
	h, err := refuge.ParseSearch(v)
	for _, f := range errs.AllFields(err) {
		if !containsField(fe, f.Field) {
			fe = append(fe, f)
		}
	}
	return h, fe.Err()
}

func containsField(fe errs.Fields, field string) bool {
	for _, f := range fe {
		if f.Field == field {
			return true
		}
	}
	return false
}

// parseAPIDate reads a YYYY-MM-DD date: "" is the zero time (the service
// says it is required), anything else that does not parse a field error.
func parseAPIDate(fe *errs.Fields, field, v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	d, err := time.Parse(apiDate, v)
	if err != nil {
		fe.Add(field, "api.accommodation.date_invalid")
		return time.Time{}
	}
	return d
}

func dateOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(apiDate)
}

func (a *API) searchVacancies(w http.ResponseWriter, r *http.Request, actor access.Actor) {
	req, err := decodeBody[VacancySearchRequest](http.MaxBytesReader(w, r.Body, a.MaxBody), r.Header.Get("Content-Type"), a.MaxBody, searchBody)
	if a.decodeFailed(w, r, err) {
		return
	}
	h, err := req.Household.household(req.ClientID)
	if err != nil {
		a.fault(w, r, err, householdPath)
		return
	}
	list, err := a.Refuge.Search(r.Context(), actor, h)
	if err != nil {
		a.accommodationFault(w, r, err, householdPath)
		return
	}
	out := VacancyList{Vacancies: make([]Vacancy, 0, len(list))}
	for _, v := range list {
		out.Vacancies = append(out.Vacancies, Vacancy{PropertyID: v.PropertyID, PropertyName: v.PropertyName, Kind: string(v.Kind), Town: v.Town,
			Area: v.Area, Service: string(v.Service), UnitID: v.UnitID, UnitName: v.UnitName, Bedspaces: v.Bedspaces,
			GroundFloor: v.GroundFloor, Wheelchair: v.Wheelchair})
	}
	a.writeJSON(w, http.StatusOK, out)
}

func (a *API) vacancyBoard(w http.ResponseWriter, r *http.Request, actor access.Actor) {
	board, err := a.Refuge.Board(r.Context(), actor)
	if err != nil {
		a.accommodationFault(w, r, err, nil)
		return
	}
	out := Board{Properties: make([]BoardProperty, 0, len(board))}
	for _, p := range board {
		bp := BoardProperty{ID: p.ID, Name: p.Name, Kind: string(p.Kind), Town: p.Town, Area: p.Area, Bedspaces: p.Bedspaces, FreeNow: p.FreeNow,
			Expected: make([]ExpectedFree, 0, len(p.Expected)), Units: make([]BoardUnitView, 0, len(p.Units))}
		for _, e := range p.Expected {
			bp.Expected = append(bp.Expected, ExpectedFree{Date: dateOrEmpty(e.Date), Bedspaces: e.Bedspaces})
		}
		for _, u := range p.Units {
			bu := BoardUnitView{ID: u.ID, Name: u.Name, Bedspaces: u.Bedspaces, State: string(u.State), ReferralID: u.ReferralID,
				StayID: u.StayID, ExpectedMoveOut: dateOrEmpty(u.ExpectedOut)}
			if u.State == refuge.UnitHeld {
				bu.HeldUntil = u.HeldUntil.UTC()
			}
			bp.Units = append(bp.Units, bu)
		}
		out.Properties = append(out.Properties, bp)
	}
	a.writeJSON(w, http.StatusOK, out)
}

func (a *API) holdVacancy(w http.ResponseWriter, r *http.Request, actor access.Actor) {
	req, err := decodeBody[HoldRequest](http.MaxBytesReader(w, r.Body, a.MaxBody), r.Header.Get("Content-Type"), a.MaxBody, holdBody)
	if a.decodeFailed(w, r, err) {
		return
	}
	var fe errs.Fields
	if req.UnitID != "" && !id.Valid(req.UnitID) {
		fe.Add("unit", "api.accommodation.id_invalid")
		req.UnitID = ""
	}
	if req.ClientID == "" {
		fe.Add("client", "refuge.required")
	}
	h, err := req.Household.household(req.ClientID)
	if len(errs.AllFields(err)) == 0 && err != nil {
		a.fault(w, r, err)
		return
	}
	for _, f := range errs.AllFields(err) {
		if !containsField(fe, f.Field) {
			fe = append(fe, f)
		}
	}
	if req.UnitID == "" && !containsField(fe, "unit") {
		fe.Add("unit", "refuge.required")
	}
	if len(fe) > 0 {
		a.fault(w, r, fe, householdPath)
		return
	}
	ref, err := a.Refuge.Hold(r.Context(), actor, refuge.HoldRequest{UnitID: req.UnitID, Household: h, FurtherHold: req.FurtherHold})
	if err != nil {
		a.accommodationFault(w, r, err, householdPath)
		return
	}
	a.answerReferral(w, r, actor, ref.ID, http.StatusCreated)
}

// answerReferral answers with the referral as the actor now sees it (read
// through the service, audited as the pages' referral page is).
func (a *API) answerReferral(w http.ResponseWriter, r *http.Request, actor access.Actor, referralID string, status int) {
	v, err := a.Refuge.OpenReferral(r.Context(), actor, referralID)
	if err != nil {
		a.accommodationFault(w, r, err, nil)
		return
	}
	out := AccommodationReferral{ID: v.ID, ClientID: v.ClientID, PropertyID: v.PropertyID, PropertyName: v.PropertyName, Town: v.Town, Area: v.Area,
		UnitID: v.UnitID, UnitName: v.UnitName, Status: string(v.Status), StayID: v.StayID, Actions: []string{}}
	live := v.Status == refuge.Held || v.Status == refuge.Offered || v.Status == refuge.Accepted
	if live {
		out.HeldUntil = v.HeldUntil.UTC()
	}
	switch {
	case v.Runs && v.Status == refuge.Held:
		out.Actions = append(out.Actions, "offer")
	case v.ForClient && v.Status == refuge.Offered:
		out.Actions = append(out.Actions, "accept")
	case v.Runs && v.Status == refuge.Accepted:
		out.Actions = append(out.Actions, "admit")
	}
	if live && (v.Runs || v.ForClient) {
		out.Actions = append(out.Actions, "decline")
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/accommodation-referrals/"+out.ID)
	}
	a.writeJSON(w, status, out)
}

func (a *API) getAccommodationReferral(w http.ResponseWriter, r *http.Request, actor access.Actor) {
	if rid, ok := a.pathRecord(w, r); ok {
		a.answerReferral(w, r, actor, rid, http.StatusOK)
	}
}

func (a *API) offerReferral(w http.ResponseWriter, r *http.Request, actor access.Actor) {
	rid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	if _, err := a.Refuge.Offer(r.Context(), actor, rid); err != nil {
		a.accommodationFault(w, r, err, nil)
		return
	}
	a.answerReferral(w, r, actor, rid, http.StatusOK)
}

func (a *API) acceptReferral(w http.ResponseWriter, r *http.Request, actor access.Actor) {
	rid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	if _, err := a.Refuge.Accept(r.Context(), actor, rid); err != nil {
		a.accommodationFault(w, r, err, nil)
		return
	}
	a.answerReferral(w, r, actor, rid, http.StatusOK)
}

func identity(f string) string { return f }

func (a *API) declineReferral(w http.ResponseWriter, r *http.Request, actor access.Actor) {
	rid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, err := decodeBody[DeclineRequest](http.MaxBytesReader(w, r.Body, a.MaxBody), r.Header.Get("Content-Type"), a.MaxBody, declineBody)
	if a.decodeFailed(w, r, err) {
		return
	}
	err = a.Refuge.Decline(r.Context(), actor, rid, refuge.Decline{By: refuge.Decider(req.By), Reason: refuge.TurnawayReason(req.Reason), Note: req.Note})
	if err != nil {
		a.accommodationFault(w, r, err, identity)
		return
	}
	a.answerReferral(w, r, actor, rid, http.StatusOK)
}

// admission reads an AdmitRequest into the service's input; field names
// are AdmitRequest's paths.
func (req AdmitRequest) admission() (refuge.Admission, errs.Fields) {
	var fe errs.Fields
	adm := refuge.Admission{MoveIn: parseAPIDate(&fe, "move_in", req.MoveIn)}
	adm.AdultIDs = memberIDs(&fe, "members.adults", req.Members.Adults)
	adm.ChildIDs = memberIDs(&fe, "members.children", req.Members.Children)
	return adm, fe
}

func memberIDs(fe *errs.Fields, field string, list []string) []string {
	var out []string
	for _, v := range list {
		if !id.Valid(v) {
			fe.Add(field, "refuge.member_unknown")
			return nil
		}
		out = append(out, v)
	}
	return out
}

func (a *API) admitReferral(w http.ResponseWriter, r *http.Request, actor access.Actor) {
	rid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, err := decodeBody[AdmitRequest](http.MaxBytesReader(w, r.Body, a.MaxBody), r.Header.Get("Content-Type"), a.MaxBody, admitBody)
	if a.decodeFailed(w, r, err) {
		return
	}
	adm, fe := req.admission()
	if len(fe) > 0 {
		a.fault(w, r, fe, admitPath)
		return
	}
	st, err := a.Refuge.Admit(r.Context(), actor, rid, adm)
	if err != nil {
		a.accommodationFault(w, r, err, admitPath)
		return
	}
	w.Header().Set("Location", "/api/v1/stays/"+st.ID)
	a.writeJSON(w, http.StatusCreated, stayView(st))
}

func stayView(st *refuge.Stay) StayView {
	v := StayView{ID: st.ID, PropertyID: st.PropertyID, UnitID: st.UnitID, ClientID: st.ClientID, AdultIDs: append([]string{}, st.AdultIDs...),
		ChildIDs: append([]string{}, st.ChildIDs...), Bedspaces: len(st.BedspaceIDs), MoveIn: dateOrEmpty(st.MoveIn),
		ExpectedMoveOut: dateOrEmpty(st.ExpectedMoveOut), MoveOut: dateOrEmpty(st.MoveOut)}
	if !st.MoveOut.IsZero() {
		v.DepartureReason, v.MoveOn = string(st.Reason), string(st.MoveOn)
	}
	return v
}

func (a *API) getStay(w http.ResponseWriter, r *http.Request, actor access.Actor) {
	sid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	st, err := a.Refuge.OpenStay(r.Context(), actor, sid)
	if err != nil {
		a.accommodationFault(w, r, err, nil)
		return
	}
	a.writeJSON(w, http.StatusOK, stayView(st))
}

// departure reads a DepartureRequest into the service's input.
func (req DepartureRequest) departure() (refuge.Departure, errs.Fields) {
	var fe errs.Fields
	d := refuge.Departure{Date: parseAPIDate(&fe, "date", req.Date), Reason: refuge.DepartureReason(req.Reason), MoveOn: refuge.MoveOn(req.MoveOn)}
	return d, fe
}

func (a *API) departStay(w http.ResponseWriter, r *http.Request, actor access.Actor) {
	sid, ok := a.pathRecord(w, r)
	if !ok {
		return
	}
	req, err := decodeBody[DepartureRequest](http.MaxBytesReader(w, r.Body, a.MaxBody), r.Header.Get("Content-Type"), a.MaxBody, departureBody)
	if a.decodeFailed(w, r, err) {
		return
	}
	d, fe := req.departure()
	if len(fe) > 0 {
		a.fault(w, r, fe, identity)
		return
	}
	if err := a.Refuge.Depart(r.Context(), actor, sid, d); err != nil {
		a.accommodationFault(w, r, err, identity)
		return
	}
	st, err := a.Refuge.OpenStay(r.Context(), actor, sid)
	if err != nil {
		a.accommodationFault(w, r, err, nil)
		return
	}
	a.writeJSON(w, http.StatusOK, stayView(st))
}
