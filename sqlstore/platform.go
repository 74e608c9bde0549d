package sqlstore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"strings"

	"github.com/cofferhq/coffer"
)

var _ coffer.PlatformService = (*Store)(nil)

func platformNotFound(name string) error {
	return coffer.Errorf(coffer.ENOTFOUND, "404.001", "platform %q does not exist", name)
}

// CreatePlatform creates a platform, its own group and its first key in one transaction.
func (s *Store) CreatePlatform(ctx context.Context, name string) (coffer.NewKey, error) {
	if err := coffer.ValidatePlatformName(name); err != nil {
		return coffer.NewKey{}, err
	}
	now := s.nowMillis()
	var out coffer.NewKey
	err := s.withTx(ctx, func(ctx context.Context, tx *writeTx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO platforms (name, suspended, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO NOTHING RETURNING id`, name, false, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return coffer.Errorf(coffer.ECONFLICT, "409.001", "platform %q exists already", name)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO customers (platform_id, identifier, display_name, status, created_at)
			VALUES ($1, $2, $3, $4, $5)`, id, name, name, coffer.CustomerActive, now); err != nil {
			return err
		}
		out, err = insertKey(ctx, tx, id, name, false, nil, now)
		return err
	})
	return out, err
}

func insertKey(ctx context.Context, tx *writeTx, platformID int64, platformName string, readOnly bool, customers []string, now int64) (coffer.NewKey, error) {
	id, secret, hash := coffer.GenerateKey()
	var list sql.NullString
	if customers != nil {
		list = sql.NullString{String: strings.Join(customers, ","), Valid: true}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, platform_id, hash, read_only, customers, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, platformID, hash, readOnly, list, now)
	return coffer.NewKey{PlatformName: platformName, KeyID: id, PlatformKey: secret}, err
}

func (s *Store) platformID(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, name string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM platforms WHERE name = $1`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, platformNotFound(name)
	}
	return id, err
}

// CreateKey adds a key to a platform. customers, when not nil, restricts the key to those
// customer identifiers, which need not exist yet.
func (s *Store) CreateKey(ctx context.Context, platformName string, readOnly bool, customers []string) (coffer.NewKey, error) {
	for _, c := range customers {
		if !coffer.ValidCustomerIdentifier(c) {
			return coffer.NewKey{}, coffer.Errorf(coffer.EINVALID, coffer.KeyCustomerIdentifier, "customer identifier %q must be 5-100 characters of -, 0-9, a-z, A-Z", c)
		}
	}
	if customers != nil && len(customers) == 0 {
		return coffer.NewKey{}, coffer.Errorf(coffer.EINVALID, coffer.KeyRequired, "a key restricted to customers needs at least one customer identifier")
	}
	var out coffer.NewKey
	err := s.withTx(ctx, func(ctx context.Context, tx *writeTx) error {
		id, err := s.platformID(ctx, tx, platformName)
		if err != nil {
			return err
		}
		out, err = insertKey(ctx, tx, id, platformName, readOnly, customers, s.nowMillis())
		return err
	})
	return out, err
}

// Keys lists a platform's keys, oldest first, without secrets or hashes.
func (s *Store) Keys(ctx context.Context, platformName string) ([]coffer.Key, error) {
	id, err := s.platformID(ctx, cachedReader{s}, platformName)
	if err != nil {
		return nil, s.classify(err)
	}
	rows, err := s.query(ctx, `SELECT id, read_only, customers, created_at, revoked_at
		FROM api_keys WHERE platform_id = $1 ORDER BY created_at, id`, id)
	if err != nil {
		return nil, s.classify(err)
	}
	defer rows.Close()
	var keys []coffer.Key
	for rows.Next() {
		var k coffer.Key
		var customers sql.NullString
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&k.ID, &k.ReadOnly, &customers, &created, &revoked); err != nil {
			return nil, s.classify(err)
		}
		k.Customers = splitCustomers(customers)
		k.CreatedAt = fromMillis(created)
		if revoked.Valid {
			t := fromMillis(revoked.Int64)
			k.RevokedAt = &t
		}
		keys = append(keys, k)
	}
	return keys, s.classify(rows.Err())
}

func splitCustomers(list sql.NullString) []string {
	if !list.Valid {
		return nil
	}
	return strings.Split(list.String, ",")
}

// RevokeKey revokes a key of a platform. Revoking a revoked key is not an error.
func (s *Store) RevokeKey(ctx context.Context, platformName, keyID string) error {
	return s.withTx(ctx, func(ctx context.Context, tx *writeTx) error {
		id, err := s.platformID(ctx, tx, platformName)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE platform_id = $2 AND id = $3`, s.nowMillis(), id, keyID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return coffer.Errorf(coffer.ENOTFOUND, "404.001", "platform %q has no key %q", platformName, keyID)
		}
		return nil
	})
}

// SetSuspended suspends or resumes a platform. A suspended platform's keys authenticate but every
// request is refused with 403.
func (s *Store) SetSuspended(ctx context.Context, platformName string, suspended bool) error {
	return s.withTx(ctx, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE platforms SET suspended = $1 WHERE name = $2`, suspended, platformName)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return platformNotFound(platformName)
		}
		return nil
	})
}

// CountPlatforms reports how many platforms exist.
func (s *Store) CountPlatforms(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM platforms`).Scan(&n)
	return n, s.classify(err)
}

var errBadCredentials = coffer.Errorf(coffer.EUNAUTHORIZED, "401.002", "The platform name or key is not valid.")

// Authenticate finds the live key whose hash matches and checks, in constant time, that it is a
// key of the named platform. A wrong name and a wrong key are the same error.
func (s *Store) Authenticate(ctx context.Context, platformName, key string) (*coffer.Principal, error) {
	hash := coffer.HashKey(key)
	var p coffer.Principal
	var stored []byte
	var customers sql.NullString
	err := s.queryRow(ctx, `SELECT k.id, k.hash, k.read_only, k.customers, p.id, p.name, p.suspended
		FROM api_keys k JOIN platforms p ON p.id = k.platform_id
		WHERE k.hash = $1 AND k.revoked_at IS NULL`, hash).
		Scan(&p.KeyID, &stored, &p.ReadOnly, &customers, &p.PlatformID, &p.PlatformName, &p.Suspended)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errBadCredentials
	} else if err != nil {
		return nil, s.classify(err)
	}
	nameOK := subtle.ConstantTimeCompare([]byte(p.PlatformName), []byte(platformName))
	hashOK := subtle.ConstantTimeCompare(stored, hash)
	if nameOK&hashOK != 1 {
		return nil, errBadCredentials
	}
	p.Customers = splitCustomers(customers)
	return &p, nil
}
