package web

import (
	"net/http"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/refuge"
)

// inboxPage is the refuge team's list of referrals to its properties.
type inboxPage struct {
	Items          []refuge.InboxItem
	CanAddProperty bool
	// Tasks are the open children's tasks (GP, school place) of the
	// households living in the team's properties, soonest due first.
	Tasks []refuge.ChildTask
	Today time.Time
}

// refugeInbox lists the referrals to the properties the person's teams
// run: the household profile and where each stands, never a name.
func (s *Server) refugeInbox(w http.ResponseWriter, r *http.Request) {
	actor := actorOf(sessionOf(r))
	items, err := s.Refuge.Inbox(r.Context(), actor)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	tasks, err := s.Refuge.DueChildTasks(r.Context(), actor)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	page := inboxPage{Items: items, Tasks: tasks, Today: s.Now().UTC(),
		CanAddProperty: actor.Role == access.RoleAdministrator || actor.Role == access.RoleTeamManager}
	s.render(w, r, http.StatusOK, "refuge_inbox", view{Title: "accommodation.inbox_title", Data: page})
}
