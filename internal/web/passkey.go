package web

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"

	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
)

// Passkeys: static/passkey.js asks one of the .../options routes for the
// options of a ceremony (JSON), lets the browser make or use the passkey,
// and posts the answer in an ordinary form to the route without /options,
// so the pages that follow (recovery codes, errors) are rendered as for
// any form. Without JavaScript or WebAuthn the passkey parts stay hidden.

// relyingParty is the site passkeys are bound to: the configured base URL,
// else the address this request came to.
func (s *Server) relyingParty(r *http.Request) auth.RelyingParty {
	u, err := url.Parse(s.baseURL(r))
	if err != nil || u.Host == "" {
		return auth.RelyingParty{}
	}
	return auth.RelyingParty{ID: u.Hostname(), Origin: u.Scheme + "://" + u.Host}
}

// passkeyOptions answers a script's request for ceremony options, or a
// safe message.
func (s *Server) passkeyOptions(w http.ResponseWriter, r *http.Request, begin func(token string, rp auth.RelyingParty) ([]byte, error)) {
	w.Header().Set("Content-Type", "application/json")
	rp := s.relyingParty(r)
	if rp.ID == "" || net.ParseIP(rp.ID) != nil {
		// Browsers bind passkeys to a domain name, never an address: on
		// http://127.0.0.1 the page simply offers no passkey.
		w.WriteHeader(http.StatusServiceUnavailable)
		pr := s.printer(r)
		json.NewEncoder(w).Encode(map[string]string{"error": pr.T("passkey.needs_domain")})
		return
	}
	body, err := begin(s.sessionToken(r), rp)
	if err != nil {
		e := errs.As(err)
		if e.Code == errs.Internal {
			s.Logger.Error("request failed", "request_id", requestIDOf(r), "err", err)
		}
		pr := s.printer(r)
		w.WriteHeader(statusOf(e.Code))
		json.NewEncoder(w).Encode(map[string]string{"error": pr.T(e.Key, e.Args...)})
		return
	}
	w.Write(body)
}

// passkeyAnswer reads the browser's answer from the form.
func passkeyAnswer(w http.ResponseWriter, r *http.Request) (answer []byte, name string) {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	return []byte(r.PostFormValue("credential")), r.PostFormValue("passkey_name")
}

func (s *Server) enrolPasskeyOptions(w http.ResponseWriter, r *http.Request) {
	s.passkeyOptions(w, r, func(token string, rp auth.RelyingParty) ([]byte, error) {
		return s.Auth.BeginPasskeyEnrolment(r.Context(), token, rp)
	})
}

// enrolPasskey registers a passkey instead of an authenticator app and, as
// after a first code, shows the recovery codes once.
func (s *Server) enrolPasskey(w http.ResponseWriter, r *http.Request) {
	if !s.atStage(w, r, auth.StageEnrol) {
		return
	}
	answer, name := passkeyAnswer(w, r)
	full, codes, err := s.Auth.FinishPasskeyEnrolment(r.Context(), s.sessionToken(r), s.relyingParty(r), name, answer)
	if err != nil {
		s.renderEnrol(w, r, http.StatusUnprocessableEntity, err)
		return
	}
	s.setSession(w, full)
	s.render(w, r, http.StatusOK, "recovery", view{Title: "recovery.title", Data: codes})
}

func (s *Server) signinPasskeyOptions(w http.ResponseWriter, r *http.Request) {
	s.passkeyOptions(w, r, func(token string, rp auth.RelyingParty) ([]byte, error) {
		return s.Auth.BeginPasskeySignIn(r.Context(), token, rp)
	})
}

// signinPasskey completes a sign-in with a passkey instead of a code.
func (s *Server) signinPasskey(w http.ResponseWriter, r *http.Request) {
	if !s.atStage(w, r, auth.StageSecondFactor) {
		return
	}
	answer, _ := passkeyAnswer(w, r)
	full, err := s.Auth.FinishPasskeySignIn(r.Context(), s.sessionToken(r), s.relyingParty(r), answer, s.source(r))
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

type passkeySection struct {
	List  []auth.Passkey
	Saved bool
}

func (s *Server) accountPasskeyOptions(w http.ResponseWriter, r *http.Request) {
	s.passkeyOptions(w, r, func(token string, rp auth.RelyingParty) ([]byte, error) {
		return s.Auth.BeginPasskeyRegistration(r.Context(), token, rp)
	})
}

// addPasskey registers another passkey for the signed-in person; their
// other sessions end (a factor change).
func (s *Server) addPasskey(w http.ResponseWriter, r *http.Request) {
	answer, name := passkeyAnswer(w, r)
	if err := s.Auth.FinishPasskeyRegistration(r.Context(), s.sessionToken(r), s.relyingParty(r), name, answer); err != nil {
		v, verr := s.accountView(r)
		if verr != nil {
			s.formError(w, r, "error", view{}, verr)
			return
		}
		s.formError(w, r, "account", v, err)
		return
	}
	http.Redirect(w, r, "/account?saved=passkey", http.StatusSeeOther)
}
