package people_test

import (
	"testing"

	"frontdoor/internal/errs"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// Placement is what a hold checks a household against: the client's
// recorded gender and, when asked, the children linked to the client,
// each with age and gender; for a reader the record is hidden from,
// nothing.
func TestPlacementFacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d)
		c, err := w.svc.Create(ctx, w.outreach, people.NewClient{GivenName: "Amina", FamilyName: "Okafor", Details: people.Details{Gender: "female"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []people.ChildDetails{{DateOfBirth: "2015-04-01", Gender: "male"}, {EstimatedAge: 6, Gender: "female"}} {
			if _, err := w.svc.CreateChild(ctx, w.outreach, c.ID, people.NewChild{GivenName: "Child", Details: k}); err != nil {
				t.Fatal(err)
			}
		}
		read := func(withChildren bool) (people.Placement, error) {
			var p people.Placement
			err := w.db.Read(ctx, func(tx *store.Tx) error {
				var err error
				p, err = w.svc.Placement(ctx, tx, w.outreach, c.ID, withChildren)
				return err
			})
			return p, err
		}
		p, err := read(true)
		if err != nil || p.Gender != "female" || len(p.Children) != 2 || p.Children[0].DateOfBirth != "2015-04-01" || p.Children[0].Gender != "male" ||
			p.Children[1].EstimatedAge != 6 || p.Children[1].Gender != "female" {
			t.Fatalf("placement %+v %v", p, err)
		}
		if p, err := read(false); err != nil || p.Gender != "female" || p.Children != nil {
			t.Fatalf("placement without children %+v %v", p, err)
		}
		if err := w.svc.Restrict(ctx, w.manager, c.ID, []string{w.manager.StaffID}); err != nil {
			t.Fatal(err)
		}
		if _, err := read(true); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("a record restricted to others: %v", err)
		}
	})
}
