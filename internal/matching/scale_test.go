package matching_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/audit"
	"frontdoor/internal/demo"
	"frontdoor/internal/matching"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
)

// scaleOrg holds every generated person: one organisation of a million
// people is the worst case for block sizes.
const scaleOrg = "0190f2a0-0000-7000-8000-00000000fee1"

// population is a generated, indexed world and the probes to run on it.
type population struct {
	db     *store.DB
	x      *matching.Index
	people int
	built  time.Duration
	probes []matching.Probe
	// Ground truth from the demo generator: a near-duplicate client and
	// the earlier client it duplicates; a client and the perpetrator it
	// matches.
	dups, counters []truth
	sampleKey      string
}

type truth struct {
	probe  matching.Probe
	wantID string
}

func subjectOf(kind matching.Kind, id string, given, family string, aliases []string, dob time.Time, age int, phone string, now time.Time) matching.Subject {
	s := matching.Subject{Kind: kind, ID: id, OrganisationID: scaleOrg, Given: given, Family: family, Aliases: aliases}
	if !dob.IsZero() {
		s.DOB = dob.Format("2006-01-02")
	} else if age > 0 {
		s.BirthYear = now.Year() - age
	}
	if phone != "" {
		s.Phones = []string{phone}
	}
	return s
}

func probeOf(s matching.Subject) matching.Probe {
	return matching.Probe{Given: s.Given, Family: s.Family, DOB: s.DOB, BirthYear: s.BirthYear, Phones: s.Phones}
}

// vary makes a probe the way a worker might type a person already known:
// a nickname, day and month swapped, the year only, a misspelt family
// name, only the phone number.
func vary(r *rand.Rand, s matching.Subject) matching.Probe {
	p := probeOf(s)
	switch r.IntN(6) {
	case 1:
		first, _, _ := strings.Cut(strings.ToLower(s.Given), " ")
		if heads := matching.NicknameGroups[first]; len(heads) > 0 {
			for n, hs := range matching.NicknameGroups {
				if n != first && slices.Contains(hs, heads[0]) {
					p.Given = n
					break
				}
			}
		}
	case 2:
		if t, ok := matching.Transpose(p.DOB); ok {
			p.DOB = t
		}
	case 3:
		if y := matching.BirthYearOf(p.DOB); y > 0 {
			p.DOB = strconv.Itoa(y)
		}
	case 4:
		if len(p.Family) > 4 {
			i := 1 + r.IntN(len(p.Family)-2)
			p.Family = p.Family[:i] + p.Family[i+1:]
		}
	case 5:
		if len(p.Phones) > 0 {
			p.Given, p.DOB, p.BirthYear = "", "", 0
		}
	}
	return p
}

// buildPopulation generates about n people with the demo generator
// (clients, children, perpetrators, with their aliases, dates of birth or
// estimated ages and phones) and indexes them with Bulk, in large
// transactions.
func buildPopulation(t testing.TB, d store.Dialect, n int) *population {
	t.Helper()
	ctx := context.Background()
	cfg := storetest.Config(t, d)
	db := storetest.OpenConfig(t, cfg)
	v := vaulttest.New(t, db)
	x := &matching.Index{Vault: v, DB: db, Record: audit.NewRecorder(v.AuditKey(), time.Now, nil), Now: time.Now}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, 'Scale', 'charity', $2)`, scaleOrg, time.Now().UTC())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	gcfg := demo.Config{Seed: 7, Scale: demo.ScaleForPeople(n)}
	part := demo.NewPartnership(gcfg)
	now := demo.DefaultNow
	r := rand.New(rand.NewPCG(1, 2))
	pop := &population{db: db, x: x}
	var batch []matching.Subject
	var clientIDs []string        // by household index
	perpIDs := map[int][]string{} // by household index, for ground truth
	var dupOf, counterOf []struct {
		s      matching.Subject
		target int
	}
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := db.Write(ctx, func(tx *store.Tx) error { return x.Bulk(ctx, tx, batch) }); err != nil {
			t.Fatalf("bulk: %v", err)
		}
		batch = batch[:0]
	}
	start := time.Now()
	stop := fmt.Errorf("enough")
	err := part.Households(gcfg, func(h *demo.Household) error {
		if pop.people >= n {
			return stop
		}
		c := h.Client
		cs := subjectOf(matching.Client, c.ID, c.GivenName, c.FamilyName, c.Aliases, c.DateOfBirth, c.EstimatedAge, c.Phone, now)
		batch = append(batch, cs)
		clientIDs = append(clientIDs, c.ID)
		for _, ch := range h.Children {
			batch = append(batch, subjectOf(matching.Child, ch.ID, ch.GivenName, ch.FamilyName, ch.Aliases, ch.DateOfBirth, ch.EstimatedAge, ch.Phone, now))
		}
		for _, p := range h.Perpetrators {
			batch = append(batch, subjectOf(matching.Perpetrator, p.ID, p.GivenName, p.FamilyName, p.Aliases, p.DateOfBirth, p.EstimatedAge, p.Phone, now))
			perpIDs[h.Index] = append(perpIDs[h.Index], p.ID)
		}
		pop.people += h.People()
		if h.NearDuplicateOf >= 0 && len(dupOf) < 400 {
			dupOf = append(dupOf, struct {
				s      matching.Subject
				target int
			}{cs, h.NearDuplicateOf})
		}
		if h.MatchesPerpetratorOf >= 0 && len(counterOf) < 400 {
			counterOf = append(counterOf, struct {
				s      matching.Subject
				target int
			}{cs, h.MatchesPerpetratorOf})
		}
		if r.IntN(max(1, n/3000)) == 0 {
			pop.probes = append(pop.probes, vary(r, batch[len(batch)-1]))
		}
		if len(batch) >= 20000 {
			flush()
		}
		return nil
	})
	if err != nil && err != stop {
		t.Fatal(err)
	}
	flush()
	pop.built = time.Since(start)
	for _, d := range dupOf {
		if d.target < len(clientIDs) {
			pop.dups = append(pop.dups, truth{probeOf(d.s), clientIDs[d.target]})
		}
	}
	for _, c := range counterOf {
		if ids := perpIDs[c.target]; len(ids) > 0 {
			p := probeOf(c.s)
			p.Kinds = []matching.Kind{matching.Perpetrator}
			pop.counters = append(pop.counters, truth{p, ids[0]})
		}
	}
	if err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT key FROM match_keys ORDER BY key LIMIT 1`, nil, &pop.sampleKey)
	}); err != nil {
		t.Fatal(err)
	}
	if d == store.Postgres {
		if err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `ANALYZE match_keys`)
			if err == nil {
				_, err = tx.Exec(ctx, `ANALYZE match_subjects`)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	return pop
}

func (pop *population) find(p matching.Probe) ([]matching.Candidate, error) {
	var out []matching.Candidate
	err := pop.db.Read(context.Background(), func(tx *store.Tx) error {
		var err error
		out, err = pop.x.Find(context.Background(), tx, scaleOrg, p, 10)
		return err
	})
	return out, err
}

type latencies []time.Duration

func (l latencies) at(q float64) time.Duration {
	s := slices.Clone(l)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func (l latencies) String() string {
	return fmt.Sprintf("p50 %v  p95 %v  p99 %v  max %v  (n=%d)", l.at(0.50).Round(10*time.Microsecond),
		l.at(0.95).Round(10*time.Microsecond), l.at(0.99).Round(10*time.Microsecond), l.at(1).Round(10*time.Microsecond), len(l))
}

// TestScale measures Find at MATCH_SCALE people (for example 1000000) on
// SQLite, and on PostgreSQL when FRONTDOOR_TEST_DATABASE_URL is set:
//
//	MATCH_SCALE=1000000 go test -run TestScale -v -timeout 2h ./internal/matching
func TestScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("MATCH_SCALE"))
	if n <= 0 {
		t.Skip("set MATCH_SCALE=<people> to measure Find at scale")
	}
	for _, d := range storetest.Dialects {
		if d == store.Postgres && os.Getenv("FRONTDOOR_TEST_DATABASE_URL") == "" {
			t.Logf("postgres: FRONTDOOR_TEST_DATABASE_URL not set; measuring SQLite only")
			continue
		}
		t.Run(string(d), func(t *testing.T) {
			pop := buildPopulation(t, d, n)
			var keys, subjects int
			pop.db.Read(context.Background(), func(tx *store.Tx) error {
				tx.QueryRow(context.Background(), `SELECT count(*) FROM match_keys`, nil, &keys)
				return tx.QueryRow(context.Background(), `SELECT count(*) FROM match_subjects`, nil, &subjects)
			})
			t.Logf("%s: %d people (%d subjects, %d keys, %.1f per subject) indexed in %v", d, pop.people, subjects, keys,
				float64(keys)/float64(subjects), pop.built.Round(time.Second))

			// Warm up, then measure.
			for _, p := range pop.probes[:min(50, len(pop.probes))] {
				pop.find(p)
			}
			var lat, bare latencies
			found := 0
			for _, p := range pop.probes {
				start := time.Now()
				got, err := pop.find(p)
				lat = append(lat, time.Since(start))
				if err != nil {
					t.Fatal(err)
				}
				if len(got) > 0 {
					found++
				}
				start = time.Now()
				if err := pop.db.Read(context.Background(), func(tx *store.Tx) error {
					var kind, id string
					return tx.QueryRow(context.Background(), `SELECT kind, id FROM match_keys WHERE key = $1 LIMIT 1`, []any{pop.sampleKey}, &kind, &id)
				}); err != nil {
					t.Fatal(err)
				}
				bare = append(bare, time.Since(start))
			}
			t.Logf("%s Find:                      %v; %d of %d varied probes found someone", d, lat, found, len(lat))
			t.Logf("%s bare one-key lookup (baseline): %v", d, bare)

			recall := func(name string, ts []truth) {
				hit := 0
				for _, tr := range ts {
					got, err := pop.find(tr.probe)
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range got {
						if c.ID == tr.wantID {
							hit++
							break
						}
					}
				}
				if len(ts) > 0 {
					t.Logf("%s recall on the generator's %s: %d of %d (%.0f%%)", d, name, hit, len(ts), 100*float64(hit)/float64(len(ts)))
				}
			}
			recall("near-duplicate clients", pop.dups)
			recall("clients matching a perpetrator", pop.counters)

			// Put with the alert check, as a worker saving a new client.
			var puts latencies
			r := rand.New(rand.NewPCG(3, 4))
			for i := range 100 {
				s := matching.Subject{Kind: matching.Client, ID: fmt.Sprintf("0190f2a0-0000-7000-8000-%012d", i), OrganisationID: scaleOrg}
				p := pop.probes[r.IntN(len(pop.probes))]
				s.Given, s.Family, s.DOB, s.BirthYear, s.Phones = p.Given, p.Family, p.DOB, p.BirthYear, p.Phones
				start := time.Now()
				if err := pop.db.Write(context.Background(), func(tx *store.Tx) error {
					_, err := pop.x.Put(context.Background(), tx, "", s)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				puts = append(puts, time.Since(start))
			}
			t.Logf("%s Put (keys, profile, alert check, commit): %v", d, puts)

			if p95 := lat.at(0.95); p95 >= 20*time.Millisecond {
				t.Errorf("%s: Find p95 %v at %d people: the target is under 20 ms", d, p95, pop.people)
			}
		})
	}
}

// BenchmarkFind runs Find over MATCH_BENCH_PEOPLE generated people
// (default 20000) on SQLite.
func BenchmarkFind(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("MATCH_BENCH_PEOPLE"))
	if n <= 0 {
		n = 20000
	}
	pop := buildPopulation(b, store.SQLite, n)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := pop.find(pop.probes[i%len(pop.probes)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
