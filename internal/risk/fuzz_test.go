package risk_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"frontdoor/internal/errs"
	"frontdoor/internal/risk"
)

// Whatever bytes arrive as a question set, the importer answers with a
// valid set or field errors; never a panic. An accepted set written out
// and read again is the same set.
func FuzzParseSet(f *testing.F) {
	def, _ := json.Marshal(risk.DefaultSet())
	f.Add(def)
	f.Add([]byte(`{"id":"x","name":"x","thresholds":{"high":2,"medium":1},"items":[{"key":"a","topic":"t"},{"key":"b","topic":"u","wording":"w?"}]}`))
	f.Add([]byte(`{"id":"x","name":"x","thresholds":{"high":1,"medium":1},"items":[{"key":"a","topic":"t"},{"key":"a","topic":""}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"id":" x ","name":"\u00ff\ufffd","version":-1,"thresholds":{"high":1e9,"medium":-1},"items":null}`))
	f.Add([]byte("\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := risk.ParseSet(data)
		if err != nil {
			var fe risk.FieldErrors
			if !errors.As(err, &fe) || len(fe) == 0 {
				t.Fatalf("error is not field errors: %v", err)
			}
			for _, e := range fe {
				if e.Field == "" || e.Code != errs.Invalid {
					t.Fatalf("field error without a field: %v", e)
				}
			}
			return
		}
		if len(q.Items) < 1 || len(q.Items) > risk.MaxItems || q.Thresholds.Medium < 1 || q.Thresholds.High <= q.Thresholds.Medium {
			t.Fatalf("accepted an invalid set: %+v", q)
		}
		body, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		again, err := risk.ParseSet(body)
		if err != nil || !reflect.DeepEqual(q, again) {
			t.Fatalf("round trip: %+v\n%+v\n%v", q, again, err)
		}
	})
}
