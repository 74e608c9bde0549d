package coffer

import (
	"strconv"
	"strings"
	"time"
)

// AccountStatus is the status of an account. Only ACTIVE accounts receive or spend funds.
type AccountStatus string

// The account statuses.
const (
	AccountActive   AccountStatus = "ACTIVE"
	AccountInactive AccountStatus = "INACTIVE"
	AccountDisabled AccountStatus = "DISABLED"
	AccountFrozen   AccountStatus = "FROZEN"
	AccountDeleted  AccountStatus = "DELETED" // gone for every read but a list filtered by it
)

// ParseAccountStatus parses a status, ignoring case.
func ParseAccountStatus(s string) (AccountStatus, bool) {
	switch st := AccountStatus(strings.ToUpper(s)); st {
	case AccountActive, AccountInactive, AccountDisabled, AccountFrozen, AccountDeleted:
		return st, true
	}
	return "", false
}

// Currency is an ISO 4217 code accepted by accounts. Every accepted currency has two minor digits.
type Currency string

// The accepted currencies.
const (
	CAD Currency = "CAD"
	EUR Currency = "EUR"
	GBP Currency = "GBP"
	USD Currency = "USD"
)

// ParseCurrency parses a currency code, ignoring case.
func ParseCurrency(s string) (Currency, bool) {
	switch c := Currency(strings.ToUpper(s)); c {
	case CAD, EUR, GBP, USD:
		return c, true
	}
	return "", false
}

// MaxAmount bounds any amount or balance, in minor units, far below the int64 limit, so that sums
// of a few of them cannot overflow.
const MaxAmount = 1_000_000_000_000_00 // one trillion in major units

// ParseAmount parses a non-negative decimal with at most two places ("12", "12.3", "12.34") into
// minor units. It never goes through a float.
func ParseAmount(s string) (int64, bool) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 13 || (dot && (frac == "" || len(frac) > 2)) {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, false
			}
		}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			f *= 10
		}
	}
	v := w*100 + f
	return v, v <= MaxAmount
}

// FormatAmount prints minor units as a decimal with at most two places: 0, 12.5, 9127.88.
func FormatAmount(minor int64) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	s := strconv.FormatInt(minor/100, 10)
	switch f := minor % 100; {
	case f == 0:
	case f%10 == 0:
		s += "." + strconv.FormatInt(f/10, 10)
	case f < 10:
		s += ".0" + strconv.FormatInt(f, 10)
	default:
		s += "." + strconv.FormatInt(f, 10)
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Account holds funds in one currency under a customer.
type Account struct {
	Identifier          string
	Number              string
	CustomerIdentifier  string
	DisplayName         string
	CreatedAt           time.Time
	Status              AccountStatus
	Currency            Currency
	Balance             int64 // minor units
	ContactEmail        string
	FundingNotification []string
}
