package vault_test

import (
	"encoding/json"
	"strings"
	"testing"

	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault"
	"frontdoor/internal/vault/vaulttest"
)

// A client's details document as the people service seals it (about the
// size the demo generator's clients have), and a name.
var (
	benchID      = "0190f2a0-0000-7000-8000-000000000001"
	benchName    = "Morwenna Tregothnan"
	benchDetails = func() string {
		b, _ := json.Marshal(map[string]any{
			"aliases": []string{"Wenna Tregothnan"}, "date_of_birth": "1987-03-14", "gender": "female",
			"phone": "07700 900123", "email": "wenna@example.org", "address": "14 Quarry Lane\nHollinsford\nQH4 2XP",
			"language": "English", "disabilities": "", "safe_contact": map[string]any{"phone": "07700 900456", "times": "weekday mornings",
				"voicemail": "unsafe", "text": "safe", "email": "unsafe", "post": "unsafe", "codeword": "bluebell"},
			"notes": strings.Repeat("Lives with two children; works part time. ", 4),
		})
		return string(b)
	}()
)

// benchVault is a production vault (its keys wrapped in the database) on
// SQLite, as the services use it.
func benchVault(b *testing.B) *vault.Vault {
	return vaulttest.New(b, storetest.Open(b, store.SQLite))
}

// BenchmarkSealName: one short field (a name) sealed.
func BenchmarkSealName(b *testing.B) {
	v := benchVault(b)
	for b.Loop() {
		_ = v.SealString(benchName, "clients", benchID, "given_name")
	}
}

// BenchmarkSealDetails: a client's details document sealed.
func BenchmarkSealDetails(b *testing.B) {
	v := benchVault(b)
	b.SetBytes(int64(len(benchDetails)))
	for b.Loop() {
		_ = v.SealString(benchDetails, "clients", benchID, "details")
	}
}

// BenchmarkOpenName: one short field opened.
func BenchmarkOpenName(b *testing.B) {
	v := benchVault(b)
	sealed := v.SealString(benchName, "clients", benchID, "given_name")
	for b.Loop() {
		if _, err := v.OpenString(sealed, "clients", benchID, "given_name"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenDetails: a client's details document opened.
func BenchmarkOpenDetails(b *testing.B) {
	v := benchVault(b)
	sealed := v.SealString(benchDetails, "clients", benchID, "details")
	b.SetBytes(int64(len(benchDetails)))
	for b.Loop() {
		if _, err := v.OpenString(sealed, "clients", benchID, "details"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenParallel: opening from every CPU at once, as concurrent
// case pages do.
func BenchmarkOpenParallel(b *testing.B) {
	v := benchVault(b)
	sealed := v.SealString(benchDetails, "clients", benchID, "details")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.OpenString(sealed, "clients", benchID, "details"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkBlindIndex: one keyed blind index of a normalised name.
func BenchmarkBlindIndex(b *testing.B) {
	v := benchVault(b)
	for b.Loop() {
		_ = v.BlindIndex("client.name", vault.NormaliseName(benchName))
	}
}
