package audit

import (
	"fmt"
	"sync/atomic"
	"testing"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
)

// BenchmarkBareInsert is the yardstick: a durable one-row insert in its own
// transaction on the same SQLite settings, without the audit chain.
func BenchmarkBareInsert(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	mustExec(b, db, `CREATE TABLE bench_plain (id TEXT PRIMARY KEY, at TIMESTAMP NOT NULL, body TEXT NOT NULL)`)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		mustExec(b, db, `INSERT INTO bench_plain (id, at, body) VALUES ($1, $2, $3)`, fmt.Sprint(i), t0, "record.read r1")
	}
}

// BenchmarkAppend: one audited change, one event in a transaction of its own.
func BenchmarkAppend(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	e := ev(1, "staff-1", "record.update", "r1")
	for b.Loop() {
		appendTx(b, db, e)
	}
}

// BenchmarkBatcherRecord: audited reads from many concurrent requests
// through the group-commit batcher.
func BenchmarkBatcherRecord(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	bt := NewBatcher(db, testKey, BatcherOptions{})
	var n atomic.Int64
	b.SetParallelism(32) // requests in flight: 32 x GOMAXPROCS
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := bt.Record(ctx, ev(int(n.Add(1)), "staff-1", "record.read", "r1")); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	bt.Close()
	st := bt.Stats()
	if st.Batches > 0 {
		b.ReportMetric(float64(st.Events)/float64(st.Batches), "events/tx")
	}
}

// BenchmarkVerify: one op is the verification of one event of a 20 000
// event trail (it streams in chunks, so a trail of millions takes time in
// proportion, not memory).
func BenchmarkVerify(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	const n = 20000
	var evs []Event
	for i := range n {
		evs = append(evs, ev(i, fmt.Sprintf("staff-%d", i%40), "record.read", fmt.Sprintf("r%d", i%500)))
		if len(evs) == 1000 {
			appendTx(b, db, evs...)
			evs = evs[:0]
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Verify(ctx, db, testKey); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/event")
}
