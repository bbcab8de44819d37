package web

import (
	"encoding/base64"
	"html/template"
	"net/http"

	"frontdoor/internal/auth"
)

// formLimit bounds every form body: sign-in and account forms are small.
const formLimit = 64 << 10

func (s *Server) signinForm(w http.ResponseWriter, r *http.Request) {
	if se := s.currentSession(r); se != nil {
		if se.Stage == auth.StageFull {
			http.Redirect(w, r, "/", http.StatusSeeOther)
		} else {
			http.Redirect(w, r, stagePage(se.Stage), http.StatusSeeOther)
		}
		return
	}
	s.render(w, r, http.StatusOK, "signin", view{Title: "signin.title"})
}

func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	token, se, err := s.Auth.SignIn(r.Context(), username, password, s.source(r))
	if err != nil {
		s.formError(w, r, "signin", view{Title: "signin.title", Form: map[string]string{"username": username}}, err)
		return
	}
	s.setSession(w, token)
	http.Redirect(w, r, stagePage(se.Stage), http.StatusSeeOther)
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	if token := s.sessionToken(r); token != "" {
		if err := s.Auth.SignOut(r.Context(), token); err != nil {
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
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
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
	http.Redirect(w, r, "/enrol", http.StatusSeeOther)
}

func (s *Server) codeForm(w http.ResponseWriter, r *http.Request) {
	if !s.atStage(w, r, auth.StageSecondFactor) {
		return
	}
	s.render(w, r, http.StatusOK, "code", view{Title: "code.title"})
}

// atStage lets a sign-in step run only for a session at that step; any
// other session is sent where it belongs instead (a signed-in person
// posting to a step is sent home, not signed out).
func (s *Server) atStage(w http.ResponseWriter, r *http.Request, stage string) bool {
	if se := s.currentSession(r); se != nil && se.Stage != stage {
		http.Redirect(w, r, stagePageOrHome(se.Stage), http.StatusSeeOther)
		return false
	}
	return true
}

func stagePageOrHome(stage string) string {
	if stage == auth.StageFull {
		return "/"
	}
	return stagePage(stage)
}

func (s *Server) code(w http.ResponseWriter, r *http.Request) {
	if !s.atStage(w, r, auth.StageSecondFactor) {
		return
	}
	full, err := s.Auth.VerifySecondFactor(r.Context(), s.sessionToken(r), r.PostFormValue("code"), s.source(r))
	if err != nil {
		if e := asErr(err); e.Key == "session.expired" {
			s.clearSession(w)
		}
		s.formError(w, r, "code", view{Title: "code.title"}, err)
		return
	}
	s.setSession(w, full)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// enrolment is what the enrolment page shows.
type enrolment struct {
	QR     template.URL
	Secret string
}

func (s *Server) enrolForm(w http.ResponseWriter, r *http.Request) {
	if !s.atStage(w, r, auth.StageEnrol) {
		return
	}
	s.renderEnrol(w, r, http.StatusOK, nil)
}

func (s *Server) renderEnrol(w http.ResponseWriter, r *http.Request, status int, err error) {
	e, eerr := s.Auth.BeginEnrolment(r.Context(), s.sessionToken(r))
	if eerr != nil {
		s.formError(w, r, "error", view{}, eerr)
		return
	}
	v := view{Title: "enrol.title", Data: enrolment{
		// A data: URL keeps the secret out of any request path or log.
		QR:     template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRPNG)),
		Secret: e.Secret,
	}}
	if err != nil {
		s.formError(w, r, "enrol", v, err)
		return
	}
	s.render(w, r, status, "enrol", v)
}

func (s *Server) enrol(w http.ResponseWriter, r *http.Request) {
	if !s.atStage(w, r, auth.StageEnrol) {
		return
	}
	full, codes, err := s.Auth.ConfirmEnrolment(r.Context(), s.sessionToken(r), r.PostFormValue("code"))
	if err != nil {
		s.renderEnrol(w, r, http.StatusUnprocessableEntity, err)
		return
	}
	s.setSession(w, full)
	// Shown once, never stored in clear: the page says to save them now.
	s.render(w, r, http.StatusOK, "recovery", view{Title: "recovery.title", Data: codes})
}
