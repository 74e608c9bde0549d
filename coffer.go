// Package coffer is the domain of the Coffer server: platforms (tenants) and their keys, customers
// (groups) and accounts, money, the error type, and the validation rules of the wire contract. It
// imports nothing of the project; the adapters (http, sqlstore) import it.
package coffer

import (
	"context"
	"time"
)

// Platform is a tenant. Every customer, account and key belongs to exactly one platform.
type Platform struct {
	ID        int64
	Name      string
	Suspended bool
	CreatedAt time.Time
}

// Key is an API key of a platform as stored: its secret is never kept, only a SHA-256 hash.
type Key struct {
	ID        string
	ReadOnly  bool
	Customers []string // nil: every customer of the platform
	CreatedAt time.Time
	RevokedAt *time.Time
}

// NewKey is a key as it is shown once, at creation.
type NewKey struct {
	PlatformName string `json:"platformName"`
	KeyID        string `json:"keyId"`
	PlatformKey  string `json:"platformKey"`
}

// Principal is the authenticated caller of a request: a platform acting through one of its keys.
type Principal struct {
	PlatformID   int64
	PlatformName string
	KeyID        string
	ReadOnly     bool
	Suspended    bool
	Customers    []string // nil: every customer of the platform
}

// AllowsCustomer reports whether the principal's key may touch the customer.
func (p *Principal) AllowsCustomer(identifier string) bool {
	if p.Customers == nil {
		return true
	}
	for _, c := range p.Customers {
		if c == identifier {
			return true
		}
	}
	return false
}

// CustomerStatus is the status of a customer. Customers are never deleted or disabled, so every
// customer created through the API is ACTIVE.
type CustomerStatus string

// The customer statuses.
const (
	CustomerActive   CustomerStatus = "ACTIVE"
	CustomerInactive CustomerStatus = "INACTIVE"
)

// Customer is a group of accounts under a platform.
type Customer struct {
	Identifier  string
	DisplayName string
	Status      CustomerStatus
	CreatedAt   time.Time
	Accounts    []AccountSummary // never DELETED accounts
}

// AccountSummary is the part of an account shown inside a customer.
type AccountSummary struct {
	Identifier  string
	Number      string
	DisplayName string
	CreatedAt   time.Time
	Status      AccountStatus
	Currency    Currency
}

// CustomerCreate is the validated input of a customer creation.
type CustomerCreate struct {
	Identifier  string
	DisplayName string
}

// PlatformService manages platforms and their keys. It is used by the operator command line and
// by authentication.
type PlatformService interface {
	// CreatePlatform creates a platform, its own group (identifier and display name both the
	// platform's name) and its first key, all at once.
	CreatePlatform(ctx context.Context, name string) (NewKey, error)
	// CreateKey adds a key to a platform.
	CreateKey(ctx context.Context, platformName string, readOnly bool, customers []string) (NewKey, error)
	// Keys lists a platform's keys, revoked ones included, without secrets.
	Keys(ctx context.Context, platformName string) ([]Key, error)
	// RevokeKey revokes a key; the next request made with it is refused.
	RevokeKey(ctx context.Context, platformName, keyID string) error
	// SetSuspended suspends or resumes a platform.
	SetSuspended(ctx context.Context, platformName string, suspended bool) error
	// Platforms reports how many platforms exist.
	CountPlatforms(ctx context.Context) (int, error)
	// Authenticate returns the principal of a platform name and key, or an EUNAUTHORIZED error.
	Authenticate(ctx context.Context, platformName, key string) (*Principal, error)
}

// CustomerService manages the customers of a platform. Every method is scoped by the principal's
// platform and honours its key's customer restriction for reads of lists.
type CustomerService interface {
	CreateCustomer(ctx context.Context, p *Principal, in CustomerCreate) (*Customer, error)
	FindCustomer(ctx context.Context, p *Principal, identifier string) (*Customer, error)
	// ListCustomers calls fn for each customer the principal may see, in creation order, one at
	// a time, so that a list of any length is served in constant memory. An error from fn stops
	// the listing and is returned.
	ListCustomers(ctx context.Context, p *Principal, fn func(*Customer) error) error
}
