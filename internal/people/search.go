package people

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/matching"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// Summary is one person record in a list (search results, a caseload):
// the names and the team, nothing else.
type Summary struct {
	Kind       string // RecordKind, ChildRecordKind or PerpetratorRecordKind
	ID         string
	GivenName  string
	FamilyName string
	TeamID     string // the holding team of a client or perpetrator; "" for a child
	// Score is how close a search result is (1 for an exact name), with
	// the matching index's reasons (i18n keys); zero for a caseload.
	Score   float64
	Reasons []string
}

// MaxSearchResults bounds one search.
const MaxSearchResults = 50

// Search finds person records by name in the actor's organisation: exact
// names through the blind indexes, likely ones (nicknames, other
// spellings, aliases) through the matching index when there is one. It
// returns only records the policy lets the actor read; a record restricted
// to others never appears, not even in a count. The search is recorded as
// one audit event, without the query.
func (s *Service) Search(ctx context.Context, actor access.Actor, query string, limit int) ([]Summary, error) {
	return s.search(ctx, actor, query, limit, []matching.Kind{matching.Client, matching.Perpetrator, matching.Child})
}

// SearchPerpetrators is Search among perpetrator records only, for
// linking an existing perpetrator to another client.
func (s *Service) SearchPerpetrators(ctx context.Context, actor access.Actor, query string, limit int) ([]Summary, error) {
	return s.search(ctx, actor, query, limit, []matching.Kind{matching.Perpetrator})
}

// probeOf splits a typed name into given names and a family name.
func probeOf(query string) (given, family string) {
	words := strings.Fields(query)
	switch len(words) {
	case 0:
		return "", ""
	case 1:
		return "", words[0]
	}
	return strings.Join(words[:len(words)-1], " "), words[len(words)-1]
}

type hit struct {
	kind    matching.Kind
	id      string
	score   float64
	reasons []string
}

func (s *Service) search(ctx context.Context, actor access.Actor, query string, limit int, kinds []matching.Kind) ([]Summary, error) {
	if !access.Decide(actor, access.SearchRecords, access.Record{}).Allow {
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	query = strings.TrimSpace(query)
	if err := cleanText("q", query, 200, false); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(query) == 0 {
		return nil, errs.Field("q", "field.required")
	}
	if limit <= 0 || limit > MaxSearchResults {
		limit = MaxSearchResults
	}
	var out []Summary
	err := audit.Read(ctx, s.DB, s.Record, s.ReadLog, func(tx *store.Tx) ([]audit.Event, error) {
		out = nil
		var hits []hit
		seen := map[string]bool{}
		add := func(h hit) {
			if !seen[h.id] {
				seen[h.id] = true
				hits = append(hits, h)
			}
		}
		name := vault.NormaliseName(query)
		for _, k := range kinds {
			table := map[matching.Kind]string{matching.Client: "clients", matching.Child: "children", matching.Perpetrator: "perpetrators"}[k]
			list, err := ids(ctx, tx, `SELECT id FROM `+table+` WHERE organisation_id = $1 AND name_index = $2 ORDER BY created_at DESC LIMIT $3`,
				actor.OrganisationID, s.Vault.BlindIndex(string(k)+".name", name), limit)
			if err != nil {
				return nil, err
			}
			for _, id := range list {
				add(hit{kind: k, id: id, score: 1})
			}
		}
		if s.Matches != nil {
			given, family := probeOf(query)
			var matchKinds []matching.Kind
			for _, k := range kinds {
				if k != matching.Child {
					matchKinds = append(matchKinds, k)
				}
			}
			if len(matchKinds) > 0 {
				cands, err := s.Matches.Find(ctx, tx, actor.OrganisationID, matching.Probe{Given: given, Family: family, Kinds: matchKinds}, limit*3)
				if err != nil {
					return nil, err
				}
				for _, c := range cands {
					add(hit{kind: c.Kind, id: c.ID, score: c.Score, reasons: c.Reasons})
				}
			}
		}
		// The access facts in a few queries for as many as can still be
		// shown, not a few queries for each; more only if some of those
		// may not be read.
		pre := newPrefetched()
		fetched := 0 // hits[:fetched] have their facts in pre
		for i, h := range hits {
			if len(out) >= limit {
				break
			}
			if i >= fetched {
				end := min(len(hits), i+limit-len(out))
				if err := s.prefetch(ctx, tx, actor, hits[i:end], pre); err != nil {
					return nil, err
				}
				fetched = end
			}
			sum, ok, err := s.summaryWith(h.kind, h.id, actor, pre)
			if err != nil {
				return nil, err
			}
			if ok {
				sum.Score, sum.Reasons = h.score, h.reasons
				out = append(out, sum)
			}
		}
		events := []audit.Event{{ActorID: actor.StaffID, Action: "record.search", Purpose: "results " + strconv.Itoa(len(out))}}
		// Each record whose name was shown is in its own access history:
		// seeing a name in a list is seeing that the person is known here.
		for _, r := range out {
			events = append(events, audit.Event{ActorID: actor.StaffID, Action: "record.search_result", RecordKind: r.Kind, RecordID: r.ID})
		}
		return events, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// prefetched holds a list's access facts, read beforehand in a few
// queries for all of them (prefetch).
type prefetched struct {
	clients  map[string]*clientFacts
	children map[string]*childFactsRow
	perps    map[string]*perpFactsRow
}

func newPrefetched() prefetched {
	return prefetched{clients: map[string]*clientFacts{}, children: map[string]*childFactsRow{}, perps: map[string]*perpFactsRow{}}
}

// prefetch reads the facts of hits into pre, by kind.
func (s *Service) prefetch(ctx context.Context, tx *store.Tx, actor access.Actor, hits []hit, pre prefetched) error {
	byKind := map[matching.Kind][]string{}
	for _, h := range hits {
		byKind[h.kind] = append(byKind[h.kind], h.id)
	}
	if ids := byKind[matching.Client]; len(ids) > 0 {
		got, err := s.factsMany(ctx, tx, actor, ids)
		if err != nil {
			return err
		}
		maps.Copy(pre.clients, got)
	}
	if ids := byKind[matching.Child]; len(ids) > 0 {
		got, err := s.childFactsMany(ctx, tx, actor, ids)
		if err != nil {
			return err
		}
		maps.Copy(pre.children, got)
	}
	if ids := byKind[matching.Perpetrator]; len(ids) > 0 {
		got, err := s.perpetratorFactsMany(ctx, tx, actor, ids)
		if err != nil {
			return err
		}
		maps.Copy(pre.perps, got)
	}
	return nil
}

// summaryWith opens a record's names when the actor may read it; ok is
// false otherwise (and for a record that has gone). The facts come from
// pre, read beforehand for all of a list's records (prefetch); a record
// missing from it has gone.
func (s *Service) summaryWith(kind matching.Kind, recordID string, actor access.Actor, pre prefetched) (Summary, bool, error) {
	sum := Summary{Kind: string(kind), ID: recordID}
	var rec access.Record
	var sealed [3]string
	var table string
	switch kind {
	case matching.Client:
		f, ok := pre.clients[recordID]
		if !ok {
			return sum, false, nil
		}
		rec, sealed, sum.TeamID = f.rec, f.sealed, f.client.TeamID
		table = "clients"
	case matching.Child:
		f, ok := pre.children[recordID]
		if !ok {
			return sum, false, nil
		}
		rec, sealed = f.rec, f.sealed
		table = "children"
	case matching.Perpetrator:
		f, ok := pre.perps[recordID]
		if !ok {
			return sum, false, nil
		}
		rec, sealed, sum.TeamID = f.rec, f.sealed, f.p.TeamID
		table = "perpetrators"
	default:
		return sum, false, nil
	}
	var err error
	if !access.Decide(actor, access.ReadRecord, rec).Allow {
		return sum, false, nil
	}
	if sum.GivenName, sum.FamilyName, err = s.openNames(table, recordID, sealed[0], sealed[1]); err != nil {
		return sum, false, err
	}
	return sum, true, nil
}

// MyClients is the actor's caseload: the clients they are assigned to and
// may read, by family name. The listing is one audit event.
func (s *Service) MyClients(ctx context.Context, actor access.Actor) ([]Summary, error) {
	var out []Summary
	err := audit.Read(ctx, s.DB, s.Record, s.ReadLog, func(tx *store.Tx) ([]audit.Event, error) {
		out = nil
		list, err := ids(ctx, tx, `SELECT w.client_id FROM client_workers w JOIN clients c ON c.id = w.client_id
			WHERE w.staff_id = $1 ORDER BY c.created_at, c.id`, actor.StaffID)
		if err != nil {
			return nil, err
		}
		pre := newPrefetched()
		if pre.clients, err = s.factsMany(ctx, tx, actor, list); err != nil {
			return nil, err
		}
		for _, cid := range list {
			sum, ok, err := s.summaryWith(matching.Client, cid, actor, pre)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, sum)
			}
		}
		return []audit.Event{{ActorID: actor.StaffID, Action: "record.caseload", Purpose: "clients " + strconv.Itoa(len(out))}}, nil
	})
	if err != nil {
		return nil, err
	}
	sortSummaries(out)
	return out, nil
}

func sortSummaries(list []Summary) {
	key := func(s Summary) string {
		return vault.NormaliseName(s.FamilyName) + "\x00" + vault.NormaliseName(s.GivenName) + "\x00" + s.ID
	}
	slices.SortFunc(list, func(a, b Summary) int { return strings.Compare(key(a), key(b)) })
}
