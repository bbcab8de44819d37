package matching

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/id"
	"frontdoor/internal/store"
)

// maxCandidates bounds how many profiles one Find opens: the subjects
// sharing the most (and most telling) blocking keys with the probe.
const maxCandidates = 400

// maxLimit bounds Find's limit; zero or less means defaultLimit.
const (
	defaultLimit = 10
	maxLimit     = 100
)

// Audit actions.
const (
	ActionAlert     = "match.alert"
	ActionAlertRead = "match.alert_read"
)

func (x *Index) now() time.Time {
	if x.Now != nil {
		return x.Now().UTC()
	}
	return time.Now().UTC()
}

func validKind(k Kind) bool { return k == Client || k == Perpetrator || k == Child }

func profileAAD(kind Kind, id string) []string {
	return []string{"match_subjects", string(kind), id, "profile"}
}

// Put records (or replaces) a subject's blocking keys and match profile in
// the caller's transaction, and raises counter-allegation alerts when a
// client matches a recorded perpetrator or a perpetrator matches a client.
// by is the acting staff ID ("" for an inbound referral).
func (x *Index) Put(ctx context.Context, tx *store.Tx, by string, s Subject) ([]Alert, error) {
	ready, err := x.prepare(s)
	if err != nil {
		return nil, err
	}
	p, keys, sealed := ready.p, ready.keys, ready.sealed
	old, err := x.dropKeys(ctx, tx, s.Kind, s.ID)
	if err != nil {
		return nil, err
	}
	if old {
		_, err = tx.Exec(ctx, `UPDATE match_subjects SET organisation_id = $3, profile_sealed = $4, keys = $5 WHERE kind = $1 AND id = $2`,
			string(s.Kind), s.ID, s.OrganisationID, sealed, strings.Join(keys, " "))
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO match_subjects (kind, id, organisation_id, profile_sealed, keys) VALUES ($1, $2, $3, $4, $5)`,
			string(s.Kind), s.ID, s.OrganisationID, sealed, strings.Join(keys, " "))
	}
	if err != nil {
		return nil, fmt.Errorf("matching: store profile: %w", err)
	}
	if err := insertKeys(ctx, tx, s.Kind, s.ID, keys); err != nil {
		return nil, err
	}

	var other Kind
	switch s.Kind {
	case Client:
		other = Perpetrator
	case Perpetrator:
		other = Client
	default:
		return nil, nil
	}
	cands, err := x.find(ctx, tx, s.OrganisationID, p, []Kind{other}, maxLimit)
	if err != nil {
		return nil, err
	}
	var raised []Alert
	for _, c := range cands {
		if !atLeast(c.Score, AlertScore) {
			continue
		}
		a := Alert{ID: id.New(), Score: c.Score, Reasons: c.Reasons, RaisedAt: x.now().Truncate(time.Microsecond), RaisedBy: by}
		a.ClientID, a.PerpetratorID = s.ID, c.ID
		if s.Kind == Perpetrator {
			a.ClientID, a.PerpetratorID = c.ID, s.ID
		}
		var raisedBy any
		if by != "" {
			raisedBy = by
		}
		res, err := tx.Exec(ctx, `INSERT INTO match_alerts (id, organisation_id, client_id, perpetrator_id, score, reasons_sealed, raised_by, raised_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (client_id, perpetrator_id) DO NOTHING`,
			a.ID, s.OrganisationID, a.ClientID, a.PerpetratorID, a.Score, x.Vault.SealString(strings.Join(a.Reasons, ","), reasonsAAD(a.ID)...), raisedBy, a.RaisedAt)
		if err != nil {
			return nil, fmt.Errorf("matching: raise alert: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue // raised before
		}
		if x.Record != nil {
			if err := x.Record(ctx, tx, audit.Event{ActorID: by, Action: ActionAlert, RecordKind: "client", RecordID: a.ClientID,
				Purpose: "counter-allegation alert " + a.ID}); err != nil {
				return nil, err
			}
		}
		raised = append(raised, a)
	}
	return raised, nil
}

// dropKeys deletes the blocking keys a subject has now, reporting whether
// it had a profile.
func (x *Index) dropKeys(ctx context.Context, tx *store.Tx, kind Kind, id string) (bool, error) {
	var keys string
	err := tx.QueryRow(ctx, `SELECT keys FROM match_subjects WHERE kind = $1 AND id = $2`, []any{string(kind), id}, &keys)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("matching: read keys: %w", err)
	}
	old := strings.Fields(keys)
	for chunk := range slices.Chunk(old, 200) {
		args := []any{string(kind), id}
		q := `DELETE FROM match_keys WHERE kind = $1 AND id = $2 AND key IN (` + store.Placeholders(3, len(chunk)) + `)`
		for _, k := range chunk {
			args = append(args, k)
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return false, fmt.Errorf("matching: delete keys: %w", err)
		}
	}
	return true, nil
}

func insertKeys(ctx context.Context, tx *store.Tx, kind Kind, id string, keys []string) error {
	for chunk := range slices.Chunk(keys, 200) {
		var q strings.Builder
		q.WriteString(`INSERT INTO match_keys (key, kind, id) VALUES `)
		args := []any{string(kind), id}
		for i, k := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			fmt.Fprintf(&q, "($%d, $1, $2)", i+3)
			args = append(args, k)
		}
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("matching: insert keys: %w", err)
		}
	}
	return nil
}

// Remove forgets a subject (its record was erased), with the alerts that
// name it.
func (x *Index) Remove(ctx context.Context, tx *store.Tx, kind Kind, id string) error {
	if _, err := x.dropKeys(ctx, tx, kind, id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM match_subjects WHERE kind = $1 AND id = $2`, string(kind), id); err != nil {
		return fmt.Errorf("matching: delete profile: %w", err)
	}
	col := ""
	switch kind {
	case Client:
		col = "client_id"
	case Perpetrator:
		col = "perpetrator_id"
	default:
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM match_alert_reads WHERE alert_id IN (SELECT id FROM match_alerts WHERE `+col+` = $1)`, id); err != nil {
		return fmt.Errorf("matching: delete alert reads: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM match_alerts WHERE `+col+` = $1`, id); err != nil {
		return fmt.Errorf("matching: delete alerts: %w", err)
	}
	return nil
}

// Find lists likely matches for a probe within an organisation, best
// first, at most limit. It does not check access: callers show only the
// candidates the policy lets the actor read.
func (x *Index) Find(ctx context.Context, tx *store.Tx, organisationID string, p Probe, limit int) ([]Candidate, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	return x.find(ctx, tx, organisationID, probeProfile(p), p.Kinds, min(limit, maxLimit))
}

type subjectRef struct {
	kind Kind
	id   string
}

func (x *Index) find(ctx context.Context, tx *store.Tx, organisationID string, p profile, kinds []Kind, limit int) ([]Candidate, error) {
	raw := probeKeys(p)
	if len(raw) == 0 || organisationID == "" {
		return nil, nil
	}
	weight := make(map[string]float64, len(raw))
	args := make([]any, 0, len(raw)+len(kinds))
	for _, k := range raw {
		b := blind(x.Vault, organisationID, k)
		if _, dup := weight[b]; !dup {
			args = append(args, b)
		}
		weight[b] = max(weight[b], keyWeight[k.typ])
	}
	q := `SELECT key, kind, id FROM match_keys WHERE key IN (` + store.Placeholders(1, len(args)) + `)`
	if len(kinds) > 0 {
		q += ` AND kind IN (` + store.Placeholders(len(args)+1, len(kinds)) + `)`
		for _, k := range kinds {
			args = append(args, string(k))
		}
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("matching: look up keys: %w", err)
	}
	hits := map[subjectRef]float64{}
	for rows.Next() {
		var key, kind, sid string
		if err := rows.Scan(&key, &kind, &sid); err != nil {
			rows.Close()
			return nil, err
		}
		hits[subjectRef{Kind(kind), sid}] += weight[key]
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	refs := make([]subjectRef, 0, len(hits))
	for r := range hits {
		refs = append(refs, r)
	}
	slices.SortFunc(refs, func(a, b subjectRef) int {
		if c := cmp.Compare(hits[b], hits[a]); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	if len(refs) > maxCandidates {
		refs = refs[:maxCandidates]
	}
	byKind := map[Kind][]string{}
	for _, r := range refs {
		byKind[r.kind] = append(byKind[r.kind], r.id)
	}
	var out []Candidate
	for _, kind := range []Kind{Client, Perpetrator, Child} {
		ids := byKind[kind]
		if len(ids) == 0 {
			continue
		}
		args := []any{string(kind), organisationID}
		for _, sid := range ids {
			args = append(args, sid)
		}
		rows, err := tx.Query(ctx, `SELECT id, profile_sealed FROM match_subjects WHERE kind = $1 AND organisation_id = $2 AND id IN (`+store.Placeholders(3, len(ids))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("matching: read profiles: %w", err)
		}
		for rows.Next() {
			var sid, sealed string
			if err := rows.Scan(&sid, &sealed); err != nil {
				rows.Close()
				return nil, err
			}
			doc, err := x.Vault.OpenString(sealed, profileAAD(kind, sid)...)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("matching: open profile: %w", err)
			}
			var sp profile
			if err := json.Unmarshal([]byte(doc), &sp); err != nil {
				rows.Close()
				return nil, fmt.Errorf("matching: profile: %w", err)
			}
			if sc, why := score(p, sp); atLeast(sc, LikelyScore) {
				out = append(out, Candidate{Kind: kind, ID: sid, Score: sc, Reasons: why})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// alertRow is an alert as stored, before the visibility check.
type alertRow struct {
	Alert
	organisationID string
	reasons        string // sealed: which kinds of detail matched
}

func reasonsAAD(alertID string) []string { return []string{"match_alerts", alertID, "reasons"} }

// openReasons opens an alert's reasons, for one the actor may see.
func (x *Index) openReasons(a *alertRow) error {
	plain, err := x.Vault.OpenString(a.reasons, reasonsAAD(a.ID)...)
	if err != nil {
		return err
	}
	if plain != "" {
		a.Reasons = strings.Split(plain, ",")
	}
	return nil
}

// SealClearColumns is the sealed_columns migration's data step for this
// package's tables: it seals the reasons of the alerts earlier versions
// raised, kept in clear then, in the migration's transaction, in batches;
// the clear column goes after it, in the same migration.
func SealClearColumns(ctx context.Context, tx *store.Tx, v Sealer) error {
	return store.RewriteRows(ctx, tx, `SELECT id, reasons FROM match_alerts WHERE id > $1 ORDER BY id LIMIT 1000`, "match_alerts", "id",
		[]string{"reasons_sealed"}, func(c []sql.NullString) ([]any, error) {
			return []any{v.SealString(c[1].String, reasonsAAD(c[0].String)...)}, nil
		})
}

// visible reports whether actor may see an alert about the two records:
// a team manager who may read either record, or a caseworker assigned (or
// named on a restricted record) to either. A record restricted to others
// hides the whole alert: its existence must not leak.
// Visible reports whether the actor may see an alert (see Alerts), in the
// caller's transaction: the page that saved a record says an alert was
// raised only when the person saving may see it.
func (x *Index) Visible(ctx context.Context, tx *store.Tx, actor access.Actor, a Alert) (bool, error) {
	return x.visible(ctx, tx, actor, a)
}

func (x *Index) visible(ctx context.Context, tx *store.Tx, actor access.Actor, a Alert) (bool, error) {
	if x.Facts == nil {
		return false, errors.New("matching: no Facts func")
	}
	manager := actor.Role == access.RoleTeamManager
	worker := false
	switch actor.Role {
	case access.RoleFrontDoorWorker, access.RoleOutreachWorker, access.RoleIDVA, access.RoleRefugeWorker:
		worker = true
	}
	if !manager && !worker {
		return false, nil
	}
	see := false
	for _, r := range []struct {
		kind Kind
		id   string
	}{{Client, a.ClientID}, {Perpetrator, a.PerpetratorID}} {
		rec, err := x.Facts(ctx, tx, actor, r.kind, r.id)
		if errors.Is(err, store.ErrNotFound) || errs.CodeOf(err) == errs.NotFound {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		rel := access.RelationOf(actor, rec)
		if rel.Excluded() {
			return false, nil
		}
		if manager && access.Decide(actor, access.ReadRecord, rec).Allow {
			see = true
		}
		if worker && (rel == access.Assigned || rel == access.RestrictedNamed) {
			see = true
		}
	}
	return see, nil
}

const alertColumns = `a.id, a.organisation_id, a.client_id, a.perpetrator_id, a.score, a.reasons_sealed, a.raised_by, a.raised_at, r.read_at`

func scanAlert(rows interface{ Scan(...any) error }) (alertRow, error) {
	var a alertRow
	var by *string
	var readAt *time.Time
	if err := rows.Scan(&a.ID, &a.organisationID, &a.ClientID, &a.PerpetratorID, &a.Score, &a.reasons, &by, &a.RaisedAt, &readAt); err != nil {
		return a, err
	}
	if by != nil {
		a.RaisedBy = *by
	}
	a.Read = readAt != nil
	a.RaisedAt = a.RaisedAt.UTC()
	return a, nil
}

// Alerts lists the counter-allegation alerts the actor may see: managers,
// and the workers of either record.
func (x *Index) Alerts(ctx context.Context, actor access.Actor) ([]Alert, error) {
	var out []Alert
	err := x.DB.Read(ctx, func(tx *store.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, `SELECT `+alertColumns+` FROM match_alerts a
			LEFT JOIN match_alert_reads r ON r.alert_id = a.id AND r.staff_id = $2
			WHERE a.organisation_id = $1 ORDER BY a.raised_at DESC, a.id`, actor.OrganisationID, actor.StaffID)
		if err != nil {
			return fmt.Errorf("matching: list alerts: %w", err)
		}
		var all []alertRow
		for rows.Next() {
			a, err := scanAlert(rows)
			if err != nil {
				rows.Close()
				return err
			}
			all = append(all, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, a := range all {
			ok, err := x.visible(ctx, tx, actor, a.Alert)
			if err != nil {
				return err
			}
			if ok {
				if err := x.openReasons(&a); err != nil {
					return err
				}
				out = append(out, a.Alert)
			}
		}
		return nil
	})
	return out, err
}

// MarkRead marks an alert read for the actor. An alert the actor may not
// see is NotFound.
func (x *Index) MarkRead(ctx context.Context, actor access.Actor, alertID string) error {
	return x.DB.Write(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+alertColumns+` FROM match_alerts a
			LEFT JOIN match_alert_reads r ON r.alert_id = a.id AND r.staff_id = $2
			WHERE a.id = $1`, alertID, actor.StaffID)
		if err != nil {
			return fmt.Errorf("matching: read alert: %w", err)
		}
		var found []alertRow
		for rows.Next() {
			a, err := scanAlert(rows)
			if err != nil {
				rows.Close()
				return err
			}
			found = append(found, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(found) != 1 {
			return errs.New(errs.NotFound, "error.not_found")
		}
		a := found[0]
		// An alert raises a question about a person: to anyone it is not
		// for, it does not exist.
		refused := access.Hide(actor, access.ReadRecord, "match_alert", a.ID, "the alert is not for the reader")
		if a.organisationID != actor.OrganisationID {
			return refused
		}
		ok, err := x.visible(ctx, tx, actor, a.Alert)
		if err != nil {
			return err
		}
		if !ok {
			return refused
		}
		if a.Read {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO match_alert_reads (alert_id, staff_id, read_at) VALUES ($1, $2, $3)`,
			a.ID, actor.StaffID, x.now().Truncate(time.Microsecond)); err != nil {
			return fmt.Errorf("matching: mark read: %w", err)
		}
		if x.Record != nil {
			return x.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: ActionAlertRead, RecordKind: "client", RecordID: a.ClientID,
				Purpose: "counter-allegation alert " + a.ID})
		}
		return nil
	})
}

// prepared is a subject ready to be written: its sealed profile and keys.
type prepared struct {
	s      Subject
	p      profile
	sealed string
	keys   []string
}

func (x *Index) prepare(s Subject) (prepared, error) {
	if !validKind(s.Kind) || s.ID == "" || s.OrganisationID == "" {
		return prepared{}, errs.New(errs.Invalid, "match.error.subject")
	}
	p := subjectProfile(s)
	doc, err := json.Marshal(p)
	if err != nil {
		return prepared{}, err
	}
	out := prepared{s: s, p: p, sealed: x.Vault.SealString(string(doc), profileAAD(s.Kind, s.ID)...)}
	for _, k := range subjectKeys(p) {
		if b := blind(x.Vault, s.OrganisationID, k); !slices.Contains(out.keys, b) {
			out.keys = append(out.keys, b)
		}
	}
	return out, nil
}

// Bulk records many new subjects in the caller's transaction with
// multi-row inserts, sealing on every CPU: for imports, contract
// transfers and the demo loader. The subjects must not be recorded yet (a
// duplicate is store.ErrUnique), and no alerts are raised: run Put for
// the records that should raise them.
func (x *Index) Bulk(ctx context.Context, tx *store.Tx, subjects []Subject) error {
	ready := make([]prepared, len(subjects))
	workers := min(runtime.NumCPU(), max(1, len(subjects)/64))
	errc := make(chan error, workers)
	for w := range workers {
		go func() {
			var err error
			for i := w; i < len(subjects); i += workers {
				if ready[i], err = x.prepare(subjects[i]); err != nil {
					break
				}
			}
			errc <- err
		}()
	}
	var err error
	for range workers {
		err = errors.Join(err, <-errc)
	}
	if err != nil {
		return err
	}
	const subjectRows, keyRows = 100, 300
	for chunk := range slices.Chunk(ready, subjectRows) {
		var q strings.Builder
		q.WriteString(`INSERT INTO match_subjects (kind, id, organisation_id, profile_sealed, keys) VALUES `)
		args := make([]any, 0, 5*len(chunk))
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			n := 5 * i
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5)
			args = append(args, string(r.s.Kind), r.s.ID, r.s.OrganisationID, r.sealed, strings.Join(r.keys, " "))
		}
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("matching: bulk profiles: %w", err)
		}
	}
	type row struct{ key, kind, id string }
	var rows []row
	for _, r := range ready {
		for _, k := range r.keys {
			rows = append(rows, row{k, string(r.s.Kind), r.s.ID})
		}
	}
	for chunk := range slices.Chunk(rows, keyRows) {
		var q strings.Builder
		q.WriteString(`INSERT INTO match_keys (key, kind, id) VALUES `)
		args := make([]any, 0, 3*len(chunk))
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			n := 3 * i
			fmt.Fprintf(&q, "($%d, $%d, $%d)", n+1, n+2, n+3)
			args = append(args, r.key, r.kind, r.id)
		}
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("matching: bulk keys: %w", err)
		}
	}
	return nil
}
