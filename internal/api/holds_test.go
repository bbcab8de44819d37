package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// The outside tester's scenario through the API, as a staff token: a
// single woman cannot hold a five-bedspace family flat (422, the reason
// on unit_id) nor a men's unit; after one hold a second for her is 409
// client_holds_space, unless a team manager of her team sets
// further_hold; and a token making holds for one client after another is
// stopped at the member of staff's limit with 429 hold_limit.
func TestHoldRefusalsThroughTheAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		h := newAccommodation(t, d)
		hold := func(tok, unit, client, extra string) response {
			return h.do(t, "POST", "/api/v1/holds", tok, "", `{"unit_id": "`+unit+`", "client_id": "`+client+`", "household": {"adults": 1}`+extra+`}`)
		}
		one := func(r response) (field, code, reason string) {
			t.Helper()
			var eb errorBody
			r.decode(t, &eb)
			if len(eb.Errors) != 1 {
				t.Fatalf("want one error: %d %s", r.status, r.body)
			}
			return eb.Errors[0].Field, eb.Errors[0].Code, eb.Errors[0].Reason
		}
		family := h.property("Family Flats", "Westgate", "20 Hidden Row, Ashby", 5).Units[0].ID
		zara := h.woman(t)

		r := hold(h.frontdoorTok, family, zara, "")
		if f, c, why := one(r); r.status != http.StatusUnprocessableEntity || f != "unit_id" || c != "invalid" ||
			!strings.Contains(why, "This unit has 5 bedspaces, more than a household of 1 needs") {
			t.Fatalf("a family flat for one adult: %d %s", r.status, r.body)
		}
		r = hold(h.frontdoorTok, family, zara, `, "further_hold": true`)
		if fields := fieldsOf(t, r); r.status != http.StatusUnprocessableEntity || strings.Join(fields, " ") != "further_hold unit_id" {
			t.Fatalf("a worker asking for a further hold: %d %s", r.status, r.body)
		}
		mens := h.mensProperty("Oak House", 1).Units[0].ID
		r = hold(h.frontdoorTok, mens, zara, "")
		if f, c, why := one(r); r.status != http.StatusUnprocessableEntity || f != "unit_id" || c != "invalid" ||
			why != "This unit is in a men's service; the household needs the women's service." {
			t.Fatalf("a men's unit for a woman: %d %s", r.status, r.body)
		}
		r = h.do(t, "POST", "/api/v1/holds", h.frontdoorTok, "", `{"unit_id": "`+mens+`", "client_id": "`+zara+`", "household": {"adults": 1, "service": "men"}}`)
		if fields := fieldsOf(t, r); r.status != http.StatusUnprocessableEntity || strings.Join(fields, " ") != "household.service unit_id" {
			t.Fatalf("a woman declared for the men's service: %d %s", r.status, r.body)
		}
		if n := h.count(t, `SELECT count(*) FROM refuge_referrals`); n != 0 {
			t.Fatalf("refused holds wrote %d referrals", n)
		}

		if r := hold(h.frontdoorTok, h.lastUnit, zara, ""); r.status != http.StatusCreated {
			t.Fatalf("a two-bedspace room for one adult: %d %s", r.status, r.body)
		}
		room := h.property("Ash Room", "Westgate", "11 Hidden Row, Ashby", 1).Units[0].ID
		r = hold(h.frontdoorTok, room, zara, "")
		if f, c, why := one(r); r.status != http.StatusConflict || f != "client_id" || c != "client_holds_space" ||
			!strings.Contains(why, "This client already holds a space at Elm Flat · Room 1 until ") {
			t.Fatalf("a second hold for the client: %d %s", r.status, r.body)
		}
		if r := hold(h.leadTok, room, zara, `, "further_hold": true`); r.status != http.StatusCreated {
			t.Fatalf("the team manager's further hold: %d %s", r.status, r.body)
		}

		// The front door worker has made one hold; four more, then the limit.
		rooms := h.property("Birch Rooms", "Westgate", "12 Hidden Row, Ashby", 1, 1, 1, 1, 1)
		for i := range refuge.DefaultHoldsPerHour - 1 {
			if r := hold(h.frontdoorTok, rooms.Units[i].ID, h.woman(t), ""); r.status != http.StatusCreated {
				t.Fatalf("hold %d: %d %s", i+2, r.status, r.body)
			}
		}
		r = hold(h.frontdoorTok, rooms.Units[4].ID, h.woman(t), "")
		_, c, why := one(r)
		wait, _ := strconv.Atoi(r.header.Get("Retry-After"))
		if r.status != http.StatusTooManyRequests || c != "hold_limit" || wait < 3500 || wait > 3661 ||
			!strings.Contains(why, "You have made 5 holds in the last hour, the most one person may make: you can hold again in ") {
			t.Fatalf("the sixth hold in an hour: %d, Retry-After %q: %s", r.status, r.header.Get("Retry-After"), r.body)
		}
		// The limit is the member of staff's, not the token's: another
		// member of staff holds the room.
		if r := hold(h.leadTok, rooms.Units[4].ID, h.woman(t), ""); r.status != http.StatusCreated {
			t.Fatalf("another member of staff: %d %s", r.status, r.body)
		}
	})
}
