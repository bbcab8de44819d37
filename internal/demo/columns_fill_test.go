package demo_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/pquerna/otp/totp"

	"frontdoor/internal/access"
	"frontdoor/internal/auth"
	"frontdoor/internal/demo"
	"frontdoor/internal/errs"
	"frontdoor/internal/intake"
	"frontdoor/internal/outreach"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/store"
)

// fillSealed writes, through the services, what neither the demo nor
// fillTheRest does and a sealed column holds: a referral from another
// agency with its referrer, a triage note, a case's change with a note,
// a call against her safe-contact rules with the reason, a
// counter-allegation alert, a task closed with a note, a need's progress,
// a home visit escalated and responded to, a refuge hold the client
// declined with a note, her unsafe areas, a break-glass, and an account
// enrolled with an authenticator app and then a passkey.
func (w *demoWorld) fillSealed(t *testing.T, dc demo.Config) {
	t.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	p := demo.NewPartnership(dc)
	actor := func(s demo.Staff) access.Actor {
		return access.Actor{StaffID: s.ID, Role: s.Role, OrganisationID: s.OrganisationID, TeamIDs: s.TeamIDs}
	}
	var frontDoor demo.Staff
	for _, s := range p.Staff {
		if s.Role == access.RoleFrontDoorWorker {
			frontDoor = s
			break
		}
	}
	fdw := actor(frontDoor)
	now := time.Now().UTC()

	// The front door: a police referral for a new client, with texts safe
	// and voicemail not; triaged to outreach with a note; the case moves
	// on with a note; a call that leaves a voicemail against her rules.
	zaraPhone := "07700 900456"
	ref, err := w.intake.CreateReferral(ctx, fdw, intake.NewReferral{Source: intake.FromPolice, ReceivedAt: now.Add(-time.Hour),
		ReferrerOrg: "Northshire Police", RiskLevel: intake.RiskHigh, Summary: "Neighbour called 999",
		NewClient: &people.NewClient{GivenName: "Zara", FamilyName: "Fillperson", TeamID: frontDoor.TeamIDs[0],
			Details: people.Details{DateOfBirth: "1991-05-17", Gender: "woman", Address: "9 Hidden Row",
				SafeContact: people.SafeContact{Phone: zaraPhone, Text: people.Safe, Voicemail: people.Unsafe}}}})
	must("referral with a referrer", err)
	zara := ref.ClientID
	tr, err := w.intake.TriageReferral(ctx, fdw, ref.ID, intake.NewTriage{Decision: intake.Allocate, Service: intake.Outreach,
		Note: "Wants support at home, not refuge"})
	must("triage with a note", err)
	cases, err := w.intake.Cases(ctx, fdw, zara)
	must("cases", err)
	i := slices.IndexFunc(cases, func(c intake.Case) bool { return c.ID == tr.CaseID })
	if i < 0 {
		t.Fatalf("the triage's case %s is not among %+v", tr.CaseID, cases)
	}
	to := intake.CaseClosed // the one move every live case can make, with a reason
	for _, st := range cases[i].Next {
		if st != intake.CaseClosed {
			to = st
			break
		}
	}
	change := intake.CaseStatusChange{Version: cases[i].Version, To: to, Note: "First visit booked for Thursday"}
	if to == intake.CaseClosed {
		change.Reason = intake.CloseOther
	}
	must("case change with a note", w.intake.SetCaseStatus(ctx, fdw, tr.CaseID, change))
	_, err = w.intake.LogContact(ctx, fdw, intake.NewContact{Channel: intake.Phone, Direction: intake.Outbound, CallerType: intake.CallerVictim,
		ServiceLine: intake.LineMain, Outcome: intake.NoAnswer, ClientID: zara, Number: zaraPhone, Voicemail: true,
		OverrideReason: "Police asked us to warn her tonight"})
	must("contact overriding her rules", err)

	// Matching: the man she names is a client of the service too.
	_, err = w.people.Create(ctx, fdw, people.NewClient{GivenName: "Dominic", FamilyName: "Fillperson", TeamID: frontDoor.TeamIDs[0],
		Details: people.Details{DateOfBirth: "1988-02-03", Gender: "man", Phone: "07700 900789"}})
	must("client", err)
	perp, err := w.people.CreatePerpetrator(ctx, fdw, zara, people.NewPerpetrator{GivenName: "Dominic", FamilyName: "Fillperson", Relationship: "partner",
		Details: people.PerpetratorDetails{DateOfBirth: "1988-02-03", Phone: "07700 900789"}})
	must("perpetrator", err)
	if perp.Alerts == 0 {
		t.Fatal("a perpetrator with a client's name, date of birth and phone raised no counter-allegation alert")
	}

	// Risk: an open task closed with a note, by someone who may.
	var task, taskClient string
	must("an open task", w.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT id, client_id FROM tasks WHERE status = 'open' ORDER BY id LIMIT 1`, nil, &task, &taskClient)
	}))
	closed := false
	for _, s := range p.Staff {
		if s.OrganisationID != frontDoor.OrganisationID || !s.Role.Valid() {
			continue
		}
		err := w.risk.CloseTask(ctx, actor(s), task, "Already working with an IDVA in another area")
		if err == nil {
			closed = true
			break
		}
		if c := errs.CodeOf(err); c != errs.Forbidden && c != errs.NotFound {
			t.Fatalf("close a task: %v", err)
		}
	}
	if !closed {
		t.Fatalf("nobody in the partnership could close task %s", task)
	}

	// Outreach: progress on a need of a demo plan; a home visit that
	// overran, escalated to a duty manager who responded.
	var client, workerID string
	must("a plan", w.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT client_id, created_by FROM outreach_plans WHERE status = 'open' ORDER BY id LIMIT 1`, nil, &client, &workerID)
	}))
	var worker demo.Staff
	for _, s := range p.Staff {
		if s.ID == workerID {
			worker = s
		}
	}
	plan, err := w.outreach.Plan(ctx, actor(worker), client)
	must("plan", err)
	if len(plan.Needs) == 0 {
		t.Fatal("the demo's plan has no needs")
	}
	n := plan.Needs[0]
	must("need progress", w.outreach.UpdateNeed(ctx, actor(worker), n.ID, n.Version, outreach.NeedUpdate{Need: n.Need, Goals: n.Goals,
		Progress: "Letter from the council received", Status: n.Status}))
	visit, err := w.outreach.Book(ctx, actor(worker), outreach.NewSessions{ClientID: client, Kind: outreach.HomeVisit, Start: now.Add(-3 * time.Hour),
		Duration: time.Hour, Weeks: 1, Reminder: outreach.NoReminder})
	must("past home visit", err)
	_, err = w.outreach.Escalate(ctx)
	must("escalate", err)
	responded := false
	for _, s := range p.Staff {
		if s.Role != access.RoleTeamManager || !slices.ContainsFunc(s.TeamIDs, func(t string) bool { return slices.Contains(worker.TeamIDs, t) }) {
			continue
		}
		list, err := w.outreach.Escalations(ctx, actor(s))
		must("escalations", err)
		for _, e := range list {
			if e.SessionID == visit[0] {
				must("respond", w.outreach.Respond(ctx, actor(s), e.ID, "Rang her mobile: safe, stuck in traffic"))
				responded = true
			}
		}
		if responded {
			break
		}
	}
	if !responded {
		t.Fatal("no duty manager saw the overdue visit's escalation")
	}

	// Accommodation: her unsafe areas; a unit held that she declined.
	must("unsafe areas", w.refuge.SetUnsafeAreas(ctx, fdw, zara, []string{"Eastbrook"}))
	h := refuge.Household{ClientID: zara, Adults: 1, Service: refuge.Women}
	vacancies, err := w.refuge.Search(ctx, fdw, h)
	must("vacancy search", err)
	if len(vacancies) == 0 {
		t.Fatal("no vacancy for a woman on her own")
	}
	hold, err := w.refuge.Hold(ctx, fdw, refuge.HoldRequest{UnitID: vacancies[0].UnitID, Household: h})
	must("hold", err)
	must("decline", w.refuge.Decline(ctx, fdw, hold.ID, refuge.Decline{By: refuge.ByClient, Reason: refuge.ClientDeclined,
		Note: "Chose to stay with her sister for now"}))

	// Break-glass: someone of her organisation with no relation to her.
	glass := false
	for _, s := range p.Staff {
		if s.OrganisationID != frontDoor.OrganisationID || !s.Role.Valid() {
			continue
		}
		if _, err := w.people.BreakGlass(ctx, actor(s), zara, access.ImmediateDanger, "She called from a neighbour's flat, he is outside"); err == nil {
			glass = true
			break
		}
	}
	if !glass {
		t.Fatal("nobody of her organisation could break glass on her record")
	}

	// Accounts: a new member of staff enrols an authenticator app from
	// their one-time link, then adds a passkey.
	st, err := w.accounts.AddStaff(ctx, auth.NewStaff{OrganisationID: frontDoor.OrganisationID, Username: "new.starter", DisplayName: "New Starter",
		Role: access.RoleFrontDoorWorker, TeamIDs: frontDoor.TeamIDs})
	must("staff", err)
	link, err := w.accounts.IssueSetupLink(ctx, st.ID)
	must("setup link", err)
	session, _, err := w.accounts.CompleteSetup(ctx, link, auth.SetupForm{Password: "harbour lights at dusk", Confirm: "harbour lights at dusk"})
	must("setup", err)
	enrol, err := w.accounts.BeginEnrolment(ctx, session)
	must("begin enrolment", err)
	code, err := totp.GenerateCode(enrol.Secret, time.Now())
	must("code", err)
	full, _, err := w.accounts.ConfirmEnrolment(ctx, session, code)
	must("confirm enrolment", err)
	rp := auth.RelyingParty{ID: "localhost", Origin: "http://localhost:8080"}
	options, err := w.accounts.BeginPasskeyRegistration(ctx, full, rp)
	must("begin passkey", err)
	must("passkey", w.accounts.FinishPasskeyRegistration(ctx, full, rp, "Work laptop", softPasskey(t, rp, options)))
}

// softPasskey answers registration options as an authenticator would:
// a new P-256 key, attestation "none" (which is what the service asks
// for), user present and verified.
func softPasskey(t *testing.T, rp auth.RelyingParty, options []byte) []byte {
	t.Helper()
	var opts struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &opts); err != nil || opts.PublicKey.Challenge == "" {
		t.Fatalf("registration options %s: %v", options, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	cose, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         int64(webauthncose.P256), XCoord: pub[1:33], YCoord: pub[33:]})
	if err != nil {
		t.Fatal(err)
	}
	credID := make([]byte, 16)
	rand.Read(credID)
	rpHash := sha256.Sum256([]byte(rp.ID))
	authData := append(rpHash[:], 0x45, 0, 0, 0, 0)  // user present, verified, attested credential; counter 0
	authData = append(authData, make([]byte, 16)...) // AAGUID: none
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(credID)))
	authData = append(append(authData, credID...), cose...)
	attestation, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData})
	if err != nil {
		t.Fatal(err)
	}
	clientData, err := json.Marshal(map[string]any{"type": "webauthn.create", "challenge": opts.PublicKey.Challenge, "origin": rp.Origin, "crossOrigin": false})
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	out, err := json.Marshal(map[string]any{"id": b64(credID), "rawId": b64(credID), "type": "public-key",
		"response": map[string]string{"clientDataJSON": b64(clientData), "attestationObject": b64(attestation)}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
