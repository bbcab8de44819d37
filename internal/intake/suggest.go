package intake

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/matching"
	"frontdoor/internal/store"
)

// Suggestion is a likely existing client for what a worker is keying, as
// little as lets them recognise the person: names and year of birth.
type Suggestion struct {
	ClientID  string
	Given     string
	Family    string
	BirthYear int // 0 when not known
	Score     float64
	Reasons   []string // i18n keys from the matching index
}

// maxSuggestions is how many likely matches a form shows.
const maxSuggestions = 8

// Suggest lists existing clients of the actor's organisation that look
// like the person in the probe, best first, for a worker about to create
// a client (CreateRecord). Only clients the policy lets the actor read
// (the limited view or the record) are shown; others, and hidden ones
// above all, are left out without a trace. Each shown candidate is
// audited ("match.suggest") on its record.
func (s *Service) Suggest(ctx context.Context, actor access.Actor, probe matching.Probe) ([]Suggestion, error) {
	if _, err := service(actor, access.CreateRecord); err != nil {
		return nil, err
	}
	probe.Given, probe.Family, probe.DOB = strings.TrimSpace(probe.Given), strings.TrimSpace(probe.Family), strings.TrimSpace(probe.DOB)
	if s.Matches == nil || probe.Given == "" && probe.Family == "" && probe.DOB == "" && len(probe.Phones) == 0 && len(probe.Aliases) == 0 {
		return nil, nil
	}
	probe.Kinds = []matching.Kind{matching.Client}
	var out []Suggestion
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		out = nil
		list, err := s.Matches.Find(ctx, tx, actor.OrganisationID, probe, 4*maxSuggestions)
		if err != nil {
			return err
		}
		for _, c := range list {
			if c.Kind != matching.Client || len(out) == maxSuggestions {
				continue
			}
			rec, err := s.ClientFacts(ctx, tx, actor, c.ID)
			if errors.Is(err, store.ErrNotFound) || errs.CodeOf(err) == errs.NotFound {
				continue
			}
			if err != nil {
				return err
			}
			d := access.Decide(actor, access.ReadLimited, rec)
			if !d.Allow {
				d = access.Decide(actor, access.ReadRecord, rec)
			}
			if d.Hidden || !d.Allow {
				continue
			}
			card, err := s.clientCard(ctx, tx, c.ID)
			if err != nil {
				return err
			}
			sg := Suggestion{ClientID: c.ID, Given: card.Given, Family: card.Family, Score: c.Score, Reasons: c.Reasons}
			if dob := card.Details.DateOfBirth; len(dob) >= 4 {
				sg.BirthYear, _ = strconv.Atoi(dob[:4])
			}
			if err := s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "match.suggest", RecordKind: RecordKind, RecordID: c.ID,
				Purpose: "names and year of birth: " + d.Reason}); err != nil {
				return err
			}
			out = append(out, sg)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
