-- Platforms (tenants), their keys, customers (groups), accounts and the ledger. Times are Unix
-- milliseconds; money is integer minor units.
CREATE TABLE platforms (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    suspended  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    CONSTRAINT platforms_name_key UNIQUE (name)
);

CREATE TABLE api_keys (
    id          TEXT    PRIMARY KEY,
    platform_id INTEGER NOT NULL REFERENCES platforms (id),
    hash        BLOB    NOT NULL,
    read_only   INTEGER NOT NULL,
    customers   TEXT,             -- comma-separated customer identifiers; NULL: all
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    CONSTRAINT api_keys_hash_key UNIQUE (hash)
);
CREATE INDEX api_keys_platform ON api_keys (platform_id, created_at);

CREATE TABLE customers (
    id           INTEGER PRIMARY KEY,
    platform_id  INTEGER NOT NULL REFERENCES platforms (id),
    identifier   TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE')),
    created_at   INTEGER NOT NULL,
    CONSTRAINT customers_identifier_key UNIQUE (platform_id, identifier)
);
CREATE INDEX customers_order ON customers (platform_id, created_at, id);

CREATE TABLE accounts (
    id                 INTEGER PRIMARY KEY,
    platform_id        INTEGER NOT NULL REFERENCES platforms (id),
    customer_id        INTEGER NOT NULL REFERENCES customers (id),
    identifier         TEXT    NOT NULL,
    number             TEXT    NOT NULL,
    display_name       TEXT    NOT NULL,
    display_name_lower TEXT    NOT NULL,
    contact_email      TEXT    NOT NULL,
    contact_email_lower TEXT   NOT NULL,
    funding_emails     TEXT    NOT NULL, -- the notification addresses, newline-separated, in order
    currency           TEXT    NOT NULL CHECK (currency IN ('CAD', 'EUR', 'GBP', 'USD')),
    status             TEXT    NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE', 'DISABLED', 'FROZEN', 'DELETED')),
    balance            INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    created_at         INTEGER NOT NULL,
    CONSTRAINT accounts_identifier_key UNIQUE (platform_id, identifier),
    CONSTRAINT accounts_number_key UNIQUE (platform_id, number)
);
CREATE INDEX accounts_customer_order ON accounts (platform_id, customer_id, created_at, id);
CREATE INDEX accounts_platform_order ON accounts (platform_id, created_at, id);
CREATE INDEX accounts_platform_status ON accounts (platform_id, status, created_at, id);
CREATE INDEX accounts_customer_status ON accounts (platform_id, customer_id, status, created_at, id);
CREATE INDEX accounts_contact_email ON accounts (platform_id, contact_email_lower);

-- The same addresses as accounts.funding_emails, one row each, to filter by.
CREATE TABLE funding_notifications (
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    position    INTEGER NOT NULL,
    email       TEXT    NOT NULL,
    email_lower TEXT    NOT NULL,
    PRIMARY KEY (account_id, email_lower)
);
CREATE INDEX funding_notifications_email ON funding_notifications (email_lower, account_id);

CREATE TABLE ledger_entries (
    id            INTEGER PRIMARY KEY,
    platform_id   INTEGER NOT NULL REFERENCES platforms (id),
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    amount        INTEGER NOT NULL CHECK (amount <> 0),
    balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
    note          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
