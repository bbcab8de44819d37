package web

import (
	"net/http"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// reviewPage is the data protection lead's dashboard: every break-glass
// of the last 30 days with its reason, and the account events that change
// who can get in.
type reviewPage struct {
	Reasons    map[string]bool
	BreakGlass []reviewGrant
	Security   []reviewEvent
	Failed24h  int
}

type reviewGrant struct {
	access.Grant
	Staff string
}

type reviewEvent struct {
	audit.Event
	Actor  string
	Target string
}

// securityActions are the account events the dashboard lists.
var securityActions = []string{"account.create", "account.setup", "account.setup_link", "factor.enrol", "factor.reset", "password.change",
	"account.disable", "account.enable", "session.end", "token.create", "token.revoke", "record.restrict", "record.unrestrict"}

// sealedReasons are the actions whose purpose is a reason sealed for the
// account it concerns; the reviewer reads it opened.
var sealedReasons = map[string]bool{"factor.reset": true, "account.disable": true, "account.enable": true}

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

func (s *Server) review(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	names, err := s.names(r)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	now := s.Now().UTC()
	page := reviewPage{Reasons: sealedReasons}
	// Reading break-glass reasons is itself recorded.
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		grants, err := s.Grants.BreakGlassSince(ctx, tx, now.Add(-30*24*time.Hour), 200)
		if err != nil {
			return err
		}
		for _, g := range grants {
			page.BreakGlass = append(page.BreakGlass, reviewGrant{Grant: g, Staff: names[g.StaffID]})
		}
		for _, action := range securityActions {
			events, err := audit.Recent(ctx, tx, action, now.Add(-30*24*time.Hour), 100)
			if err != nil {
				return err
			}
			for _, e := range events {
				if sealedReasons[e.Action] {
					if reason, err := s.Auth.Vault.OpenString(e.Purpose, "audit_reason", e.RecordID); err == nil {
						e.Purpose = reason
					}
				}
				page.Security = append(page.Security, reviewEvent{Event: e, Actor: names[e.ActorID], Target: names[e.RecordID]})
			}
		}
		failed, err := audit.Recent(ctx, tx, "signin.failed", now.Add(-24*time.Hour), audit.MaxLimit)
		if err != nil {
			return err
		}
		page.Failed24h = len(failed)
		return s.Record(ctx, tx, audit.Event{ActorID: staffOf(r).ID, Action: "audit.review", Purpose: "dashboard"})
	})
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	sortEventsNewestFirst(page.Security)
	s.render(w, r, http.StatusOK, "review", view{Title: "review.title", Data: page})
}

func sortEventsNewestFirst(events []reviewEvent) {
	for i := 1; i < len(events); i++ {
		for j := i; j > 0 && events[j].Seq > events[j-1].Seq; j-- {
			events[j], events[j-1] = events[j-1], events[j]
		}
	}
}

// historyPage is a record's access history: who read or changed it, when.
type historyPage struct {
	RecordID string
	Events   []reviewEvent
}

func (s *Server) recordHistory(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	recordID := r.PathValue("id")
	if !id.Valid(recordID) {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	names, err := s.names(r)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	page := historyPage{RecordID: recordID}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		events, err := audit.History(ctx, tx, recordID, 500)
		if err != nil {
			return err
		}
		for _, e := range events {
			page.Events = append(page.Events, reviewEvent{Event: e, Actor: names[e.ActorID]})
		}
		return s.Record(ctx, tx, audit.Event{ActorID: staffOf(r).ID, Action: "record.history", RecordID: recordID})
	})
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	s.render(w, r, http.StatusOK, "history", view{Title: "history.title", Data: page})
}
