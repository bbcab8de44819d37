package web

import (
	"context"

	"frontdoor/internal/access"
	"net/http"

	"frontdoor/internal/store"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ok, why := s.Ready(r.Context())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Write([]byte(why + "\n"))
}

// overview is the home page's picture of the partnership.
type overview struct {
	Organisations []orgSummary
	StaffCount    int
}

type orgSummary struct {
	Name  string
	Kind  string
	Teams []teamSummary
}

type teamSummary struct {
	Name    string
	Service string
	Members int
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	// The partnership's structure is for the people who work in it, not
	// for partner agencies, commissioners or volunteers.
	switch staffOf(r).Role {
	case access.RolePartnerAgencyUser, access.RoleCommissioner, access.RoleVolunteer:
		s.render(w, r, http.StatusOK, "home", view{Title: "home.title", Data: &overview{}})
		return
	}
	ov, err := s.overview(r.Context())
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	s.render(w, r, http.StatusOK, "home", view{Title: "home.title", Data: ov})
}

func (s *Server) overview(ctx context.Context) (*overview, error) {
	ov := &overview{}
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT o.id, o.name, o.kind, t.name, t.service,
			(SELECT count(*) FROM team_members m WHERE m.team_id = t.id)
			FROM organisations o LEFT JOIN teams t ON t.organisation_id = o.id
			ORDER BY o.name, o.id, t.name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		last := ""
		for rows.Next() {
			var oid, name, kind string
			var team, service *string
			var members *int
			if err := rows.Scan(&oid, &name, &kind, &team, &service, &members); err != nil {
				return err
			}
			if oid != last {
				ov.Organisations = append(ov.Organisations, orgSummary{Name: name, Kind: kind})
				last = oid
			}
			if team != nil {
				o := &ov.Organisations[len(ov.Organisations)-1]
				o.Teams = append(o.Teams, teamSummary{Name: *team, Service: *service, Members: *members})
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM staff WHERE disabled_at IS NULL`, nil, &ov.StaffCount)
	})
	return ov, err
}

// notFound answers every path no route serves with the service's own page.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound, "error.not_found")
}
