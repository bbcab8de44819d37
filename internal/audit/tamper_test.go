package audit

import (
	"errors"
	"testing"
	"time"

	"frontdoor/internal/id"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// Each case plays an attacker with database access but not the key: the
// triggers are dropped, the trail changed in SQL, and Verify must name the
// first broken event and how it broke.
func TestVerifyCatchesTampering(t *testing.T) {
	const n = 10
	type tamper func(t *testing.T, db *store.DB, evs []Event) (seq int64, eventID string, reason Reason)
	forged := func(key []byte, seq int64, prev string) Event {
		e := Event{Seq: seq, ID: id.New(), At: time.Now().UTC().Truncate(time.Microsecond), ActorID: "s1", Action: "record.read", RecordKind: "survivor", RecordID: "r0"}
		e.prev = prev
		e.MAC = newMAC(key).sum(prev, &e)
		return e
	}
	insert := func(t *testing.T, db *store.DB, e Event) {
		mustExec(t, db, `INSERT INTO audit_events (`+eventColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			e.Seq, e.ID, e.At, e.ActorID, e.Action, e.RecordKind, e.RecordID, e.Purpose, e.RequestID, e.prev, e.MAC)
	}
	// setSeq moves one event to another seq (through a free one, so the
	// primary key never clashes mid-statement).
	setSeq := func(t *testing.T, db *store.DB, from, to int64) {
		mustExec(t, db, `UPDATE audit_events SET seq = $1 WHERE seq = $2`, to, from)
	}
	cases := map[string]tamper{
		"edit a field": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			mustExec(t, db, `UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = 4`)
			return 4, evs[3].ID, ReasonEdited
		},
		"edit the time": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			mustExec(t, db, `UPDATE audit_events SET at = $1 WHERE seq = 7`, evs[6].At.Add(-time.Hour))
			return 7, evs[6].ID, ReasonEdited
		},
		"edit a field and re-MAC it without the key": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			e := evs[4]
			e.Action = "record.list"
			mustExec(t, db, `UPDATE audit_events SET action = $1, mac = $2 WHERE seq = 5`, e.Action, newMAC(wrongKey).sum(e.prev, &e))
			return 5, e.ID, ReasonEdited
		},
		"edit the last event": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			mustExec(t, db, `UPDATE audit_events SET record_id = 'r9' WHERE seq = $1`, n)
			return n, evs[n-1].ID, ReasonEdited
		},
		"delete one in the middle": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			mustExec(t, db, `DELETE FROM audit_events WHERE seq = 5`)
			return 5, "", ReasonMissing
		},
		"delete one and renumber the rest down": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			mustExec(t, db, `DELETE FROM audit_events WHERE seq = 5`)
			for s := int64(6); s <= n; s++ {
				setSeq(t, db, s, s-1)
			}
			mustExec(t, db, `UPDATE audit_head SET seq = seq - 1`)
			return 5, "", ReasonMissing
		},
		"delete the last, leave the head": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			mustExec(t, db, `DELETE FROM audit_events WHERE seq = $1`, n)
			return n, "", ReasonMissing
		},
		"delete the first": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			mustExec(t, db, `DELETE FROM audit_events WHERE seq = 1`)
			return 1, "", ReasonMissing
		},
		"forge one after the head": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			e := forged(wrongKey, n+1, evs[n-1].MAC)
			insert(t, db, e)
			return n + 1, e.ID, ReasonInserted
		},
		"forge one in the middle with a correct-looking seq": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			for s := int64(n); s >= 5; s-- {
				setSeq(t, db, s, s+1)
			}
			mustExec(t, db, `UPDATE audit_head SET seq = seq + 1`)
			e := forged(wrongKey, 5, evs[3].MAC)
			insert(t, db, e)
			return 5, e.ID, ReasonInserted
		},
		"forge one at the end and move the head": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			// Indistinguishable from an edit of a real last event: named
			// as edited, and the seq is what matters.
			e := forged(wrongKey, n+1, evs[n-1].MAC)
			insert(t, db, e)
			mustExec(t, db, `UPDATE audit_head SET seq = $1, mac = $2`, e.Seq, e.MAC)
			return n + 1, e.ID, ReasonEdited
		},
		"swap two events": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			setSeq(t, db, 3, 1000)
			setSeq(t, db, 7, 3)
			setSeq(t, db, 1000, 7)
			return 3, evs[6].ID, ReasonOutOfOrder
		},
		"swap neighbours": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			setSeq(t, db, 4, 1000)
			setSeq(t, db, 5, 4)
			setSeq(t, db, 1000, 5)
			return 4, evs[4].ID, ReasonOutOfOrder
		},
		"move the head's mac": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			mustExec(t, db, `UPDATE audit_head SET mac = $1`, evs[n-2].MAC)
			return n, evs[n-1].ID, ReasonHead
		},
		"move the head back": func(t *testing.T, db *store.DB, evs []Event) (int64, string, Reason) {
			mustExec(t, db, `UPDATE audit_head SET seq = 8, mac = $1`, evs[7].MAC)
			return n, evs[n-1].ID, ReasonHead
		},
	}
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		for name, tamper := range cases {
			t.Run(name, func(t *testing.T) {
				db := storetest.Open(t, d)
				seed(t, db, n)
				evs := allEvents(t, db)
				mustVerify(t, db, n)
				dropTriggers(t, db)
				seq, eventID, reason := tamper(t, db, evs)
				wantBroken(t, db, seq, eventID, reason)
			})
		}
	})
}

// The MAC needs the key: the right chain under another key is all broken.
func TestVerifyWithWrongKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		seed(t, db, 3)
		_, err := Verify(ctx, db, wrongKey)
		var be *BrokenError
		if !errors.As(err, &be) || be.Seq != 1 || be.Reason != ReasonEdited {
			t.Fatalf("verify under the wrong key = %v, want broken at event 1", err)
		}
		if _, err := Verify(ctx, db, nil); !errors.Is(err, ErrKey) {
			t.Fatalf("verify without a key = %v", err)
		}
	})
}

// Cutting off the newest events and moving the head back leaves a shorter
// chain that is intact in itself; a checkpoint kept elsewhere catches it.
func TestCheckpointCatchesTruncation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d store.Dialect) {
		db := storetest.Open(t, d)
		seed(t, db, 10)
		cp := mustVerify(t, db, 10).Checkpoint()
		parsed, err := ParseCheckpoint(cp.String())
		if err != nil || parsed != cp {
			t.Fatalf("checkpoint round trip %q: %+v, %v", cp, parsed, err)
		}
		seed(t, db, 2)
		if _, err := VerifyCheckpoint(ctx, db, testKey, cp); err != nil {
			t.Fatalf("verify against an earlier checkpoint: %v", err)
		}
		evs := allEvents(t, db)
		dropTriggers(t, db)
		mustExec(t, db, `DELETE FROM audit_events WHERE seq > 7`)
		mustExec(t, db, `UPDATE audit_head SET seq = 7, mac = $1`, evs[6].MAC)
		mustVerify(t, db, 7) // the limit of a chain on its own
		_, err = VerifyCheckpoint(ctx, db, testKey, cp)
		var be *BrokenError
		if !errors.As(err, &be) || be.Seq != 8 || be.Reason != ReasonMissing {
			t.Fatalf("verify against the checkpoint = %v, want event 8 missing", err)
		}
		other := Checkpoint{Seq: 5, MAC: evs[5].MAC}
		if _, err := VerifyCheckpoint(ctx, db, testKey, other); !errors.As(err, &be) || be.Seq != 5 || be.Reason != ReasonCheckpoint {
			t.Fatalf("verify against a checkpoint from elsewhere = %v", err)
		}
		for _, bad := range []string{"", "12", "x:" + Genesis, "-1:" + Genesis, "3:abc", "3:" + Genesis[:63] + "g"} {
			if _, err := ParseCheckpoint(bad); err == nil {
				t.Errorf("ParseCheckpoint(%q) accepted", bad)
			}
		}
	})
}
