package web

import (
	"slices"
	"strings"
	"time"

	"frontdoor/internal/errs"
	"frontdoor/internal/outreach"
)

// The partner and volunteer forms' parsers. As with the outreach forms,
// empty inputs are sent on as empty and the service says what is
// required; only what cannot be read at all (a date, a time) is a parse
// error here, against the input's own name.

// partnerAgencyForm reads the register-an-agency form.
func partnerAgencyForm(get func(string) string) (name string, kind outreach.AgencyKind) {
	return get("name"), outreach.AgencyKind(strings.TrimSpace(get("kind")))
}

// partnerAgreementForm reads an agency's add-agreement form: title, legal
// basis, reference, starts (a date) and ends (a date, or empty for open
// ended).
func partnerAgreementForm(get func(string) string, partnerID string) (outreach.Agreement, errs.Fields) {
	var fe errs.Fields
	a := outreach.Agreement{PartnerID: partnerID, Title: get("title"), Reference: get("reference"),
		LegalBasis: outreach.LegalBasis(strings.TrimSpace(get("legal_basis")))}
	a.StartsOn = parseDate(&fe, "starts_on", get("starts_on"))
	a.EndsOn = parseDate(&fe, "ends_on", get("ends_on"))
	return a, fe
}

// partnerReferralForm reads the refer-to-a-partner form: the agreement,
// the kind, the fields to share (checkboxes named share, each value once),
// the request and the consent checkbox.
func partnerReferralForm(get func(string) string, share []string, clientID string) outreach.NewPartnerReferral {
	n := outreach.NewPartnerReferral{ClientID: clientID, AgreementID: strings.TrimSpace(get("agreement")),
		Kind: outreach.ReferralKind(strings.TrimSpace(get("kind"))), Request: get("request"), Consent: get("consent") == "yes"}
	for _, f := range share {
		sf := outreach.ShareField(strings.TrimSpace(f))
		if sf == "" || slices.Contains(n.Share, sf) {
			continue
		}
		n.Share = append(n.Share, sf)
	}
	return n
}

// partnerMoveForm reads a move of a partner referral: the status it goes
// to and a note.
func partnerMoveForm(get func(string) string) (outreach.PartnerStatus, string) {
	return outreach.PartnerStatus(strings.TrimSpace(get("status"))), get("note")
}

// volunteerMatchForm reads the match-a-volunteer form.
func volunteerMatchForm(get func(string) string, clientID string) outreach.NewMatch {
	return outreach.NewMatch{ClientID: clientID, VolunteerID: strings.TrimSpace(get("volunteer")), Kind: outreach.MatchKind(strings.TrimSpace(get("kind"))),
		Purpose: get("purpose"), ShareAddress: get("share_address") == "yes"}
}

// volunteerAppointmentForm reads a match's add-appointment form: date and
// time in the pages' zone, and what it is. What does not parse is sent on
// as no time, which the service refuses with the other fields' errors.
func volunteerAppointmentForm(get func(string) string, zone *time.Location) (time.Time, string, errs.Fields) {
	var fe errs.Fields
	at := dateAndTime(&fe, "date", "time", get("date"), get("time"), zone)
	return at, get("what"), fe
}

// supervisionForm reads the record-a-supervision form: the date it was
// held (in the pages' zone) and the notes.
func supervisionForm(get func(string) string, zone *time.Location) (time.Time, string, errs.Fields) {
	var fe errs.Fields
	var held time.Time
	if v := strings.TrimSpace(get("held_at")); v != "" {
		d, err := time.ParseInLocation(refugeDate, v, zone)
		if err != nil {
			fe.Add("held_at", "accommodation.date_invalid")
		} else {
			held = d
		}
	}
	return held, get("notes"), fe
}

// dateAndTime reads a date and a time input in zone: zero when either is
// empty or does not read (a parse error against that input).
func dateAndTime(fe *errs.Fields, dateField, timeField, date, clock string, zone *time.Location) time.Time {
	date, clock = strings.TrimSpace(date), strings.TrimSpace(clock)
	d, derr := time.ParseInLocation(refugeDate, date, zone)
	if date != "" && derr != nil {
		fe.Add(dateField, "accommodation.date_invalid")
	}
	c, cerr := time.Parse(outreachTime, clock)
	if clock != "" && cerr != nil {
		fe.Add(timeField, "outreachweb.time_invalid")
	}
	if derr != nil || cerr != nil {
		return time.Time{}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), c.Hour(), c.Minute(), 0, 0, zone)
}
