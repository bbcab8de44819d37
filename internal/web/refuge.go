package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/i18n"
	"frontdoor/internal/id"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
)

// childRows is how many children the vacancy form has room for.
const childRows = 6

// refugeDate is the browser's date input, read as a UTC date.
const refugeDate = "2006-01-02"

// householdFields are the vacancy form's fields (refuge.ParseSearch),
// carried from a search into each result's hold form.
var householdFields = []string{"client", "adults", "child_age", "child_boy", "service", "wheelchair", "ground_floor",
	"mental_health", "substance_use", "complex_needs", "nrpf", "pets", "language", "area", "home_town"}

// childRow is one child line of the vacancy form, as typed.
type childRow struct{ Age, Boy string }

// hiddenField is one value a hold form carries from the search.
type hiddenField struct{ Name, Value string }

// vacanciesPage is the vacancy board (for those who run properties) and
// the vacancy search with its results.
type vacanciesPage struct {
	Board   []refuge.BoardProperty
	Clients []people.Summary
	// HoldClients are the clients the results' hold form offers: the
	// client searched for when there was one (the usual way), else the
	// whole caseload.
	HoldClients []people.Summary
	Children    []childRow
	Searched    bool
	Results     []refuge.Vacancy
	// Rows are the results worded for the page: a national search can
	// find hundreds of units, and a template action per word of each
	// cost more than the search.
	Rows []vacancyRow
	// NotShown counts the results past the first maxShownVacancies.
	NotShown int
	Hidden   []hiddenField
	Today    string
	// Reasons are the turnaway reasons, for recording that no vacancy fits.
	Reasons []refuge.TurnawayReason
	// TurnawayRecorded says a turnaway was just recorded.
	TurnawayRecorded bool
	// AllowFurther: the reader is a team manager, who may allow a client
	// a further hold beside a live one (for a client of their team).
	AllowFurther bool
	// Departure's choices, for a unit lived in by a household whose
	// client is restricted from the reader (recorded by the unit).
	DepartureReasons []refuge.DepartureReason
	MoveOns          []refuge.MoveOn
	// VacateFor is the unit whose departure form was just refused.
	VacateFor string
}

// maxShownVacancies is how many results the page lists: a search across a
// national estate can fit a thousand units, more than anyone reads; the
// page says how many more there are and that a town or area narrows it.
const maxShownVacancies = 100

// vacancyRow is one result as the page shows it.
type vacancyRow struct {
	UnitID, Title, Detail string
}

func vacancyRows(pr i18n.Printer, results []refuge.Vacancy) []vacancyRow {
	rows := make([]vacancyRow, len(results))
	for i, v := range results {
		d := pr.T("accommodation.kind_"+string(v.Kind)) + " · " + v.Town + ", " + v.Area + " · " +
			pr.T("accommodation.service_"+string(v.Service)) + " · " + pr.T("accommodation.bedspaces", v.Bedspaces)
		if v.Wheelchair {
			d += " · " + pr.T("accommodation.wheelchair")
		} else if v.GroundFloor {
			d += " · " + pr.T("accommodation.ground_floor")
		}
		rows[i] = vacancyRow{UnitID: v.UnitID, Title: v.PropertyName + " · " + v.UnitName, Detail: d}
	}
	return rows
}

// vacancyFormValues keeps what was typed in the vacancy form: the single
// fields in the view's Form, the child lines in rows.
func vacancyFormValues(v url.Values) (map[string]string, []childRow) {
	form := map[string]string{}
	for _, k := range householdFields {
		if k != "child_age" && k != "child_boy" {
			form[k] = v.Get(k)
		}
	}
	rows := make([]childRow, childRows)
	ages, boys := v["child_age"], v["child_boy"]
	for i := range rows {
		if i < len(ages) {
			rows[i].Age = ages[i]
		}
		if i < len(boys) {
			rows[i].Boy = boys[i]
		}
	}
	return form, rows
}

// hiddenHousehold is the search's household fields, in order, for the
// hold forms (the client is chosen again on each).
func hiddenHousehold(v url.Values) []hiddenField {
	var out []hiddenField
	for _, k := range householdFields {
		if k == "client" {
			continue
		}
		for _, val := range v[k] {
			out = append(out, hiddenField{k, val})
		}
	}
	return out
}

// vacanciesRender draws the vacancy page: the board of the properties
// the person's teams run, their caseload for the client choice, and the
// search form with whatever page already holds.
func (s *Server) vacanciesRender(w http.ResponseWriter, r *http.Request, status int, v view, page vacanciesPage, err error) {
	actor := actorOf(sessionOf(r))
	board, berr := s.Refuge.Board(r.Context(), actor)
	if berr == nil {
		page.Clients, berr = s.People.MyClients(r.Context(), actor)
	}
	if berr != nil {
		s.formError(w, r, "error", view{}, berr)
		return
	}
	// Recorded before anything read is shown.
	if err := audit.FlushDeferred(r.Context()); err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	page.Board = board
	shown := page.Results
	if len(shown) > maxShownVacancies {
		shown, page.NotShown = shown[:maxShownVacancies], len(shown)-maxShownVacancies
	}
	page.Rows = vacancyRows(s.printer(r), shown)
	page.HoldClients = page.Clients
	if chosen := v.Form["client"]; chosen != "" {
		for _, c := range page.Clients {
			if c.ID == chosen {
				page.HoldClients = []people.Summary{c}
				break
			}
		}
	}
	page.Today = s.Now().UTC().Format(refugeDate)
	page.Reasons = refuge.TurnawayReasons
	page.AllowFurther = actor.Role == access.RoleTeamManager
	page.DepartureReasons, page.MoveOns = refuge.DepartureReasons, refuge.MoveOns
	if page.Children == nil {
		page.Children = make([]childRow, childRows)
	}
	if v.Form == nil {
		v.Form = map[string]string{"adults": "1"}
	}
	v.Title, v.Data = "accommodation.title", page
	if err != nil {
		s.formErrorStatus(w, r, status, "vacancies", v, err)
		return
	}
	s.render(w, r, status, "vacancies", v)
}

func (s *Server) vacancies(w http.ResponseWriter, r *http.Request) {
	r, done := s.deferReads(r)
	defer done()
	s.vacanciesRender(w, r, http.StatusOK, view{}, vacanciesPage{TurnawayRecorded: r.URL.Query().Get("recorded") == "turnaway"}, nil)
}

// vacateUnit records that the household living in a unit has left, from
// the board: how the refuge frees a unit whose household's record is
// restricted from its staff (they cannot open the stay).
func (s *Server) vacateUnit(w http.ResponseWriter, r *http.Request) {
	uid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	d, parse := departureForm(r.PostFormValue)
	err := s.Refuge.VacateUnit(r.Context(), actorOf(sessionOf(r)), uid, d)
	err = maracWithParseErrors(parse, err)
	switch {
	case err == nil:
		http.Redirect(w, r, "/vacancies#unit-"+uid, http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0:
		s.vacanciesRender(w, r, http.StatusUnprocessableEntity, view{Form: maracFormValues(r)}, vacanciesPage{VacateFor: uid}, err)
	default:
		s.formError(w, r, "error", view{}, err)
	}
}

// recordTurnaway records that no vacancy could take the searched
// household: the turnaway figures commissioners ask for. The household
// comes from the search (hidden fields), the client and reason from the
// worker.
func (s *Server) recordTurnaway(w http.ResponseWriter, r *http.Request) {
	h, err := refuge.ParseSearch(r.PostForm)
	reason := refuge.TurnawayReason(r.PostFormValue("reason"))
	if err == nil {
		err = s.Refuge.RecordTurnaway(r.Context(), actorOf(sessionOf(r)), h, reason)
	} else if !slices.Contains(refuge.TurnawayReasons, reason) {
		err = errs.Collect(err, errs.Field("reason", "refuge.choose_one"))
	}
	switch {
	case err == nil:
		http.Redirect(w, r, "/vacancies?recorded=turnaway", http.StatusSeeOther)
	case len(errs.AllFields(err)) > 0:
		form, rows := vacancyFormValues(r.PostForm)
		form["reason"] = string(reason)
		s.vacanciesRender(w, r, http.StatusUnprocessableEntity, view{Form: form}, vacanciesPage{Children: rows}, err)
	default:
		s.formError(w, r, "error", view{}, err)
	}
}

// searchVacancies runs the vacancy search. The household is POSTed,
// never put in a URL.
func (s *Server) searchVacancies(w http.ResponseWriter, r *http.Request) {
	r, done := s.deferReads(r)
	defer done()
	form, rows := vacancyFormValues(r.PostForm)
	v, page := view{Form: form}, vacanciesPage{Children: rows, Searched: true}
	h, err := refuge.ParseSearch(r.PostForm)
	if err == nil {
		page.Results, err = s.Refuge.Search(r.Context(), actorOf(sessionOf(r)), h)
	}
	if err != nil {
		page.Searched = false
		if len(errs.AllFields(err)) == 0 {
			s.formError(w, r, "error", view{}, err)
			return
		}
		s.vacanciesRender(w, r, http.StatusUnprocessableEntity, v, page, err)
		return
	}
	page.Hidden = hiddenHousehold(r.PostForm)
	s.vacanciesRender(w, r, http.StatusOK, v, page, nil)
}

// holdVacancy holds a unit for the chosen client's household. A unit
// someone else has just taken is 409 with a page that says so. Any other
// refusal (the unit does not fit the household, the household does not
// match the client's record, the client already holds a space, the
// worker has made their holds for the hour) is the vacancy page again
// with the search re-run and an error summary saying why: 422, 409 or 429
// (with Retry-After).
func (s *Server) holdVacancy(w http.ResponseWriter, r *http.Request) {
	uid, ok := s.pathID(w, r)
	if !ok {
		return
	}
	r, done := s.deferReads(r)
	defer done()
	actor := actorOf(sessionOf(r))
	h, err := refuge.ParseSearch(r.PostForm)
	var ref *refuge.Referral
	if err == nil {
		ref, err = s.Refuge.Hold(r.Context(), actor, refuge.HoldRequest{UnitID: uid, Household: h, FurtherHold: r.PostFormValue("further_hold") == "1"})
	}
	var limited *refuge.HoldLimited
	status := http.StatusUnprocessableEntity
	switch {
	case err == nil:
		http.Redirect(w, r, "/refuge/referrals/"+ref.ID, http.StatusSeeOther)
		return
	case errors.Is(err, refuge.ErrNoLongerAvailable) || errs.As(err).Key == refuge.ErrNoLongerAvailable.Key:
		s.render(w, r, http.StatusConflict, "refuge_unavailable", view{Title: "accommodation.unavailable_title"})
		return
	case len(errs.AllFields(err)) == 0:
		s.formError(w, r, "error", view{}, err)
		return
	case errors.As(err, &limited):
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(limited.Until.Sub(s.Now()).Seconds())+1)))
	case errs.CodeOf(err) == errs.Conflict:
		status = http.StatusConflict
	}
	form, rows := vacancyFormValues(r.PostForm)
	page := vacanciesPage{Children: rows}
	// The results again, so another unit is one click away.
	if h.Adults > 0 {
		if results, serr := s.Refuge.Search(r.Context(), actor, h); serr == nil {
			page.Results, page.Searched, page.Hidden = results, true, hiddenHousehold(r.PostForm)
		}
	}
	s.vacanciesRender(w, r, status, view{Form: form}, page, err)
}

// parseDate reads a date input: empty is the zero time, a date that does
// not parse a field error.
func parseDate(fe *errs.Fields, field, v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	d, err := time.Parse(refugeDate, v)
	if err != nil {
		fe.Add(field, "accommodation.date_invalid")
		return time.Time{}
	}
	return d
}

// validIDs keeps the well-formed IDs of a repeated field; a malformed one
// is a field error.
func validIDs(fe *errs.Fields, field string, list []string) []string {
	var out []string
	for _, v := range list {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		if !id.Valid(v) {
			fe.Add(field, "refuge.member_unknown")
			return nil
		}
		out = append(out, v)
	}
	return out
}
