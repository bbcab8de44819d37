package risk_test

import (
	"testing"

	"frontdoor/internal/risk"
	"frontdoor/internal/store/storetest"
)

// BenchmarkLevel: scoring alone, a count of "yes" answers to a level.
func BenchmarkLevel(b *testing.B) {
	q := risk.DefaultSet()
	i := 0
	for b.Loop() {
		_ = q.Level(i % 25)
		i++
	}
}

// BenchmarkAssess: a completed checklist scored and recorded, as a
// worker's "complete a risk assessment" does: access decision, the
// question set, validation, the escalation window, the assessment, its 24
// answers, the client's current level and the audit event, in one
// serialisable transaction. A medium result, so no MARAC referral or IDVA
// task is made. One client collects every assessment, so the escalation
// window query grows as a long-known client's would.
func BenchmarkAssess(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			w := newWorld(b, d)
			c := w.client(b, "Amina")
			ans := answers(11, 3)
			b.ResetTimer()
			for b.Loop() {
				if _, err := w.svc.Assess(ctx, w.outreach, risk.NewAssessment{ClientID: c, Answers: ans, PoliceCallouts: 0}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
