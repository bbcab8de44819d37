package people

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// LinkedClient is a client as another record (a child's, a perpetrator's)
// shows it: the name only, and only when the reader may read the client.
// It has no field for contact details, address or safe contact, so no
// page built on it can show them.
type LinkedClient struct {
	ID           string
	GivenName    string
	FamilyName   string
	Relationship string // a perpetrator's relationship to the client; "" for a child's
}

// Household is who is around a client, as the client's page lists them:
// the children and the perpetrators the reader may read.
type Household struct {
	Children     []ChildSummary
	Perpetrators []PerpetratorSummary
}

// Household lists a client's children and perpetrators that the actor may
// read. The actor must be allowed to read the client; the listing is
// recorded in the audit trail against the client.
func (s *Service) Household(ctx context.Context, actor access.Actor, clientID string) (*Household, error) {
	h := &Household{}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := s.decided(ctx, tx, actor, clientID, access.ReadRecord); err != nil {
			return err
		}
		var err error
		if h.Children, err = s.childrenOf(ctx, tx, actor, clientID); err != nil {
			return err
		}
		if h.Perpetrators, err = s.perpetratorsOf(ctx, tx, actor, clientID); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "record.read_household", RecordKind: RecordKind, RecordID: clientID})
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// ids runs a query of one text column.
func ids(ctx context.Context, tx *store.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// union appends to list the members of more it lacks.
func union(list []string, more ...string) []string {
	for _, v := range more {
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// intersect keeps the members of a that are in b; never nil, since an
// empty restriction list still means restricted (to nobody).
func intersect(a, b []string) []string {
	out := []string{}
	for _, v := range a {
		if slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}

// openName opens a record's two sealed names.
func (s *Service) openNames(table, recordID, given, family string) (string, string, error) {
	g, err := s.Vault.OpenString(given, table, recordID, "given_name")
	if err != nil {
		return "", "", err
	}
	f, err := s.Vault.OpenString(family, table, recordID, "family_name")
	return g, f, err
}

// linkedClientName gives a linked client's names when the actor may read
// the client; ok is false otherwise, and hidden says the client must not
// even be counted (restricted to others).
func (s *Service) linkedClientName(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string) (lc LinkedClient, ok, hidden bool, err error) {
	rec, c, sealed, err := s.facts(ctx, tx, actor, clientID)
	if err != nil {
		return lc, false, false, err
	}
	d := access.Decide(actor, access.ReadRecord, rec)
	if !d.Allow {
		return lc, false, d.Hidden, nil
	}
	lc.ID = c.ID
	if lc.GivenName, lc.FamilyName, err = s.openNames("clients", c.ID, sealed[0], sealed[1]); err != nil {
		return lc, false, false, err
	}
	return lc, true, false, nil
}

// nameCheck validates a name that may be left empty.
func optionalName(field, v string) error {
	if v == "" {
		return nil
	}
	return validateName(field, v)
}

// checkDOB validates a date of birth (normalising it to YYYY-MM-DD) or an
// estimated age, not both, within maxAge years before now (rangeKey is the
// message for a date outside that range).
func checkDOB(dob *string, age int, now time.Time, maxAge int, rangeKey string) []error {
	var list []error
	if *dob != "" {
		v, err := vault.NormaliseDate(*dob)
		if err != nil {
			list = append(list, errs.Field("date_of_birth", "date.invalid"))
		} else if t, _ := time.Parse("2006-01-02", v); t.After(now) || t.Before(now.AddDate(-maxAge, 0, 0)) {
			list = append(list, errs.Field("date_of_birth", rangeKey))
		} else {
			*dob = v
		}
		if age > 0 {
			list = append(list, errs.Field("estimated_age", "client.age_or_dob"))
		}
	}
	if age < 0 || age > maxAge {
		list = append(list, errs.Field("estimated_age", "field.number_range", 0, maxAge))
	}
	return list
}

// checkAliases validates a list of other names.
func checkAliases(aliases []string) []error {
	var list []error
	for _, a := range aliases {
		list = append(list, cleanText("aliases", a, 200, false))
	}
	if len(aliases) > 20 {
		list = append(list, errs.Field("aliases", "field.too_many", 20))
	}
	return list
}

// trimAliases trims each alias and drops the empty ones.
func trimAliases(in []string) []string {
	var out []string
	for _, a := range in {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// checkPhone validates a phone number that may be left empty.
func checkPhone(field, v string) error {
	if err := cleanText(field, v, 40, false); err != nil {
		return err
	}
	if v != "" && len(vault.NormalisePhone(v)) < 7 {
		return errs.Field(field, "phone.invalid")
	}
	return nil
}

// atLeastOneName is the error when neither name is given.
func atLeastOneName(given, family string) error {
	if utf8.RuneCountInString(given)+utf8.RuneCountInString(family) == 0 {
		return errs.Field("given_name", "perpetrator.name_required")
	}
	return nil
}

// throughLinkedClients completes the policy facts of a record that takes
// its access from the clients it is linked to (a child, a perpetrator):
// the union of their teams (live cases' teams included) and assigned
// workers, the actor's own grants on the record, and a break-glass grant
// on any linked client (read only, as the policy makes it). When any
// linked client is restricted to named staff, so is the record, to the
// staff named on every restricted client: otherwise someone not named
// could read it and infer the hidden client behind it.
func (s *Service) throughLinkedClients(ctx context.Context, tx *store.Tx, actor access.Actor, rec *access.Record, clientIDs []string) error {
	gone, err := s.throughLinkedClientsMany(ctx, tx, actor, []linkedRecord{{rec, clientIDs}})
	if err != nil {
		return err
	}
	if gone[rec] {
		return errNotFound // a link to a client that has gone: as Facts said
	}
	return nil
}

// throughLinks completes the facts of the records in out (children or
// perpetrators, by ID) through their linked clients, which linksQuery
// lists (see linksOf), and drops those linked to a client that has gone.
func throughLinks[F any](ctx context.Context, s *Service, tx *store.Tx, actor access.Actor, out map[string]F, rec func(F) *access.Record, linksQuery string) error {
	links, err := linksOf(ctx, tx, linksQuery, slices.Sorted(maps.Keys(out)))
	if err != nil {
		return err
	}
	recs := make([]linkedRecord, 0, len(out))
	for id, f := range out {
		recs = append(recs, linkedRecord{rec(f), links[id]})
	}
	gone, err := s.throughLinkedClientsMany(ctx, tx, actor, recs)
	if err != nil {
		return err
	}
	for id, f := range out {
		if gone[rec(f)] {
			delete(out, id)
		}
	}
	return nil
}

// linksOf runs query (a link table's record and client columns, IN %s
// for the records, ordered by record) over ids, and lists each record's
// linked clients in order.
func linksOf(ctx context.Context, tx *store.Tx, query string, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	for chunk := range slices.Chunk(ids, 500) {
		in, args := store.InList(1, chunk)
		rows, err := tx.Query(ctx, fmt.Sprintf(query, in), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, client string
			if err := rows.Scan(&id, &client); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = append(out[id], client)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// linkedRecord is a child's or a perpetrator's record and the clients it
// is linked to.
type linkedRecord struct {
	rec     *access.Record
	clients []string
}

// throughLinkedClientsMany is throughLinkedClients for several records (a
// search's or a household's) in the same few queries for all of them. A
// record linked to a client that has gone is in gone, its facts
// incomplete: as with one record, it is not found.
func (s *Service) throughLinkedClientsMany(ctx context.Context, tx *store.Tx, actor access.Actor, recs []linkedRecord) (map[*access.Record]bool, error) {
	var all []string
	for _, lr := range recs {
		all = append(all, lr.clients...)
	}
	linked, err := s.factsMany(ctx, tx, actor, all)
	if err != nil {
		return nil, err
	}
	type through struct {
		restricted []string
		breakGlass bool
	}
	got := make([]through, len(recs))
	gone := map[*access.Record]bool{}
	live := make([]*access.Record, 0, len(recs))
	for i, lr := range recs {
		rec := lr.rec
		for _, cid := range lr.clients {
			f, ok := linked[cid]
			if !ok {
				gone[rec] = true
				break
			}
			cr := f.rec
			rec.TeamIDs = union(rec.TeamIDs, cr.TeamIDs...)
			rec.PartnerTeamIDs = union(rec.PartnerTeamIDs, cr.PartnerTeamIDs...)
			rec.AssignedStaff = union(rec.AssignedStaff, cr.AssignedStaff...)
			if cr.RestrictedTo != nil {
				if got[i].restricted == nil {
					got[i].restricted = slices.Clone(cr.RestrictedTo)
				} else {
					got[i].restricted = intersect(got[i].restricted, cr.RestrictedTo)
				}
			}
			got[i].breakGlass = got[i].breakGlass || cr.BreakGlassGrant
		}
		if !gone[rec] {
			live = append(live, rec)
		}
	}
	if err := s.Grants.FactsMany(ctx, tx, actor, live); err != nil {
		return nil, err
	}
	for i, lr := range recs {
		rec := lr.rec
		if gone[rec] {
			continue
		}
		if restricted := got[i].restricted; restricted != nil {
			if rec.RestrictedTo != nil {
				restricted = intersect(restricted, rec.RestrictedTo)
			}
			rec.RestrictedTo = restricted
		}
		rec.BreakGlassGrant = rec.BreakGlassGrant || got[i].breakGlass
	}
	return gone, nil
}
