package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/i18n"
	"frontdoor/internal/id"
	"frontdoor/internal/intake"
	"frontdoor/internal/matching"
	"frontdoor/internal/people"
	"frontdoor/internal/risk"
	"frontdoor/internal/vault"
)

// The front door's pages: log a contact in a few keystrokes, the callback
// queue, a referral (with a new or an existing client, and a check for
// existing records first), the triage queue, a referral with its triage
// and first contact, and a client's case page. Handlers are thin: read
// the form, call the intake service, show every field error at once and
// keep what was typed.

// frontDoorZone is the time zone of times typed into the forms and shown
// on the pages (the server's local zone); the service keeps UTC.
var frontDoorZone = time.Local

// localInput is the format of an <input type="datetime-local">.
const localInput = "2006-01-02T15:04"

// choices are the values the front door forms offer, in display order.
type choices struct {
	Channels, Directions, CallerTypes, ServiceLines, Outcomes  []string
	Sources, RiskLevels, Decisions, CaseServices, CloseReasons []string
	CallbackIn                                                 []string
}

func strs[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}

var fdChoices = choices{
	Channels: strs(intake.Channels), Directions: strs(intake.Directions), CallerTypes: strs(intake.CallerTypes),
	ServiceLines: strs(intake.ServiceLines), Outcomes: strs(intake.Outcomes), Sources: strs(intake.Sources),
	RiskLevels: strs(intake.RiskLevels), Decisions: strs(intake.Decisions), CaseServices: strs(intake.CaseServices),
	CloseReasons: strs(intake.CloseReasons), CallbackIn: []string{"1", "2", "4", "24"},
}

// intakeOn answers for a server built without the front door.
func (s *Server) intakeOn(w http.ResponseWriter, r *http.Request) bool {
	if s.Intake == nil {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return false
	}
	return true
}

// parseLocal reads a datetime-local value ("" is zero).
func parseLocal(fe *errs.Fields, field, v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation(localInput, v, frontDoorZone)
	if err != nil {
		fe.Add(field, "frontdoor.date_time_invalid")
		return time.Time{}
	}
	return t
}

// ---- Contacts ----

// contactPage is the contact log form; Client is set for a contact about
// a client, whose safe-contact rules the page shows first.
type contactPage struct {
	Choices choices
	Client  *people.Client
	Logged  bool // the last contact was saved
}

// contactForm reads the contact log form. Choosing "call back in N
// hours" sets the follow-up and its due time; a typed due time is read in
// frontDoorZone. What cannot be read is reported against its field.
func contactForm(v url.Values, now time.Time) (intake.NewContact, map[string]string, error) {
	n := intake.NewContact{Channel: intake.Channel(v.Get("channel")), Direction: intake.Direction(v.Get("direction")),
		CallerType: intake.CallerType(v.Get("caller_type")), ServiceLine: intake.ServiceLine(v.Get("service_line")),
		Outcome: intake.Outcome(v.Get("outcome")), FollowUp: v.Get("follow_up") == "yes", ClientID: v.Get("client"),
		Note: v.Get("note"), Number: v.Get("number"), Voicemail: v.Get("voicemail") == "yes", OverrideReason: v.Get("override_reason")}
	var fe errs.Fields
	if in := strings.TrimSpace(v.Get("callback_in")); in != "" {
		h, err := strconv.Atoi(in)
		if err != nil || h < 1 || h > 24*7 {
			fe.Add("callback_in", "frontdoor.callback_in_invalid")
		} else {
			n.FollowUp, n.CallbackDue = true, now.Add(time.Duration(h)*time.Hour)
		}
	}
	if due := parseLocal(&fe, "callback_due", v.Get("callback_due")); !due.IsZero() {
		if !n.CallbackDue.IsZero() {
			fe.Add("callback_due", "frontdoor.callback_twice")
		} else {
			n.CallbackDue = due
		}
	}
	return n, people.FormValues(v), fe.Err()
}

func (s *Server) contactPageFor(w http.ResponseWriter, r *http.Request, clientID string) (contactPage, bool) {
	page := contactPage{Choices: fdChoices}
	if clientID == "" {
		return page, true
	}
	if !id.Valid(clientID) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return page, false
	}
	c, err := s.People.Open(r.Context(), actorOf(sessionOf(r)), clientID)
	if err != nil {
		s.formError(w, r, "error", view{}, asNotFoundIfDenied(err))
		return page, false
	}
	page.Client = c
	return page, true
}

// asNotFoundIfDenied turns people's refusal into a plain refusal: the
// contact form is no place for break-glass.
func asNotFoundIfDenied(err error) error {
	if _, ok := err.(*people.Denied); ok {
		return errs.New(errs.Forbidden, "error.forbidden")
	}
	return err
}

func (s *Server) newContactForm(w http.ResponseWriter, r *http.Request) {
	if !s.intakeOn(w, r) {
		return
	}
	cid := r.URL.Query().Get("client")
	page, ok := s.contactPageFor(w, r, cid)
	if !ok {
		return
	}
	page.Logged = r.URL.Query().Get("logged") == "1"
	form := map[string]string{"channel": string(intake.Phone), "direction": string(intake.Inbound), "caller_type": string(intake.CallerVictim),
		"service_line": string(intake.LineMain), "outcome": string(intake.AdviceGiven)}
	if page.Client != nil {
		form["client"], form["direction"] = page.Client.ID, string(intake.Outbound)
	}
	s.render(w, r, http.StatusOK, "contact_new", view{Title: "frontdoor.contact_title", Data: page, Form: form})
}

func (s *Server) logContact(w http.ResponseWriter, r *http.Request) {
	if !s.intakeOn(w, r) {
		return
	}
	n, form, err := contactForm(r.PostForm, s.Now())
	actor := actorOf(sessionOf(r))
	var c *intake.Contact
	if err != nil {
		// Report the form's own problems with the rest; nothing is saved.
		_, verr := intake.ValidateContact(n, s.Now())
		err = errs.Collect(err, verr)
	} else {
		c, err = s.Intake.LogContact(r.Context(), actor, n)
	}
	if err != nil {
		if len(errs.AllFields(err)) == 0 {
			s.formError(w, r, "error", view{}, err)
			return
		}
		cid := strings.TrimSpace(n.ClientID)
		if !id.Valid(cid) {
			cid = ""
		}
		page, ok := s.contactPageFor(w, r, cid)
		if !ok {
			return
		}
		s.formError(w, r, "contact_new", view{Title: "frontdoor.contact_title", Data: page, Form: form}, err)
		return
	}
	if c.ClientID != "" {
		http.Redirect(w, r, "/people/"+c.ClientID+"/timeline", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/contacts/new?logged=1", http.StatusSeeOther)
}

// callbacksPage is the open callback queue.
type callbacksPage struct {
	Callbacks []intake.Callback
	Done      bool
}

func (s *Server) callbacks(w http.ResponseWriter, r *http.Request) {
	if !s.intakeOn(w, r) {
		return
	}
	list, err := s.Intake.Callbacks(r.Context(), actorOf(sessionOf(r)))
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	localTimes(list)
	s.render(w, r, http.StatusOK, "callbacks", view{Title: "frontdoor.callbacks_title", Data: callbacksPage{Callbacks: list, Done: r.URL.Query().Get("done") == "1"}})
}

func localTimes(list []intake.Callback) {
	for i := range list {
		list[i].CallbackDue, list[i].At = list[i].CallbackDue.In(frontDoorZone), list[i].At.In(frontDoorZone)
	}
}

func (s *Server) callbackDone(w http.ResponseWriter, r *http.Request) {
	if !s.intakeOn(w, r) {
		return
	}
	cid := r.PathValue("id")
	if !id.Valid(cid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	if err := s.Intake.CallbackDone(r.Context(), actorOf(sessionOf(r)), cid); err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	http.Redirect(w, r, "/callbacks?done=1", http.StatusSeeOther)
}

// ---- Referrals ----

// referralNewPage is the new referral form: for an existing client
// (Client set) or with the new client's fields; after "check for
// existing records", the likely matches to choose from.
type referralNewPage struct {
	Choices     choices
	Client      *people.Client
	Teams       []teamChoice
	Checked     bool
	Suggestions []intake.Suggestion
}

// referralForm reads the referral form: for an existing client when
// "client" names one, else with a new client from the client fields.
func referralForm(v url.Values) (intake.NewReferral, map[string]string, error) {
	n := intake.NewReferral{ClientID: strings.TrimSpace(v.Get("client")), Source: intake.Source(v.Get("source")),
		ReferrerOrg: v.Get("referrer_org"), RiskLevel: intake.RiskLevel(v.Get("risk_level")), Summary: v.Get("summary")}
	var fe errs.Fields
	n.ReceivedAt = parseLocal(&fe, "received_at", v.Get("received_at"))
	var clientErr error
	if n.ClientID == "" {
		nc, _, err := clientForm(&http.Request{PostForm: v})
		n.NewClient, clientErr = &nc, err
	}
	return n, people.FormValues(v), errs.Collect(fe.Err(), clientErr)
}

// probeOf is what the worker typed about the new client, for the check
// for existing records.
func probeOf(n *people.NewClient) matching.Probe {
	p := matching.Probe{Given: n.GivenName, Family: n.FamilyName}
	for _, a := range n.Details.Aliases {
		if a = strings.TrimSpace(a); a != "" {
			p.Aliases = append(p.Aliases, a)
		}
	}
	if d, err := vault.NormaliseDate(n.Details.DateOfBirth); err == nil {
		p.DOB = d
	}
	for _, ph := range []string{n.Details.Phone, n.Details.SafeContact.Phone} {
		if strings.TrimSpace(ph) != "" {
			p.Phones = append(p.Phones, ph)
		}
	}
	return p
}

func (s *Server) referralNewPageFor(w http.ResponseWriter, r *http.Request, clientID string) (referralNewPage, bool) {
	page := referralNewPage{Choices: fdChoices}
	if clientID != "" {
		if !id.Valid(clientID) {
			s.renderError(w, r, http.StatusNotFound, "error.not_found")
			return page, false
		}
		c, err := s.People.Open(r.Context(), actorOf(sessionOf(r)), clientID)
		if err != nil {
			s.formError(w, r, "error", view{}, asNotFoundIfDenied(err))
			return page, false
		}
		page.Client = c
		return page, true
	}
	teams, err := s.actorTeams(r)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return page, false
	}
	page.Teams = teams
	return page, true
}

func (s *Server) newReferralForm(w http.ResponseWriter, r *http.Request) {
	if !s.intakeOn(w, r) {
		return
	}
	page, ok := s.referralNewPageFor(w, r, r.URL.Query().Get("client"))
	if !ok {
		return
	}
	form := clientFormValues(people.NewClient{})
	form["source"], form["risk_level"] = string(intake.FromSelf), string(intake.RiskNotKnown)
	if page.Client != nil {
		form["client"] = page.Client.ID
	}
	s.render(w, r, http.StatusOK, "referral_new", view{Title: "frontdoor.referral_new_title", Data: page, Form: form})
}

func (s *Server) createReferral(w http.ResponseWriter, r *http.Request) {
	if !s.intakeOn(w, r) {
		return
	}
	n, form, formErr := referralForm(r.PostForm)
	actor := actorOf(sessionOf(r))
	existing := ""
	if id.Valid(n.ClientID) && r.PostFormValue("chosen") == "" {
		// Started from an existing client's record: keep showing it.
		existing = n.ClientID
	}
	page, ok := s.referralNewPageFor(w, r, existing)
	if !ok {
		return
	}
	v := view{Title: "frontdoor.referral_new_title", Form: form}
	if r.PostFormValue("do") == "check" && n.NewClient != nil {
		// The no-script check: the same form again, everything kept, with
		// the likely existing records to choose from.
		list, err := s.Intake.Suggest(r.Context(), actor, probeOf(n.NewClient))
		if err != nil {
			s.formError(w, r, "error", view{}, err)
			return
		}
		page.Checked, page.Suggestions = true, list
		v.Data = page
		s.render(w, r, http.StatusOK, "referral_new", v)
		return
	}
	err := formErr
	var ref *intake.Referral
	if err == nil {
		ref, err = s.Intake.CreateReferral(r.Context(), actor, n)
	}
	if err != nil {
		v.Data = page
		s.formError(w, r, "referral_new", v, err)
		return
	}
	http.Redirect(w, r, "/referrals/"+ref.ID, http.StatusSeeOther)
}

// queuePage is the triage queue.
type queuePage struct {
	Items []queueRow
}

type queueRow struct {
	intake.QueueItem
	WaitedHours int
	TargetHours int
	Received    time.Time
}

func (s *Server) triageQueue(w http.ResponseWriter, r *http.Request) {
	if !s.intakeOn(w, r) {
		return
	}
	list, err := s.Intake.TriageQueue(r.Context(), actorOf(sessionOf(r)))
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	var page queuePage
	for _, it := range list {
		page.Items = append(page.Items, queueRow{QueueItem: it, WaitedHours: int(it.Waited.Hours()), TargetHours: int(it.Target.Hours()),
			Received: it.ReceivedAt.In(frontDoorZone)})
	}
	s.render(w, r, http.StatusOK, "triage", view{Title: "frontdoor.triage_title", Data: page})
}

// referralPage is a referral with its triage decision and first contact,
// the client's safe-contact rules first.
type referralPageData struct {
	Choices   choices
	Referral  *intake.Referral
	Client    *people.Client
	Teams     []intake.Team
	Received  time.Time
	First     time.Time
	Decided   time.Time
	TookHours int
	TookMins  int
	Names     map[string]string
	// Form says which form the errors and kept values are for.
	Form string
}

// triageForm reads the triage form ("team" "" is the default team).
func triageForm(v url.Values) intake.NewTriage {
	return intake.NewTriage{Decision: intake.Decision(v.Get("decision")), Service: intake.CaseService(v.Get("service")),
		TeamID: v.Get("team"), Note: v.Get("note")}
}

// firstContactForm reads the first-contact form (blank: now).
func firstContactForm(v url.Values) (time.Time, error) {
	var fe errs.Fields
	at := parseLocal(&fe, "at", v.Get("at"))
	return at, fe.Err()
}

func (s *Server) referralData(w http.ResponseWriter, r *http.Request) (*referralPageData, bool) {
	rid := r.PathValue("id")
	if !id.Valid(rid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return nil, false
	}
	actor := actorOf(sessionOf(r))
	ref, err := s.Intake.GetReferral(r.Context(), actor, rid)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return nil, false
	}
	c, err := s.People.Open(r.Context(), actor, ref.ClientID)
	if err != nil {
		s.formError(w, r, "error", view{}, asNotFoundIfDenied(err))
		return nil, false
	}
	teams, err := s.Intake.AllocationTeams(r.Context(), actor)
	if errs.CodeOf(err) == errs.Forbidden {
		// The triage form's choices are for those who hold cases; a
		// reader who does not (the data protection lead) still sees the
		// team the referral went to.
		teams, err = nil, nil
		if ref.Triage != nil && ref.Triage.TeamID != "" {
			var name string
			if name, err = s.teamName(r, ref.Triage.TeamID); err == nil {
				teams = []intake.Team{{ID: ref.Triage.TeamID, Name: name}}
			}
		}
	}
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return nil, false
	}
	names, err := s.names(r)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return nil, false
	}
	p := &referralPageData{Choices: fdChoices, Referral: ref, Client: c, Teams: teams, Received: ref.ReceivedAt.In(frontDoorZone), Names: names}
	if !ref.FirstContactAt.IsZero() {
		p.First = ref.FirstContactAt.In(frontDoorZone)
		p.TookHours, p.TookMins = int(ref.TimeToFirstContact.Hours()), int(ref.TimeToFirstContact.Minutes())%60
	}
	if ref.Triage != nil {
		p.Decided = ref.Triage.DecidedAt.In(frontDoorZone)
	}
	return p, true
}

func (s *Server) showReferral(w http.ResponseWriter, r *http.Request) {
	if !s.intakeOn(w, r) {
		return
	}
	p, ok := s.referralData(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "referral_show", view{Title: "frontdoor.referral_title", Data: p})
}

func (s *Server) updateReferral(w http.ResponseWriter, r *http.Request) {
	if !s.intakeOn(w, r) {
		return
	}
	rid := r.PathValue("id")
	if !id.Valid(rid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	actor := actorOf(sessionOf(r))
	var err error
	which := r.PostFormValue("do")
	switch which {
	case "triage":
		_, err = s.Intake.TriageReferral(r.Context(), actor, rid, triageForm(r.PostForm))
	case "first_contact":
		var at time.Time
		if at, err = firstContactForm(r.PostForm); err == nil {
			_, err = s.Intake.RecordFirstContact(r.Context(), actor, rid, at)
		}
	default:
		s.renderError(w, r, http.StatusBadRequest, "error.bad_form")
		return
	}
	if err != nil {
		if len(errs.AllFields(err)) == 0 && errs.CodeOf(err) != errs.Conflict {
			s.formError(w, r, "error", view{}, err)
			return
		}
		p, ok := s.referralData(w, r)
		if !ok {
			return
		}
		p.Form = which
		v := view{Title: "frontdoor.referral_title", Data: p, Form: people.FormValues(r.PostForm)}
		if len(errs.AllFields(err)) == 0 {
			// A conflict (already triaged, recorded): say so over the
			// current state.
			err = conflictOnForm(err)
		}
		s.formError(w, r, "referral_show", v, err)
		return
	}
	http.Redirect(w, r, "/referrals/"+rid, http.StatusSeeOther)
}

// conflictOnForm shows a conflict as a form-level error, with the 409 it
// is.
func conflictOnForm(err error) error {
	e := errs.As(err)
	return &errs.Error{Code: errs.Conflict, Key: e.Key, Args: e.Args, Field: "form"}
}

// ---- The case page ----

// timelinePage is a client's case page: safe contact, risk over time,
// cases with the moves allowed, and everything the front door holds.
type timelinePage struct {
	Choices choices
	Client  *people.Client
	Risk    []risk.Point
	Latest  risk.Level
	Cases   []caseRow
	Entries []timelineEntry
	Total   int // entries in the whole timeline; more than Entries when only the newest are shown
	// ErrorCase is the case whose form the errors are about.
	ErrorCase string
}

type caseRow struct {
	intake.Case
	Opened, Closed time.Time
}

// caseTimelineEntries is how many of a timeline's newest entries the case
// page shows before "show all": enough for the story of recent weeks, few
// enough that a client with years of contact opens at once.
const caseTimelineEntries = 50

// timelineEntry is one line of the timeline, its words already chosen in
// the reader's language: a case page holds hundreds, and a template action
// per word cost more than the rest of the page.
type timelineEntry struct {
	Kind    string
	When    string
	Link    string // the referral's page, for a referral
	Label   string // "Referral", "Triage"...; empty for a contact
	Summary string // what happened and who, " · " between
	Warning string // a contact made against the safe-contact rules
	Note    string
}

// timelineEntries words entries newest first (the page is read from the
// top) in pr's language, naming workers from names.
func timelineEntries(pr i18n.Printer, entries []intake.Entry, names map[string]string) []timelineEntry {
	out := make([]timelineEntry, 0, len(entries))
	var parts []string
	for i := len(entries) - 1; i >= 0; i-- {
		e := &entries[i]
		te := timelineEntry{Kind: e.Kind, When: e.At.In(frontDoorZone).Format("Mon 2 Jan 2006 15:04")}
		parts = parts[:0]
		switch {
		case e.Contact != nil:
			c := e.Contact
			parts = append(parts, pr.T("frontdoor.direction."+string(c.Direction))+" "+pr.T("frontdoor.channel."+string(c.Channel)),
				pr.T("frontdoor.outcome."+string(c.Outcome)))
			if c.Voicemail {
				parts = append(parts, pr.T("frontdoor.voicemail_left"))
			}
			if c.FollowUp {
				parts = append(parts, pr.T("frontdoor.callback_on", c.CallbackDue.In(frontDoorZone).Format("2 Jan 15:04")))
			}
			parts = append(parts, names[c.TakenBy])
			if c.Override {
				te.Warning = pr.T("frontdoor.override_shown", c.OverrideReason)
			}
			te.Note = c.Note
		case e.Referral != nil:
			r := e.Referral
			te.Link, te.Label = "/referrals/"+r.ID, pr.T("frontdoor.entry_referral")
			src := pr.T("frontdoor.source." + string(r.Source))
			if r.ReferrerOrg != "" {
				src += " (" + r.ReferrerOrg + ")"
			}
			parts = append(parts, src, pr.T("frontdoor.risk_level."+string(r.RiskLevel)))
			if r.Repeat {
				parts = append(parts, pr.T("frontdoor.repeat"))
			}
			te.Note = r.Summary
		case e.Triage != nil:
			t := e.Triage
			te.Label = pr.T("frontdoor.entry_triage")
			d := pr.T("frontdoor.decision." + string(t.Decision))
			if t.Service != "" {
				d += " → " + pr.T("frontdoor.case_service."+string(t.Service))
			}
			parts = append(parts, d, names[t.DecidedBy])
			te.Note = t.Note
		case e.Case != nil:
			c := e.Case
			te.Label = pr.T("frontdoor.entry_case")
			st := pr.T("frontdoor.case_service."+string(c.Service)) + " " + pr.T("frontdoor.case_status."+string(c.Status))
			if c.Reason != "" {
				st += " (" + pr.T("frontdoor.close_reason."+string(c.Reason)) + ")"
			}
			parts = append(parts, st, names[c.ChangedBy])
			te.Note = c.Note
		}
		te.Summary = strings.Join(parts, " · ")
		out = append(out, te)
	}
	return out
}

// entryWorkers lists the workers the entries name.
func entryWorkers(entries []intake.Entry) []string {
	ids := make([]string, 0, len(entries))
	for _, e := range entries {
		switch {
		case e.Contact != nil:
			ids = append(ids, e.Contact.TakenBy)
		case e.Triage != nil:
			ids = append(ids, e.Triage.DecidedBy)
		case e.Case != nil:
			ids = append(ids, e.Case.ChangedBy)
		}
	}
	return ids
}

func (s *Server) timelineData(w http.ResponseWriter, r *http.Request) (*timelinePage, bool) {
	// The page's audited reads (client, risk, cases, timeline) are
	// recorded together, in one commit, before any of it is shown; the
	// four access decisions read the client's facts once. Should the
	// page end early (a panic), what was read by then is still recorded.
	r, done := s.deferReads(r)
	defer done()
	r = r.WithContext(people.RememberFacts(r.Context()))
	p, ok := s.timelineReads(w, r)
	if err := audit.FlushDeferred(r.Context()); err != nil {
		if ok {
			s.formError(w, r, "error", view{}, err)
		} else {
			// An error or denial page went out, showing nothing read.
			s.Logger.Error("recording the case page's reads failed", "request_id", requestIDOf(r), "err", err)
		}
		return nil, false
	}
	return p, ok
}

// deferReads holds the request's audited reads to be recorded in one
// commit (audit.Defer): the handler calls audit.FlushDeferred before it
// shows anything read. done records whatever is still held when the
// handler ends (after an error page, which shows nothing read).
func (s *Server) deferReads(r *http.Request) (*http.Request, func()) {
	r = r.WithContext(audit.Defer(r.Context()))
	return r, func() {
		if err := audit.FlushDeferred(r.Context()); err != nil {
			s.Logger.Error("recording a page's reads failed", "request_id", requestIDOf(r), "err", err)
		}
	}
}

func (s *Server) timelineReads(w http.ResponseWriter, r *http.Request) (*timelinePage, bool) {
	c, ok := s.openClient(w, r)
	if !ok {
		return nil, false
	}
	actor := actorOf(sessionOf(r))
	p := &timelinePage{Choices: fdChoices, Client: c}
	var err error
	if s.Risk != nil {
		if p.Risk, err = s.Risk.History(r.Context(), actor, c.ID); err != nil {
			s.formError(w, r, "error", view{}, err)
			return nil, false
		}
		if len(p.Risk) > 0 {
			p.Latest = p.Risk[len(p.Risk)-1].Final
		}
		for i := range p.Risk {
			p.Risk[i].CompletedAt = p.Risk[i].CompletedAt.In(frontDoorZone)
		}
	}
	cases, err := s.Intake.Cases(r.Context(), actor, c.ID)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return nil, false
	}
	for _, k := range cases {
		row := caseRow{Case: k, Opened: k.OpenedAt.In(frontDoorZone)}
		if !k.ClosedAt.IsZero() {
			row.Closed = k.ClosedAt.In(frontDoorZone)
		}
		p.Cases = append(p.Cases, row)
	}
	// The newest entries first; the whole history is a link away.
	var entries []intake.Entry
	if r.URL.Query().Get("all") == "1" {
		entries, err = s.Intake.Timeline(r.Context(), actor, c.ID)
		p.Total = len(entries)
	} else {
		entries, p.Total, err = s.Intake.RecentTimeline(r.Context(), actor, c.ID, caseTimelineEntries)
	}
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return nil, false
	}
	names, err := s.Auth.StaffNames(r.Context(), entryWorkers(entries))
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return nil, false
	}
	p.Entries = timelineEntries(s.printer(r), entries, names)
	return p, true
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	if !s.intakeOn(w, r) {
		return
	}
	p, ok := s.timelineData(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "timeline", view{Title: "frontdoor.timeline_title", Data: p})
}

// caseStatusForm reads a case's status form; a version that is not a
// number is 0, which the service refuses as stale.
func caseStatusForm(v url.Values) intake.CaseStatusChange {
	version, _ := strconv.Atoi(strings.TrimSpace(v.Get("version")))
	return intake.CaseStatusChange{Version: version, To: intake.CaseStatus(v.Get("status")), Reason: intake.CloseReason(v.Get("reason")), Note: v.Get("note")}
}

func (s *Server) caseStatus(w http.ResponseWriter, r *http.Request) {
	if !s.intakeOn(w, r) {
		return
	}
	cid, caseID := r.PathValue("id"), r.PathValue("case")
	if !id.Valid(cid) || !id.Valid(caseID) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	err := s.Intake.SetCaseStatus(r.Context(), actorOf(sessionOf(r)), caseID, caseStatusForm(r.PostForm))
	if err == nil {
		http.Redirect(w, r, "/people/"+cid+"/timeline", http.StatusSeeOther)
		return
	}
	if len(errs.AllFields(err)) == 0 && errs.CodeOf(err) != errs.Conflict {
		s.formError(w, r, "error", view{}, err)
		return
	}
	p, ok := s.timelineData(w, r)
	if !ok {
		return
	}
	p.ErrorCase = caseID
	if len(errs.AllFields(err)) == 0 {
		// Stale, or a move the case can no longer make: the page shows
		// the case as it is now, and says why nothing changed.
		err = conflictOnForm(err)
	}
	s.formError(w, r, "timeline", view{Title: "frontdoor.timeline_title", Data: p, Form: people.FormValues(r.PostForm)}, err)
}

func (s *Server) alertRead(w http.ResponseWriter, r *http.Request) {
	aid := r.PathValue("id")
	if s.Matches == nil || !id.Valid(aid) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	if err := s.Matches.MarkRead(r.Context(), actorOf(sessionOf(r)), aid); err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	http.Redirect(w, r, "/#alerts", http.StatusSeeOther)
}
