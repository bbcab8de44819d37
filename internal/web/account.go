package web

import (
	"net/http"

	"frontdoor/internal/audit"
	"frontdoor/internal/store"

	"frontdoor/internal/auth"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
)

func asErr(err error) *errs.Error { return errs.As(err) }

// accountPage is the person's own account: open sessions, password.
type accountPage struct {
	Passkeys      *passkeySection
	Sessions      []auth.Session
	CurrentID     string
	RecoveryLeft  int
	PasswordSaved bool
}

func (s *Server) accountView(r *http.Request) (view, error) {
	se := sessionOf(r)
	list, err := s.Auth.Sessions(r.Context(), se.Staff.ID)
	if err != nil {
		return view{}, err
	}
	left, err := s.Auth.RecoveryCodesLeft(r.Context(), se.Staff.ID)
	if err != nil {
		return view{}, err
	}
	keys, err := s.Auth.Passkeys(r.Context(), se.Staff.ID)
	if err != nil {
		return view{}, err
	}
	return view{Title: "account.title", Data: accountPage{Sessions: list, CurrentID: se.ID, RecoveryLeft: left,
		PasswordSaved: r.URL.Query().Get("saved") == "password",
		Passkeys:      &passkeySection{List: keys, Saved: r.URL.Query().Get("saved") == "passkey"}}}, nil
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	v, err := s.accountView(r)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	s.render(w, r, http.StatusOK, "account", v)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	err := s.Auth.ChangePassword(r.Context(), s.sessionToken(r), r.PostFormValue("current"), r.PostFormValue("password"), r.PostFormValue("confirm"))
	if err != nil {
		v, verr := s.accountView(r)
		if verr != nil {
			s.formError(w, r, "error", view{}, verr)
			return
		}
		s.formError(w, r, "account", v, err)
		return
	}
	http.Redirect(w, r, "/account?saved=password", http.StatusSeeOther)
}

func (s *Server) endOwnSession(w http.ResponseWriter, r *http.Request) {
	se := sessionOf(r)
	sid := r.PathValue("id")
	owner, err := s.Auth.SessionOwner(r.Context(), sid)
	if err != nil || owner != se.Staff.ID {
		// Someone else's session, or none: the same answer.
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	if err := s.Auth.EndSession(r.Context(), se.Staff.ID, sid); err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	if sid == se.ID {
		s.clearSession(w)
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// Administrators manage the accounts of their own organisation only: a
// partnership's other organisations have their own administrators.
func (s *Server) staffList(w http.ResponseWriter, r *http.Request) {
	list, err := s.Auth.ListStaff(r.Context())
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	own := list[:0]
	for _, st := range list {
		if st.OrganisationID == staffOf(r).OrganisationID {
			own = append(own, st)
		}
	}
	// Staff names are personal data too: listing them is recorded.
	if err := s.recordView(r, audit.Event{Action: "staff.list", RecordKind: "organisation", RecordID: staffOf(r).OrganisationID}); err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff", view{Title: "staff.title", Data: own})
}

// staffPage is the administrator's view of one account.
type staffPage struct {
	Member   *auth.Staff
	Sessions []auth.Session
}

func (s *Server) staffView(r *http.Request) (view, error) {
	sid := r.PathValue("id")
	if !id.Valid(sid) {
		return view{}, errs.New(errs.NotFound, "error.not_found")
	}
	st, err := s.Auth.StaffByID(r.Context(), sid)
	if err != nil {
		return view{}, err
	}
	if st.OrganisationID != staffOf(r).OrganisationID {
		return view{}, errs.New(errs.NotFound, "error.not_found")
	}
	list, err := s.Auth.Sessions(r.Context(), st.ID)
	if err != nil {
		return view{}, err
	}
	return view{Title: "staffdetail.title", Data: staffPage{Member: st, Sessions: list}}, nil
}

func (s *Server) staffDetail(w http.ResponseWriter, r *http.Request) {
	v, err := s.staffView(r)
	if err == nil {
		err = s.recordView(r, audit.Event{Action: "staff.read", RecordKind: "staff", RecordID: v.Data.(staffPage).Member.ID})
	}
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	s.render(w, r, http.StatusOK, "staffdetail", v)
}

// staffAction runs an administrator's action on an account and returns to
// its page, or shows the page again with the error against its field.
func (s *Server) staffAction(w http.ResponseWriter, r *http.Request, do func(actorID, staffID, reason string) error) {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	v, err := s.staffView(r)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	target := v.Data.(staffPage).Member.ID
	if err := do(staffOf(r).ID, target, r.PostFormValue("reason")); err != nil {
		s.formError(w, r, "staffdetail", v, err)
		return
	}
	http.Redirect(w, r, "/staff/"+target, http.StatusSeeOther)
}

func (s *Server) endStaffSession(w http.ResponseWriter, r *http.Request) {
	s.staffAction(w, r, func(actorID, staffID, _ string) error {
		owner, err := s.Auth.SessionOwner(r.Context(), r.PathValue("sid"))
		if err != nil || owner != staffID {
			return errs.New(errs.NotFound, "session.not_found")
		}
		return s.Auth.EndSession(r.Context(), actorID, r.PathValue("sid"))
	})
}

func (s *Server) disableStaff(w http.ResponseWriter, r *http.Request) {
	s.staffAction(w, r, func(actorID, staffID, reason string) error {
		return s.Auth.SetDisabled(r.Context(), actorID, staffID, true, reason)
	})
}

func (s *Server) enableStaff(w http.ResponseWriter, r *http.Request) {
	s.staffAction(w, r, func(actorID, staffID, reason string) error {
		return s.Auth.SetDisabled(r.Context(), actorID, staffID, false, reason)
	})
}

func (s *Server) resetFactors(w http.ResponseWriter, r *http.Request) {
	s.staffAction(w, r, func(actorID, staffID, reason string) error {
		return s.Auth.ResetFactors(r.Context(), actorID, staffID, reason)
	})
}

// newSetupLink shows a fresh one-time link for the account, once, for the
// administrator to pass on by a safe route.
func (s *Server) newSetupLink(w http.ResponseWriter, r *http.Request) {
	v, err := s.staffView(r)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	m := v.Data.(staffPage).Member
	token, err := s.Auth.ReissueSetupLink(r.Context(), staffOf(r).ID, m.ID)
	if err != nil {
		s.formError(w, r, "staffdetail", v, err)
		return
	}
	s.render(w, r, http.StatusOK, "setuplink", view{Title: "setuplink.title", Data: setupLinkPage{Member: m, Link: s.baseURL(r) + "/setup/" + token}})
}

type setupLinkPage struct {
	Member *auth.Staff
	Link   string
}

// baseURL is how people reach this server, for links shown on pages.
func (s *Server) baseURL(r *http.Request) string {
	if s.BaseURL != "" {
		return s.BaseURL
	}
	scheme := "http"
	if s.Secure {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// recordView appends a read to the audit trail before the page is sent;
// the actor is the signed-in person.
func (s *Server) recordView(r *http.Request, e audit.Event) error {
	if s.Record == nil {
		return nil
	}
	e.ActorID = staffOf(r).ID
	return s.DB.Write(r.Context(), func(tx *store.Tx) error { return s.Record(r.Context(), tx, e) })
}
