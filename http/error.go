package http

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/cofferhq/coffer"
)

// Transport-level error codes, beside the domain's, so that every status comes from one table.
const (
	codeRouteNotFound    coffer.Code = "route_not_found"
	codeMethodNotAllowed coffer.Code = "method_not_allowed"
	codeNotAcceptable    coffer.Code = "not_acceptable"
	codeTooLarge         coffer.Code = "too_large"
	codeMediaType        coffer.Code = "unsupported_media_type"
	codeTooManyRequests  coffer.Code = "too_many_requests"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[coffer.Code]int{
	coffer.EINVALID:      http.StatusBadRequest,
	coffer.EUNAUTHORIZED: http.StatusUnauthorized,
	coffer.EFORBIDDEN:    http.StatusForbidden,
	coffer.ENOTFOUND:     http.StatusNotFound,
	coffer.ECONFLICT:     http.StatusConflict,
	coffer.EUNAVAILABLE:  http.StatusServiceUnavailable,
	coffer.EINTERNAL:     http.StatusInternalServerError,
	codeRouteNotFound:    http.StatusNotFound,
	codeMethodNotAllowed: http.StatusMethodNotAllowed,
	codeNotAcceptable:    http.StatusNotAcceptable,
	codeTooLarge:         http.StatusRequestEntityTooLarge,
	codeMediaType:        http.StatusUnsupportedMediaType,
	codeTooManyRequests:  http.StatusTooManyRequests,
}

// errorBody is the wire error body of every non-2xx response.
type errorBody struct {
	Timestamp  wireTime         `json:"timestamp"`
	RequestID  string           `json:"requestId"`
	Path       string           `json:"path"`
	HTTPCode   int              `json:"httpCode"`
	HTTPPhrase string           `json:"httpPhrase"`
	I18nKey    string           `json:"i18nKey"`
	Message    string           `json:"message"`
	Errors     []fieldErrorBody `json:"errors"`
}

type fieldErrorBody struct {
	Path         string `json:"path"`
	I18nKey      string `json:"i18nKey"`
	Message      string `json:"message"`
	InvalidValue any    `json:"invalidValue"`
	Constraint   string `json:"constraint"`
}

// writeError is the one place that turns an error into the wire error body. An internal error is
// logged here, once, with the request id, and only a generic message reaches the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	st := stateOf(r)
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away; nobody reads the answer. 499 is what the log records.
		st.status = 499
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = &coffer.Error{Code: coffer.EUNAVAILABLE, Key: "503.000", Message: "The request took too long; retry later.", Err: err}
	}
	e := coffer.AsError(err)
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if e.Err != nil || status >= 500 {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed", slog.String("request_id", st.id),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", e.Error()))
	}
	if e.Code == coffer.EINTERNAL {
		e = coffer.Internal(nil) // never the cause, never the message of an unexpected error
	}
	body := errorBody{
		Timestamp:  wireTime(time.Now()),
		RequestID:  st.id,
		Path:       r.URL.Path,
		HTTPCode:   status,
		HTTPPhrase: http.StatusText(status),
		I18nKey:    e.Key,
		Message:    e.Message,
		Errors:     make([]fieldErrorBody, len(e.Fields)),
	}
	for i, f := range e.Fields {
		body.Errors[i] = fieldErrorBody{Path: f.Path, I18nKey: f.Key, Message: f.Message, InvalidValue: f.InvalidValue, Constraint: f.Constraint}
	}
	h := w.Header()
	switch status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Basic realm="raas"`)
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		if h.Get("Retry-After") == "" {
			h.Set("Retry-After", "1")
		}
	}
	writeJSON(w, status, body)
}
