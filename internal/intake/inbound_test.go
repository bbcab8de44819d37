package intake_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/intake"
	"frontdoor/internal/people"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

// inboundWorld is two organisations: "B Refuges" without a helpline team
// and "Women's Aid" with one; nobody signed in.
func inboundWorld(t *testing.T, d store.Dialect) (*store.DB, *intake.Service) {
	t.Helper()
	db := storetest.Open(t, d)
	v := vaulttest.New(t, db)
	rec := audit.NewRecorder(v.AuditKey(), time.Now, nil)
	grants := &access.Grants{Vault: v, Record: rec, Now: time.Now}
	ppl := &people.Service{DB: db, Vault: v, Grants: grants, Record: rec, Now: time.Now}
	svc := &intake.Service{DB: db, Vault: v, Record: rec, Now: time.Now, ClientFacts: ppl.Facts, People: ppl}
	err := db.Write(ctx, func(tx *store.Tx) error {
		now := time.Now().UTC()
		for _, q := range []string{
			`INSERT INTO organisations (id, name, kind, created_at) VALUES ('org-wa', 'Women''s Aid', 'charity', $1)`,
			`INSERT INTO organisations (id, name, kind, created_at) VALUES ('org-b', 'B Refuges', 'charity', $1)`,
			`INSERT INTO organisations (id, name, kind, created_at) VALUES ('org-z', 'Z Helplines', 'charity', $1)`,
			`INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('wa-helpline', 'org-wa', 'Helpline', 'helpline', $1)`,
			`INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('wa-outreach', 'org-wa', 'Outreach', 'outreach', $1)`,
			`INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('b-refuge', 'org-b', 'Refuge', 'refuge', $1)`,
			`INSERT INTO teams (id, organisation_id, name, service, created_at) VALUES ('z-helpline', 'org-z', 'Helpline', 'helpline', $1)`,
		} {
			if _, err := tx.Exec(ctx, q, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, svc
}

func selfReferral(org string) intake.Incoming {
	return intake.Incoming{Via: intake.ViaSelfReferral, OrganisationID: org,
		Client: people.NewClient{GivenName: "Ada", FamilyName: "Okonkwo", Details: people.Details{EstimatedAge: 34,
			SafeContact: people.SafeContact{Phone: "07700 900789", Voicemail: people.Unsafe, Text: people.Safe, Times: "mornings"}}},
		Referral: intake.IncomingReferral{Source: intake.FromSelf, Summary: "I need to talk to someone."}}
}

// storedSource opens the source a referral's row holds (sealed).
func storedSource(t *testing.T, db *store.DB, svc *intake.Service, referralID string) intake.Source {
	t.Helper()
	var sealed string
	if err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT details_sealed FROM intake_referrals WHERE id = $1`, []any{referralID}, &sealed)
	}); err != nil {
		t.Fatal(err)
	}
	plain, err := svc.Vault.OpenString(sealed, "intake_referrals", referralID, "details")
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ Source intake.Source }
	if err := json.Unmarshal([]byte(plain), &d); err != nil {
		t.Fatal(err)
	}
	return d.Source
}

func countRows(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, query, args, &n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// A self-referral lands in the front door organisation's queue with a new
// client in its helpline team; nobody on the staff is recorded as its
// creator and the audit events name the channel.
func TestReceiveSelfReferral(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db, svc := inboundWorld(t, d)
		org, err := svc.FrontDoorOrganisation(ctx)
		if err != nil || org != "org-wa" {
			t.Fatalf("front door organisation %q, %v; want the first with a helpline team by name", org, err)
		}
		r, err := svc.Receive(ctx, selfReferral(org))
		if err != nil {
			t.Fatal(err)
		}
		if r.ID == "" || r.ClientID == "" || r.RiskLevel != intake.RiskNotKnown || r.ReceivedVia != intake.ViaSelfReferral || r.CreatedBy != "" {
			t.Fatalf("referral %+v", r)
		}
		if n := countRows(t, db, `SELECT count(*) FROM intake_referrals WHERE id = $1 AND organisation_id = 'org-wa' AND received_via = 'self_referral'
			AND created_by IS NULL AND api_token_id IS NULL AND idempotency_key IS NULL`, r.ID); n != 1 {
			t.Fatal("the referral row is not a self-referral")
		}
		if src := storedSource(t, db, svc, r.ID); src != intake.FromSelf {
			t.Fatalf("the referral row's source is %q, want self", src)
		}
		if n := countRows(t, db, `SELECT count(*) FROM clients WHERE id = $1 AND team_id = 'wa-helpline' AND created_by IS NULL`, r.ClientID); n != 1 {
			t.Fatal("the client is not in the helpline team")
		}
		if n := countRows(t, db, `SELECT count(*) FROM audit_events WHERE action = 'referral.receive' AND actor_id = '' AND purpose = 'self_referral' AND record_id = $1`, r.ClientID); n != 1 {
			t.Fatal("the referral is not audited with its channel")
		}
		if n := countRows(t, db, `SELECT count(*) FROM client_workers`); n != 0 {
			t.Fatal("a worker was assigned to a self-referral")
		}
	})
}

// Every problem at once, the client's and the referral's, and nothing
// written; an organisation without a front door team cannot receive.
func TestReceiveRefusesWithoutWriting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db, svc := inboundWorld(t, d)
		before := countRows(t, db, `SELECT count(*) FROM audit_events`)
		in := selfReferral("org-wa")
		in.Client.GivenName = ""
		in.Client.Details.EstimatedAge = 300
		in.Client.Details.SafeContact.Phone = ""
		in.Client.Details.SafeContact.Voicemail = "perhaps"
		in.Referral.Summary = "  "
		in.Referral.RiskLevel = "extreme"
		_, err := svc.Receive(ctx, in)
		var got []string
		for _, f := range errs.AllFields(err) {
			got = append(got, f.Field)
		}
		for _, want := range []string{"client.given_name", "client.estimated_age", "client.safe_voicemail", "client.phone", "referral.summary", "referral.risk_level"} {
			if !slices.Contains(got, want) {
				t.Errorf("no error for %s in %v", want, got)
			}
		}
		if _, err := svc.Receive(ctx, selfReferral("org-b")); errs.CodeOf(err) != errs.Unavailable {
			t.Fatalf("an organisation without a helpline team: %v", err)
		}
		api := selfReferral("org-wa")
		api.Via = intake.ViaAPI // without a token and key: a programming error
		if _, err := svc.Receive(ctx, api); errs.CodeOf(err) != errs.Internal {
			t.Fatalf("API referral without a token: %v", err)
		}
		if n := countRows(t, db, `SELECT count(*) FROM clients`) + countRows(t, db, `SELECT count(*) FROM intake_referrals`); n != 0 {
			t.Fatalf("%d rows written", n)
		}
		if n := countRows(t, db, `SELECT count(*) FROM audit_events`); n != before {
			t.Fatalf("%d audit events written for refused referrals", n-before)
		}
	})
}

// CheckIncoming names exactly what Receive refuses, whatever the channel
// fields say, and writes nothing; a good referral has nothing to name.
func TestCheckIncomingNamesWhatReceiveRefuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db, svc := inboundWorld(t, d)
		before := countRows(t, db, `SELECT count(*) FROM audit_events`)
		in := selfReferral("org-wa")
		in.Client.GivenName = ""
		in.Client.Details.Email = "no-at-sign"
		in.Client.Details.SafeContact.Phone = "12"
		in.Referral.Source = "aliens"
		_, received := svc.Receive(ctx, in)
		in.Via, in.OrganisationID = "", ""
		checked := svc.CheckIncoming(in)
		names := func(err error) []string {
			var out []string
			for _, f := range errs.AllFields(err) {
				out = append(out, f.Field+" "+f.Key)
			}
			slices.Sort(out)
			return out
		}
		if got, want := names(checked), names(received); len(got) != 4 || !slices.Equal(got, want) {
			t.Fatalf("CheckIncoming %v, Receive %v", got, want)
		}
		if err := svc.CheckIncoming(selfReferral("")); err != nil {
			t.Fatalf("a good referral: %v", err)
		}
		if n := countRows(t, db, `SELECT count(*) FROM clients`) + countRows(t, db, `SELECT count(*) FROM intake_referrals`); n != 0 {
			t.Fatalf("%d rows written", n)
		}
		if n := countRows(t, db, `SELECT count(*) FROM audit_events`); n != before {
			t.Fatalf("%d audit events written by checks", n-before)
		}
	})
}

func TestValidIdempotencyKey(t *testing.T) {
	for k, want := range map[string]bool{"": false, "a": true, "order 123/ABC-ü": false, "order 123/ABC~": true, "a\nb": false, string(make([]byte, 256)): false} {
		if got := intake.ValidIdempotencyKey(k); got != want {
			t.Errorf("ValidIdempotencyKey(%q) = %v", k, got)
		}
	}
	long := make([]byte, 255)
	for i := range long {
		long[i] = 'k'
	}
	if !intake.ValidIdempotencyKey(string(long)) || intake.ValidIdempotencyKey(string(long)+"k") {
		t.Error("the 255-character bound is off")
	}
}
