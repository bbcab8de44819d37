package e2e

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/testserve"
	"frontdoor/internal/vault"
)

// racers is how many holds of the same unit are fired at once; rounds is
// how many units are raced for, one after the other (each round is a
// fresh chance for a double hold to show).
const (
	racers = 120
	rounds = 3
)

var (
	setupLinkRe = regexp.MustCompile(`https?://\S+/setup/[A-Za-z0-9_-]+`)
	secretRe    = regexp.MustCompile(`<code id="secret">([A-Z2-7]+)</code>`)
	teamRe      = regexp.MustCompile(`<select id="team" name="team"><option value="([0-9a-f-]{36})"`)
	clientRe    = regexp.MustCompile(`^/people/([0-9a-f-]{36})(?:\?.*)?$`)
	referralRe  = regexp.MustCompile(`^/refuge/referrals/[0-9a-f-]{36}$`)
)

// worker is a signed-in member of staff driving the pages over plain
// HTTP: one cookie jar, so the same session on every node (sessions live
// in the shared database, and cookies ignore the port).
type worker struct {
	t        *testing.T
	username string
	http     *http.Client
}

// newHTTPClient does not follow redirects (the test reads each 303), and
// has timeouts so a stuck node fails the test rather than hanging it.
func newHTTPClient(t *testing.T, jar http.CookieJar) *http.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = racers
	tr.ResponseHeaderTimeout = 30 * time.Second
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Jar:           jar,
		Transport:     tr,
		Timeout:       45 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (w *worker) do(method, rawURL string, form url.Values) (int, http.Header, string) {
	w.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		w.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := w.http.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, pathOf(w.t, rawURL), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatalf("%s %s: read the body: %v", method, pathOf(w.t, rawURL), err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// signInOverHTTP has a demo account get a new one-time link from the
// command line, choose a password on the setup page and enrol an
// authenticator: what choosePasswordAndEnrol does in Chromium, in plain
// HTTP so a race can use the session from many goroutines.
func signInOverHTTP(t *testing.T, s *testserve.Server, env, db []string, username, password string) *worker {
	t.Helper()
	args := append([]string{"user", "invite", "--username", username, "--base-url", s.URL}, db...)
	res := testserve.Run(t, env, args...)
	link := setupLinkRe.FindString(res.Stdout)
	if res.Code != 0 || link == "" {
		t.Fatalf("user invite %s: exit %d\n%s%s", username, res.Code, res.Stdout, res.Stderr)
	}
	s.Personal(strings.TrimPrefix(link, s.URL+"/setup/"), password)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &worker{t: t, username: username, http: newHTTPClient(t, jar)}
	if code, h, body := w.do("POST", link, url.Values{"password": {password}, "confirm": {password}}); code != http.StatusSeeOther || h.Get("Location") != "/enrol" {
		t.Fatalf("%s: setup answered %d to %q:\n%s", username, code, h.Get("Location"), body)
	}
	code, _, body := w.do("GET", s.URL+"/enrol", nil)
	m := secretRe.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("%s: enrolment page %d without a secret:\n%s", username, code, body)
	}
	s.Personal(m[1])
	totpCode, err := totp.GenerateCode(m[1], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if code, _, body := w.do("POST", s.URL+"/enrol", url.Values{"code": {totpCode}}); code != http.StatusOK || !strings.Contains(body, `id="recovery-codes"`) {
		t.Fatalf("%s: enrolment answered %d:\n%s", username, code, body)
	}
	return w
}

// newClient records a client on the worker's first team and returns its ID.
func (w *worker) newClient(s *testserve.Server, given, family string) string {
	w.t.Helper()
	code, _, body := w.do("GET", s.URL+"/people/new", nil)
	m := teamRe.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		w.t.Fatalf("%s: new client form %d without a team:\n%s", w.username, code, body)
	}
	s.Personal(given, family)
	code, h, body := w.do("POST", s.URL+"/people", url.Values{"team": {m[1]}, "given_name": {given}, "family_name": {family}})
	c := clientRe.FindStringSubmatch(h.Get("Location"))
	if code != http.StatusSeeOther || c == nil {
		w.t.Fatalf("%s: new client answered %d to %q:\n%s", w.username, code, h.Get("Location"), body)
	}
	return c[1]
}

// newChild records a girl of age on the client's record.
func (w *worker) newChild(s *testserve.Server, client, given string, age int) {
	w.t.Helper()
	s.Personal(given)
	code, h, body := w.do("POST", s.URL+"/people/"+client+"/children/new", url.Values{"given_name": {given}, "family_name": {"Holdfast"}, "estimated_age": {strconv.Itoa(age)}, "gender": {"female"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/children/") {
		w.t.Fatalf("%s: new child answered %d to %q:\n%s", w.username, code, h.Get("Location"), body)
	}
}

// vacancy is one result of the vacancy search page: its hold form.
type vacancy struct {
	unit     string
	property string // the result's heading: property and unit names
	action   string
	hidden   url.Values      // the household, as the page carries it to the hold
	clients  map[string]bool // the clients the form offers to hold for
}

var (
	// The results are one form: the household and the client once, a
	// button per unit sending the form to that unit's hold.
	holdFormRe = regexp.MustCompile(`(?s)<form method="post" action="/vacancies/search" id="hold-form"[^>]*>(.*?)</form>`)
	vacancyRe  = regexp.MustCompile(`(?s)<li class="vacancy" id="vacancy-([0-9a-f-]{36})">\s*<h3>(.*?)</h3>.*?formaction="(/vacancies/units/[0-9a-f-]{36}/hold)"`)
	hiddenRe   = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
	optionRe   = regexp.MustCompile(`<option value="([0-9a-f-]{36})"`)
)

// search asks the vacancy search, on node s, for the client's household
// (one adult and her girls of 5 and 7, as her record has them) for the
// women's service (a hold is for one service, and these clients' records
// give no gender), and reads the results page's hold forms.
func (w *worker) search(s *testserve.Server, client string) []vacancy {
	w.t.Helper()
	code, _, body := w.do("POST", s.URL+"/vacancies/search", url.Values{"client": {client}, "adults": {"1"}, "child_age": {"5", "7"}, "child_boy": {"0", "0"}, "service": {"women"}})
	if code != http.StatusOK || !strings.Contains(body, `id="results"`) {
		w.t.Fatalf("%s: the vacancy search answered %d:\n%s", w.username, code, body)
	}
	var out []vacancy
	form := holdFormRe.FindStringSubmatch(body)
	if form == nil {
		if strings.Contains(body, `<li class="vacancy"`) {
			w.t.Fatalf("%s: results without their hold form", w.username)
		}
		return nil
	}
	hidden, clients := url.Values{}, map[string]bool{}
	for _, h := range hiddenRe.FindAllStringSubmatch(form[1], -1) {
		hidden.Add(h[1], html.UnescapeString(h[2]))
	}
	for _, o := range optionRe.FindAllStringSubmatch(form[1], -1) {
		clients[o[1]] = true
	}
	for _, m := range vacancyRe.FindAllStringSubmatch(form[1], -1) {
		v := vacancy{unit: m[1], property: html.UnescapeString(strings.SplitN(m[2], " · ", 2)[0]), action: m[3],
			hidden: url.Values{}, clients: clients}
		if !strings.Contains(m[3], m[1]) {
			w.t.Fatalf("result %s holds through %s", m[1], m[3])
		}
		for k, vs := range hidden {
			v.hidden[k] = append([]string(nil), vs...)
		}
		out = append(out, v)
	}
	if n := strings.Count(body, `<li class="vacancy"`); n != len(out) {
		w.t.Fatalf("%s: read %d of the %d results on the page", w.username, len(out), n)
	}
	return out
}

// frontDoorWorkers lists the demo's front door workers from the command
// line ('user list').
func frontDoorWorkers(t *testing.T, env, db []string) []string {
	t.Helper()
	res := testserve.Run(t, env, append([]string{"user", "list"}, db...)...)
	if res.Code != 0 {
		t.Fatalf("user list: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	var out []string
	for _, line := range strings.Split(res.Stdout, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[1] == "front_door_worker" {
			out = append(out, f[0])
		}
	}
	if len(out) < 2 {
		t.Fatalf("the demo has fewer than two front door workers:\n%s", res.Stdout)
	}
	return out
}

// outcome is one racer's answer.
type outcome struct {
	node     string
	worker   string
	code     int
	location string
	body     string
	err      error
}

// TestBedspaceHoldRace is issue 5's correctness under load: 120 holds of
// the same free unit (the last free one of its property for the
// household) are let go at the same instant, through two serve processes
// on one PostgreSQL database and through one on SQLite, from two front
// door workers' sessions for four clients. Exactly one hold succeeds;
// every other racer is told the space is no longer available (409), none
// sees an error page. It is done for three units in turn: each round is
// another chance for a double hold to show.
func TestBedspaceHoldRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		began := time.Now()
		var env, db []string
		var nodes []*testserve.Server
		if d == store.Postgres {
			env = []string{"FRONTDOOR_MASTER_KEY=" + vault.NewMasterKey().Encode()}
			db = []string{"--database-url", storetest.PostgresURL(t)}
			a := testserve.Start(t, env, append([]string{"--demo"}, db...)...)
			a.SetupLink(t) // printed once the demo is loaded
			b := testserve.Start(t, env, db...)
			nodes = []*testserve.Server{a, b}
		} else {
			db = []string{"--data", filepath.Join(t.TempDir(), "data")}
			a := testserve.Start(t, env, append([]string{"--demo"}, db...)...)
			a.SetupLink(t)
			nodes = []*testserve.Server{a}
		}
		a := nodes[0]
		t.Logf("%s: %d node(s) up with the demo in %s", d, len(nodes), time.Since(began).Round(time.Millisecond))

		// Two front door workers, each with two clients of their own, each
		// a mother with two girls on her record: four households want the
		// one place (a hold must fit the household and match the record).
		names := frontDoorWorkers(t, env, db)
		workers := []*worker{
			signInOverHTTP(t, a, env, db, names[0], "blue kettle morning"),
			signInOverHTTP(t, nodes[len(nodes)-1], env, db, names[1], "green ferry evening"),
		}
		type racer struct {
			w      *worker
			client string
		}
		var households []racer
		for i, w := range workers {
			for j := range 2 {
				c := w.newClient(a, fmt.Sprintf("Racer%c", 'A'+2*i+j), "Holdfast")
				w.newChild(a, c, fmt.Sprintf("Tess%c", 'A'+2*i+j), 5)
				w.newChild(a, c, fmt.Sprintf("Ivy%c", 'A'+2*i+j), 7)
				households = append(households, racer{w, c})
			}
		}

		// The first worker searches for their first client and picks the
		// units to race for: each the last free one of its property for this
		// household where the page shows such, on different properties.
		w0, c0 := households[0].w, households[0].client
		results := w0.search(a, c0)
		perProperty := map[string]int{}
		for _, v := range results {
			perProperty[v.property]++
		}
		var targets []vacancy
		seen := map[string]bool{}
		for _, alone := range []bool{true, false} {
			for _, v := range results {
				if len(targets) < rounds && !seen[v.property] && (perProperty[v.property] == 1) == alone {
					seen[v.property] = true
					targets = append(targets, v)
				}
			}
		}
		if len(targets) == 0 {
			t.Fatal("the vacancy search offers no unit to hold")
		}
		// Every household's own search offers each unit, with the client to
		// choose in its hold form: each racer posts the form its results page
		// gave, with its client chosen.
		forms := make([]map[string]url.Values, len(households))
		for i, h := range households {
			forms[i] = map[string]url.Values{}
			offered := map[string]vacancy{}
			for _, v := range h.w.search(nodes[i%len(nodes)], h.client) {
				offered[v.unit] = v
			}
			for _, target := range targets {
				v, ok := offered[target.unit]
				if !ok {
					t.Fatalf("the search for client %d does not offer %s", i, target.property)
				}
				if !v.clients[h.client] {
					t.Fatalf("the hold form for %s does not offer client %d to choose", target.property, i)
				}
				v.hidden.Set("client", h.client)
				forms[i][target.unit] = v.hidden
			}
		}
		alone := 0
		for _, v := range targets {
			if perProperty[v.property] == 1 {
				alone++
			}
		}
		t.Logf("%s: signed in, clients recorded and %d unit(s) found (%d the last free of their property for the household) at %s",
			d, len(targets), alone, time.Since(began).Round(time.Millisecond))

		for _, target := range targets {
			// The race: every racer first opens its own connection to its
			// node (so none starts ahead on a warm one), every request is
			// built, then all are let go at once, spread over the nodes,
			// workers and households.
			var warm sync.WaitGroup
			for i := range racers {
				h, n := households[i%len(households)], nodes[i%len(nodes)]
				warm.Go(func() {
					resp, err := h.w.http.Get(n.URL + "/healthz")
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				})
			}
			warm.Wait()
			outcomes := make([]outcome, racers)
			start := make(chan struct{})
			var ready, done sync.WaitGroup
			for i := range racers {
				h, n := households[i%len(households)], nodes[i%len(nodes)]
				req, err := http.NewRequest("POST", n.URL+target.action, strings.NewReader(forms[i%len(households)][target.unit].Encode()))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				ready.Add(1)
				done.Add(1)
				go func() {
					defer done.Done()
					o := outcome{node: n.URL, worker: h.w.username}
					ready.Done()
					<-start
					resp, err := h.w.http.Do(req)
					if err != nil {
						o.err = err
					} else {
						b, rerr := io.ReadAll(resp.Body)
						resp.Body.Close()
						o.code, o.location, o.body, o.err = resp.StatusCode, resp.Header.Get("Location"), string(b), rerr
					}
					outcomes[i] = o
				}()
			}
			ready.Wait()
			raceBegan := time.Now()
			close(start)
			done.Wait()
			t.Logf("%s: %d concurrent holds of %s over %d node(s) answered in %s", d, racers, target.property, len(nodes), time.Since(raceBegan).Round(time.Millisecond))

			var winners []int
			perNode := map[string]int{}
			for i, o := range outcomes {
				switch {
				case o.err != nil:
					t.Errorf("racer %d (%s on %s): %v", i, o.worker, o.node, o.err)
				case o.code == http.StatusSeeOther && referralRe.MatchString(o.location):
					winners = append(winners, i)
					perNode[o.node]++
				case o.code == http.StatusConflict && strings.Contains(o.body, "no longer available"):
					perNode[o.node]++
				default:
					t.Errorf("racer %d (%s on %s): %d to %q, neither a hold nor \"no longer available\":\n%.2000s", i, o.worker, o.node, o.code, o.location, o.body)
				}
			}
			for _, i := range winners {
				t.Logf("%s: racer %d (%s on %s) holds %s", d, i, outcomes[i].worker, outcomes[i].node, target.property)
			}
			if len(winners) != 1 {
				t.Errorf("%s: %d holds of %s succeeded (racers %v), want exactly 1", d, len(winners), target.property, winners)
			}
			for _, n := range nodes {
				if perNode[n.URL] == 0 {
					t.Errorf("node %s answered no racer", n.URL)
				}
			}

			// Afterwards the winner's referral opens on every node; the unit
			// is gone from the search everywhere, and a latecomer is told it
			// is no longer available.
			for _, n := range nodes {
				if len(winners) == 1 {
					o := outcomes[winners[0]]
					h := households[winners[0]%len(households)]
					if code, _, body := h.w.do("GET", n.URL+o.location, nil); code != http.StatusOK {
						t.Errorf("the winner's referral on %s answered %d:\n%.2000s", n.URL, code, body)
					}
				}
				for _, v := range w0.search(n, c0) {
					if v.unit == target.unit {
						t.Errorf("after the race the search on %s still offers %s", n.URL, target.property)
					}
				}
				last := len(households) - 1
				if code, _, body := households[last].w.do("POST", n.URL+target.action, forms[last][target.unit]); code != http.StatusConflict || !strings.Contains(body, "no longer available") {
					t.Errorf("a hold after the race on %s answered %d:\n%.2000s", n.URL, code, body)
				}
			}
			// A client holds one space at a time: the winner lets this one
			// go, so every household races for the next unit afresh.
			if len(winners) == 1 {
				o, h := outcomes[winners[0]], households[winners[0]%len(households)]
				if code, _, body := h.w.do("POST", a.URL+o.location+"/decline", url.Values{"by": {"client"}, "reason": {"client_declined"}}); code != http.StatusSeeOther {
					t.Fatalf("declining the winner's hold answered %d:\n%.2000s", code, body)
				}
			}
		}
		for _, n := range nodes {
			if strings.Contains(n.Stderr(), `"level":"ERROR"`) || strings.Contains(n.Stderr(), "level=ERROR") {
				t.Errorf("node %s logged an error:\n%s", n.URL, n.Stderr())
			}
		}
		t.Logf("%s: done in %s", d, time.Since(began).Round(time.Millisecond))
	})
}
