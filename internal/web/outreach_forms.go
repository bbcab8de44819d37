package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/outreach"
	"frontdoor/internal/text"
)

// The outreach forms' parsers. Empty inputs are sent on as empty (the
// service says what is required, every problem at once); only what cannot
// be read at all (a date, a number, an owner that is none of the choices)
// is a parse error here, against the input's own name.

// outreachTime is the browser's time input.
const outreachTime = "15:04"

// agreedRows is how many actions the session form has room for.
const agreedRows = 3

// maxActionText is the service's limit on an action's text, checked per
// row of the session form so each row's error shows beside it.
const maxActionText = 500

// outreachNeedForm reads the add-need form.
func outreachNeedForm(get func(string) string) outreach.NewNeed {
	return outreach.NewNeed{Area: outreach.Area(strings.TrimSpace(get("area"))), Need: get("need"), Goals: get("goals")}
}

// outreachNeedUpdateForm reads a need's edit form.
func outreachNeedUpdateForm(get func(string) string) outreach.NeedUpdate {
	return outreach.NeedUpdate{Need: get("need"), Goals: get("goals"), Progress: get("progress"), Status: outreach.NeedStatus(strings.TrimSpace(get("status")))}
}

// actionOwner reads an action's owner: "me" is the signed-in worker, "client"
// the client.
func actionOwner(fe *errs.Fields, field, v, me string) string {
	switch strings.TrimSpace(v) {
	case "me":
		return me
	case "client":
		return ""
	}
	fe.Add(field, "outreach.choose_one")
	return ""
}

// outreachActionForm reads the add-action form of a need.
func outreachActionForm(get func(string) string, needID, me string) (outreach.NewAction, errs.Fields) {
	var fe errs.Fields
	a := outreach.NewAction{NeedID: needID, Text: get("text")}
	a.OwnerID = actionOwner(&fe, "owner", get("owner"), me)
	a.Due = parseDate(&fe, "due", get("due"))
	return a, fe
}

// outreachScore reads a score of the outcome form: empty is 0 (the service asks
// for it), and what is not a number -1 with a parse error; both are
// outside the scale, so the service refuses the form too.
func outreachScore(fe *errs.Fields, field, v string) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		fe.Add(field, "outreach.scale", outreach.ScaleMin, outreach.ScaleMax)
		return -1
	}
	return n
}

// outreachOutcomeForm reads the outcome measure: a score_<area> for each need
// area of the plan (an area left empty is left out, which the service
// names), feels_safer and abuse_stopped.
func outreachOutcomeForm(get func(string) string) (outreach.NewOutcome, errs.Fields) {
	var fe errs.Fields
	o := outreach.NewOutcome{Stage: outreach.Stage(strings.TrimSpace(get("stage"))), AbuseStopped: strings.TrimSpace(get("abuse_stopped")),
		Scores: map[outreach.Area]int{}}
	for _, a := range outreach.Areas {
		field := "score_" + string(a)
		if strings.TrimSpace(get(field)) == "" {
			continue
		}
		o.Scores[a] = outreachScore(&fe, field, get(field))
	}
	o.FeelsSafer = outreachScore(&fe, "feels_safer", get("feels_safer"))
	return o, fe
}

// outreachBooking is the booking form as read, and which input the service's
// "start" errors belong to.
type outreachBooking struct {
	outreach.NewSessions
	startField string
}

// outreachBookingForm reads the booking form: kind, date and time (in the pages'
// zone), length in minutes, weeks and reminder. What does not parse is
// sent on as none, which the service refuses with the other fields'
// errors, so nothing is booked and every problem shows at once.
func outreachBookingForm(get func(string) string, zone *time.Location) (outreachBooking, errs.Fields) {
	var fe errs.Fields
	b := outreachBooking{NewSessions: outreach.NewSessions{Kind: outreach.Kind(strings.TrimSpace(get("kind"))),
		Reminder: outreach.Reminder(strings.TrimSpace(get("reminder")))}, startField: "date"}
	date, clock := strings.TrimSpace(get("date")), strings.TrimSpace(get("time"))
	d, derr := time.ParseInLocation(refugeDate, date, zone)
	if date != "" && derr != nil {
		fe.Add("date", "accommodation.date_invalid")
	}
	c, cerr := time.Parse(outreachTime, clock)
	if clock != "" && cerr != nil {
		fe.Add("time", "outreachweb.time_invalid")
	}
	if derr == nil && cerr != nil {
		b.startField = "time"
	}
	if derr == nil && cerr == nil {
		b.Start = time.Date(d.Year(), d.Month(), d.Day(), c.Hour(), c.Minute(), 0, 0, zone)
	}
	num := func(field string) int {
		v := strings.TrimSpace(get(field))
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fe.Add(field, "outreachweb.number")
			return 0
		}
		return n
	}
	// Minutes beyond a day are refused by the service as too long; the
	// cap only keeps the multiplication from overflowing.
	b.Duration = time.Duration(min(num("minutes"), 24*60)) * time.Minute
	b.Weeks = num("weeks")
	return b, fe
}

// agreedField names an input of row i (from 1) of the session form's
// agreed actions.
func agreedField(i int, name string) string { return fmt.Sprintf("action_%d_%s", i, name) }

// outreachRecordForm reads a session's record: status, what was discussed
// and up to agreedRows agreed actions (need, text, owner, due). A row
// with nothing typed in it is left out; a row with anything is checked
// here, so its errors show beside it.
func outreachRecordForm(get func(string) string, me string) (outreach.SessionRecord, errs.Fields) {
	var fe errs.Fields
	rec := outreach.SessionRecord{Status: outreach.SessionStatus(strings.TrimSpace(get("status"))), Discussed: get("discussed")}
	for i := 1; i <= agreedRows; i++ {
		need, txt, due := strings.TrimSpace(get(agreedField(i, "need"))), get(agreedField(i, "text")), get(agreedField(i, "due"))
		if need == "" && strings.TrimSpace(txt) == "" && strings.TrimSpace(due) == "" {
			continue
		}
		a := outreach.NewAction{NeedID: need, Text: txt}
		if !id.Valid(need) {
			fe.Add(agreedField(i, "need"), "outreach.need_unknown")
		}
		text.Check(&fe, "outreach", agreedField(i, "text"), txt, true, maxActionText, true)
		a.OwnerID = actionOwner(&fe, agreedField(i, "owner"), get(agreedField(i, "owner")), me)
		if a.Due = parseDate(&fe, agreedField(i, "due"), due); a.Due.IsZero() && strings.TrimSpace(due) == "" {
			fe.Add(agreedField(i, "due"), "outreach.date_required")
		}
		rec.Actions = append(rec.Actions, a)
	}
	return rec, fe
}

// outreachWeekQuery reads the week page's query: start (a date; empty is the
// Monday of this week) and, for a manager, the worker. ok is false for a
// query that does not read.
func outreachWeekQuery(get func(string) string, now time.Time, zone *time.Location) (start time.Time, worker string, ok bool) {
	if worker = strings.TrimSpace(get("worker")); worker != "" && !id.Valid(worker) {
		return time.Time{}, "", false
	}
	if v := strings.TrimSpace(get("start")); v != "" {
		d, err := time.ParseInLocation(refugeDate, v, zone)
		if err != nil {
			return time.Time{}, "", false
		}
		return d, worker, true
	}
	today := now.In(zone)
	back := (int(today.Weekday()) + 6) % 7 // days since Monday
	return time.Date(today.Year(), today.Month(), today.Day()-back, 0, 0, 0, 0, zone), worker, true
}
