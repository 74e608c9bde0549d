package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer"
)

var (
	_ coffer.AccountService = (*Store)(nil)
	_ coffer.LedgerService  = (*Store)(nil)
)

// accountSelect reads accounts with their customer's identifier; scanAccount reads its row.
// The customer is read by a subquery rather than a join, so that the planner always reads accounts
// first, through their indexes, whatever its statistics say of customers.
const accountSelect = `SELECT ` + accountColumns + ` FROM accounts a`

// accountColumns are the columns scanAccount reads, of the accounts table named a, or of the row
// an UPDATE of accounts returns.
const accountColumns = `id, identifier, number, (SELECT c.identifier FROM customers c WHERE c.id = customer_id),
	display_name, created_at, status, currency, balance, contact_email, funding_emails`

func scanAccount(row interface{ Scan(...any) error }) (*coffer.Account, error) {
	var a coffer.Account
	var funding string
	err := row.Scan(&a.Position.Seq, &a.Identifier, &a.Number, &a.CustomerIdentifier, &a.DisplayName, &a.Position.CreatedAt,
		&a.Status, &a.Currency, &a.Balance, &a.ContactEmail, &funding)
	if err != nil {
		return nil, err
	}
	a.CreatedAt = fromMillis(a.Position.CreatedAt)
	a.FundingNotification = splitEmails(funding)
	return &a, nil
}

// Funding notification addresses are kept newline-separated: a valid address has no white space.
func joinEmails(emails []string) string { return strings.Join(emails, "\n") }

func splitEmails(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "\n")
}

// accountNumberDigits is the length of the random part of an account number.
const accountNumberDigits = 12

// errNumberTaken is a random account number that another account of the platform has.
var errNumberTaken = errors.New("account number taken")

// customerID returns the internal id of a customer of the platform.
func customerID(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, platformID int64, identifier string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM customers WHERE platform_id = $1 AND identifier = $2`, platformID, identifier).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, coffer.CustomerNotFound(identifier)
	}
	return id, err
}

// CreateAccount creates an account under a customer of the principal's platform. The server
// picks the account number: "A" and 12 random digits, unique per platform (the unique constraint
// decides; a clash draws again). Numbers are never reused, since accounts are never removed.
func (s *Store) CreateAccount(ctx context.Context, p *coffer.Principal, customer string, in coffer.AccountCreate) (*coffer.Account, error) {
	for attempt := 1; ; attempt++ {
		var a *coffer.Account
		err := s.withTx(ctx, func(ctx context.Context, tx *writeTx) error {
			now := s.nowMillis() // taken in the transaction, so that creation order and times agree
			number := "A" + randomDigits(accountNumberDigits)
			// One statement finds the customer and inserts: no row back means either no such
			// customer or a taken identifier, which only then costs a second look.
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO accounts (platform_id, customer_id, identifier, number, display_name,
				display_name_lower, contact_email, contact_email_lower, funding_emails, currency, status, balance, created_at)
				SELECT $1, c.id, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12 FROM customers c
				WHERE c.platform_id = $1 AND c.identifier = $2
				ON CONFLICT (platform_id, identifier) DO NOTHING RETURNING id`,
				p.PlatformID, customer, in.Identifier, number, in.DisplayName, strings.ToLower(in.DisplayName), in.ContactEmail,
				strings.ToLower(in.ContactEmail), joinEmails(in.FundingNotification), in.Currency, coffer.AccountActive, now).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				if _, err := customerID(ctx, tx, p.PlatformID, customer); err != nil {
					return err
				}
				return coffer.Conflict("409.003", "accountIdentifier", in.Identifier, "An account with this identifier already exists on the platform.")
			} else if c, ok := s.engine.uniqueViolation(err); ok && (c == "" || c == "accounts_number_key") {
				return errNumberTaken
			} else if err != nil {
				return err
			}
			if err := insertFunding(ctx, tx, id, in.FundingNotification); err != nil {
				return err
			}
			a = &coffer.Account{Identifier: in.Identifier, Number: number, CustomerIdentifier: customer, DisplayName: in.DisplayName,
				CreatedAt: fromMillis(now), Status: coffer.AccountActive, Currency: in.Currency, ContactEmail: in.ContactEmail,
				FundingNotification: slices.Clip(append([]string{}, in.FundingNotification...)), Position: coffer.Position{CreatedAt: now, Seq: id}}
			return nil
		})
		if errors.Is(err, errNumberTaken) && attempt < 5 {
			continue
		}
		return a, err
	}
}

// insertFunding writes the rows of an account's funding notification list, in one statement.
func insertFunding(ctx context.Context, tx *writeTx, accountID int64, emails []string) error {
	if len(emails) == 0 {
		return nil
	}
	q := &query{}
	q.WriteString(`INSERT INTO funding_notifications (account_id, position, email, email_lower) VALUES `)
	for i, e := range emails {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(" + list(q, []any{accountID, i, e, strings.ToLower(e)}) + ")")
	}
	_, err := tx.ExecContext(ctx, q.String(), q.args...)
	return err
}

func nullString(p *string) sql.NullString {
	if p == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *p, Valid: true}
}

func lowerPtr(p *string) *string {
	if p == nil {
		return nil
	}
	l := strings.ToLower(*p)
	return &l
}

// UpdateAccount changes the given fields of an account of a customer in one statement, so that
// concurrent updates of different fields all take effect: each sets only its own columns of the
// row as it is when the row lock is taken.
func (s *Store) UpdateAccount(ctx context.Context, p *coffer.Principal, customer, identifier string, up coffer.AccountUpdate) (*coffer.Account, error) {
	var a *coffer.Account
	err := s.withTx(ctx, func(ctx context.Context, tx *writeTx) error {
		var funding sql.NullString
		if up.FundingNotification != nil {
			funding = sql.NullString{String: joinEmails(*up.FundingNotification), Valid: true}
		}
		// One statement finds the customer, updates and returns the account: no row back means
		// no such customer, or no such account under it, which only then costs a second look.
		var err error
		a, err = scanAccount(tx.QueryRowContext(ctx, `UPDATE accounts SET
			display_name = COALESCE($4, display_name), display_name_lower = COALESCE($5, display_name_lower),
			contact_email = COALESCE($6, contact_email), contact_email_lower = COALESCE($7, contact_email_lower),
			funding_emails = COALESCE($8, funding_emails)
			WHERE platform_id = $1 AND customer_id = (SELECT id FROM customers WHERE platform_id = $1 AND identifier = $2)
			AND identifier = $3 AND status <> 'DELETED'
			RETURNING `+accountColumns,
			p.PlatformID, customer, identifier, nullString(up.DisplayName), nullString(lowerPtr(up.DisplayName)),
			nullString(up.ContactEmail), nullString(lowerPtr(up.ContactEmail)), funding))
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := customerID(ctx, tx, p.PlatformID, customer); err != nil {
				return err
			}
			return coffer.AccountNotUnderCustomer(identifier)
		} else if err != nil {
			return err
		}
		id := a.Position.Seq
		if up.FundingNotification != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM funding_notifications WHERE account_id = $1`, id); err != nil {
				return err
			}
			if err := insertFunding(ctx, tx, id, *up.FundingNotification); err != nil {
				return err
			}
		}
		return nil
	})
	return a, err
}

// FindAccount returns an account of the platform that is not DELETED.
func (s *Store) FindAccount(ctx context.Context, p *coffer.Principal, identifier string) (*coffer.Account, error) {
	a, err := scanAccount(s.queryRow(ctx, accountSelect+` WHERE a.platform_id = $1 AND a.identifier = $2 AND a.status <> 'DELETED'`,
		p.PlatformID, identifier))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, coffer.AccountNotFound(identifier)
	}
	return a, s.classify(err)
}

// query builds a SQL statement and its positional arguments together.
type query struct {
	strings.Builder
	args []any
}

// arg adds an argument and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// list adds arguments and returns their placeholders, comma-separated.
func list[T any](q *query, vs []T) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = q.arg(v)
	}
	return strings.Join(ph, ", ")
}

// escapeLike escapes the LIKE wildcards of s for ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// accountsQuery returns the statement that lists the accounts of a filter, in list order from
// the page's position, limit+1 rows when paging (the extra row tells that more follow). Every
// condition is on the platform's rows; the order is served by the (platform_id[, customer_id],
// created_at, id) indexes, so a page deep in a list costs what the first page costs. A customer
// is named by its identifier, resolved inside the statement.
func accountsQuery(platformID int64, restricted []string, f coffer.AccountFilter, page coffer.Page) *query {
	q := &query{}
	q.WriteString(accountSelect)
	q.WriteString(` WHERE a.platform_id = ` + q.arg(platformID))
	if f.Customer != "" {
		q.WriteString(` AND a.customer_id = (SELECT id FROM customers WHERE platform_id = ` + q.arg(platformID) +
			` AND identifier = ` + q.arg(f.Customer) + `)`)
	}
	if restricted != nil {
		q.WriteString(` AND a.customer_id IN (SELECT id FROM customers WHERE platform_id = ` + q.arg(platformID) +
			` AND identifier IN (` + list(q, restricted) + `))`)
	}
	if f.Number != "" {
		q.WriteString(` AND a.number = ` + q.arg(f.Number))
	}
	if f.DisplayName != "" {
		q.WriteString(` AND a.display_name_lower LIKE ` + q.arg("%"+escapeLike(f.DisplayName)+"%") + ` ESCAPE '\'`)
	}
	if f.Status != "" {
		q.WriteString(` AND a.status = ` + q.arg(f.Status))
	} else {
		q.WriteString(` AND a.status <> 'DELETED'`)
	}
	if f.ContactEmail != "" {
		q.WriteString(` AND a.contact_email_lower = ` + q.arg(f.ContactEmail))
	}
	if len(f.Currencies) > 0 {
		q.WriteString(` AND a.currency IN (` + list(q, f.Currencies) + `)`)
	}
	if f.MinBalance != nil {
		q.WriteString(` AND a.balance >= ` + q.arg(*f.MinBalance))
	}
	if f.MaxBalance != nil {
		q.WriteString(` AND a.balance <= ` + q.arg(*f.MaxBalance))
	}
	if f.MinCreatedAt != nil {
		q.WriteString(` AND a.created_at >= ` + q.arg(*f.MinCreatedAt))
	}
	if f.MaxCreatedAt != nil {
		q.WriteString(` AND a.created_at <= ` + q.arg(*f.MaxCreatedAt))
	}
	if len(f.FundingEmails) > 0 {
		q.WriteString(` AND EXISTS (SELECT 1 FROM funding_notifications fn WHERE fn.account_id = a.id AND fn.email_lower IN (` +
			list(q, f.FundingEmails) + `))`)
	}
	switch {
	case page.After != nil:
		t, id := q.arg(page.After.CreatedAt), q.arg(page.After.Seq)
		q.WriteString(fmt.Sprintf(` AND a.created_at >= %s AND (a.created_at > %s OR a.id > %s)`, t, t, id))
	case page.Before != nil:
		t, id := q.arg(page.Before.CreatedAt), q.arg(page.Before.Seq)
		q.WriteString(fmt.Sprintf(` AND a.created_at <= %s AND (a.created_at < %s OR a.id < %s)`, t, t, id))
	}
	if page.Before != nil {
		q.WriteString(` ORDER BY a.created_at DESC, a.id DESC`)
	} else {
		q.WriteString(` ORDER BY a.created_at, a.id`)
	}
	if page.Limit > 0 {
		q.WriteString(` LIMIT ` + q.arg(page.Limit+1))
	}
	return q
}

// ListAccounts streams the accounts of a filter, or one page of them.
func (s *Store) ListAccounts(ctx context.Context, p *coffer.Principal, f coffer.AccountFilter, page coffer.Page, fn func(*coffer.Account) error) (bool, error) {
	q := accountsQuery(p.PlatformID, p.Customers, f, page)
	rows, err := s.query(ctx, q.String(), q.args...)
	if err != nil {
		return false, s.classify(err)
	}
	defer rows.Close()
	var held []*coffer.Account // a backward page, to be given in list order
	n, more := 0, false
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return false, s.classify(err)
		}
		if page.Limit > 0 && n == page.Limit {
			more = true
			break
		}
		n++
		if page.Before != nil {
			held = append(held, a)
		} else if err := fn(a); err != nil {
			return false, err
		}
	}
	if err := rows.Err(); err != nil {
		return false, s.classify(err)
	}
	for i := len(held) - 1; i >= 0; i-- {
		if err := fn(held[i]); err != nil {
			return false, err
		}
	}
	if n == 0 && f.Customer != "" {
		// Nothing matched: only now is it worth telling an unknown customer from an empty list.
		if _, err := customerID(ctx, cachedReader{s}, p.PlatformID, f.Customer); err != nil {
			return false, s.classify(err)
		}
	}
	return more, nil
}

// accountState returns why a change of an account did not apply: it does not exist (or is
// DELETED, which counts as gone), or its status and balance.
func accountState(ctx context.Context, tx *writeTx, platformID int64, identifier string) (coffer.AccountStatus, int64, error) {
	var st coffer.AccountStatus
	var balance int64
	err := tx.QueryRowContext(ctx, `SELECT status, balance FROM accounts WHERE platform_id = $1 AND identifier = $2`,
		platformID, identifier).Scan(&st, &balance)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, coffer.AccountNotFound(identifier)
	}
	return st, balance, err
}

// Move credits or debits an ACTIVE account: one conditional update that cannot overdraw or
// exceed coffer.MaxAmount, and the ledger entry, in one transaction.
func (s *Store) Move(ctx context.Context, platformName, account string, amount int64, note string) (*coffer.Account, error) {
	if amount == 0 || amount > coffer.MaxAmount || amount < -coffer.MaxAmount {
		return nil, coffer.Errorf(coffer.EINVALID, "400.004", "The amount must be positive and at most %s.", coffer.FormatAmount(coffer.MaxAmount))
	}
	var a *coffer.Account
	err := s.withTx(ctx, func(ctx context.Context, tx *writeTx) error {
		pid, err := s.platformID(ctx, tx, platformName)
		if err != nil {
			return err
		}
		var id, balance int64
		err = tx.QueryRowContext(ctx, `UPDATE accounts SET balance = balance + $3
			WHERE platform_id = $1 AND identifier = $2 AND status = 'ACTIVE' AND balance + $3 >= 0 AND balance + $3 <= $4
			RETURNING id, balance`, pid, account, amount, int64(coffer.MaxAmount)).Scan(&id, &balance)
		if errors.Is(err, sql.ErrNoRows) {
			st, bal, err := accountState(ctx, tx, pid, account)
			switch {
			case err != nil:
				return err
			case st == coffer.AccountDeleted:
				return coffer.AccountNotFound(account)
			case st != coffer.AccountActive:
				return coffer.Errorf(coffer.ECONFLICT, "409.020", "Account %s is %s: only ACTIVE accounts receive or spend funds.", account, st)
			case amount < 0:
				return coffer.Errorf(coffer.ECONFLICT, "409.021", "Insufficient funds: the balance of %s is %s, the debit %s.", account, coffer.FormatAmount(bal), coffer.FormatAmount(-amount))
			default:
				return coffer.Errorf(coffer.ECONFLICT, "409.022", "The balance of %s would exceed %s.", account, coffer.FormatAmount(coffer.MaxAmount))
			}
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_entries (platform_id, account_id, amount, balance_after, note, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, pid, id, amount, balance, note, s.nowMillis()); err != nil {
			return err
		}
		a, err = scanAccount(tx.QueryRowContext(ctx, accountSelect+` WHERE a.id = $1`, id))
		return err
	})
	return a, err
}

// SetAccountStatus sets the status of an account. A DELETED account stays DELETED.
func (s *Store) SetAccountStatus(ctx context.Context, platformName, account string, status coffer.AccountStatus) (*coffer.Account, error) {
	if _, ok := coffer.ParseAccountStatus(string(status)); !ok {
		return nil, coffer.Errorf(coffer.EINVALID, "400.004", "The status must be one of ACTIVE, INACTIVE, DISABLED, FROZEN, DELETED.")
	}
	var a *coffer.Account
	err := s.withTx(ctx, func(ctx context.Context, tx *writeTx) error {
		pid, err := s.platformID(ctx, tx, platformName)
		if err != nil {
			return err
		}
		var id int64
		err = tx.QueryRowContext(ctx, `UPDATE accounts SET status = $3 WHERE platform_id = $1 AND identifier = $2 AND status <> 'DELETED'
			RETURNING id`, pid, account, status).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			if _, _, err := accountState(ctx, tx, pid, account); err != nil {
				return err
			}
			return coffer.Errorf(coffer.ECONFLICT, "409.020", "Account %s is DELETED, which is final.", account)
		} else if err != nil {
			return err
		}
		a, err = scanAccount(tx.QueryRowContext(ctx, accountSelect+` WHERE a.id = $1`, id))
		return err
	})
	return a, err
}
