package http

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/cofferhq/coffer"
)

// accountView is the wire form of an account (AccountView).
type accountView struct {
	AccountIdentifier   string               `json:"accountIdentifier"`
	AccountNumber       string               `json:"accountNumber"`
	DisplayName         string               `json:"displayName"`
	CreatedAt           wireTime             `json:"createdAt"`
	Status              coffer.AccountStatus `json:"status"`
	CurrencyCode        coffer.Currency      `json:"currencyCode"`
	CurrentBalance      amount               `json:"currentBalance"`
	ContactEmail        string               `json:"contactEmail"`
	FundingNotification []fundingView        `json:"fundingNotification"`
}

type fundingView struct {
	EmailAddress string `json:"emailAddress"`
}

func newAccountView(a *coffer.Account) accountView {
	v := accountView{
		AccountIdentifier:   a.Identifier,
		AccountNumber:       a.Number,
		DisplayName:         a.DisplayName,
		CreatedAt:           wireTime(a.CreatedAt),
		Status:              a.Status,
		CurrencyCode:        a.Currency,
		CurrentBalance:      amount(a.Balance),
		ContactEmail:        a.ContactEmail,
		FundingNotification: make([]fundingView, len(a.FundingNotification)),
	}
	for i, e := range a.FundingNotification {
		v.FundingNotification[i] = fundingView{e}
	}
	return v
}

// envelope is the wire form of a list asked for with paginate=true: the server writes it with
// accountView items, the client reads it with its own. A cursor is null when there is no such page.
type envelope[T any] struct {
	NumberOfElements  int     `json:"numberOfElements"`
	MaxResults        int     `json:"maxResults"`
	PrevCursor        *string `json:"prevCursor"`
	NextCursor        *string `json:"nextCursor"`
	Items             []T     `json:"items"`
	PrevPageAvailable bool    `json:"prevPageAvailable"`
	NextPageAvailable bool    `json:"nextPageAvailable"`
}

func accountPath(customer, account string) string {
	return customerPath(customer) + "/accounts/" + url.PathEscape(account)
}

// emails reads an optional list of {"emailAddress": "..."} objects. It returns nil for absent or
// null, and records a failure for anything but such a list.
func (o object) emails(v *coffer.Validation, name string) *[]string {
	raw, ok := o[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	var items []struct {
		EmailAddress json.RawMessage `json:"emailAddress"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		v.Add(name, coffer.KeyType, "Type", echo(raw), `%s must be a list of {"emailAddress": "..."} objects`, name)
		return nil
	}
	list := make([]string, len(items))
	for i, it := range items {
		if it.EmailAddress == nil {
			continue // missing reads as absent, like null: the address is then required
		}
		if err := json.Unmarshal(it.EmailAddress, &list[i]); err != nil {
			v.Add(name, coffer.KeyType, "Type", echo(raw), `%s must be a list of {"emailAddress": "..."} objects with string addresses`, name)
			return nil
		}
	}
	return &list
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request, p *coffer.Principal) error {
	customer := r.PathValue("customerIdentifier")
	if !p.AllowsCustomer(customer) {
		return errCustomerForbidden(customer)
	}
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	var v coffer.Validation
	var in coffer.AccountCreate
	in.Identifier, _ = o.str(&v, "accountIdentifier")
	in.DisplayName, _ = o.str(&v, "displayName")
	in.ContactEmail, _ = o.str(&v, "contactEmail")
	currency, _ := o.str(&v, "currencyCode")
	in.Currency = coffer.Currency(currency)
	if list := o.emails(&v, "fundingNotification"); list != nil {
		in.FundingNotification = *list
	}
	in.Validate(&v)
	if err := v.Err(); err != nil {
		return err
	}
	a, err := s.Accounts.CreateAccount(r.Context(), p, customer, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", accountPath(customer, a.Identifier))
	writeJSON(w, http.StatusCreated, newAccountView(a))
	return nil
}

func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request, p *coffer.Principal) error {
	customer, account := r.PathValue("customerIdentifier"), r.PathValue("accountIdentifier")
	if !p.AllowsCustomer(customer) {
		return errCustomerForbidden(customer)
	}
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	var v coffer.Validation
	var up coffer.AccountUpdate
	if name, ok := o.str(&v, "displayName"); ok {
		up.DisplayName = &name
	}
	if email, ok := o.str(&v, "contactEmail"); ok {
		up.ContactEmail = &email
	}
	up.FundingNotification = o.emails(&v, "fundingNotification")
	up.Validate(&v)
	if err := v.Err(); err != nil {
		return err
	}
	a, err := s.Accounts.UpdateAccount(r.Context(), p, customer, account, up)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newAccountView(a))
	return nil
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request, p *coffer.Principal) error {
	a, err := s.Accounts.FindAccount(r.Context(), p, r.PathValue("accountIdentifier"))
	if err != nil {
		return err
	}
	if !p.AllowsCustomer(a.CustomerIdentifier) {
		return errCustomerForbidden(a.CustomerIdentifier)
	}
	writeJSON(w, http.StatusOK, newAccountView(a))
	return nil
}

func (s *Server) listCustomerAccounts(w http.ResponseWriter, r *http.Request, p *coffer.Principal) error {
	customer := r.PathValue("customerIdentifier")
	if !p.AllowsCustomer(customer) {
		return errCustomerForbidden(customer)
	}
	q, err := s.parseAccountQuery(r, p, false)
	if err != nil {
		return err
	}
	return s.writeAccounts(w, r, p, q)
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, p *coffer.Principal) error {
	q, err := s.parseAccountQuery(r, p, true)
	if err != nil {
		return err
	}
	if c := q.filter.Customer; c != "" && !p.AllowsCustomer(c) {
		return errCustomerForbidden(c)
	}
	err = s.writeAccounts(w, r, p, q)
	if q.filter.Customer != "" && coffer.ErrorCode(err) == coffer.ENOTFOUND {
		// A filter on a customer that does not exist matches nothing. Nothing was sent yet:
		// the store looks the customer up before the first row.
		if q.paginate {
			writeJSON(w, http.StatusOK, envelope[accountView]{MaxResults: q.page.Limit, Items: []accountView{}})
		} else {
			writeJSON(w, http.StatusOK, []accountView{})
		}
		return nil
	}
	return err
}

// writeAccounts answers a list: the bare array, streamed, or one page in its envelope.
func (s *Server) writeAccounts(w http.ResponseWriter, r *http.Request, p *coffer.Principal, q accountQuery) error {
	if !q.paginate {
		return s.stream(w, r, func(ctx context.Context, item func(any) error) error {
			_, err := s.Accounts.ListAccounts(ctx, p, q.filter, coffer.Page{}, func(a *coffer.Account) error {
				return item(newAccountView(a))
			})
			return err
		})
	}
	items := make([]accountView, 0, q.page.Limit)
	var first, last coffer.Position
	more, err := s.Accounts.ListAccounts(r.Context(), p, q.filter, q.page, func(a *coffer.Account) error {
		if len(items) == 0 {
			first = a.Position
		}
		last = a.Position
		items = append(items, newAccountView(a))
		return nil
	})
	if err != nil {
		return err
	}
	out := envelope[accountView]{NumberOfElements: len(items), MaxResults: q.page.Limit, Items: items}
	cursor := func(before bool, at coffer.Position) *string {
		c := s.cursors.Encode(coffer.Cursor{PlatformID: p.PlatformID, Scope: q.scope, Before: before, Position: at})
		return &c
	}
	backward := q.page.Before != nil
	if len(items) > 0 {
		// Forward, the page before exists when this one was reached from it; backward, the
		// page after does. The other direction is what the extra row told.
		out.PrevPageAvailable = (backward && more) || q.page.After != nil
		out.NextPageAvailable = (!backward && more) || backward
		if out.PrevPageAvailable {
			out.PrevCursor = cursor(true, first)
		}
		if out.NextPageAvailable {
			out.NextCursor = cursor(false, last)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
