package http

import (
	"context"
	"net/http"
	"strconv"

	"github.com/cofferhq/coffer"
)

// handler is an API handler: it gets the authenticated principal and returns an error for the
// one error writer to answer.
type handler func(w http.ResponseWriter, r *http.Request, p *coffer.Principal) error

var (
	errNoCredentials = coffer.Errorf(coffer.EUNAUTHORIZED, "401.001", "Credentials are required: HTTP Basic with the platform name and key.")
	errReadOnly      = coffer.Errorf(coffer.EFORBIDDEN, "403.001", "This key is read-only.")
	errSuspended     = coffer.Errorf(coffer.EFORBIDDEN, "403.020", "The platform is suspended.")
)

// errCustomerForbidden is the 403 for a customer outside a restricted key's list.
func errCustomerForbidden(id string) error {
	return &coffer.Error{Code: coffer.EFORBIDDEN, Key: "403.007", Message: "Customer Identifier not found in authorized ids.",
		Fields: []coffer.FieldError{{Path: "customerIdentifier", Key: "403.007", Message: "customer identifier not found in authorized ids", InvalidValue: id, Constraint: "Authorized"}}}
}

// read wraps an API handler that any live key may call.
func (s *Server) read(h handler) http.Handler { return s.authenticated(h, false) }

// write wraps an API handler that changes data: read-only keys get 403.
func (s *Server) write(h handler) http.Handler { return s.authenticated(h, true) }

func (s *Server) authenticated(h handler, writes bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The deadline of the request bounds its database work, authentication included
		// (PostgreSQL cancels the statement); streamed lists take the context from before it.
		st := stateOf(r)
		st.untimed = r.Context()
		ctx, cancel := context.WithTimeout(r.Context(), s.RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)

		name, key, ok := r.BasicAuth()
		if !ok || name == "" || key == "" {
			s.writeError(w, r, errNoCredentials)
			return
		}
		p, err := s.Platforms.Authenticate(r.Context(), name, key)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		st.principal = p
		if s.limiter != nil {
			if wait, ok := s.limiter.allow(p.PlatformID); !ok {
				w.Header().Set("Retry-After", strconv.FormatInt(retryAfter(wait), 10))
				s.writeError(w, r, errTooManyRequests)
				return
			}
		}
		switch {
		case p.Suspended:
			err = errSuspended
		case writes && p.ReadOnly:
			err = errReadOnly
		default:
			err = h(w, r, p)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}
