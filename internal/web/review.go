package web

import (
	"net/http"

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

// historyPage is a record's access history: who read or changed it, when.
type historyPage struct {
	RecordID string
	Events   []reviewEvent
}

func (s *Server) recordHistory(w http.ResponseWriter, r *http.Request) {
	recordID := r.PathValue("id")
	if !id.Valid(recordID) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	events, err := s.Review.History(r.Context(), actorOf(sessionOf(r)), recordID)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	page := historyPage{RecordID: recordID}
	for _, e := range events {
		page.Events = append(page.Events, reviewEvent{Event: e.Event, Actor: e.Actor, Reason: e.Reason})
	}
	s.render(w, r, http.StatusOK, "history", view{Title: "history.title", Data: page})
}

// attention is what the data protection lead's home page shows first.
func (s *Server) attention(r *http.Request, actor access.Actor) (*review.Attention, error) {
	if s.Review == nil || actor.Role != access.RoleDataProtectionLead {
		return nil, nil
	}
	return s.Review.Attention(r.Context(), actor)
}
