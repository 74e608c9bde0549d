package sqlstore

import (
	"testing"

	"github.com/cofferhq/coffer"
)

// BenchmarkAccountsQuery measures the building of the SQL of an account list, which every list
// request does before it touches the database.
func BenchmarkAccountsQuery(b *testing.B) {
	lo, hi, since := int64(1050), int64(250000), int64(1_767_225_600_000)
	after := &coffer.Position{CreatedAt: 1_767_225_600_123, Seq: 98_765}
	tests := []struct {
		name   string
		filter coffer.AccountFilter
		page   coffer.Page
	}{
		{"unfiltered", coffer.AccountFilter{}, coffer.Page{}},
		{"currency page", coffer.AccountFilter{Currencies: []coffer.Currency{coffer.EUR}}, coffer.Page{Limit: 20}},
		{"currency deep page", coffer.AccountFilter{Currencies: []coffer.Currency{coffer.EUR}}, coffer.Page{Limit: 20, After: after}},
		{"every filter", coffer.AccountFilter{Number: "A123456789012", DisplayName: "travel_100%", Status: coffer.AccountActive,
			ContactEmail: "owner@example.com", Currencies: []coffer.Currency{coffer.EUR, coffer.USD}, MinBalance: &lo, MaxBalance: &hi,
			MinCreatedAt: &since, FundingEmails: []string{"a@example.com", "b@example.com"}}, coffer.Page{Limit: 20, Before: after}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if q := accountsQuery(7, nil, tt.filter, tt.page); q.Len() == 0 {
					b.Fatal("empty query")
				}
			}
		})
	}
}
