package http

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
)

// accountQuery is a parsed account list request.
type accountQuery struct {
	filter   coffer.AccountFilter
	paginate bool
	page     coffer.Page
	scope    uint64 // what cursors of this list are bound to
}

// params reads query parameters, recording each bad one as a failure named after it. Unknown
// parameters are ignored; an empty value counts as absent.
type params struct {
	vals url.Values
	v    coffer.Validation
}

func (ps *params) bad(name, value, format string, args ...any) {
	ps.v.Add(name, "400.004", "Parameter", value, format, args...)
}

// one returns the single value of a parameter, "" when absent.
func (ps *params) one(name string) string {
	vs := ps.vals[name]
	if len(vs) > 1 {
		ps.bad(name, strings.Join(vs, ","), "%s must be given at most once", name)
		return ""
	}
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// many returns the values of an array parameter, given repeated or comma-separated.
func (ps *params) many(name string) []string {
	var out []string
	for _, v := range ps.vals[name] {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

func (ps *params) amount(name string) *int64 {
	s := ps.one(name)
	if s == "" {
		return nil
	}
	v, ok := coffer.ParseAmount(s)
	if !ok {
		ps.bad(name, s, "%s must be a non-negative decimal with at most two places", name)
		return nil
	}
	return &v
}

// date parses an RFC 3339 date-time, or a plain date meaning that whole day in UTC, into
// inclusive Unix milliseconds: the first millisecond at or after it for a lower bound, the last
// at or before it for an upper one.
func (ps *params) date(name string, upper bool) *int64 {
	s := ps.one(name)
	if s == "" {
		return nil
	}
	var ms int64
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		ms = t.UnixMilli() // rounds towards zero
		if !upper && t.Sub(time.UnixMilli(ms)) > 0 {
			ms++
		}
	} else if d, err := time.Parse(time.DateOnly, s); err == nil {
		ms = d.UnixMilli()
		if upper {
			ms = d.AddDate(0, 0, 1).UnixMilli() - 1
		}
	} else {
		ps.bad(name, s, "%s must be an RFC 3339 date-time or a date (2025-01-01)", name)
		return nil
	}
	return &ms
}

func (ps *params) order(minName, maxName string, lo, hi *int64) {
	if lo != nil && hi != nil && *lo > *hi {
		ps.bad(minName, ps.vals.Get(minName), "%s must not be after %s", minName, maxName)
	}
}

// parseAccountQuery parses the filters and paging of an account list. platformWide is the
// GET /accounts list, which also filters by customerIdentifier.
func (s *Server) parseAccountQuery(r *http.Request, p *coffer.Principal, platformWide bool) (accountQuery, error) {
	ps := &params{vals: r.URL.Query()} // ServeHTTP refused a query string that does not decode
	var q accountQuery
	f := &q.filter
	if platformWide {
		f.Customer = ps.one("customerIdentifier")
	} else {
		// Before the scope is taken: a cursor of one customer's list must not page another's.
		f.Customer = r.PathValue("customerIdentifier")
	}
	f.Number = ps.one("accountNumber")
	f.DisplayName = strings.ToLower(ps.one("displayName"))
	if st := ps.one("status"); st != "" {
		if f.Status, _ = coffer.ParseAccountStatus(st); f.Status == "" {
			ps.bad("status", st, "status must be one of ACTIVE, INACTIVE, DISABLED, FROZEN, DELETED")
		}
	}
	f.ContactEmail = strings.ToLower(ps.one("contactEmail"))
	for _, c := range ps.many("currencyCode") {
		if cur, ok := coffer.ParseCurrency(c); ok {
			f.Currencies = append(f.Currencies, cur)
		} else {
			ps.bad("currencyCode", c, "currencyCode must be one of CAD, EUR, GBP, USD")
		}
	}
	slices.Sort(f.Currencies)
	f.Currencies = slices.Compact(f.Currencies)
	f.MinBalance, f.MaxBalance = ps.amount("minBalance"), ps.amount("maxBalance")
	ps.order("minBalance", "maxBalance", f.MinBalance, f.MaxBalance)
	f.MinCreatedAt, f.MaxCreatedAt = ps.date("minDateCreatedAt", false), ps.date("maxDateCreatedAt", true)
	ps.order("minDateCreatedAt", "maxDateCreatedAt", f.MinCreatedAt, f.MaxCreatedAt)
	for _, e := range ps.many("fundingNotificationEmail") {
		f.FundingEmails = append(f.FundingEmails, strings.ToLower(e))
	}
	slices.Sort(f.FundingEmails)
	f.FundingEmails = slices.Compact(f.FundingEmails)

	switch pg := ps.one("paginate"); strings.ToLower(pg) {
	case "", "false":
	case "true":
		q.paginate = true
	default:
		ps.bad("paginate", pg, "paginate must be true or false")
	}
	if q.paginate {
		route := "customer"
		if platformWide {
			route = "platform"
		}
		q.scope = coffer.ScopeOf(route, *f)
		q.page.Limit = coffer.DefaultPageSize
		if m := ps.one("maxResults"); m != "" {
			n, err := strconv.Atoi(m)
			if err != nil || n < 1 || n > coffer.MaxPageSize {
				ps.bad("maxResults", m, "maxResults must be a whole number from 1 to %d", coffer.MaxPageSize)
			} else {
				q.page.Limit = n
			}
		}
		prev, next := ps.one("prevCursor"), ps.one("nextCursor")
		switch {
		case prev != "" && next != "":
			ps.bad("nextCursor", next, "give prevCursor or nextCursor, not both")
		case prev != "":
			q.page.Before = s.cursor(ps, "prevCursor", prev, true, p, q.scope)
		case next != "":
			q.page.After = s.cursor(ps, "nextCursor", next, false, p, q.scope)
		}
	}
	return q, ps.v.Err()
}

// cursor decodes a cursor parameter and checks that it was issued, in that direction, for this
// platform and this very list.
func (s *Server) cursor(ps *params, name, token string, before bool, p *coffer.Principal, scope uint64) *coffer.Position {
	c, ok := s.cursors.Decode(token)
	switch {
	case !ok:
		ps.bad(name, token, "%s is not a cursor this server issued, or it was altered", name)
	case c.PlatformID != p.PlatformID || c.Before != before:
		ps.bad(name, token, "%s was not issued as a %s for this list", name, name)
	case c.Scope != scope:
		ps.bad(name, token, "%s was issued for another customer or other filters; start again without it", name)
	default:
		return &c.Position
	}
	return nil
}
