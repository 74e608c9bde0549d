package http

import (
	"context"
	"net/http"
	"net/url"

	"github.com/cofferhq/coffer"
)

// customerView is the wire form of a customer (CustomerView).
type customerView struct {
	CustomerIdentifier string                `json:"customerIdentifier"`
	DisplayName        string                `json:"displayName"`
	Status             coffer.CustomerStatus `json:"status"`
	CreatedAt          wireTime              `json:"createdAt"`
	Accounts           []accountSummaryView  `json:"accounts"`
}

// accountSummaryView is the wire form of an account inside a customer.
type accountSummaryView struct {
	AccountIdentifier string               `json:"accountIdentifier"`
	AccountNumber     string               `json:"accountNumber"`
	DisplayName       string               `json:"displayName"`
	CreatedAt         wireTime             `json:"createdAt"`
	Status            coffer.AccountStatus `json:"status"`
	CurrencyCode      coffer.Currency      `json:"currencyCode"`
}

func newCustomerView(c *coffer.Customer) customerView {
	v := customerView{
		CustomerIdentifier: c.Identifier,
		DisplayName:        c.DisplayName,
		Status:             c.Status,
		CreatedAt:          wireTime(c.CreatedAt),
		Accounts:           make([]accountSummaryView, len(c.Accounts)),
	}
	for i, a := range c.Accounts {
		v.Accounts[i] = accountSummaryView{AccountIdentifier: a.Identifier, AccountNumber: a.Number, DisplayName: a.DisplayName,
			CreatedAt: wireTime(a.CreatedAt), Status: a.Status, CurrencyCode: a.Currency}
	}
	return v
}

func customerPath(id string) string { return APIPrefix + "/customers/" + url.PathEscape(id) }

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request, p *coffer.Principal) error {
	return s.stream(w, r, func(ctx context.Context, item func(any) error) error {
		return s.Customers.ListCustomers(ctx, p, func(c *coffer.Customer) error {
			return item(newCustomerView(c))
		})
	})
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request, p *coffer.Principal) error {
	o, err := decodeObject(r)
	if err != nil {
		return err
	}
	var v coffer.Validation
	var in coffer.CustomerCreate
	in.Identifier, _ = o.str(&v, "customerIdentifier")
	in.DisplayName, _ = o.str(&v, "displayName")
	in.Validate(&v)
	if err := v.Err(); err != nil {
		return err
	}
	if !p.AllowsCustomer(in.Identifier) {
		return errCustomerForbidden(in.Identifier)
	}
	if coffer.SameGroupName(in.DisplayName, p.PlatformName) {
		return coffer.GroupNameTaken(in.DisplayName)
	}
	c, err := s.Customers.CreateCustomer(r.Context(), p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", customerPath(c.Identifier))
	writeJSON(w, http.StatusCreated, newCustomerView(c))
	return nil
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request, p *coffer.Principal) error {
	id := r.PathValue("customerIdentifier")
	if !p.AllowsCustomer(id) {
		return errCustomerForbidden(id)
	}
	c, err := s.Customers.FindCustomer(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newCustomerView(c))
	return nil
}
