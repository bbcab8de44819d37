package risk

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"frontdoor/internal/access"
	"frontdoor/internal/audit"
	"frontdoor/internal/errs"
	"frontdoor/internal/store"
)

// DefaultSetID is the question set shipped with frontdoor: the DASH
// structure as short topic labels, no copyrighted wording.
const DefaultSetID = "dash"

// Limits of a question set.
const (
	MaxItems      = 100
	maxKeyLen     = 64
	maxNameLen    = 200
	maxTopicLen   = 200
	maxWordingLen = 2000
)

//go:embed dash.json
var defaultSetJSON []byte

// Item is one question of a set: a stable key, a short topic label, and
// optionally the wording a service is licensed to show.
type Item struct {
	Key     string `json:"key"`
	Topic   string `json:"topic"`
	Wording string `json:"wording,omitempty"`
}

// Thresholds turn a yes-count into a level: High or more is high, Medium
// or more is medium, fewer is standard.
type Thresholds struct {
	High   int `json:"high"`
	Medium int `json:"medium"`
}

// QuestionSet is a versioned checklist.
type QuestionSet struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Version    int        `json:"version"`
	Thresholds Thresholds `json:"thresholds"`
	Items      []Item     `json:"items"`
}

// Level scores a yes-count against the set's thresholds.
func (q *QuestionSet) Level(yes int) Level {
	switch {
	case yes >= q.Thresholds.High:
		return High
	case yes >= q.Thresholds.Medium:
		return Medium
	}
	return Standard
}

func (q *QuestionSet) item(key string) (Item, bool) {
	for _, it := range q.Items {
		if it.Key == key {
			return it, true
		}
	}
	return Item{}, false
}

// DefaultSet returns the shipped DASH-structured set (version 1).
func DefaultSet() QuestionSet {
	q, err := ParseSet(defaultSetJSON)
	if err != nil {
		panic("risk: the embedded default question set is invalid: " + err.Error())
	}
	return q
}

func cleanText(v string) bool {
	return utf8.ValidString(v) && !strings.ContainsFunc(v, unicode.IsControl)
}

func validKey(k string) bool {
	if k == "" || len(k) > maxKeyLen {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// checkLongText is checkText for free text from a text area: line breaks
// and tabs are allowed.
func checkLongText(fe *FieldErrors, field, v string, required bool, max int) {
	flat := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, v)
	checkText(fe, field, flat, required, max)
}

func checkText(fe *FieldErrors, field, v string, required bool, max int) {
	switch {
	case !cleanText(v):
		fe.Add(field, "risk.text_invalid")
	case required && v == "":
		fe.Add(field, "risk.required")
	case utf8.RuneCountInString(v) > max:
		fe.Add(field, "risk.too_long", max)
	}
}

// ParseSet reads a question set from JSON and validates it: an id of
// lower-case letters, digits, '_' or '-'; a name; 1..100 items with unique
// keys and a topic each; thresholds with high > medium >= 1 and high no
// more than the number of items. Text is trimmed. Every problem is
// reported, each naming its field ("items[3].key", "thresholds.high").
// The version is kept as given (0 when absent); ImportSet assigns it.
func ParseSet(data []byte) (QuestionSet, error) {
	var q QuestionSet
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		return QuestionSet{}, FieldErrors{errs.Field("set", "risk.set_json_invalid")}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return QuestionSet{}, FieldErrors{errs.Field("set", "risk.set_json_invalid")}
	}
	q.ID, q.Name = strings.TrimSpace(q.ID), strings.TrimSpace(q.Name)
	for i := range q.Items {
		it := &q.Items[i]
		it.Key, it.Topic, it.Wording = strings.TrimSpace(it.Key), strings.TrimSpace(it.Topic), strings.TrimSpace(it.Wording)
	}
	if err := q.Validate(); err != nil {
		return QuestionSet{}, err
	}
	return q, nil
}

// Validate checks a set as ParseSet describes, returning FieldErrors.
func (q *QuestionSet) Validate() error {
	var fe FieldErrors
	if !validKey(q.ID) {
		fe.Add("id", "risk.set_id_invalid")
	}
	checkText(&fe, "name", q.Name, true, maxNameLen)
	if q.Version < 0 {
		fe.Add("version", "risk.set_version_invalid")
	}
	switch {
	case len(q.Items) == 0:
		fe.Add("items", "risk.set_no_items")
	case len(q.Items) > MaxItems:
		fe.Add("items", "risk.set_too_many_items", MaxItems)
	default:
		seen := map[string]bool{}
		for i, it := range q.Items {
			f := fmt.Sprintf("items[%d]", i)
			switch {
			case !validKey(it.Key):
				fe.Add(f+".key", "risk.item_key_invalid")
			case seen[it.Key]:
				fe.Add(f+".key", "risk.item_key_duplicate")
			}
			seen[it.Key] = true
			checkText(&fe, f+".topic", it.Topic, true, maxTopicLen)
			checkText(&fe, f+".wording", it.Wording, false, maxWordingLen)
		}
	}
	if q.Thresholds.Medium < 1 {
		fe.Add("thresholds.medium", "risk.threshold_medium_invalid")
	}
	if q.Thresholds.High <= q.Thresholds.Medium {
		fe.Add("thresholds.high", "risk.threshold_high_not_above_medium")
	} else if len(q.Items) > 0 && q.Thresholds.High > len(q.Items) {
		fe.Add("thresholds.high", "risk.threshold_high_unreachable")
	}
	return fe.Err()
}

// ImportSet validates a question set from JSON and stores it as the next
// version of its id (the version in the JSON is ignored). Loading wording
// is service configuration: the policy's ManageAccounts (administrator).
func (s *Service) ImportSet(ctx context.Context, actor access.Actor, data []byte) (QuestionSet, error) {
	if d := access.Decide(actor, access.ManageAccounts, access.Record{}); !d.Allow {
		return QuestionSet{}, errs.New(errs.Forbidden, "error.forbidden")
	}
	q, err := ParseSet(data)
	if err != nil {
		return QuestionSet{}, err
	}
	err = s.DB.Serializable(ctx, func(tx *store.Tx) error {
		if err := s.ensureDefault(ctx, tx); err != nil {
			return err
		}
		var latest int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM risk_question_sets WHERE id = $1`, []any{q.ID}, &latest); err != nil {
			return err
		}
		q.Version = latest + 1
		if err := insertSet(ctx, tx, q, actor.StaffID, s.Now().UTC()); err != nil {
			return err
		}
		return s.Record(ctx, tx, audit.Event{ActorID: actor.StaffID, Action: "risk.set_import", RecordKind: "risk_question_set", RecordID: fmt.Sprintf("%s/%d", q.ID, q.Version)})
	})
	if err != nil {
		return QuestionSet{}, err
	}
	return q, nil
}

func insertSet(ctx context.Context, tx *store.Tx, q QuestionSet, by string, at time.Time) error {
	body, err := json.Marshal(q)
	if err != nil {
		return err
	}
	var createdBy any
	if by != "" {
		createdBy = by
	}
	_, err = tx.Exec(ctx, `INSERT INTO risk_question_sets (id, version, name, items_json, item_count, high_threshold, medium_threshold, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		q.ID, q.Version, q.Name, string(body), len(q.Items), q.Thresholds.High, q.Thresholds.Medium, createdBy, at)
	return err
}

// ensureDefault stores the shipped set as version 1 of DefaultSetID if it
// is not there yet.
func (s *Service) ensureDefault(ctx context.Context, tx *store.Tx) error {
	return insertSet(ctx, tx, DefaultSet(), "", s.Now().UTC())
}

// loadSet reads one stored set version; version 0 means the latest.
func loadSet(ctx context.Context, tx *store.Tx, id string, version int) (*QuestionSet, error) {
	var body string
	var err error
	if version == 0 {
		err = tx.QueryRow(ctx, `SELECT items_json FROM risk_question_sets WHERE id = $1 ORDER BY version DESC LIMIT 1`, []any{id}, &body)
	} else {
		err = tx.QueryRow(ctx, `SELECT items_json FROM risk_question_sets WHERE id = $1 AND version = $2`, []any{id, version}, &body)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, FieldErrors{errs.Field("set_id", "risk.set_unknown")}
	}
	if err != nil {
		return nil, err
	}
	var q QuestionSet
	if err := json.Unmarshal([]byte(body), &q); err != nil {
		return nil, err
	}
	return &q, nil
}

// Set returns a stored question set (version 0: the latest), installing
// the default set first if needed. Sets hold no personal data.
func (s *Service) Set(ctx context.Context, id string, version int) (*QuestionSet, error) {
	var q *QuestionSet
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.ensureDefault(ctx, tx); err != nil {
			return err
		}
		var err error
		q, err = loadSet(ctx, tx, id, version)
		return err
	})
	return q, err
}
