package demo

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/auth"
	"frontdoor/internal/id"
	"frontdoor/internal/intake"
	"frontdoor/internal/matching"
	"frontdoor/internal/people"
	"frontdoor/internal/refuge"
	"frontdoor/internal/risk"
	"frontdoor/internal/store"
	"frontdoor/internal/vault"
)

// scaleKey records that a benchmark data set was built (its people count
// and seed), so a second run refuses instead of doubling it.
const scaleKey = "demo_scale"

// ScaleServices are what LoadScale writes through. People, Risk and Refuge
// must use the Clock's Now, as for LoadPeople.
type ScaleServices struct {
	DB       *store.DB
	Vault    *vault.Vault
	Accounts *auth.Service
	People   *people.Service
	Risk     *risk.Service
	Refuge   *refuge.Service
	// Matches is the matching index the people are recorded in (in bulk,
	// per batch, as the matching scale test does).
	Matches *matching.Index
}

// ScaleConfig selects a benchmark data set.
type ScaleConfig struct {
	People int   // about this many people (clients, children, perpetrators)
	Seed   int64 // same seed, same people
	// BenchUsers is how many front door workers get known credentials
	// (password and TOTP secret) for the load harness to sign in with.
	BenchUsers int
	// Progress, when set, hears the people written so far and the target.
	Progress func(done, total int)
}

// ScaleResult says what LoadScale wrote.
type ScaleResult struct {
	People, Clients, Children, Perpetrators int
	Contacts, Referrals, CaseEvents         int
	Assessments                             int
	// Events is what a client's timeline and risk history show, summed:
	// contacts, referrals, triage decisions, case status changes, risk
	// assessments.
	Events                       int
	Properties, Units, Bedspaces int
	Staff, Organisations, Teams  int
	HeavyClients                 int
	Elapsed                      time.Duration
	// Where the time went: the batch transactions (clients, children,
	// perpetrators, timelines), the risk assessments within them, the
	// matching index, the benchmark accounts.
	BatchTime, RiskTime, IndexTime, UsersTime time.Duration
	PeoplePerSecond, EventsPerSecond          float64

	lastBatch, lastRisk time.Duration
}

// BenchUser is a staff account the load harness signs in as, through the
// real sign-in form: the password, then a code computed from the secret.
type BenchUser struct {
	Username   string `json:"username"`
	Password   string `json:"password"`
	TOTPSecret string `json:"totp_secret"`
}

// BenchFile is what LoadScale leaves for the harness (mode 0600): the
// credentials, and which records to work on.
type BenchFile struct {
	People int         `json:"people"`
	Seed   int64       `json:"seed"`
	Users  []BenchUser `json:"users"`
	// HeavyClients have about 200 timeline events (the case page bar);
	// Clients are ordinary ones, for contacts and risk assessments.
	HeavyClients []string `json:"heavy_clients"`
	Clients      []string `json:"clients"`
	// SearchNames are "given family" names of recorded clients, for the
	// people search (the intake duplicate and perpetrator check).
	SearchNames []string `json:"search_names"`
}

// BenchFileName is the file, in the data dir, that holds a BenchFile.
const BenchFileName = "bench-credentials.json"

// ReadBenchFile reads a BenchFile.
func ReadBenchFile(path string) (*BenchFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f BenchFile
	return &f, json.Unmarshal(b, &f)
}

// WriteBenchFile writes f to path with mode 0600 (it holds passwords and
// TOTP secrets), creating its directory with mode 0700.
func WriteBenchFile(path string, f *BenchFile) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ErrScaleLoaded: LoadScale runs once per database.
var ErrScaleLoaded = errors.New("this database already holds a benchmark data set")

// scaleBatch is how many households go into one write transaction.
const scaleBatch = 100

// LoadScale builds a benchmark data set of about cfg.People people into an
// empty database: the partnership of ScaleForPeople(cfg.People) (its
// organisations, teams, staff, properties, units and bedspaces, growing
// towards 400 properties, 5,000 bedspaces and 2,000 staff), then the
// households of the demo generator until cfg.People people are written,
// each with its timeline (about ten events per person, ~1 % of clients
// with about 200), then cfg.BenchUsers front door workers with known
// credentials. Everything personal is sealed and blind-indexed by the same
// code as in production:
//
//   - clients through people.Service.CreateInTx (validation, sealing,
//     blind indexes, assignment, audit), a batch of 100 households per
//     transaction;
//   - risk checklists through risk.Service.AssessInTx (scoring,
//     escalation, IDVA tasks, MARAC referrals, audit) in the batch's
//     transaction (one serializable transaction each had been half the
//     build time);
//   - the matching index through matching.Index.Bulk, per batch, without
//     the per-record alert check (as imports do);
//   - children and perpetrators (household) and the timeline rows
//     (timeline, timelineRows.insert: referrals, triage, cases and their
//     status changes, contacts and case notes) written here, in the
//     batch transaction: the one place that writes rows directly. Through
//     CreateChild, CreatePerpetrator and LogContact every row would be a
//     durable commit of its own (some 12 M at 1 M people; the build was
//     over ten times slower). The columns, the sealing (Vault.SealString
//     with the same table, ID and field names), the blind-index purposes
//     and the audit events are those of internal/people and
//     internal/intake, so the application reads the rows like any other;
//     TestLoadScale reads them back through the services.
//
// It refuses a database that already holds a benchmark data set
// (ErrScaleLoaded), the demo, or anything else (ErrNotEmpty).
func LoadScale(ctx context.Context, svc ScaleServices, clock *Clock, cfg ScaleConfig) (*ScaleResult, *BenchFile, error) {
	start := time.Now()
	if cfg.People < 1 {
		return nil, nil, errors.New("demo: a benchmark data set needs at least one person")
	}
	var v string
	err := svc.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, []any{scaleKey}, &v)
	})
	if err == nil {
		return nil, nil, fmt.Errorf("%w (%s); build a new one in a new --data dir or database", ErrScaleLoaded, v)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, nil, err
	}
	gcfg := Config{Seed: cfg.Seed, Scale: ScaleForPeople(cfg.People)}.normalized()
	loaded, err := Load(ctx, svc.DB, svc.Accounts, gcfg)
	if err != nil {
		return nil, nil, err
	}
	if !loaded.Loaded {
		return nil, nil, fmt.Errorf("the demo (seed %d) is loaded in this database, and a benchmark data set is built only into an empty one; use a new --data dir or database", loaded.Seed)
	}
	p := NewPartnership(gcfg)
	res := &ScaleResult{Staff: loaded.Staff, Organisations: loaded.Organisations, Teams: loaded.Teams}
	props, err := LoadProperties(ctx, svc.Refuge, p, gcfg)
	if err != nil {
		return nil, nil, err
	}
	res.Properties, res.Units, res.Bedspaces = props.Properties, props.Units, props.Bedspaces

	l, err := newScaleLoader(ctx, svc, clock, p, gcfg)
	if err != nil {
		return nil, nil, err
	}
	l.res = res
	bf := &BenchFile{People: cfg.People, Seed: cfg.Seed}
	l.bench = bf
	defer clock.set(time.Time{})

	var batch []*Household
	stop := errors.New("enough")
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := l.batch(ctx, batch); err != nil {
			return err
		}
		batch = batch[:0]
		if cfg.Progress != nil {
			cfg.Progress(min(res.People, cfg.People), cfg.People)
		}
		return nil
	}
	planned, today := 0, time.Now().UTC()
	err = p.Households(gcfg, func(h *Household) error {
		if planned >= cfg.People {
			return stop
		}
		if len(h.Referrals) == 0 {
			return nil
		}
		planned += 1 + len(h.Perpetrators)
		for _, c := range h.Children {
			if c.DateOfBirth.IsZero() || !c.DateOfBirth.AddDate(people.MaxChildAge, 0, 0).Before(today) {
				planned++ // grown-up children are not written as children
			}
		}
		batch = append(batch, h)
		if len(batch) >= scaleBatch {
			return flush()
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return nil, nil, err
	}
	if err := flush(); err != nil {
		return nil, nil, err
	}

	// The harness's workers: front door workers of the helpline team,
	// who may read and update every client (all are held there).
	tu := time.Now()
	for i := range cfg.BenchUsers {
		u, err := l.benchUser(ctx, fmt.Sprintf("bench%03d", i+1))
		if err != nil {
			return nil, nil, fmt.Errorf("bench user %d: %w", i+1, err)
		}
		bf.Users = append(bf.Users, u)
		res.Staff++
	}
	res.UsersTime = time.Since(tu)
	if err := svc.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)`, scaleKey,
			strconv.Itoa(res.People)+" people, seed "+strconv.FormatInt(cfg.Seed, 10))
		return err
	}); err != nil {
		return nil, nil, err
	}
	// PostgreSQL plans by statistics that a bulk load leaves stale until
	// autovacuum comes round: without them the case page's joins chose
	// sequential scans over a million rows (0.1 ms became 115 ms).
	// SQLite's planner does without (it has no statistics unless asked).
	if svc.DB.Dialect() == store.Postgres {
		if err := svc.DB.Write(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, `ANALYZE`); return err }); err != nil {
			return nil, nil, fmt.Errorf("planner statistics: %w", err)
		}
	}
	res.Elapsed = time.Since(start)
	res.PeoplePerSecond = float64(res.People) / res.Elapsed.Seconds()
	res.EventsPerSecond = float64(res.Events) / res.Elapsed.Seconds()
	return res, bf, nil
}

type scaleLoader struct {
	svc   ScaleServices
	ps    people.Service // svc.People without per-record matching
	clock *Clock
	shift time.Duration
	cfg   Config
	org   string // the helpline's organisation: every client is its
	team  string // the helpline team
	fdw   access.Actor
	staff map[string]bool
	keys  []string // the risk checklist's item keys
	res   *ScaleResult
	bench *BenchFile
	// kids and perps count a batch's children and perpetrators (a
	// retried transaction starts again).
	kids, perps int
}

func newScaleLoader(ctx context.Context, svc ScaleServices, clock *Clock, p *Partnership, cfg Config) (*scaleLoader, error) {
	l := &scaleLoader{svc: svc, ps: *svc.People, clock: clock, cfg: cfg, shift: time.Now().UTC().Sub(cfg.Now), staff: map[string]bool{}}
	l.ps.Matches = nil // indexed in bulk per batch instead
	teams := map[string]Team{}
	for _, t := range p.Teams {
		teams[t.ID] = t
	}
	for _, s := range p.Staff {
		l.staff[s.ID] = true
		if l.fdw.StaffID == "" && s.Role == access.RoleFrontDoorWorker && len(s.TeamIDs) > 0 && teams[s.TeamIDs[0]].Service == "helpline" {
			l.fdw = access.Actor{StaffID: s.ID, Role: s.Role, OrganisationID: s.OrganisationID, TeamIDs: s.TeamIDs}
			l.org, l.team = s.OrganisationID, s.TeamIDs[0]
		}
	}
	if l.fdw.StaffID == "" {
		return nil, errors.New("demo: no front door worker in the partnership")
	}
	for _, it := range risk.DefaultSet().Items {
		l.keys = append(l.keys, it.Key)
	}
	return l, nil
}

// at moves a time of the fictional history to the real calendar (the
// history ends now) and sets the clock to it.
func (l *scaleLoader) at(t time.Time) time.Time {
	t = t.Add(l.shift).UTC()
	if now := time.Now().UTC(); t.After(now) {
		t = now
	}
	l.clock.set(t)
	return t
}

func (l *scaleLoader) staffOr(id string) string {
	if l.staff[id] {
		return id
	}
	return l.fdw.StaffID
}

// loadedClient is what a batch needs of a household after its client row.
type loadedClient struct {
	h  *Household
	id string
}

// assess completes the household's risk checklists through the risk
// service, in the batch's transaction (the only writer while the set is
// built).
func (l *scaleLoader) assess(ctx context.Context, tx *store.Tx, h *Household, clientID string) error {
	for _, ra := range h.RiskAssessments {
		n := ra.assessment(clientID, l.keys, l.at(ra.Completed))
		if _, err := l.svc.Risk.AssessInTx(ctx, tx, l.fdw, n); err != nil {
			return fmt.Errorf("risk assessment of household %d: %w", h.Index, err)
		}
	}
	return nil
}

// batch writes a batch of households: clients and timelines in one
// transaction, then children, perpetrators and risk assessments through
// the services, then the batch's matching entries.
func (l *scaleLoader) batch(ctx context.Context, hs []*Household) error {
	var done []loadedClient
	var subjects []matching.Subject
	origin := people.Origin{OrganisationID: l.org, TeamID: l.team, StaffID: l.fdw.StaffID, Role: l.fdw.Role, TeamIDs: l.fdw.TeamIDs}
	var rows timelineRows
	t0 := time.Now()
	defer func() { l.res.IndexTime += time.Since(t0) - l.res.lastBatch - l.res.lastRisk }()
	l.res.lastBatch, l.res.lastRisk = 0, 0
	err := l.svc.DB.Write(ctx, func(tx *store.Tx) error {
		done, subjects, rows = done[:0], subjects[:0], timelineRows{}
		l.res.lastRisk = 0
		l.kids, l.perps = 0, 0
		for _, h := range hs {
			received := l.at(h.Referrals[0].Received)
			nc := newScaleClient(h.Client, l.team)
			c, err := l.ps.CreateInTx(ctx, tx, origin, *nc)
			if err != nil {
				return fmt.Errorf("client of household %d: %w", h.Index, err)
			}
			done = append(done, loadedClient{h, c.ID})
			subjects = append(subjects, subjectOf(matching.Client, c.ID, l.org, h.Client.GivenName, h.Client.FamilyName, h.Client.Aliases,
				h.Client.DateOfBirth, h.Client.EstimatedAge, received, h.Client.Phone, h.Client.SafeContact.SafePhone))
			if err := l.timeline(&rows, h, c.ID); err != nil {
				return err
			}
			more, err := l.household(ctx, tx, h, c.ID)
			if err != nil {
				return fmt.Errorf("household %d: %w", h.Index, err)
			}
			subjects = append(subjects, more...)
			t := time.Now()
			if err := l.assess(ctx, tx, h, c.ID); err != nil {
				return err
			}
			l.res.lastRisk += time.Since(t)
		}
		return rows.insert(ctx, tx)
	})
	if err != nil {
		return err
	}
	l.res.lastBatch = time.Since(t0) - l.res.lastRisk
	l.res.BatchTime += l.res.lastBatch
	l.res.Children += l.kids
	l.res.Perpetrators += l.perps
	l.res.People += l.kids + l.perps
	l.res.Contacts += len(rows.contacts)
	l.res.Referrals += len(rows.referrals)
	l.res.CaseEvents += len(rows.events)
	l.res.Events += len(rows.contacts) + len(rows.referrals) + len(rows.triage) + len(rows.events)
	for _, d := range done {
		h := d.h
		l.res.Clients++
		l.res.People++
		if len(h.Events) >= 150 && len(l.bench.HeavyClients) < 64 {
			l.bench.HeavyClients = append(l.bench.HeavyClients, d.id)
		} else if len(l.bench.Clients) < 256 {
			l.bench.Clients = append(l.bench.Clients, d.id)
		}
		if len(l.bench.SearchNames) < 256 {
			l.bench.SearchNames = append(l.bench.SearchNames, h.Client.GivenName+" "+h.Client.FamilyName)
		}
		if len(h.Events) >= 150 {
			l.res.HeavyClients++
		}
		l.res.Assessments += len(h.RiskAssessments)
		l.res.Events += len(h.RiskAssessments)
	}
	l.res.RiskTime += l.res.lastRisk
	l.clock.set(time.Time{})
	if l.svc.Matches == nil {
		return nil
	}
	return l.svc.DB.Write(ctx, func(tx *store.Tx) error { return l.svc.Matches.Bulk(ctx, tx, subjects) })
}

// household writes a client's children and perpetrators in the batch's
// transaction, with their links and audit events, and returns their
// matching subjects. It does what people.Service.CreateChild and
// CreatePerpetrator do (same columns, the same sealing with the same
// table, ID and field names, the same blind-index purposes, the same
// audit events) without their transaction per person: through them, the
// 1 M-people set took over ten times longer, one synchronous commit per
// child and perpetrator. people.Service has no in-transaction form of
// these yet (it has CreateInTx for clients); when it does, call it here.
func (l *scaleLoader) household(ctx context.Context, tx *store.Tx, h *Household, clientID string) ([]matching.Subject, error) {
	v := l.svc.Vault
	now := l.at(h.Referrals[0].Received.Add(3 * time.Hour))
	today := time.Now().UTC()
	var subjects []matching.Subject
	for _, c := range h.Children {
		if !c.DateOfBirth.IsZero() && c.DateOfBirth.AddDate(people.MaxChildAge, 0, 0).Before(today) {
			continue // grown up by now: an adult in their own right
		}
		cid := id.New()
		d := people.ChildDetails{DateOfBirth: date(c.DateOfBirth), EstimatedAge: c.EstimatedAge, Gender: c.Gender, School: c.School, GP: c.GP}
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		var dob any
		if d.DateOfBirth != "" {
			dob = v.BlindIndex("child.dob", d.DateOfBirth)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO children (id, organisation_id, given_name_sealed, family_name_sealed, name_index, details_sealed,
			dob_index, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, cid, l.org,
			v.SealString(c.GivenName, "children", cid, "given_name"), v.SealString(c.FamilyName, "children", cid, "family_name"),
			v.BlindIndex("child.name", vault.NormaliseName(c.GivenName+" "+c.FamilyName)), v.SealString(string(b), "children", cid, "details"),
			dob, l.fdw.StaffID, now); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO child_links (child_id, client_id, created_by, created_at) VALUES ($1, $2, $3, $4)`,
			cid, clientID, l.fdw.StaffID, now); err != nil {
			return nil, err
		}
		if err := l.audit(ctx, tx, "record.link", people.RecordKind, clientID, "child "+cid); err != nil {
			return nil, err
		}
		if err := l.audit(ctx, tx, "record.create", people.ChildRecordKind, cid, "client "+clientID); err != nil {
			return nil, err
		}
		subjects = append(subjects, subjectOf(matching.Child, cid, l.org, c.GivenName, c.FamilyName, nil, c.DateOfBirth, c.EstimatedAge, now))
		l.kids++
	}
	for _, p := range h.Perpetrators {
		pid := id.New()
		rel := demoRelationship[p.Relationship]
		if rel == "" {
			rel = "other"
		}
		d := people.PerpetratorDetails{Aliases: p.Aliases, DateOfBirth: date(p.DateOfBirth), EstimatedAge: p.EstimatedAge,
			Phone: p.Phone, Description: p.Description, Vehicle: p.Vehicle, KnownAddresses: strings.Join(p.KnownAddresses, "\n"),
			Conditions: strings.Join(p.Conditions, "\n")}
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		var dob, phone any
		if d.DateOfBirth != "" {
			dob = v.BlindIndex("perpetrator.dob", d.DateOfBirth)
		}
		if d.Phone != "" {
			phone = v.BlindIndex("perpetrator.phone", vault.NormalisePhone(d.Phone))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO perpetrators (id, organisation_id, team_id, given_name_sealed, family_name_sealed, name_index,
			details_sealed, dob_index, phone_index, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			pid, l.org, l.team, v.SealString(p.GivenName, "perpetrators", pid, "given_name"), v.SealString(p.FamilyName, "perpetrators", pid, "family_name"),
			v.BlindIndex("perpetrator.name", vault.NormaliseName(p.GivenName+" "+p.FamilyName)), v.SealString(string(b), "perpetrators", pid, "details"),
			dob, phone, l.fdw.StaffID, now); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO perpetrator_links (perpetrator_id, client_id, relationship_sealed, created_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
			pid, clientID, people.SealRelationship(v, pid, clientID, rel), l.fdw.StaffID, now); err != nil {
			return nil, err
		}
		if err := l.audit(ctx, tx, "record.link", people.RecordKind, clientID, "perpetrator "+pid); err != nil {
			return nil, err
		}
		if err := l.audit(ctx, tx, "record.create", people.PerpetratorRecordKind, pid, "client "+clientID); err != nil {
			return nil, err
		}
		subjects = append(subjects, subjectOf(matching.Perpetrator, pid, l.org, p.GivenName, p.FamilyName, p.Aliases, p.DateOfBirth, p.EstimatedAge, now, p.Phone))
		l.perps++
	}
	return subjects, nil
}

func (l *scaleLoader) audit(ctx context.Context, tx *store.Tx, action, kind, recordID, purpose string) error {
	if l.ps.Record == nil {
		return nil
	}
	return l.ps.Record(ctx, tx, audit.Event{ActorID: l.fdw.StaffID, Action: action, RecordKind: kind, RecordID: recordID, Purpose: purpose})
}

func newScaleClient(p Person, team string) *people.NewClient {
	l := &peopleLoader{}
	return l.newClient(p, team)
}

// subjectOf is a person's matching entry, as the people service makes it.
func subjectOf(kind matching.Kind, recordID, org, given, family string, aliases []string, dob time.Time, age int, now time.Time, phones ...string) matching.Subject {
	s := matching.Subject{Kind: kind, ID: recordID, OrganisationID: org, Given: given, Family: family, Aliases: aliases}
	if !dob.IsZero() {
		s.DOB = dob.Format("2006-01-02")
	} else if age > 0 {
		s.BirthYear = now.Year() - age
	}
	for _, ph := range phones {
		if ph != "" {
			s.Phones = append(s.Phones, ph)
		}
	}
	return s
}

// benchUser adds a front door worker of the helpline team and takes it
// through the real account set-up: a one-time link, a password, a TOTP
// secret enrolled and confirmed with a code.
func (l *scaleLoader) benchUser(ctx context.Context, username string) (BenchUser, error) {
	a := l.svc.Accounts
	st, err := a.AddStaff(ctx, auth.NewStaff{OrganisationID: l.org, Username: username, DisplayName: "Benchmark worker " + strings.TrimPrefix(username, "bench"),
		Role: access.RoleFrontDoorWorker, TeamIDs: []string{l.team}})
	if err != nil {
		return BenchUser{}, err
	}
	link, err := a.IssueSetupLink(ctx, st.ID)
	if err != nil {
		return BenchUser{}, err
	}
	pw := randomPassword()
	session, _, err := a.CompleteSetup(ctx, link, auth.SetupForm{Password: pw, Confirm: pw})
	if err != nil {
		return BenchUser{}, err
	}
	en, err := a.BeginEnrolment(ctx, session)
	if err != nil {
		return BenchUser{}, err
	}
	code, err := TOTPCode(en.Secret, time.Now())
	if err != nil {
		return BenchUser{}, err
	}
	if _, _, err := a.ConfirmEnrolment(ctx, session, code); err != nil {
		return BenchUser{}, err
	}
	return BenchUser{Username: username, Password: pw, TOTPSecret: en.Secret}, nil
}

// TOTPCode is the code an authenticator app shows for secret at t.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

func randomPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	var b [24]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// ---- The timeline rows ----

// timelineRows are a batch's timeline rows, inserted together by insert.
type timelineRows struct {
	referrals, triage, cases, events, contacts [][]any
}

// contactChannel says how each kind of casework event is recorded as a
// contact on the front door timeline.
var contactChannel = map[string]string{
	"home_visit": "walk_in", "message_left": "phone", "text_sent": "text", "key_work_session": "walk_in",
	"child_session": "walk_in", "volunteer_session": "walk_in", "case_note": "phone",
}

// timeline adds household h's timeline rows for client cid: its
// referrals (the first triaged and allocated to a case in the helpline
// team, closed when the household's case closed), and a contact for each
// helpline contact and each casework event, with the event's note sealed.
func (l *scaleLoader) timeline(rows *timelineRows, h *Household, cid string) error {
	v := l.svc.Vault
	for i, r := range h.Referrals {
		rid := id.New()
		at := l.at(r.Received)
		risky := r.Risk
		if risky == "" {
			risky = "not_known"
		}
		details, err := intake.SealReferral(v, rid, intake.Source(r.Source), intake.RiskLevel(risky))
		if err != nil {
			return err
		}
		rows.referrals = append(rows.referrals, []any{rid, l.org, cid, details, at,
			v.SealString(demoSummary[r.Source], "intake_referrals", rid, "summary"), i > 0, l.fdw.StaffID, at})
		if i > 0 {
			continue
		}
		caseID := id.New()
		decided := at.Add(2 * time.Hour)
		decision, err := intake.SealDecision(v, rid, intake.Allocate, intake.Outreach)
		if err != nil {
			return err
		}
		rows.triage = append(rows.triage, []any{rid, decision, caseID, l.fdw.StaffID, decided})
		status, closed := "allocated", any(nil)
		var reason any
		if !h.Closed.IsZero() {
			status, closed, reason = "closed", l.at(h.Closed), intake.SealCloseReason(v, caseID, intake.SupportCompleted)
		}
		rows.cases = append(rows.cases, []any{caseID, cid, l.org, "outreach", l.team, rid, status, reason, decided, closed})
		change := func(status intake.CaseStatus, reason intake.CloseReason, by string, at any) error {
			evID := id.New()
			sealed, err := intake.SealChange(v, evID, status, reason)
			if err != nil {
				return err
			}
			rows.events = append(rows.events, []any{evID, caseID, sealed, by, at})
			return nil
		}
		if err := change(intake.CaseOpen, "", l.fdw.StaffID, decided); err != nil {
			return err
		}
		if err := change(intake.CaseAllocated, "", l.fdw.StaffID, decided); err != nil {
			return err
		}
		if closed != nil {
			if err := change(intake.CaseClosed, intake.SupportCompleted, l.staffOr(h.KeyWorkerID), closed); err != nil {
				return err
			}
		}
	}
	for _, c := range h.Contacts {
		at := l.at(c.Time)
		ctid := id.New()
		caller := string(demoCaller[c.CallerType])
		if caller == "" {
			caller = "unknown"
		}
		outcome := string(demoOutcome[c.Outcome])
		if outcome == "" || outcome == "callback_needed" {
			outcome = "other"
		}
		line := "main"
		if c.ServiceLine == "male" {
			line = "male_victim"
		}
		details, err := intake.SealContact(v, ctid, intake.Contact{Channel: intake.Channel(c.Channel), Direction: intake.Inbound,
			CallerType: intake.CallerType(caller), ServiceLine: intake.ServiceLine(line), Outcome: intake.Outcome(outcome)})
		if err != nil {
			return err
		}
		rows.contacts = append(rows.contacts, []any{ctid, l.org, details, cid, nil, l.staffOr(c.StaffID), at, at})
	}
	for _, e := range h.Events {
		switch e.Kind {
		case "referral_received", "contact", "risk_assessment", "turnaway", "case_closed":
			continue // written above, or by the risk service
		}
		at := l.at(e.Time)
		ctid := id.New()
		ch := contactChannel[e.Kind]
		if ch == "" {
			ch = "phone"
		}
		details, err := intake.SealContact(v, ctid, intake.Contact{Channel: intake.Channel(ch), Direction: intake.Outbound,
			CallerType: intake.CallerVictim, ServiceLine: intake.LineMain, Outcome: intake.OutcomeOther})
		if err != nil {
			return err
		}
		rows.contacts = append(rows.contacts, []any{ctid, l.org, details, cid,
			v.SealString(e.Note, "intake_contacts", ctid, "note"), l.staffOr(e.StaffID), at, at})
	}
	return nil
}

// insert writes the rows with multi-row INSERTs, in dependency order.
func (rows *timelineRows) insert(ctx context.Context, tx *store.Tx) error {
	for _, t := range []struct {
		q    string
		rows [][]any
	}{
		{`INSERT INTO intake_referrals (id, organisation_id, client_id, details_sealed, received_at, summary_sealed, repeat, received_via, created_by, created_at) VALUES `, rows.referrals},
		{`INSERT INTO intake_cases (id, client_id, organisation_id, service, team_id, referral_id, status, close_reason_sealed, opened_at, closed_at) VALUES `, rows.cases},
		{`INSERT INTO intake_triage (referral_id, decision_sealed, case_id, decided_by, decided_at) VALUES `, rows.triage},
		{`INSERT INTO intake_case_events (id, case_id, change_sealed, changed_by, changed_at) VALUES `, rows.events},
		{`INSERT INTO intake_contacts (id, organisation_id, details_sealed, follow_up, client_id, note_sealed, taken_by, taken_at, created_at) VALUES `, rows.contacts},
	} {
		if err := insertMany(ctx, tx, t.q, t.rows); err != nil {
			return err
		}
	}
	return nil
}

// insertMany runs head with many rows of placeholders. Two columns are
// filled in here rather than passed: referrals' received_via ('staff',
// after repeat) and contacts' follow_up (false, after outcome).
func insertMany(ctx context.Context, tx *store.Tx, head string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	cols := len(rows[0])
	// Not more: SQLite looks named parameters up in a list, so a
	// statement with thousands of them spends its time parsing.
	per := max(1, 200/cols)
	referrals := strings.HasPrefix(head, "INSERT INTO intake_referrals")
	contacts := strings.HasPrefix(head, "INSERT INTO intake_contacts")
	for i := 0; i < len(rows); i += per {
		chunk := rows[i:min(len(rows), i+per)]
		var q strings.Builder
		q.WriteString(head)
		args := make([]any, 0, cols*len(chunk))
		n := 0
		for j, r := range chunk {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for k := range r {
				if k > 0 {
					q.WriteString(", ")
				}
				if referrals && k == 7 {
					q.WriteString("'staff', ")
				}
				if contacts && k == 3 {
					q.WriteString("FALSE, ")
				}
				n++
				q.WriteString("$" + strconv.Itoa(n))
			}
			q.WriteByte(')')
			args = append(args, r...)
		}
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("demo: bulk timeline: %w", err)
		}
	}
	return nil
}
