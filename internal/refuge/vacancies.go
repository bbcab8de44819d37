package refuge

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/store"
)

// Child is a child of a household being placed.
type Child struct {
	Age int
	Boy bool
}

// Household is who needs a place, and what they need: the vacancy
// search's question and a hold's check.
type Household struct {
	ClientID     string // whose unsafe areas apply (optional for a search)
	Adults       int
	Children     []Child
	Service      Gender // women or men; "" fits any
	Wheelchair   bool
	GroundFloor  bool
	MentalHealth bool
	SubstanceUse bool
	ComplexNeeds bool
	Language     string // a language the staff must speak; "" any
	NRPF         bool
	Pets         bool
	Area         string // search only this town or area; "" anywhere
	HomeTown     string // where they come from, for out-of-area rules; "" not checked
}

// Size is the number of people in the household.
func (h Household) Size() int { return h.Adults + len(h.Children) }

const maxHousehold = 20

func (h *Household) validate(fe *FieldErrors) {
	if h.Adults < 1 || h.Adults > 4 {
		fe.Add("adults", "refuge.out_of_range", 1, 4)
	}
	if len(h.Children) > maxHousehold {
		fe.Add("children", "refuge.out_of_range", 0, maxHousehold)
	}
	for _, c := range h.Children {
		if c.Age < 0 || c.Age > 17 {
			fe.Add("children", "refuge.child_age", 0, 17)
			break
		}
	}
	if h.Service != "" && h.Service != Women && h.Service != Men {
		fe.Add("service", "refuge.choose_one")
	}
	h.Language, h.Area, h.HomeTown = strings.TrimSpace(h.Language), strings.TrimSpace(h.Area), strings.TrimSpace(h.HomeTown)
	checkText(fe, "language", h.Language, false, 60, false)
	checkText(fe, "area", h.Area, false, maxNameLen, false)
	checkText(fe, "home_town", h.HomeTown, false, maxNameLen, false)
}

// oldestBoy is the age of the oldest boy, or -1.
func (h Household) oldestBoy() int {
	age := -1
	for _, c := range h.Children {
		if c.Boy {
			age = max(age, c.Age)
		}
	}
	return age
}

// unsafe reports whether the property lies in one of the blind-indexed
// unsafe areas (its town or its area).
func (s *Service) unsafe(p *Property, areas map[string]bool) bool {
	return areas[s.areaIndex(p.Town)] || areas[s.areaIndex(p.Area)]
}

func (s *Service) areaIndex(area string) string {
	return s.Vault.BlindIndex("refuge.area", normArea(area))
}

// Vacancy is a unit free now that can take the household. It names the
// town and area, never the address.
type Vacancy struct {
	PropertyID   string
	PropertyName string
	Kind         Kind
	Town, Area   string
	Service      Gender
	UnitID       string
	UnitName     string
	Bedspaces    int
	GroundFloor  bool
	Wheelchair   bool
}

// Search lists the units free now that can take the household (fits,
// the predicate a hold is checked with), never one inside the client's
// unsafe areas. When h.ClientID is set the actor must be allowed to read
// the client, the service comes from the client's record where it says
// (fromRecord), and the search is audited on the client. Front door
// workers and other caseworkers search; nobody gets an address from it.
func (s *Service) Search(ctx context.Context, actor access.Actor, h Household) ([]Vacancy, error) {
	if err := service(actor, access.SearchRecords); err != nil {
		return nil, err
	}
	var fe FieldErrors
	h.validate(&fe)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out []Vacancy
	declared := h
	work := func(tx *store.Tx) ([]audit.Event, error) {
		out, h = nil, declared
		areas := map[string]bool{}
		if h.ClientID != "" {
			if err := s.decidedClient(ctx, tx, actor, h.ClientID, access.ReadRecord); err != nil {
				return nil, err
			}
			// The service from the client's record, as a hold takes it.
			var err error
			if h, err = s.fromRecord(ctx, tx, actor, h, false); err != nil {
				return nil, err
			}
			idx, err := queryStrings(ctx, tx, `SELECT area_index FROM refuge_unsafe_areas WHERE client_id = $1`, h.ClientID)
			if err != nil {
				return nil, err
			}
			for _, a := range idx {
				areas[a] = true
			}
		}
		now := s.now()
		props, claims, err := s.catalogue(ctx, tx, now)
		if err != nil {
			return nil, err
		}
		for _, p := range props {
			if !fitsProperty(&p.Property, h, nil) || s.unsafe(&p.Property, areas) {
				continue
			}
			for _, u := range p.Units {
				if !fitsUnit(u, h, nil) || unitClaimed(u, claims) {
					continue
				}
				out = append(out, Vacancy{PropertyID: p.ID, PropertyName: p.Name, Kind: p.Kind, Town: p.Town, Area: p.Area,
					Service: p.Accepts.Service, UnitID: u.ID, UnitName: u.Name, Bedspaces: len(u.BedspaceIDs),
					GroundFloor: u.GroundFloor, Wheelchair: u.Wheelchair})
			}
		}
		if h.ClientID != "" {
			return []audit.Event{{ActorID: actor.StaffID, Action: "refuge.search", RecordKind: ClientRecordKind, RecordID: h.ClientID}}, nil
		}
		return nil, nil
	}
	var err error
	if h.ClientID == "" {
		err = s.DB.Read(ctx, func(tx *store.Tx) error { _, err := work(tx); return err })
	} else {
		// A search for a client reads their unsafe areas: recorded.
		err = audit.Read(ctx, s.DB, s.Record, s.ReadLog, work)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func unitClaimed(u Unit, claims map[string]claimState) bool {
	for _, b := range u.BedspaceIDs {
		if _, ok := claims[b]; ok {
			return true
		}
	}
	return false
}

// UnitState is what the board says about a unit.
type UnitState string

const (
	UnitFree     UnitState = "free"
	UnitHeld     UnitState = "held"     // held, offered or accepted: a referral has it
	UnitOccupied UnitState = "occupied" // a household lives there
)

// BoardUnit is one unit on the vacancy board.
type BoardUnit struct {
	ID, Name    string
	Bedspaces   int
	State       UnitState
	HeldUntil   time.Time // held: when the hold lapses
	ReferralID  string    // held
	StayID      string    // occupied
	ExpectedOut time.Time // occupied: the expected move-out date, zero if not known
}

// Expected is bedspaces expected to come free on a date.
type Expected struct {
	Date      time.Time
	Bedspaces int
}

// BoardProperty is one property on the vacancy board.
type BoardProperty struct {
	ID, Name   string
	Kind       Kind
	Town, Area string
	Bedspaces  int
	FreeNow    int        // bedspaces in units free now
	Expected   []Expected // bedspaces expected free, by date
	Units      []BoardUnit
}

// Board is the vacancy board of the properties the actor's teams run:
// each property's free bedspaces now and expected (residents moving out
// on a date). No personal data; no addresses.
func (s *Service) Board(ctx context.Context, actor access.Actor) ([]BoardProperty, error) {
	var out []BoardProperty
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		now := s.now()
		props, claims, err := s.catalogue(ctx, tx, now)
		if err != nil {
			return err
		}
		// The clients of the board's holds and stays: a unit held or lived
		// in by a client restricted from the reader still shows its state,
		// with nothing to open.
		hidden, err := s.boardHidden(ctx, tx, actor, props, claims)
		if err != nil {
			return err
		}
		for _, p := range props {
			if !runsProperty(actor, access.UpdateRecord, p.record()) {
				continue
			}
			bp := BoardProperty{ID: p.ID, Name: p.Name, Kind: p.Kind, Town: p.Town, Area: p.Area, Bedspaces: p.Bedspaces()}
			expected := map[time.Time]int{}
			for _, u := range p.Units {
				bu := BoardUnit{ID: u.ID, Name: u.Name, Bedspaces: len(u.BedspaceIDs), State: UnitFree}
				for _, b := range u.BedspaceIDs {
					c, ok := claims[b]
					if !ok {
						continue
					}
					if c.Stay != "" {
						bu.State, bu.StayID, bu.ExpectedOut = UnitOccupied, c.Stay, c.ExpectOut
						if hidden[c.Stay] {
							bu.StayID, bu.ExpectedOut = "", time.Time{}
						}
					} else if bu.State == UnitFree {
						bu.State, bu.ReferralID, bu.HeldUntil = UnitHeld, c.Referral, c.Expires
						if hidden[c.Referral] {
							bu.ReferralID = ""
						}
					}
				}
				switch bu.State {
				case UnitFree:
					bp.FreeNow += bu.Bedspaces
				case UnitOccupied:
					if !bu.ExpectedOut.IsZero() {
						expected[bu.ExpectedOut] += bu.Bedspaces
					}
				}
				bp.Units = append(bp.Units, bu)
			}
			for d, n := range expected {
				bp.Expected = append(bp.Expected, Expected{Date: d, Bedspaces: n})
			}
			sort.Slice(bp.Expected, func(i, j int) bool { return bp.Expected[i].Date.Before(bp.Expected[j].Date) })
			out = append(out, bp)
		}
		return nil
	})
	return out, err
}

// boardHidden maps the holds and stays on the actor's properties whose
// client is restricted from them.
func (s *Service) boardHidden(ctx context.Context, tx *store.Tx, actor access.Actor, props []*propertyRow, claims map[string]claimState) (map[string]bool, error) {
	owners := map[string]string{} // referral or stay ID → client
	for _, p := range props {
		if !runsProperty(actor, access.UpdateRecord, p.record()) {
			continue
		}
		for _, u := range p.Units {
			for _, b := range u.BedspaceIDs {
				c, ok := claims[b]
				switch {
				case !ok:
				case c.Stay != "":
					owners[c.Stay] = "stay"
				case c.Referral != "":
					owners[c.Referral] = "referral"
				}
			}
		}
	}
	for id, kind := range owners {
		q := `SELECT client_id FROM refuge_referrals WHERE id = $1`
		if kind == "stay" {
			q = `SELECT client_id FROM refuge_stays WHERE id = $1`
		}
		var client string
		if err := tx.QueryRow(ctx, q, []any{id}, &client); err != nil {
			return nil, err
		}
		owners[id] = client
	}
	excluded, err := s.excluded(ctx, tx, actor, slices.Collect(maps.Values(owners)))
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for id, client := range owners {
		out[id] = excluded[client]
	}
	return out, nil
}

// SetUnsafeAreas replaces the towns and areas a client must never be
// placed in (sealed, with a keyed blind index to compare). The actor must
// be allowed to update the client.
func (s *Service) SetUnsafeAreas(ctx context.Context, actor access.Actor, clientID string, areas []string) error {
	var fe FieldErrors
	var clean []string
	seen := map[string]bool{}
	for _, a := range areas {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if !cleanText(a, false) || len(a) > maxNameLen {
			fe.Add("unsafe_areas", "refuge.text_invalid")
			break
		}
		if n := normArea(a); !seen[n] {
			seen[n] = true
			clean = append(clean, a)
		}
	}
	if len(clean) > maxAreas {
		fe.Add("unsafe_areas", "refuge.out_of_range", 0, maxAreas)
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.decidedClient(ctx, tx, actor, clientID, access.UpdateRecord); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM refuge_unsafe_areas WHERE client_id = $1`, clientID); err != nil {
			return err
		}
		for _, a := range clean {
			idx := s.areaIndex(a)
			if _, err := tx.Exec(ctx, `INSERT INTO refuge_unsafe_areas (client_id, area_index, area_sealed) VALUES ($1, $2, $3)`,
				clientID, idx, s.Vault.SealString(a, "refuge_unsafe_areas", clientID, idx)); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actor, "refuge.unsafe_areas.update", ClientRecordKind, clientID, "")
	})
}

// UnsafeAreas reads a client's unsafe areas (audited).
func (s *Service) UnsafeAreas(ctx context.Context, actor access.Actor, clientID string) ([]string, error) {
	var out []string
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.decidedClient(ctx, tx, actor, clientID, access.ReadRecord); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT area_index, area_sealed FROM refuge_unsafe_areas WHERE client_id = $1`, clientID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var idx, sealed string
			if err := rows.Scan(&idx, &sealed); err != nil {
				return err
			}
			a, err := s.Vault.OpenString(sealed, "refuge_unsafe_areas", clientID, idx)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		sort.Strings(out)
		return s.audit(ctx, tx, actor, "refuge.unsafe_areas.read", ClientRecordKind, clientID, "")
	})
	return out, err
}
