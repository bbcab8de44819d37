package web

import (
	"context"
	"net/http"

	"frontdoor/internal/auth"
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

func (s *Server) signinForm(w http.ResponseWriter, r *http.Request) {
	if s.currentStaff(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "signin", view{Title: "signin.title"})
}

func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	token, _, err := s.Auth.SignIn(r.Context(), username, password)
	if err != nil {
		s.formError(w, r, "signin", view{Title: "signin.title", Form: map[string]string{"username": username}}, err)
		return
	}
	s.setSession(w, token)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.cookieName()); err == nil {
		if err := s.Auth.SignOut(r.Context(), c.Value); err != nil {
			s.formError(w, r, "error", view{}, err)
			return
		}
	}
	s.clearSession(w)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func (s *Server) setupForm(w http.ResponseWriter, r *http.Request) {
	l, err := s.Auth.SetupLink(r.Context(), r.PathValue("token"))
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	s.render(w, r, http.StatusOK, "setup", view{Title: "setup.title", Data: l})
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	token := r.PathValue("token")
	f := auth.SetupForm{
		OrganisationName: r.PostFormValue("organisation"),
		DisplayName:      r.PostFormValue("name"),
		Username:         r.PostFormValue("username"),
		Password:         r.PostFormValue("password"),
		Confirm:          r.PostFormValue("confirm"),
	}
	session, _, err := s.Auth.CompleteSetup(r.Context(), token, f)
	if err != nil {
		l, lerr := s.Auth.SetupLink(r.Context(), token)
		if lerr != nil {
			s.formError(w, r, "error", view{}, lerr)
			return
		}
		s.formError(w, r, "setup", view{Title: "setup.title", Data: l, Form: map[string]string{
			"organisation": f.OrganisationName, "name": f.DisplayName, "username": f.Username}}, err)
		return
	}
	s.setSession(w, session)
	http.Redirect(w, r, "/", http.StatusSeeOther)
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

func (s *Server) staffList(w http.ResponseWriter, r *http.Request) {
	list, err := s.Auth.ListStaff(r.Context())
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff", view{Title: "staff.title", Data: list})
}
