package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cofferhq/coffer"
	cofferhttp "github.com/cofferhq/coffer/http"
)

// The client commands talk to a running server through the API, as a platform: they need its
// URL, the platform name and a key, and print a table for people or, with --json, the API's own
// JSON for scripts.

// clientFlags declares the flags every client command has.
type clientFlags struct {
	url, platform, key *string
	json               *bool
	getenv             func(string) string
}

func newClientFlags(fs *flag.FlagSet, getenv func(string) string) clientFlags {
	def := func(name, fallback string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return fallback
	}
	return clientFlags{
		url:      fs.String("url", def("COFFER_URL", "http://127.0.0.1:8080"), "server URL (env COFFER_URL)"),
		platform: fs.String("platform", def("COFFER_PLATFORM", ""), "platform name (env COFFER_PLATFORM)"),
		// No default from COFFER_KEY: the usage text of a mistyped command prints defaults.
		key:    fs.String("key", "", "platform key (env COFFER_KEY)"),
		json:   fs.Bool("json", false, "print the API's JSON instead of a table"),
		getenv: getenv,
	}
}

// client returns the API client of the flags, or a usage error when credentials are missing.
func (cf clientFlags) client(fs *flag.FlagSet) (*cofferhttp.Client, error) {
	key := *cf.key
	if key == "" {
		key = cf.getenv("COFFER_KEY")
	}
	if *cf.platform == "" || key == "" {
		return nil, usageError{fmt.Sprintf("%s: --platform and --key (or COFFER_PLATFORM and COFFER_KEY) are required", fs.Name())}
	}
	return &cofferhttp.Client{BaseURL: *cf.url, Platform: *cf.platform, Key: key}, nil
}

func customersCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"customers: list, get or create?\n" + usage}
	}
	sub := args[0]
	fs := flags("customers "+sub, stderr)
	cf := newClientFlags(fs, getenv)
	var id, name *string
	switch sub {
	case "list":
	case "get":
		id = fs.String("customer", "", "customer identifier")
	case "create":
		id = fs.String("customer", "", "customer identifier: 5-100 characters of -0-9a-zA-Z")
		name = fs.String("name", "", "display name")
	default:
		return usageError{fmt.Sprintf("customers: unknown command %q\n%s", sub, usage)}
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if id != nil {
		if err := required(fs, "customer"); err != nil {
			return err
		}
	}
	cl, err := cf.client(fs)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		list, err := cl.ListCustomers(ctx)
		if err != nil {
			return err
		}
		if *cf.json {
			return printJSON(stdout, list)
		}
		return customerTable(stdout, list)
	default:
		var c *cofferhttp.Customer
		if sub == "get" {
			c, err = cl.GetCustomer(ctx, *id)
		} else {
			c, err = cl.CreateCustomer(ctx, cofferhttp.NewCustomer{CustomerIdentifier: *id, DisplayName: *name})
		}
		if err != nil {
			return err
		}
		if *cf.json {
			return printJSON(stdout, c)
		}
		if err := customerTable(stdout, []cofferhttp.Customer{*c}); err != nil {
			return err
		}
		if len(c.Accounts) == 0 {
			return nil
		}
		fmt.Fprintln(stdout)
		return summaryTable(stdout, c.Accounts)
	}
}

func accountsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"accounts: list, get, create or update?\n" + usage}
	}
	sub := args[0]
	fs := flags("accounts "+sub, stderr)
	cf := newClientFlags(fs, getenv)
	var customer, account, name, email, currency, notify *string
	switch sub {
	case "list":
		return accountsList(ctx, fs, cf, args[1:], stdout, stderr)
	case "get":
		account = fs.String("account", "", "account identifier")
	case "create":
		customer = fs.String("customer", "", "customer identifier")
		account = fs.String("account", "", "account identifier: 5-100 characters of -0-9a-z")
		name = fs.String("name", "", "display name")
		email = fs.String("email", "", "contact email")
		currency = fs.String("currency", "", "CAD, EUR, GBP or USD (default USD)")
		notify = fs.String("notify", "", "comma-separated funding notification addresses")
	case "update":
		customer = fs.String("customer", "", "customer identifier")
		account = fs.String("account", "", "account identifier")
		name = fs.String("name", "", "new display name")
		email = fs.String("email", "", "new contact email")
		notify = fs.String("notify", "", `comma-separated funding notification addresses replacing the list; "" clears it`)
	default:
		return usageError{fmt.Sprintf("accounts: unknown command %q\n%s", sub, usage)}
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	need := []string{"account"}
	if customer != nil {
		need = append(need, "customer")
	}
	if err := required(fs, need...); err != nil {
		return err
	}
	cl, err := cf.client(fs)
	if err != nil {
		return err
	}
	var a *cofferhttp.Account
	switch sub {
	case "get":
		a, err = cl.GetAccount(ctx, *account)
	case "create":
		a, err = cl.CreateAccount(ctx, *customer, cofferhttp.NewAccount{AccountIdentifier: *account, DisplayName: *name, ContactEmail: *email,
			CurrencyCode: coffer.Currency(*currency), FundingNotification: splitList(*notify)})
	case "update":
		var up cofferhttp.AccountUpdate
		if isSet(fs, "name") {
			up.DisplayName = name
		}
		if isSet(fs, "email") {
			up.ContactEmail = email
		}
		if isSet(fs, "notify") {
			list := splitList(*notify)
			if list == nil {
				list = []string{}
			}
			up.FundingNotification = &list
		}
		a, err = cl.UpdateAccount(ctx, *customer, *account, up)
	}
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(stdout, a)
	}
	return accountTable(stdout, []cofferhttp.Account{*a})
}

// accountsList is accounts list: one page, or every page with --all; of a customer with
// --customer, else of the platform.
func accountsList(ctx context.Context, fs *flag.FlagSet, cf clientFlags, args []string, stdout, stderr io.Writer) error {
	customer := fs.String("customer", "", "only this customer's accounts")
	number := fs.String("number", "", "account number (exact)")
	name := fs.String("name", "", "display name contains this (any case)")
	status := fs.String("status", "", "ACTIVE, INACTIVE, DISABLED, FROZEN or DELETED (default: all but DELETED)")
	email := fs.String("email", "", "contact email (exact, any case)")
	currencies := fs.String("currency", "", "comma-separated currencies, any of them")
	minBalance := fs.String("min-balance", "", "balance at least this, such as 10.50")
	maxBalance := fs.String("max-balance", "", "balance at most this")
	minCreated := fs.String("min-created-at", "", "created at or after: RFC 3339, or a date (2025-01-01)")
	maxCreated := fs.String("max-created-at", "", "created at or before: RFC 3339, or a date (the whole day)")
	notify := fs.String("notify-email", "", "comma-separated funding notification addresses, any of them")
	maxResults := fs.Int("max-results", 0, "page size, 1-200 (default 10)")
	next := fs.String("next-cursor", "", "the nextCursor of the previous page")
	prev := fs.String("prev-cursor", "", "the prevCursor of the next page")
	all := fs.Bool("all", false, "page through every matching account")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *all && (*next != "" || *prev != "") {
		return usageError{"accounts list: --all starts from the first page: give it no cursor"}
	}
	f := cofferhttp.AccountFilter{AccountNumber: *number, DisplayName: *name, Status: coffer.AccountStatus(*status), ContactEmail: *email,
		MinDateCreatedAt: *minCreated, MaxDateCreatedAt: *maxCreated, FundingNotificationEmails: splitList(*notify)}
	for _, c := range splitList(*currencies) {
		f.CurrencyCodes = append(f.CurrencyCodes, coffer.Currency(c))
	}
	for _, b := range []struct {
		flag  string
		value string
		dst   **int64
	}{{"min-balance", *minBalance, &f.MinBalance}, {"max-balance", *maxBalance, &f.MaxBalance}} {
		if b.value == "" {
			continue
		}
		v, ok := coffer.ParseAmount(b.value)
		if !ok {
			return usageError{fmt.Sprintf("accounts list: --%s %q must be a decimal with at most two places", b.flag, b.value)}
		}
		*b.dst = &v
	}
	cl, err := cf.client(fs)
	if err != nil {
		return err
	}

	if *all {
		seq := cl.AllAccounts(ctx, f, *maxResults)
		if *customer != "" {
			seq = cl.AllCustomerAccounts(ctx, *customer, f, *maxResults)
		}
		list := []cofferhttp.Account{}
		for a, err := range seq {
			if err != nil {
				return err
			}
			list = append(list, *a)
		}
		if *cf.json {
			return printJSON(stdout, list)
		}
		return accountTable(stdout, list)
	}
	p := cofferhttp.PageRequest{MaxResults: *maxResults, NextCursor: *next, PrevCursor: *prev}
	var page *cofferhttp.AccountPage
	if *customer != "" {
		page, err = cl.ListCustomerAccounts(ctx, *customer, f, p)
	} else {
		page, err = cl.ListAccounts(ctx, f, p)
	}
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(stdout, page)
	}
	if err := accountTable(stdout, page.Items); err != nil {
		return err
	}
	// The way on goes to stderr, so that stdout holds the table alone.
	if page.PrevCursor != "" {
		fmt.Fprintf(stderr, "previous page: --prev-cursor %s\n", page.PrevCursor)
	}
	if page.NextCursor != "" {
		fmt.Fprintf(stderr, "next page: --next-cursor %s (or --all for every page)\n", page.NextCursor)
	}
	return nil
}

// tableTime prints a time for people: UTC, to the second.
func tableTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

// money prints minor units with two decimals, exactly.
func money(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return sign + strconv.FormatInt(minor/100, 10) + "." + fmt.Sprintf("%02d", minor%100)
}

// table writes tab-separated rows as aligned columns.
func table(w io.Writer, header string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func customerTable(w io.Writer, list []cofferhttp.Customer) error {
	rows := make([][]string, len(list))
	for i, c := range list {
		rows[i] = []string{c.CustomerIdentifier, c.DisplayName, string(c.Status), strconv.Itoa(len(c.Accounts)), tableTime(c.CreatedAt)}
	}
	return table(w, "CUSTOMER\tDISPLAY NAME\tSTATUS\tACCOUNTS\tCREATED", rows)
}

func summaryTable(w io.Writer, list []cofferhttp.AccountSummary) error {
	rows := make([][]string, len(list))
	for i, a := range list {
		rows[i] = []string{a.AccountIdentifier, a.AccountNumber, a.DisplayName, string(a.Status), string(a.CurrencyCode), tableTime(a.CreatedAt)}
	}
	return table(w, "ACCOUNT\tNUMBER\tDISPLAY NAME\tSTATUS\tCURRENCY\tCREATED", rows)
}

func accountTable(w io.Writer, list []cofferhttp.Account) error {
	rows := make([][]string, len(list))
	for i, a := range list {
		rows[i] = []string{a.AccountIdentifier, a.AccountNumber, a.DisplayName, string(a.Status), string(a.CurrencyCode),
			money(a.CurrentBalance), a.ContactEmail, strings.Join(a.FundingNotification, ","), tableTime(a.CreatedAt)}
	}
	return table(w, "ACCOUNT\tNUMBER\tDISPLAY NAME\tSTATUS\tCURRENCY\tBALANCE\tCONTACT\tNOTIFY\tCREATED", rows)
}
