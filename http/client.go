package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
)

// Client is a Go client of the API, for Coffer or any server of Tango RaaS v2 customers and
// accounts. Its zero value is not usable: set BaseURL, Platform and Key. A Client is safe for
// concurrent use.
type Client struct {
	// BaseURL is the server's URL, such as http://127.0.0.1:8080; a trailing /raas/v2 is
	// allowed and means the same.
	BaseURL string
	// Platform and Key are the HTTP Basic credentials: the platform name and one of its keys.
	Platform string
	Key      string
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// Customer is a customer (group) as the API shows it.
type Customer struct {
	CustomerIdentifier string
	DisplayName        string
	Status             coffer.CustomerStatus
	CreatedAt          time.Time
	Accounts           []AccountSummary // never DELETED accounts
}

// AccountSummary is an account as shown inside its customer.
type AccountSummary struct {
	AccountIdentifier string
	AccountNumber     string
	DisplayName       string
	CreatedAt         time.Time
	Status            coffer.AccountStatus
	CurrencyCode      coffer.Currency
}

// Account is an account as the API shows it.
type Account struct {
	AccountIdentifier   string
	AccountNumber       string
	DisplayName         string
	CreatedAt           time.Time
	Status              coffer.AccountStatus
	CurrencyCode        coffer.Currency
	CurrentBalance      int64 // minor units: 9127.88 on the wire is 912788
	ContactEmail        string
	FundingNotification []string // the notified addresses
}

// NewCustomer is the input of CreateCustomer.
type NewCustomer struct {
	CustomerIdentifier string `json:"customerIdentifier"`
	DisplayName        string `json:"displayName"`
}

// NewAccount is the input of CreateAccount. An empty CurrencyCode means USD.
type NewAccount struct {
	AccountIdentifier   string
	DisplayName         string
	ContactEmail        string
	CurrencyCode        coffer.Currency
	FundingNotification []string
}

// AccountUpdate is the input of UpdateAccount: a nil field is left unchanged. A non-nil
// FundingNotification replaces the list, and an empty one clears it.
type AccountUpdate struct {
	DisplayName         *string
	ContactEmail        *string
	FundingNotification *[]string
}

// AccountFilter selects accounts; every field set must match. CustomerIdentifier applies to the
// platform-wide lists only.
type AccountFilter struct {
	CustomerIdentifier        string
	AccountNumber             string               // exact
	DisplayName               string               // substring, any case
	Status                    coffer.AccountStatus // "" for every status but DELETED
	ContactEmail              string               // exact, any case
	CurrencyCodes             []coffer.Currency    // any of them
	MinBalance                *int64               // inclusive, minor units
	MaxBalance                *int64               // inclusive, minor units
	MinDateCreatedAt          string               // inclusive: RFC 3339, or a date meaning the start of that UTC day
	MaxDateCreatedAt          string               // inclusive: RFC 3339, or a date meaning the end of that UTC day
	FundingNotificationEmails []string             // an account notifying any of them
}

// PageRequest asks for one page of a list: at most MaxResults items (0 for the server's default
// of 10), after NextCursor or before PrevCursor, or the first page when both are empty.
type PageRequest struct {
	MaxResults int
	NextCursor string
	PrevCursor string
}

// AccountPage is one page of an account list. A cursor is "" when there is no such page.
type AccountPage struct {
	NumberOfElements  int
	MaxResults        int
	PrevCursor        string
	NextCursor        string
	Items             []Account
	PrevPageAvailable bool
	NextPageAvailable bool
}

// APIError is an error answer of the server: its status, the wire error body's i18nKey, message,
// request id and path, and the failed fields.
type APIError struct {
	HTTPCode  int
	I18nKey   string
	Message   string
	RequestID string
	Path      string
	Errors    []FieldError
}

// FieldError is one failed field, query parameter or path value of an APIError.
type FieldError struct {
	Path         string          `json:"path"`
	I18nKey      string          `json:"i18nKey"`
	Message      string          `json:"message"`
	InvalidValue json.RawMessage `json:"invalidValue"`
	Constraint   string          `json:"constraint"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s: %s", e.HTTPCode, e.I18nKey, e.Message)
	for _, f := range e.Errors {
		fmt.Fprintf(&b, "; %s: %s", f.Path, f.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	return b.String()
}

// ListCustomers returns every customer the key may see, in creation order.
func (c *Client) ListCustomers(ctx context.Context) ([]Customer, error) {
	var out []wireCustomer
	if err := c.do(ctx, "GET", "/customers", nil, nil, &out); err != nil {
		return nil, err
	}
	list := make([]Customer, len(out))
	for i, w := range out {
		list[i] = w.customer()
	}
	return list, nil
}

// GetCustomer returns a customer with a summary of its accounts.
func (c *Client) GetCustomer(ctx context.Context, id string) (*Customer, error) {
	var w wireCustomer
	if err := c.do(ctx, "GET", "/customers/"+url.PathEscape(id), nil, nil, &w); err != nil {
		return nil, err
	}
	cu := w.customer()
	return &cu, nil
}

// CreateCustomer creates a customer.
func (c *Client) CreateCustomer(ctx context.Context, in NewCustomer) (*Customer, error) {
	var w wireCustomer
	if err := c.do(ctx, "POST", "/customers", nil, in, &w); err != nil {
		return nil, err
	}
	cu := w.customer()
	return &cu, nil
}

// CreateAccount creates an account under a customer.
func (c *Client) CreateAccount(ctx context.Context, customer string, in NewAccount) (*Account, error) {
	body := struct {
		AccountIdentifier   string          `json:"accountIdentifier"`
		DisplayName         string          `json:"displayName"`
		ContactEmail        string          `json:"contactEmail"`
		CurrencyCode        coffer.Currency `json:"currencyCode,omitempty"`
		FundingNotification []wireFunding   `json:"fundingNotification,omitempty"`
	}{in.AccountIdentifier, in.DisplayName, in.ContactEmail, in.CurrencyCode, funding(in.FundingNotification)}
	var w wireAccount
	if err := c.do(ctx, "POST", "/customers/"+url.PathEscape(customer)+"/accounts", nil, body, &w); err != nil {
		return nil, err
	}
	return w.account()
}

// UpdateAccount changes the fields of an account of a customer that up sets.
func (c *Client) UpdateAccount(ctx context.Context, customer, id string, up AccountUpdate) (*Account, error) {
	body := struct {
		DisplayName         *string        `json:"displayName,omitempty"`
		ContactEmail        *string        `json:"contactEmail,omitempty"`
		FundingNotification *[]wireFunding `json:"fundingNotification,omitempty"`
	}{DisplayName: up.DisplayName, ContactEmail: up.ContactEmail}
	if up.FundingNotification != nil {
		list := funding(*up.FundingNotification)
		if list == nil {
			list = []wireFunding{} // [] clears; null would leave the list as it is
		}
		body.FundingNotification = &list
	}
	var w wireAccount
	if err := c.do(ctx, "PATCH", "/customers/"+url.PathEscape(customer)+"/accounts/"+url.PathEscape(id), nil, body, &w); err != nil {
		return nil, err
	}
	return w.account()
}

// GetAccount returns an account of the platform, whichever its customer.
func (c *Client) GetAccount(ctx context.Context, id string) (*Account, error) {
	var w wireAccount
	if err := c.do(ctx, "GET", "/accounts/"+url.PathEscape(id), nil, nil, &w); err != nil {
		return nil, err
	}
	return w.account()
}

// ListCustomerAccounts returns one page of a customer's accounts that match f.
func (c *Client) ListCustomerAccounts(ctx context.Context, customer string, f AccountFilter, p PageRequest) (*AccountPage, error) {
	f.CustomerIdentifier = "" // the path names the customer
	return c.page(ctx, "/customers/"+url.PathEscape(customer)+"/accounts", f, p)
}

// ListAccounts returns one page of the platform's accounts that match f.
func (c *Client) ListAccounts(ctx context.Context, f AccountFilter, p PageRequest) (*AccountPage, error) {
	return c.page(ctx, "/accounts", f, p)
}

// AllCustomerAccounts yields every account of a customer that matches f, following the pages'
// cursors, pageSize accounts a request (0 for the server's default). It stops at the first
// error, which it yields.
func (c *Client) AllCustomerAccounts(ctx context.Context, customer string, f AccountFilter, pageSize int) iter.Seq2[*Account, error] {
	return c.all(func(p PageRequest) (*AccountPage, error) {
		return c.ListCustomerAccounts(ctx, customer, f, p)
	}, pageSize)
}

// AllAccounts yields every account of the platform that matches f, following the pages'
// cursors, pageSize accounts a request (0 for the server's default). It stops at the first
// error, which it yields.
func (c *Client) AllAccounts(ctx context.Context, f AccountFilter, pageSize int) iter.Seq2[*Account, error] {
	return c.all(func(p PageRequest) (*AccountPage, error) {
		return c.ListAccounts(ctx, f, p)
	}, pageSize)
}

func (c *Client) all(next func(PageRequest) (*AccountPage, error), pageSize int) iter.Seq2[*Account, error] {
	return func(yield func(*Account, error) bool) {
		req := PageRequest{MaxResults: pageSize}
		for {
			page, err := next(req)
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range page.Items {
				if !yield(&page.Items[i], nil) {
					return
				}
			}
			if !page.NextPageAvailable || page.NextCursor == "" {
				return
			}
			req.NextCursor = page.NextCursor
		}
	}
}

func (c *Client) page(ctx context.Context, path string, f AccountFilter, p PageRequest) (*AccountPage, error) {
	q := f.query()
	q.Set("paginate", "true")
	if p.MaxResults != 0 {
		q.Set("maxResults", strconv.Itoa(p.MaxResults))
	}
	if p.NextCursor != "" {
		q.Set("nextCursor", p.NextCursor)
	}
	if p.PrevCursor != "" {
		q.Set("prevCursor", p.PrevCursor)
	}
	var w envelope[wireAccount]
	if err := c.do(ctx, "GET", path, q, nil, &w); err != nil {
		return nil, err
	}
	out := &AccountPage{NumberOfElements: w.NumberOfElements, MaxResults: w.MaxResults, Items: make([]Account, len(w.Items)),
		PrevPageAvailable: w.PrevPageAvailable, NextPageAvailable: w.NextPageAvailable}
	if w.PrevCursor != nil {
		out.PrevCursor = *w.PrevCursor
	}
	if w.NextCursor != nil {
		out.NextCursor = *w.NextCursor
	}
	for i, wa := range w.Items {
		a, err := wa.account()
		if err != nil {
			return nil, err
		}
		out.Items[i] = *a
	}
	return out, nil
}

// query returns the filter as query parameters; array filters are repeated.
func (f AccountFilter) query() url.Values {
	q := url.Values{}
	set := func(name, v string) {
		if v != "" {
			q.Set(name, v)
		}
	}
	set("customerIdentifier", f.CustomerIdentifier)
	set("accountNumber", f.AccountNumber)
	set("displayName", f.DisplayName)
	set("status", string(f.Status))
	set("contactEmail", f.ContactEmail)
	for _, cur := range f.CurrencyCodes {
		q.Add("currencyCode", string(cur))
	}
	if f.MinBalance != nil {
		q.Set("minBalance", coffer.FormatAmount(*f.MinBalance))
	}
	if f.MaxBalance != nil {
		q.Set("maxBalance", coffer.FormatAmount(*f.MaxBalance))
	}
	set("minDateCreatedAt", f.MinDateCreatedAt)
	set("maxDateCreatedAt", f.MaxDateCreatedAt)
	for _, e := range f.FundingNotificationEmails {
		q.Add("fundingNotificationEmail", e)
	}
	return q
}

// do sends a request to the API and decodes a 2xx answer into out, or returns an *APIError.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	base := strings.TrimSuffix(strings.TrimSuffix(c.BaseURL, "/"), APIPrefix)
	u := base + APIPrefix + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.Platform, c.Key)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return readAPIError(res)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
	}
	return nil
}

// readAPIError reads the wire error body of a non-2xx answer. An answer that is not one (from a
// proxy, say) still gives an *APIError, with its status and the start of its body.
func readAPIError(res *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	e := &APIError{HTTPCode: res.StatusCode, RequestID: res.Header.Get("X-Request-Id"), Path: res.Request.URL.Path}
	var w struct {
		RequestID string       `json:"requestId"`
		Path      string       `json:"path"`
		HTTPCode  int          `json:"httpCode"`
		I18nKey   string       `json:"i18nKey"`
		Message   string       `json:"message"`
		Errors    []FieldError `json:"errors"`
	}
	if err := json.Unmarshal(b, &w); err != nil || w.HTTPCode == 0 {
		msg := strings.TrimSpace(string(b))
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		if msg == "" {
			msg = http.StatusText(res.StatusCode)
		}
		e.Message = msg
		return e
	}
	e.I18nKey, e.Message, e.Errors = w.I18nKey, w.Message, w.Errors
	if w.RequestID != "" {
		e.RequestID = w.RequestID
	}
	if w.Path != "" {
		e.Path = w.Path
	}
	return e
}

// The wire forms the client decodes. Balances are read as json.Number, never as a float.
type wireFunding struct {
	EmailAddress string `json:"emailAddress"`
}

type wireSummary struct {
	AccountIdentifier string               `json:"accountIdentifier"`
	AccountNumber     string               `json:"accountNumber"`
	DisplayName       string               `json:"displayName"`
	CreatedAt         time.Time            `json:"createdAt"`
	Status            coffer.AccountStatus `json:"status"`
	CurrencyCode      coffer.Currency      `json:"currencyCode"`
}

type wireCustomer struct {
	CustomerIdentifier string                `json:"customerIdentifier"`
	DisplayName        string                `json:"displayName"`
	Status             coffer.CustomerStatus `json:"status"`
	CreatedAt          time.Time             `json:"createdAt"`
	Accounts           []wireSummary         `json:"accounts"`
}

func (w wireCustomer) customer() Customer {
	c := Customer{CustomerIdentifier: w.CustomerIdentifier, DisplayName: w.DisplayName, Status: w.Status,
		CreatedAt: w.CreatedAt, Accounts: make([]AccountSummary, len(w.Accounts))}
	for i, a := range w.Accounts {
		c.Accounts[i] = AccountSummary(a)
	}
	return c
}

type wireAccount struct {
	AccountIdentifier   string               `json:"accountIdentifier"`
	AccountNumber       string               `json:"accountNumber"`
	DisplayName         string               `json:"displayName"`
	CreatedAt           time.Time            `json:"createdAt"`
	Status              coffer.AccountStatus `json:"status"`
	CurrencyCode        coffer.Currency      `json:"currencyCode"`
	CurrentBalance      json.Number          `json:"currentBalance"`
	ContactEmail        string               `json:"contactEmail"`
	FundingNotification []wireFunding        `json:"fundingNotification"`
}

func (w wireAccount) account() (*Account, error) {
	balance, err := MinorUnits(string(w.CurrentBalance))
	if err != nil {
		return nil, fmt.Errorf("account %s: currentBalance: %w", w.AccountIdentifier, err)
	}
	a := &Account{AccountIdentifier: w.AccountIdentifier, AccountNumber: w.AccountNumber, DisplayName: w.DisplayName,
		CreatedAt: w.CreatedAt, Status: w.Status, CurrencyCode: w.CurrencyCode, CurrentBalance: balance,
		ContactEmail: w.ContactEmail, FundingNotification: make([]string, len(w.FundingNotification))}
	for i, f := range w.FundingNotification {
		a.FundingNotification[i] = f.EmailAddress
	}
	return a, nil
}

func funding(emails []string) []wireFunding {
	if emails == nil {
		return nil
	}
	out := make([]wireFunding, len(emails))
	for i, e := range emails {
		out[i] = wireFunding{e}
	}
	return out
}

// MinorUnits parses a JSON number with at most two decimals, such as 9127.88 or -3.5, into minor
// units, exactly. A number with more decimals or an exponent is an error, never rounded.
func MinorUnits(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	v, ok := coffer.ParseAmount(strings.TrimPrefix(s, "-"))
	if !ok || s == "-" {
		return 0, errors.New("not an amount with at most two decimals: " + strconv.Quote(s))
	}
	if neg {
		v = -v
	}
	return v, nil
}

// MarshalJSON writes the account in the wire form of AccountView, the balance as an exact
// decimal.
func (a Account) MarshalJSON() ([]byte, error) {
	v := accountView{AccountIdentifier: a.AccountIdentifier, AccountNumber: a.AccountNumber, DisplayName: a.DisplayName,
		CreatedAt: wireTime(a.CreatedAt), Status: a.Status, CurrencyCode: a.CurrencyCode, CurrentBalance: amount(a.CurrentBalance),
		ContactEmail: a.ContactEmail, FundingNotification: make([]fundingView, len(a.FundingNotification))}
	for i, e := range a.FundingNotification {
		v.FundingNotification[i] = fundingView{e}
	}
	return json.Marshal(v)
}

// MarshalJSON writes the customer in the wire form of CustomerView.
func (c Customer) MarshalJSON() ([]byte, error) {
	v := customerView{CustomerIdentifier: c.CustomerIdentifier, DisplayName: c.DisplayName, Status: c.Status,
		CreatedAt: wireTime(c.CreatedAt), Accounts: make([]accountSummaryView, len(c.Accounts))}
	for i, a := range c.Accounts {
		v.Accounts[i] = accountSummaryView{AccountIdentifier: a.AccountIdentifier, AccountNumber: a.AccountNumber,
			DisplayName: a.DisplayName, CreatedAt: wireTime(a.CreatedAt), Status: a.Status, CurrencyCode: a.CurrencyCode}
	}
	return json.Marshal(v)
}

// MarshalJSON writes the page in the wire form of the paginated envelope.
func (p AccountPage) MarshalJSON() ([]byte, error) {
	cursor := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	items := p.Items
	if items == nil {
		items = []Account{}
	}
	return json.Marshal(envelope[Account]{p.NumberOfElements, p.MaxResults, cursor(p.PrevCursor), cursor(p.NextCursor), items,
		p.PrevPageAvailable, p.NextPageAvailable})
}
