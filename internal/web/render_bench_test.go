package web

import (
	"fmt"
	"io"
	"testing"
	"time"

	"frontdoor/internal/i18n"
	"frontdoor/internal/intake"
	"frontdoor/internal/people"
	"frontdoor/internal/risk"
)

// BenchmarkRenderCasePage renders the case page of a heavy client (three
// live cases with their status forms, eight risk checklists, the newest
// fifty entries) without a database: what the template costs a page.
func BenchmarkRenderCasePage(b *testing.B) {
	cat := i18n.MustLoad()
	p, err := loadPages(cat)
	if err != nil {
		b.Fatal(err)
	}
	t := p.byName["timeline"]["en"]
	now := time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	d := &timelinePage{Choices: fdChoices, Client: &people.Client{ID: "0190f2a0-0000-7000-8000-0000000000c1", GivenName: "Grace", FamilyName: "Okafor", CanUpdate: true}, Total: 200}
	for i := range 8 {
		d.Risk = append(d.Risk, risk.Point{AssessmentID: fmt.Sprintf("0190f2a0-0000-7000-8000-%012d", i), CompletedAt: now.AddDate(0, -i, 0), Final: risk.Level("high"), YesCount: 12})
	}
	d.Latest = "high"
	for i := range 3 {
		d.Cases = append(d.Cases, caseRow{Case: intake.Case{ID: fmt.Sprintf("0190f2a0-0000-7000-8000-1%011d", i), Service: "outreach", Status: "allocated", TeamName: "Outreach",
			Version: 3, Next: []intake.CaseStatus{"active", "closed"}}, Opened: now})
	}
	for i := range 50 {
		d.Entries = append(d.Entries, timelineEntry{Kind: "contact", When: "23 Nov 2026 21:00", Summary: "Phone · outgoing · spoke to the client · Sam Worker", Note: fmt.Sprintf("Called back as agreed, %d", i)})
	}
	for _, part := range []string{"all", "no cases", "no entries", "no risk", "none"} {
		dd := *d
		switch part {
		case "no cases":
			dd.Cases = nil
		case "no entries":
			dd.Entries = nil
		case "no risk":
			dd.Risk = nil
		case "none":
			dd.Cases, dd.Entries, dd.Risk = nil, nil, nil
		}
		v := view{Lang: "en", Nav: true, Title: "frontdoor.timeline_title", Nonce: "n", RequestID: "r", Data: &dd}
		b.Run(part, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := t.ExecuteTemplate(io.Discard, "layout.html", v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
