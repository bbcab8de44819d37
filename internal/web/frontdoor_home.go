package web

import (
	"context"
	"net/http"
	"slices"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/intake"
	"frontdoor/internal/matching"
	"frontdoor/internal/review"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
)

// homePage is the home page: the caseworker's and manager's day (their
// caseload with risk levels, reviews due, callbacks due, unread
// counter-allegation alerts), or the partnership's structure for the
// administrators and the data protection lead.
type homePage struct {
	Overview  *overview
	Dashboard *dashboard
	// Attention is the data protection lead's: break-glass on the
	// organisation's records, and accounts refused often today.
	Attention *review.Attention
}

// dashboard is a caseworker's or manager's day.
type dashboard struct {
	Caseload      []caseloadRow
	Reviews       []risk.Due
	Callbacks     []intake.Callback // overdue or due within a day
	MoreCallbacks int               // open callbacks due later
	Alerts        []matching.Alert  // unread
	Tasks         []risk.Task       // open tasks: IDVA allocations and the like, soonest due first
}

type caseloadRow struct {
	ID, Name string
	Level    risk.Level // "" before any assessment
	Assessed time.Time
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	actor := actorOf(sessionOf(r))
	switch actor.Role {
	case access.RolePartnerAgencyUser, access.RoleCommissioner, access.RoleVolunteer:
		// An agency's referrals, a volunteer's clients (partners.go).
		if s.roleHome(w, r, actor) {
			return
		}
		// The partnership's structure is for the people who work in it.
		s.render(w, r, http.StatusOK, "home", view{Title: "home.title", Data: homePage{}})
		return
	}
	if access.Decide(actor, access.CreateRecord, access.Record{}).Allow && s.Intake != nil {
		d, err := s.dashboard(r, actor)
		if err != nil {
			s.formError(w, r, "error", view{}, err)
			return
		}
		s.render(w, r, http.StatusOK, "home", view{Title: "home.title", Data: homePage{Dashboard: d}})
		return
	}
	ov, err := s.overview(r.Context())
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	att, err := s.attention(r, actor)
	if err != nil {
		s.formError(w, r, "error", view{}, err)
		return
	}
	s.render(w, r, http.StatusOK, "home", view{Title: "home.title", Data: homePage{Overview: ov, Attention: att}})
}

func (s *Server) dashboard(r *http.Request, actor access.Actor) (*dashboard, error) {
	ctx := r.Context()
	d := &dashboard{}
	if s.People != nil {
		mine, err := s.People.MyClients(ctx, actor)
		if err != nil {
			return nil, err
		}
		for _, c := range mine {
			row := caseloadRow{ID: c.ID, Name: c.GivenName + " " + c.FamilyName}
			if s.Risk != nil {
				points, err := s.Risk.History(ctx, actor, c.ID)
				if code := errs.CodeOf(err); code == errs.NotFound || code == errs.Forbidden {
					continue
				} else if err != nil {
					return nil, err
				}
				if len(points) > 0 {
					last := points[len(points)-1]
					row.Level, row.Assessed = last.Final, last.CompletedAt.In(frontDoorZone)
				}
			}
			d.Caseload = append(d.Caseload, row)
		}
	}
	if s.Risk != nil {
		due, err := s.Risk.DueReviews(ctx, actor, s.Now())
		if err != nil {
			return nil, err
		}
		for i := range due {
			due[i].ReviewDue = due[i].ReviewDue.In(frontDoorZone)
		}
		d.Reviews = due
	}
	calls, err := s.Intake.Callbacks(ctx, actor)
	if err != nil {
		return nil, err
	}
	soon := s.Now().Add(24 * time.Hour)
	for _, c := range calls {
		if c.Overdue || c.CallbackDue.Before(soon) {
			d.Callbacks = append(d.Callbacks, c)
		} else {
			d.MoreCallbacks++
		}
	}
	localTimes(d.Callbacks)
	if s.Risk != nil {
		tasks, err := s.Risk.Tasks(ctx, actor)
		if err != nil {
			return nil, err
		}
		for _, t := range tasks {
			if !t.Restricted {
				t.Due = t.Due.In(frontDoorZone)
				d.Tasks = append(d.Tasks, t)
			}
		}
		slices.SortStableFunc(d.Tasks, func(a, b risk.Task) int { return a.Due.Compare(b.Due) })
	}
	if s.Matches != nil {
		alerts, err := s.Matches.Alerts(ctx, actor)
		if err != nil {
			return nil, err
		}
		for _, a := range alerts {
			if !a.Read {
				a.RaisedAt = a.RaisedAt.In(frontDoorZone)
				d.Alerts = append(d.Alerts, a)
			}
		}
	}
	return d, nil
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
