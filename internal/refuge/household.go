package refuge

import (
	"context"
	"errors"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/errs"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
)

// ClientHousehold loads what a client's record says about their household
// (their recorded gender, and with children the children linked to them
// that the actor may read) inside the caller's transaction:
// people.Service.Placement.
type ClientHousehold func(ctx context.Context, tx *store.Tx, actor access.Actor, clientID string, children bool) (people.Placement, error)

var errNoHousehold = errors.New("refuge: Service.ClientHousehold is not set")

// recordedService is the service a recorded gender points to: women's for
// a woman, men's for a man, "" for anything else (not recorded, or words
// the service must not guess at: the worker then chooses).
func recordedService(gender string) Gender {
	switch strings.ToLower(strings.TrimSpace(gender)) {
	case "female", "woman", "f":
		return Women
	case "male", "man", "m":
		return Men
	}
	return ""
}

// recordedChild is a child on the client's record as the check needs it.
type recordedChild struct {
	age int
	// how the age is known: from a date of birth (exact), estimated
	// (within a year), or not at all (any age matches).
	exact, estimated bool
	boy              int // 1 boy, 0 girl, -1 not recorded
}

// childOnRecord reads a recorded child at now; false for one 18 or over,
// who is no child in refuge.
func childOnRecord(c people.ChildSummary, now time.Time) (recordedChild, bool) {
	rc := recordedChild{boy: -1}
	if dob, err := time.Parse(time.DateOnly, c.DateOfBirth); err == nil {
		rc.age, rc.exact = yearsOld(dob, now), true
	} else if c.EstimatedAge > 0 {
		rc.age, rc.estimated = c.EstimatedAge, true
	}
	switch strings.ToLower(strings.TrimSpace(c.Gender)) {
	case "male", "boy", "m":
		rc.boy = 1
	case "female", "girl", "f":
		rc.boy = 0
	}
	return rc, rc.age >= 0 && rc.age <= 17
}

// yearsOld is a person's age in whole years at now.
func yearsOld(dob, now time.Time) int {
	y := now.Year() - dob.Year()
	if now.Month() < dob.Month() || (now.Month() == dob.Month() && now.Day() < dob.Day()) {
		y--
	}
	return y
}

// matches says whether a declared child can be this recorded one: the
// same age (an estimated one within a year), the same sex unless the
// record does not say.
func (rc recordedChild) matches(c Child) bool {
	switch {
	case rc.exact && c.Age != rc.age, rc.estimated && (c.Age < rc.age-1 || c.Age > rc.age+1):
		return false
	}
	return rc.boy < 0 || (rc.boy == 1) == c.Boy
}

// matchChildren reports whether every declared child can be paired with
// a different recorded child (a bipartite matching by augmenting paths;
// households are small).
func matchChildren(declared []Child, recorded []recordedChild) bool {
	owner := make([]int, len(recorded)) // recorded child -> declared child + 1
	var try func(d int, seen []bool) bool
	try = func(d int, seen []bool) bool {
		for r := range recorded {
			if seen[r] || !recorded[r].matches(declared[d]) {
				continue
			}
			seen[r] = true
			if owner[r] == 0 || try(owner[r]-1, seen) {
				owner[r] = d + 1
				return true
			}
		}
		return false
	}
	for d := range declared {
		if !try(d, make([]bool, len(recorded))) {
			return false
		}
	}
	return true
}

// fromRecord checks a declared household against the client's record
// where the record can say, and fills in what it knows:
//
//   - The service: a client recorded as a woman is for the women's
//     service, a man for the men's; a declared service that contradicts
//     the record is refused (and the household answered has the
//     record's), an empty one is taken from it. For a hold
//     the service must then be known (declared, or from the record): a
//     hold is for one service, never "any".
//   - The children (holds only): each declared child must be a child on
//     the record (under 18 now), of the same age and sex, each matched to
//     a different one. A household may come without some of its recorded
//     children (one who stays with family), never with more, or older,
//     younger or other children than the record knows: a worker who needs
//     a bigger unit records the children first.
//
// Other adults cannot be checked (the record links no adults to the
// client): the declared number stands and is kept on the referral.
func (s *Service) fromRecord(ctx context.Context, tx *store.Tx, actor access.Actor, h Household, hold bool) (Household, error) {
	if s.ClientHousehold == nil {
		return h, errNoHousehold
	}
	rec, err := s.ClientHousehold(ctx, tx, actor, h.ClientID, hold && len(h.Children) > 0)
	if errs.CodeOf(err) == errs.NotFound || errors.Is(err, store.ErrNotFound) {
		return h, errNotFound
	}
	if err != nil {
		return h, err
	}
	var fe FieldErrors
	switch svc := recordedService(rec.Gender); {
	case svc != "" && h.Service == "":
		h.Service = svc
	case svc != "" && h.Service != svc:
		h.Service = svc
		fe.Add("service", "refuge.service_not_on_record")
	case hold && h.Service == "":
		fe.Add("service", "refuge.service_required")
	}
	if hold && len(h.Children) > 0 {
		now := s.now()
		var recorded []recordedChild
		for _, c := range rec.Children {
			if rc, ok := childOnRecord(c, now); ok {
				recorded = append(recorded, rc)
			}
		}
		switch {
		case len(h.Children) > len(recorded):
			fe.Add("children", "refuge.children_not_on_record", len(recorded))
		case !matchChildren(h.Children, recorded):
			fe.Add("children", "refuge.children_differ_from_record")
		}
	}
	return h, fe.Err()
}
