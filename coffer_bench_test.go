package coffer_test

import (
	"testing"

	"github.com/cofferhq/coffer"
)

// The benchmarks of the domain's hot functions: each runs on every request that carries a body
// or a cursor. Run them with go test -bench . -benchmem (or -cpuprofile) and compare with
// benchstat; they report allocations, and no test asserts a time.

func BenchmarkCustomerCreateValidate(b *testing.B) {
	in := coffer.CustomerCreate{Identifier: "team-a-rewards-2024", DisplayName: "Team A — rewards budget"}
	b.ReportAllocs()
	for b.Loop() {
		var v coffer.Validation
		in.Validate(&v)
		if err := v.Err(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAccountCreateValidate(b *testing.B) {
	tests := []struct {
		name  string
		in    coffer.AccountCreate
		valid bool
	}{
		{"minimal", coffer.AccountCreate{Identifier: "acct-0001234", DisplayName: "Travel budget", ContactEmail: "owner@example.com"}, true},
		{"funding", coffer.AccountCreate{Identifier: "acct-0001234", DisplayName: "Travel budget", ContactEmail: "owner@example.com",
			Currency: "eur", FundingNotification: []string{"finance@example.com", "ops@example.org"}}, true},
		{"every field bad", coffer.AccountCreate{Identifier: "ACCT", DisplayName: " ", ContactEmail: "owner", Currency: "XYZ",
			FundingNotification: []string{"a@example.com", "A@example.com"}}, false},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				in := tt.in // Validate fills in defaults
				var v coffer.Validation
				in.Validate(&v)
				if got := v.Err() == nil; got != tt.valid {
					b.Fatalf("valid: got %v, want %v (%v)", got, tt.valid, v.Err())
				}
			}
		})
	}
}

// benchCursor is a cursor as the deep page of a filtered list carries it.
var benchCursor = coffer.Cursor{PlatformID: 7, Scope: coffer.ScopeOf("/accounts", coffer.AccountFilter{Currencies: []coffer.Currency{coffer.EUR}}),
	Position: coffer.Position{CreatedAt: 1_767_225_600_123, Seq: 98_765}}

func BenchmarkCursorEncode(b *testing.B) {
	cc := coffer.NewCursorCodec([]byte("0123456789abcdef0123456789abcdef"))
	b.ReportAllocs()
	for b.Loop() {
		if cc.Encode(benchCursor) == "" {
			b.Fatal("empty token")
		}
	}
}

func BenchmarkCursorDecode(b *testing.B) {
	cc := coffer.NewCursorCodec([]byte("0123456789abcdef0123456789abcdef"))
	token := cc.Encode(benchCursor)
	b.ReportAllocs()
	for b.Loop() {
		if c, ok := cc.Decode(token); !ok || c != benchCursor {
			b.Fatalf("decode: got %+v, %v, want %+v", c, ok, benchCursor)
		}
	}
}

func BenchmarkScopeOf(b *testing.B) {
	lo, hi := int64(1050), int64(250000)
	f := coffer.AccountFilter{Status: coffer.AccountActive, Currencies: []coffer.Currency{coffer.EUR, coffer.USD},
		MinBalance: &lo, MaxBalance: &hi, FundingEmails: []string{"finance@example.com"}}
	b.ReportAllocs()
	for b.Loop() {
		coffer.ScopeOf("/accounts", f)
	}
}
