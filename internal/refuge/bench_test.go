package refuge_test

import (
	"testing"

	"frontdoor/internal/demo"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store/storetest"
)

// BenchmarkSearch: a vacancy search over the national-scale estate of the
// demo generator (its partnership at the 1 M-people Scale: about 400
// properties and 5,000 bedspaces, every criterion varied), for households
// of varied shapes, by a front door worker. Bar: p95 < 10 ms (issue 7),
// measured over HTTP by the bench/ harness; this is the service alone.
func BenchmarkSearch(b *testing.B) {
	props := demo.PropertiesFor(demo.NewPartnership(demo.Config{Seed: 1, Scale: demo.ScaleForPeople(1_000_000)}))
	beds := 0
	for i := range props {
		props[i].TeamID = "refuge-a" // the world's refuge team
		for _, u := range props[i].Units {
			beds += u.Bedspaces
		}
	}
	households := []refuge.Household{
		{Adults: 1, Service: refuge.Women},
		{Adults: 1, Children: []refuge.Child{{Age: 14, Boy: true}, {Age: 6}}, Service: refuge.Women},
		{Adults: 1, Children: []refuge.Child{{Age: 3}, {Age: 5, Boy: true}, {Age: 9}}, Service: refuge.Women, Wheelchair: true},
		{Adults: 1, Service: refuge.Men},
	}
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			w := newWorld(b, d)
			if err := w.svc.ImportProperties(ctx, props); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			i := 0
			for b.Loop() {
				if _, err := w.svc.Search(ctx, w.frontdoor, households[i%len(households)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(len(props)), "properties")
			b.ReportMetric(float64(beds), "bedspaces")
		})
	}
}
