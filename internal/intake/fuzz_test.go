package intake_test

import (
	"errors"
	"testing"
	"time"

	"frontdoor/internal/errs"
	"frontdoor/internal/intake"
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
			ServiceLine: intake.ServiceLine(line), Outcome: intake.Outcome(outcome), FollowUp: followUp, ClientID: client, Note: note}
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
