package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"frontdoor/internal/api/ratelimit"
	"frontdoor/internal/errs"
	"frontdoor/internal/intake"
	"frontdoor/internal/people"
)

// The public self-referral page, for survivors themselves. It must be safe
// to visit: no cookies (no session at all), nothing cached, nothing loaded
// from another site, a quick-exit button always on screen, and a plain
// explanation of what quick exit can and cannot hide. Submissions go into
// the front door's triage queue (intake.Service.Receive); the organisation
// that receives them is the one with a helpline team (first by name) until
// that becomes a setting.

// QuickExitURL is the neutral website quick exit goes to.
const QuickExitURL = "https://www.bbc.co.uk/weather"

// Self-referrals allowed per source address per window: enough for a
// shared address (a library, a refuge office), too few for a flood.
var (
	SelfReferralLimit  = 10
	SelfReferralWindow = time.Hour
)

// honeypotField is a form field people never see or fill; bots do.
const honeypotField = "website"

// selfReferralFields are the form's fields in the order they appear, for
// keeping what was typed when the form comes back with errors.
var selfReferralFields = []string{"safe_phone", "safe_voicemail", "safe_text", "safe_email", "safe_times",
	"given_name", "family_name", "email", "summary", "age"}

// formFieldOf maps the intake and people services' field names to the
// form's; anything else is shown against the summary at the top.
var formFieldOf = map[string]string{
	"client.safe_phone": "safe_phone", "client.safe_voicemail": "safe_voicemail", "client.safe_text": "safe_text",
	"client.safe_email": "safe_email", "client.safe_times": "safe_times", "client.given_name": "given_name",
	"client.family_name": "family_name", "client.email": "email", "client.phone": "safe_phone",
	"client.estimated_age": "age", "referral.summary": "summary",
}

// selfReferralInput is the form as read: the values to show again, the
// client and referral to send, and whether the honeypot was filled.
type selfReferralInput struct {
	Form     map[string]string
	Client   people.NewClient
	Referral intake.IncomingReferral
	Honeypot bool
}

// parseSelfReferral reads the self-referral form. It never fails: what
// is wrong is for the intake service to say, all at once. An age that is
// not a whole number becomes -1, which the people service refuses as out
// of range.
func parseSelfReferral(f url.Values) selfReferralInput {
	in := selfReferralInput{Form: map[string]string{}}
	for _, k := range selfReferralFields {
		in.Form[k] = f.Get(k)
	}
	in.Honeypot = strings.TrimSpace(f.Get(honeypotField)) != ""
	age := 0
	if a := strings.TrimSpace(in.Form["age"]); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 {
			n = -1
		}
		age = n
	}
	safety := func(v string) string {
		switch v {
		case people.Safe, people.Unsafe:
			return v
		}
		return people.NotKnown
	}
	in.Client = people.NewClient{GivenName: in.Form["given_name"], FamilyName: in.Form["family_name"], Details: people.Details{
		Email: in.Form["email"], EstimatedAge: age,
		SafeContact: people.SafeContact{Phone: in.Form["safe_phone"], Times: in.Form["safe_times"], Voicemail: safety(in.Form["safe_voicemail"]),
			Text: safety(in.Form["safe_text"]), Email: safety(in.Form["safe_email"]), Post: people.NotKnown},
	}}
	in.Referral = intake.IncomingReferral{Source: intake.FromSelf, RiskLevel: intake.RiskNotKnown, Summary: in.Form["summary"]}
	return in
}

type selfReferralData struct {
	QuickExitURL string
	// Limited is set when this address sent too many forms lately.
	Limited bool
	// Unavailable is set when no organisation can receive self-referrals.
	Unavailable bool
}

// selfReferralAssets are the page's own script and style. They are served
// under /self-referral/static/ with no-store like the page, not from the
// long-cached /static/: a cached file named for quick exit would tell
// whoever looks in the browser's cache that the page was visited.
var selfReferralAssets = map[string]bool{"quickexit.js": true, "selfreferral.css": true, "app.css": true}

func (s *Server) selfReferralAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	a, ok := s.pages.assets[name]
	if !ok || !selfReferralAssets[name] || a.hash != r.PathValue("hash") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.mime)
	w.Write(a.body)
}

func (s *Server) selfReferralForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "selfreferral", view{Title: "selfreferral.title", Uncached: true, Form: map[string]string{}, Data: selfReferralData{QuickExitURL: QuickExitURL}})
}

func (s *Server) selfReferralThanks(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "selfreferral_thanks", view{Title: "selfreferral.thanks_title", Uncached: true, Data: selfReferralData{QuickExitURL: QuickExitURL}})
}

func (s *Server) selfReferral(w http.ResponseWriter, r *http.Request) {
	in := parseSelfReferral(r.PostForm)
	v := view{Title: "selfreferral.title", Uncached: true, Form: in.Form, Data: selfReferralData{QuickExitURL: QuickExitURL}}
	// Counted per source address, by a keyed hash: the table never holds
	// an address. Every post counts, the honeypot's too.
	limiter := &ratelimit.Limiter{DB: s.DB, Now: s.Now}
	ok, wait, err := limiter.Allow(r.Context(), "self_referral:"+s.Auth.Vault.BlindIndex("ratelimit.self_referral", s.source(r)), SelfReferralLimit, SelfReferralWindow)
	if err != nil {
		s.Logger.Error("self-referral rate limit failed", "request_id", requestIDOf(r), "err", err)
		ok = true // fail open: a survivor asking for help matters more than a flood
	}
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		v.Data = selfReferralData{QuickExitURL: QuickExitURL, Limited: true}
		s.render(w, r, http.StatusTooManyRequests, "selfreferral", v)
		return
	}
	if in.Honeypot {
		// A bot: it is told it succeeded and nothing is kept.
		http.Redirect(w, r, "/self-referral/thanks", http.StatusSeeOther)
		return
	}
	if s.Intake == nil {
		v.Data = selfReferralData{QuickExitURL: QuickExitURL, Unavailable: true}
		s.render(w, r, http.StatusServiceUnavailable, "selfreferral", v)
		return
	}
	org, err := s.Intake.FrontDoorOrganisation(r.Context())
	if err == nil {
		_, err = s.Intake.Receive(r.Context(), intake.Incoming{Via: intake.ViaSelfReferral, OrganisationID: org, Client: in.Client, Referral: in.Referral})
	}
	if err != nil {
		if fields := errs.AllFields(err); len(fields) > 0 {
			var out errs.Fields
			for _, f := range fields {
				name, known := formFieldOf[f.Field]
				if !known {
					name = "summary"
				}
				out = append(out, &errs.Error{Code: errs.Invalid, Key: f.Key, Field: name, Args: f.Args})
			}
			s.formError(w, r, "selfreferral", v, out)
			return
		}
		if c := errs.CodeOf(err); c == errs.Unavailable || c == errs.Internal {
			if c == errs.Internal {
				s.Logger.Error("self-referral failed", "request_id", requestIDOf(r), "err", err)
			}
			v.Data = selfReferralData{QuickExitURL: QuickExitURL, Unavailable: true}
			s.render(w, r, http.StatusServiceUnavailable, "selfreferral", v)
			return
		}
		s.formError(w, r, "selfreferral", v, err)
		return
	}
	http.Redirect(w, r, "/self-referral/thanks", http.StatusSeeOther)
}
