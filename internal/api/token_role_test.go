package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/api"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

func setRole(t *testing.T, h *harness, staffID string, role access.Role) {
	t.Helper()
	if err := h.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE staff SET role = $1 WHERE id = $2`, string(role), staffID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// scopeRefusals counts the API's recorded refusals of routes a token may
// not use.
func scopeRefusals(t *testing.T, h *harness) int {
	t.Helper()
	return h.count(t, `SELECT count(*) FROM audit_events WHERE action = 'access.refused' AND purpose LIKE 'api.scope:%'`)
}

// refusedForRole is a 403 whose reason names the role and the scope.
func refusedForRole(t *testing.T, r response, what string, role access.Role, scope string) {
	t.Helper()
	var eb errorBody
	r.decode(t, &eb)
	if r.status != http.StatusForbidden || len(eb.Errors) != 1 || eb.Errors[0].Code != "forbidden" ||
		!strings.Contains(eb.Errors[0].Reason, string(role)) || !strings.Contains(eb.Errors[0].Reason, scope) {
		t.Fatalf("%s: %d %s", what, r.status, r.body)
	}
}

// A staff token whose member of staff now holds a role that can never use
// its scope is refused on every route of it, with the reason, even on
// routes that ask the policy nothing for a person's own work (the vacancy
// board, their diary, a check-in); put back in a role that can, it works.
func TestStaffTokenOfRoleThatCanNoLongerUseScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newAccommodation(t, d)
		if r := h.do(t, "GET", "/api/v1/vacancies", h.workerATok, "", ""); r.status != http.StatusOK || !strings.Contains(r.body, h.rowan) {
			t.Fatalf("the refuge worker's board: %d %s", r.status, r.body)
		}
		setRole(t, h.harness, h.workerA.StaffID, access.RoleCommissioner)
		refusedForRole(t, h.do(t, "GET", "/api/v1/vacancies", h.workerATok, "", ""), "the board as a commissioner", access.RoleCommissioner, api.ScopeAccommodation)
		refusedForRole(t, h.do(t, "POST", "/api/v1/vacancies/search", h.workerATok, "", `{"household": {"adults": 1}}`), "search as a commissioner", access.RoleCommissioner, api.ScopeAccommodation)
		if n := scopeRefusals(t, h.harness); n != 2 {
			t.Fatalf("%d refusals of a commissioner's staff token in the audit trail, want 2", n)
		}
		setRole(t, h.harness, h.workerA.StaffID, access.RoleRefugeWorker)
		if r := h.do(t, "GET", "/api/v1/vacancies", h.workerATok, "", ""); r.status != http.StatusOK || !strings.Contains(r.body, h.rowan) {
			t.Fatalf("the board as a refuge worker again: %d %s", r.status, r.body)
		}

		w := newOutreachWorld(t, d)
		start := time.Now().UTC().Add(-time.Hour).Truncate(time.Hour)
		r := w.do(t, "POST", "/api/v1/clients/"+w.client+"/sessions", w.workerTok, "", `{"kind": "home_visit", "start": "`+start.Format(time.RFC3339)+`", "duration_minutes": 60, "weeks": 1, "reminder": "none"}`)
		var booked api.SessionsBooked
		if r.decode(t, &booked); r.status != http.StatusCreated || len(booked.IDs) != 1 {
			t.Fatalf("book: %d %s", r.status, r.body)
		}
		week := "/api/v1/sessions?from=" + start.Format("2006-01-02")
		if r := w.do(t, "GET", week, w.workerTok, "", ""); r.status != http.StatusOK || !strings.Contains(r.body, booked.IDs[0]) {
			t.Fatalf("the worker's week: %d %s", r.status, r.body)
		}
		setRole(t, w.harness, w.worker.StaffID, access.RoleVolunteer)
		refusedForRole(t, w.do(t, "GET", week, w.workerTok, "", ""), "the week as a volunteer", access.RoleVolunteer, api.ScopeOutreach)
		refusedForRole(t, w.do(t, "POST", "/api/v1/sessions/"+booked.IDs[0]+"/checkin", w.workerTok, "", ""), "a check-in as a volunteer", access.RoleVolunteer, api.ScopeOutreach)
		refusedForRole(t, w.do(t, "GET", "/api/v1/clients/"+w.client+"/plan", w.workerTok, "", ""), "the plan as a volunteer", access.RoleVolunteer, api.ScopeOutreach)
	})
}

// A commissioning body's partner token (made before creation refused
// them) is refused at use with the reason, and sends in nothing.
func TestCommissionerPartnerTokenIsRefusedAtUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newHarness(t, d)
		const board = "0190f2a0-0000-7000-8000-0000000000b9"
		if err := h.db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Joint Commissioning Board', 'commissioner', $2)`, board, time.Now().UTC()); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE api_tokens SET organisation_id = $1 WHERE id = $2`, board, h.bothID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		r := h.do(t, "POST", "/api/v1/referrals", h.both, "commissioner-1", validBody)
		refusedForRole(t, r, "a commissioner's referral", "commissioner", api.ScopeCreate)
		if n := scopeRefusals(t, h); n != 1 {
			t.Fatalf("%d refusals of a commissioning body's token in the audit trail, want 1", n)
		}
		if n := h.count(t, `SELECT count(*) FROM intake_referrals`); n != 0 {
			t.Fatalf("%d referrals from a commissioning body", n)
		}
		if r := h.do(t, "POST", "/api/v1/referrals", h.create, "police-1", validBody); r.status != http.StatusCreated {
			t.Fatalf("the police's referral: %d %s", r.status, r.body)
		}
	})
}
