package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/sqlstore"
)

// accountView is an account as the operator commands print it.
type accountView struct {
	AccountIdentifier  string               `json:"accountIdentifier"`
	AccountNumber      string               `json:"accountNumber"`
	CustomerIdentifier string               `json:"customerIdentifier"`
	Status             coffer.AccountStatus `json:"status"`
	CurrencyCode       coffer.Currency      `json:"currencyCode"`
	CurrentBalance     json.Number          `json:"currentBalance"`
}

func accountCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"account: credit, debit or status?\n" + usage}
	}
	sub := args[0]
	fs := flags("account "+sub, stderr)
	db := dbFlag(fs, getenv)
	platform := fs.String("platform", "", "platform name")
	account := fs.String("account", "", "account identifier")
	var amount, note, status *string
	switch sub {
	case "credit", "debit":
		amount = fs.String("amount", "", "positive decimal with at most two places, such as 12.34")
		note = fs.String("note", "", "a note kept with the ledger entry")
	case "status":
		status = fs.String("set", "", "ACTIVE, INACTIVE, DISABLED, FROZEN or DELETED")
	default:
		return usageError{fmt.Sprintf("account: unknown command %q\n%s", sub, usage)}
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := required(fs, "platform", "account"); err != nil {
		return err
	}
	var minor int64
	var st coffer.AccountStatus
	if sub == "status" {
		if err := required(fs, "set"); err != nil {
			return err
		}
		var ok bool
		if st, ok = coffer.ParseAccountStatus(*status); !ok {
			return usageError{fmt.Sprintf("account status: --set %q is not one of ACTIVE, INACTIVE, DISABLED, FROZEN, DELETED", *status)}
		}
	} else {
		if err := required(fs, "amount"); err != nil {
			return err
		}
		var ok bool
		if minor, ok = coffer.ParseAmount(*amount); !ok || minor == 0 {
			return usageError{fmt.Sprintf("account %s: --amount %q must be a positive decimal with at most two places", sub, *amount)}
		}
		if sub == "debit" {
			minor = -minor
		}
	}
	return withStore(ctx, *db, func(s *sqlstore.Store) error {
		var a *coffer.Account
		var err error
		if sub == "status" {
			a, err = s.SetAccountStatus(ctx, *platform, *account, st)
		} else {
			a, err = s.Move(ctx, *platform, *account, minor, *note)
		}
		if err != nil {
			return err
		}
		return printJSON(stdout, accountView{AccountIdentifier: a.Identifier, AccountNumber: a.Number, CustomerIdentifier: a.CustomerIdentifier,
			Status: a.Status, CurrencyCode: a.Currency, CurrentBalance: json.Number(coffer.FormatAmount(a.Balance))})
	})
}
