package intake_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/errs"
	"frontdoor/internal/intake"
	"frontdoor/internal/people"
	"frontdoor/internal/vault"
)

// Whatever strings arrive in the contact form, validation answers with
// normalised input or field errors; never a panic. Accepted input
// validates again unchanged.
func FuzzValidateContact(f *testing.F) {
	f.Add("phone", "in", "victim", "main", "advice_given", "", "a note", false, int64(0))
	f.Add("walk_in", "out", "professional", "male_victim", "callback_needed", "0190f2a0-0000-7000-8000-00000000abcd", "call\nback", true, int64(3600))
	f.Add("fax", "sideways", "", "", "", " x ", "\x00\xff", true, int64(0))
	f.Add("email", "in", "unknown", "main", "other", "", "", false, int64(-5))
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, channel, direction, caller, line, outcome, client, note string, followUp bool, dueSeconds int64) {
		n := intake.NewContact{Channel: intake.Channel(channel), Direction: intake.Direction(direction), CallerType: intake.CallerType(caller),
			ServiceLine: intake.ServiceLine(line), Outcome: intake.Outcome(outcome), FollowUp: followUp, ClientID: client, Note: note,
			Number: client, OverrideReason: note, Voicemail: followUp}
		if dueSeconds != 0 {
			n.CallbackDue = now.Add(time.Duration(dueSeconds%(1<<30)) * time.Second)
		}
		out, err := intake.ValidateContact(n, now)
		if err != nil {
			var fe intake.FieldErrors
			if !errors.As(err, &fe) || len(fe) == 0 {
				t.Fatalf("error is not field errors: %v", err)
			}
			for _, e := range fe {
				if e.Field == "" || e.Code != errs.Invalid {
					t.Fatalf("field error without a field: %v", e)
				}
			}
			return
		}
		again, err := intake.ValidateContact(out, now)
		if err != nil || again != out {
			t.Fatalf("round trip: %+v\n%+v\n%v", out, again, err)
		}
		if out.FollowUp == out.CallbackDue.IsZero() {
			t.Fatalf("follow-up without a due time accepted: %+v", out)
		}
	})
}

// Triage decisions: field errors or input that validates again unchanged.
func FuzzValidateTriage(f *testing.F) {
	f.Add("allocate", "idva", "", "note")
	f.Add("signpost", "", "team", "")
	f.Add("decline", "refuge", " x ", "\x00")
	f.Fuzz(func(t *testing.T, decision, service, team, note string) {
		out, err := intake.ValidateTriage(intake.NewTriage{Decision: intake.Decision(decision), Service: intake.CaseService(service), TeamID: team, Note: note})
		if err != nil {
			var fe intake.FieldErrors
			if !errors.As(err, &fe) || len(fe) == 0 {
				t.Fatalf("error is not field errors: %v", err)
			}
			return
		}
		again, err := intake.ValidateTriage(out)
		if err != nil || again != out {
			t.Fatalf("round trip: %+v %+v %v", out, again, err)
		}
		if out.Decision != intake.Allocate && (out.Service != "" || out.TeamID != "") {
			t.Fatalf("service or team without an allocation: %+v", out)
		}
	})
}

// Case status changes: field errors or input that validates again unchanged.
func FuzzValidateCaseStatusChange(f *testing.F) {
	f.Add(1, "closed", "moved_away", "")
	f.Add(0, "open", "", "x")
	f.Add(3, "active", "other", "\xff")
	f.Fuzz(func(t *testing.T, version int, to, reason, note string) {
		out, err := intake.ValidateCaseStatusChange(intake.CaseStatusChange{Version: version, To: intake.CaseStatus(to), Reason: intake.CloseReason(reason), Note: note})
		if err != nil {
			var fe intake.FieldErrors
			if !errors.As(err, &fe) || len(fe) == 0 {
				t.Fatalf("error is not field errors: %v", err)
			}
			return
		}
		if again, err := intake.ValidateCaseStatusChange(out); err != nil || again != out {
			t.Fatalf("round trip: %+v %+v %v", out, again, err)
		}
		if (out.To == intake.CaseClosed) != (out.Reason != "") {
			t.Fatalf("closing reason mismatch accepted: %+v", out)
		}
	})
}

// The safe-contact check never allows what a rule forbids: a text, email
// or letter goes out only where its rule says safe, a web chat only where
// texts are safe, a call or text only to the safe number on record (given,
// not left blank), and a home visit never without a reason.
func FuzzCheckSafeContact(f *testing.F) {
	f.Add("07700 900456", "safe", "unsafe", "not_known", "", "phone", "07700900456", true)
	f.Add("", "", "", "", "", "text", "", false)
	f.Add("x", "safe", "safe", "safe", "safe", "letter", "\x00", true)
	f.Add("x", "safe", "safe", "safe", "safe", "phone", "y", false)
	f.Add("+44 7700 900456", "safe", "safe", "safe", "safe", "text", "07700-900-456", false)
	f.Add("07700 900456", "safe", "safe", "safe", "safe", "phone", "", false)
	f.Add("07700 900456", "safe", "unsafe", "safe", "safe", "webchat", "", false)
	f.Add("07700 900456", "safe", "safe", "safe", "safe", "walk_in", "", false)
	f.Fuzz(func(t *testing.T, phone, voicemail, text, email, post, channel, number string, left bool) {
		sc := people.SafeContact{Phone: phone, Voicemail: voicemail, Text: text, Email: email, Post: post}
		n := intake.NewContact{Direction: intake.Outbound, Channel: intake.Channel(channel), Number: number, Voicemail: left}
		fe := intake.CheckSafeContact(sc, n)
		for _, e := range fe {
			if e.Field == "" || e.Code != errs.Invalid {
				t.Fatalf("bad field error %v", e)
			}
		}
		if len(fe) > 0 {
			return
		}
		rule := map[intake.Channel]string{intake.Text: text, intake.Email: email, intake.Letter: post}
		if r, ok := rule[n.Channel]; ok && r != people.Safe {
			t.Fatalf("%s allowed under rule %q", channel, r)
		}
		if (n.Channel == intake.Phone || n.Channel == intake.Text) && strings.TrimSpace(phone) == "" {
			t.Fatalf("%s allowed without a safe number", channel)
		}
		// A call or text goes only to the safe number, given, with digits.
		if n.Channel == intake.Phone || n.Channel == intake.Text {
			if got := vault.NormalisePhone(number); got == "" || got != vault.NormalisePhone(phone) {
				t.Fatalf("%s to %q allowed, safe number %q", channel, number, phone)
			}
		}
		if n.Channel == intake.WebChat && text != people.Safe {
			t.Fatalf("web chat allowed under text rule %q", text)
		}
		if n.Channel == intake.WalkIn {
			t.Fatal("a home visit allowed without a reason")
		}
		if left && n.Channel == intake.Phone && voicemail != people.Safe {
			t.Fatal("voicemail allowed where it is not safe")
		}
	})
}
