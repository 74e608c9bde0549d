package coffer

import (
	"context"
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
	Position            Position
}

// Position is an account's place in list order: creation time, then a stable tie-breaker. It is
// what cursors carry; clients never see it in the clear.
type Position struct {
	CreatedAt int64 // Unix milliseconds
	Seq       int64 // unique, fixed at creation
}

// AccountCreate is the input of an account creation.
type AccountCreate struct {
	Identifier          string
	DisplayName         string
	ContactEmail        string
	Currency            Currency // "" for USD
	FundingNotification []string
}

// Validate checks an account creation and fills in defaults; it reports every failed field.
func (in *AccountCreate) Validate(v *Validation) {
	CheckAccountIdentifier(v, "accountIdentifier", in.Identifier)
	CheckDisplayName(v, "displayName", in.DisplayName)
	CheckEmail(v, "contactEmail", in.ContactEmail)
	if in.Currency == "" {
		in.Currency = USD
	} else if c, ok := ParseCurrency(string(in.Currency)); ok {
		in.Currency = c
	} else {
		v.Add("currencyCode", KeyCurrency, "Currency", string(in.Currency), "currencyCode must be one of CAD, EUR, GBP, USD")
	}
	CheckFundingNotification(v, "fundingNotification", in.FundingNotification)
}

// CheckFundingNotification records the failures of a funding notification list: at most
// MaxNotification valid addresses, without duplicates (ignoring case).
func CheckFundingNotification(v *Validation, path string, emails []string) {
	if len(emails) > MaxNotification {
		v.Add(path, KeyTooLong, "Size", len(emails), "%s must have at most %d entries, not %d", path, MaxNotification, len(emails))
		return
	}
	seen := make(map[string]bool, len(emails))
	for i, e := range emails {
		p := path + "[" + strconv.Itoa(i) + "].emailAddress"
		CheckEmail(v, p, e)
		if k := strings.ToLower(e); seen[k] {
			v.Add(p, KeyEmail, "Unique", e, "%s repeats an address of the list", p)
		} else {
			seen[k] = true
		}
	}
}

// AccountUpdate is a partial update of an account: a nil field is left unchanged. A non-nil
// FundingNotification replaces the list; an empty one clears it.
type AccountUpdate struct {
	DisplayName         *string
	ContactEmail        *string
	FundingNotification *[]string
}

// Validate checks an update; it reports every failed field.
func (up *AccountUpdate) Validate(v *Validation) {
	if up.DisplayName != nil {
		CheckDisplayName(v, "displayName", *up.DisplayName)
	}
	if up.ContactEmail != nil {
		CheckEmail(v, "contactEmail", *up.ContactEmail)
	}
	if up.FundingNotification != nil {
		CheckFundingNotification(v, "fundingNotification", *up.FundingNotification)
	}
}

// AccountFilter selects accounts of a platform. Every set field must match (AND). Strings that
// match without regard to case are held lowercased.
type AccountFilter struct {
	Customer      string        // customer identifier; "" for every customer
	Number        string        // exact
	DisplayName   string        // lowercased substring
	Status        AccountStatus // "" for every status but DELETED
	ContactEmail  string        // lowercased, exact
	Currencies    []Currency    // any of them
	MinBalance    *int64        // inclusive, minor units
	MaxBalance    *int64        // inclusive, minor units
	MinCreatedAt  *int64        // inclusive, Unix milliseconds
	MaxCreatedAt  *int64        // inclusive, Unix milliseconds
	FundingEmails []string      // lowercased; an account having any of them
}

// Page asks for one page of a list in list order: the first Limit accounts after After, or the
// last Limit before Before, or the first Limit when neither is set. Limit 0 means no paging.
type Page struct {
	Limit  int
	After  *Position
	Before *Position
}

// Paging limits of the wire contract.
const (
	DefaultPageSize = 10
	MaxPageSize     = 200
)

// AccountNotFound is the 404 for an account identifier unknown on the platform (or DELETED).
func AccountNotFound(id string) *Error {
	return NotFound("404.003", "accountIdentifier", id, "Account not found.")
}

// AccountNotUnderCustomer is the 404 for an account that is not one of the customer's.
func AccountNotUnderCustomer(id string) *Error {
	return NotFound("404.020", "accountIdentifier", id, "Account not found under this customer.")
}

// AccountService manages the accounts of a platform. Every method is scoped by the principal's
// platform.
type AccountService interface {
	CreateAccount(ctx context.Context, p *Principal, customer string, in AccountCreate) (*Account, error)
	UpdateAccount(ctx context.Context, p *Principal, customer, identifier string, up AccountUpdate) (*Account, error)
	// FindAccount returns an account of the platform that is not DELETED.
	FindAccount(ctx context.Context, p *Principal, identifier string) (*Account, error)
	// ListAccounts calls fn for each matching account in list order, at most page.Limit of
	// them when paging, and reports whether more match beyond the page in its direction. The
	// principal's customer restriction applies. An unknown f.Customer is ENOTFOUND.
	ListAccounts(ctx context.Context, p *Principal, f AccountFilter, page Page, fn func(*Account) error) (more bool, err error)
}

// LedgerService moves funds and changes statuses. It is the operator's: it names the platform
// rather than acting as one of its keys.
type LedgerService interface {
	// Move credits (amount > 0) or debits (amount < 0) an ACTIVE account and records the entry
	// in the ledger in the same transaction. A debit never overdraws.
	Move(ctx context.Context, platformName, account string, amount int64, note string) (*Account, error)
	// SetAccountStatus sets an account's status. DELETED is final.
	SetAccountStatus(ctx context.Context, platformName, account string, status AccountStatus) (*Account, error)
}
