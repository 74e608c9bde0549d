package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer"
)

var _ coffer.CustomerService = (*Store)(nil)

// CreateCustomer creates a customer of the principal's platform. A duplicate identifier is a
// conflict, also when two requests race: the unique constraint decides, never a read before the
// write.
func (s *Store) CreateCustomer(ctx context.Context, p *coffer.Principal, in coffer.CustomerCreate) (*coffer.Customer, error) {
	var now int64
	err := s.withTx(ctx, func(ctx context.Context, tx *writeTx) error {
		now = s.nowMillis() // taken in the transaction, so that creation order and times agree
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO customers (platform_id, identifier, display_name, status, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (platform_id, identifier) DO NOTHING RETURNING id`,
			p.PlatformID, in.Identifier, in.DisplayName, coffer.CustomerActive, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return coffer.Conflict("409.010", "customerIdentifier", in.Identifier, "A customer with this identifier already exists.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &coffer.Customer{Identifier: in.Identifier, DisplayName: in.DisplayName, Status: coffer.CustomerActive,
		CreatedAt: fromMillis(now), Accounts: []coffer.AccountSummary{}}, nil
}

// customerSelect reads customers with the summaries of their accounts that are not DELETED, one
// row per account (or one row with NULL account columns for a customer without accounts), in
// creation order. The conditions that follow it are on c.
const customerSelect = `SELECT c.id, c.identifier, c.display_name, c.status, c.created_at,
	a.identifier, a.number, a.display_name, a.created_at, a.status, a.currency
FROM customers c
LEFT JOIN accounts a ON a.platform_id = c.platform_id AND a.customer_id = c.id AND a.status <> 'DELETED'
WHERE c.platform_id = $1`

const customerOrder = ` ORDER BY c.created_at, c.id, a.created_at, a.id`

// FindCustomer returns one customer of the principal's platform with its account summaries.
func (s *Store) FindCustomer(ctx context.Context, p *coffer.Principal, identifier string) (*coffer.Customer, error) {
	var found *coffer.Customer
	err := s.scanCustomers(ctx, customerSelect+` AND c.identifier = $2`+customerOrder, []any{p.PlatformID, identifier}, func(c *coffer.Customer) error {
		found = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, coffer.CustomerNotFound(identifier)
	}
	return found, nil
}

// ListCustomers streams the customers the principal may see.
func (s *Store) ListCustomers(ctx context.Context, p *coffer.Principal, fn func(*coffer.Customer) error) error {
	q := customerSelect
	args := []any{p.PlatformID}
	if p.Customers != nil {
		q += ` AND c.identifier IN (` + placeholders(2, len(p.Customers)) + `)`
		for _, c := range p.Customers {
			args = append(args, c)
		}
	}
	return s.scanCustomers(ctx, q+customerOrder, args, fn)
}

// placeholders returns "$first, $first+1, ..." for n parameters.
func placeholders(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(first + i))
	}
	return b.String()
}

// scanCustomers runs a customerSelect query and calls fn once per customer, with its summaries.
func (s *Store) scanCustomers(ctx context.Context, query string, args []any, fn func(*coffer.Customer) error) error {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return s.classify(err)
	}
	defer rows.Close()
	var cur *coffer.Customer
	var curID int64
	for rows.Next() {
		var (
			id               int64
			c                coffer.Customer
			created          int64
			aID, aNum, aName sql.NullString
			aStatus, aCur    sql.NullString
			aCreated         sql.NullInt64
		)
		if err := rows.Scan(&id, &c.Identifier, &c.DisplayName, &c.Status, &created,
			&aID, &aNum, &aName, &aCreated, &aStatus, &aCur); err != nil {
			return s.classify(err)
		}
		if cur == nil || id != curID {
			if cur != nil {
				if err := fn(cur); err != nil {
					return err
				}
			}
			c.CreatedAt = fromMillis(created)
			c.Accounts = []coffer.AccountSummary{}
			cur, curID = &c, id
		}
		if aID.Valid {
			cur.Accounts = append(cur.Accounts, coffer.AccountSummary{Identifier: aID.String, Number: aNum.String,
				DisplayName: aName.String, CreatedAt: fromMillis(aCreated.Int64),
				Status: coffer.AccountStatus(aStatus.String), Currency: coffer.Currency(aCur.String)})
		}
	}
	if err := rows.Err(); err != nil {
		return s.classify(err)
	}
	if cur != nil {
		return fn(cur)
	}
	return nil
}
