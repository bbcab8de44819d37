package web

import (
	"net/http"
	"strconv"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/id"
	"frontdoor/internal/review"
)

// reviewEvent is an audit event as the history pages show it.
type reviewEvent struct {
	audit.Event
	Actor  string
	Target string
	Reason string
}

func (s *Server) names(r *http.Request) (map[string]string, error) {
	list, err := s.Auth.ListStaff(r.Context())
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(list))
	for _, st := range list {
		m[st.ID] = st.DisplayName + " (" + st.Username + ")"
	}
	return m, nil
}

// reviewPage is the data protection lead's dashboard.
type reviewPage struct {
	*review.Dashboard
	Threshold int
}

func (s *Server) review(w http.ResponseWriter, r *http.Request) {
	d, err := s.Review.Dashboard(r.Context(), actorOf(sessionOf(r)))
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	s.render(w, r, http.StatusOK, "review", view{Title: "review.title", Data: reviewPage{Dashboard: d, Threshold: review.RefusalAlertThreshold}})
}

// historyPage is a record's access history: who read or changed it, when,
// a page at a time, newest first.
type historyPage struct {
	RecordID string
	Events   []reviewEvent
	// Path is the page's own address; Older, when set, the seq to page
	// back from.
	Path  string
	Older int64
}

// older offers the next page back when this one is full.
func (p *historyPage) older(n int) {
	if n == audit.HistoryPage && n > 0 {
		p.Older = p.Events[n-1].Seq
	}
}

// beforeSeq reads the history page's ?before=, 0 when absent; ok is false
// when it is not a sequence number.
func beforeSeq(r *http.Request) (int64, bool) {
	v := r.URL.Query().Get("before")
	if v == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n > 0
}

func (s *Server) recordHistory(w http.ResponseWriter, r *http.Request) {
	recordID := r.PathValue("id")
	before, ok := beforeSeq(r)
	if !id.Valid(recordID) || !ok {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	events, err := s.Review.History(r.Context(), actorOf(sessionOf(r)), recordID, before)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	page := historyPage{RecordID: recordID, Path: "/review/records/" + recordID}
	for _, e := range events {
		page.Events = append(page.Events, reviewEvent{Event: e.Event, Actor: e.Actor, Reason: e.Reason})
	}
	page.older(len(events))
	s.render(w, r, http.StatusOK, "history", view{Title: "history.title", Data: page})
}

// attention is what the data protection lead's home page shows first.
func (s *Server) attention(r *http.Request, actor access.Actor) (*review.Attention, error) {
	if s.Review == nil || actor.Role != access.RoleDataProtectionLead {
		return nil, nil
	}
	return s.Review.Attention(r.Context(), actor)
}
