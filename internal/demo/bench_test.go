package demo

import (
	"testing"
)

// BenchmarkHouseholds streams the 1 M-people world (Scale 1000) with a
// callback that only counts, and reports people and events per second.
func BenchmarkHouseholds(b *testing.B) {
	cfg := Config{Seed: 1, Scale: ScaleForPeople(1_000_000)}
	p := NewPartnership(cfg)
	b.ReportAllocs()
	b.ResetTimer()
	var people, events int
	for b.Loop() {
		err := p.Households(cfg, func(h *Household) error {
			people += h.People()
			events += len(h.Events)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(people)/sec, "people/s")
	b.ReportMetric(float64(events)/sec, "events/s")
	b.ReportMetric(float64(people)/float64(b.N), "people/op")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}
