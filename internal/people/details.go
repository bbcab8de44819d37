package people

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"frontdoor/internal/errs"
	"frontdoor/internal/vault"
)

// Details is everything about a client beyond their names. It is sealed
// as one document: none of it is ever stored in clear.
type Details struct {
	Aliases           []string    `json:"aliases,omitempty"`
	DateOfBirth       string      `json:"date_of_birth,omitempty"` // YYYY-MM-DD
	EstimatedAge      int         `json:"estimated_age,omitempty"` // when the date is not known
	Gender            string      `json:"gender,omitempty"`
	Phone             string      `json:"phone,omitempty"`
	Email             string      `json:"email,omitempty"`
	Address           string      `json:"address,omitempty"` // confidential
	Language          string      `json:"language,omitempty"`
	InterpreterNeeded bool        `json:"interpreter_needed,omitempty"`
	Disabilities      string      `json:"disabilities,omitempty"`
	Immigration       string      `json:"immigration,omitempty"` // see ImmigrationStatuses
	Equality          Equality    `json:"equality"`
	SafeContact       SafeContact `json:"safe_contact"`
}

// Equality is equality monitoring: each answer may be "prefer not to say".
type Equality struct {
	Ethnicity         string `json:"ethnicity,omitempty"`
	Religion          string `json:"religion,omitempty"`
	SexualOrientation string `json:"sexual_orientation,omitempty"`
	Disability        string `json:"disability,omitempty"`
}

// PreferNotToSay is the answer every equality question accepts.
const PreferNotToSay = "prefer_not_to_say"

// ImmigrationStatuses are the answers that matter for support (no
// recourse to public funds changes what a refuge can offer).
var ImmigrationStatuses = []string{"", "british_or_settled", "pre_settled", "nrpf", "asylum_seeker", "not_known", PreferNotToSay}

// Safety of a contact channel.
const (
	Safe     = "safe"
	Unsafe   = "unsafe"
	NotKnown = "not_known"
)

// SafeContact is how and when it is safe to get in touch. Getting it wrong
// can put someone in danger: it is shown at the top of every page about
// the client, and an unsafe channel is refused unless a worker overrides
// with a reason.
type SafeContact struct {
	Phone            string `json:"phone,omitempty"`
	Times            string `json:"times,omitempty"`
	Voicemail        string `json:"voicemail"`
	Text             string `json:"text"`
	Email            string `json:"email"`
	Post             string `json:"post"`
	Codeword         string `json:"codeword,omitempty"`
	WhoElseMayAnswer string `json:"who_else_may_answer,omitempty"`
}

// Channels lists the contact channels safe-contact rules cover.
var Channels = []string{"voicemail", "text", "email", "post"}

// Rule returns the rule for a channel.
func (sc SafeContact) Rule(channel string) string {
	switch channel {
	case "voicemail":
		return sc.Voicemail
	case "text":
		return sc.Text
	case "email":
		return sc.Email
	case "post":
		return sc.Post
	}
	return NotKnown
}

func cleanText(field, v string, maxLen int, multiline bool) error {
	if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))
	}) {
		return errs.Field(field, "field.invalid_text")
	}
	if utf8.RuneCountInString(v) > maxLen {
		return errs.Field(field, "field.too_long", maxLen)
	}
	return nil
}

func oneOf(field, v string, allowed ...string) error {
	if !slices.Contains(allowed, v) {
		return errs.Field(field, "field.choose")
	}
	return nil
}

// normalise trims what a form sends and fills unset channel rules with
// "not known": unknown is not safe.
func (d *Details) normalise() {
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&d.DateOfBirth, &d.Gender, &d.Phone, &d.Email, &d.Address, &d.Language, &d.Disabilities, &d.Immigration,
		&d.SafeContact.Phone, &d.SafeContact.Times, &d.SafeContact.Codeword, &d.SafeContact.WhoElseMayAnswer} {
		trim(p)
	}
	var aliases []string
	for _, a := range d.Aliases {
		if a = strings.TrimSpace(a); a != "" {
			aliases = append(aliases, a)
		}
	}
	d.Aliases = aliases
	for _, p := range []*string{&d.SafeContact.Voicemail, &d.SafeContact.Text, &d.SafeContact.Email, &d.SafeContact.Post} {
		if *p == "" {
			*p = NotKnown
		}
	}
}

// validate checks every field and returns all the problems at once.
func (d *Details) validate(now time.Time) error {
	var list []error
	for _, a := range d.Aliases {
		list = append(list, cleanText("aliases", a, 200, false))
	}
	if len(d.Aliases) > 20 {
		list = append(list, errs.Field("aliases", "field.too_many", 20))
	}
	if d.DateOfBirth != "" {
		dob, err := vault.NormaliseDate(d.DateOfBirth)
		if err != nil {
			list = append(list, errs.Field("date_of_birth", "date.invalid"))
		} else if t, _ := time.Parse("2006-01-02", dob); t.After(now) || t.Before(now.AddDate(-120, 0, 0)) {
			list = append(list, errs.Field("date_of_birth", "date.out_of_range"))
		} else {
			d.DateOfBirth = dob
		}
		if d.EstimatedAge != 0 {
			list = append(list, errs.Field("estimated_age", "client.age_or_dob"))
		}
	}
	if d.EstimatedAge < 0 || d.EstimatedAge > 120 {
		list = append(list, errs.Field("estimated_age", "field.number_range", 0, 120))
	}
	for _, f := range []struct {
		field string
		v     string
		max   int
		multi bool
	}{
		{"gender", d.Gender, 100, false}, {"phone", d.Phone, 40, false}, {"email", d.Email, 254, false},
		{"address", d.Address, 1000, true}, {"language", d.Language, 100, false}, {"disabilities", d.Disabilities, 2000, true},
		{"safe_phone", d.SafeContact.Phone, 40, false}, {"safe_times", d.SafeContact.Times, 500, true},
		{"codeword", d.SafeContact.Codeword, 100, false}, {"who_else_may_answer", d.SafeContact.WhoElseMayAnswer, 500, true},
		{"ethnicity", d.Equality.Ethnicity, 100, false}, {"religion", d.Equality.Religion, 100, false},
		{"sexual_orientation", d.Equality.SexualOrientation, 100, false}, {"equality_disability", d.Equality.Disability, 100, false},
	} {
		list = append(list, cleanText(f.field, f.v, f.max, f.multi))
	}
	if d.Phone != "" && len(vault.NormalisePhone(d.Phone)) < 7 {
		list = append(list, errs.Field("phone", "phone.invalid"))
	}
	if d.SafeContact.Phone != "" && len(vault.NormalisePhone(d.SafeContact.Phone)) < 7 {
		list = append(list, errs.Field("safe_phone", "phone.invalid"))
	}
	if d.Email != "" && (!strings.Contains(d.Email, "@") || strings.ContainsAny(d.Email, " <>")) {
		list = append(list, errs.Field("email", "email.invalid"))
	}
	list = append(list, oneOf("immigration", d.Immigration, ImmigrationStatuses...))
	for _, c := range Channels {
		list = append(list, oneOf("safe_"+c, d.SafeContact.Rule(c), Safe, Unsafe, NotKnown))
	}
	return errs.Collect(list...)
}
