package http

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cofferhq/coffer"
)

// wireTime prints a time as RFC 3339 UTC with exactly three fraction digits.
type wireTime time.Time

const wireTimeLayout = "2006-01-02T15:04:05.000Z07:00"

func (t wireTime) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(wireTimeLayout)+2)
	b = append(b, '"')
	b = time.Time(t).UTC().AppendFormat(b, wireTimeLayout)
	return append(b, '"'), nil
}

// amount prints minor units as an exact JSON number with at most two decimals.
type amount int64

func (a amount) MarshalJSON() ([]byte, error) { return []byte(coffer.FormatAmount(int64(a))), nil }

// writeJSON writes v as the JSON body of a response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // views are plain data: a failure here is a bug, and recovery answers 500
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// object is a JSON request body: a JSON object whose fields are read one by one, so that every
// field of the wrong type is reported along with every other failure. Names match exactly, and
// fields that are not read are ignored.
type object map[string]json.RawMessage

func malformed(format string, args ...any) error {
	return coffer.Errorf(coffer.EINVALID, "400.009", format, args...)
}

// decodeObject reads a JSON object from the body of a request. The body must be declared
// application/json, be at most MaxBodyBytes, be valid UTF-8 and hold one JSON object.
func decodeObject(r *http.Request) (object, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, coffer.Errorf(codeMediaType, "415.001", "The request body must be application/json.")
	}
	body, err := readAll(r)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(body) {
		return nil, malformed("The request body is not valid UTF-8.")
	}
	var o object
	if err := json.Unmarshal(body, &o); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, malformed("The request body must be a JSON object.")
		}
		return nil, malformed("The request body is not valid JSON.")
	}
	if o == nil {
		return nil, malformed("The request body must be a JSON object, not null.")
	}
	return o, nil
}

func readAll(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return nil, coffer.Errorf(codeTooLarge, "413.001", "The request body is larger than %d bytes.", MaxBodyBytes)
	case err != nil:
		return nil, malformed("The request body could not be read.")
	}
	return body, nil
}

// str reads an optional string field. It returns the value and whether it was given as a string;
// absent and null give ("", false). A value of another type is recorded as a failure of the field.
func (o object) str(v *coffer.Validation, name string) (string, bool) {
	raw, ok := o[name]
	if !ok || string(raw) == "null" {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		v.Add(name, coffer.KeyType, "Type", echo(raw), "%s must be a string", name)
		return "", false
	}
	return s, true
}

// echo returns a JSON value refused for its type as the invalidValue of its error: as it was
// sent, unless it holds what common decoders cannot read, such as a number beyond float64
// (1e999), which would make a client lose the whole error body; that is echoed as its text.
func echo(raw json.RawMessage) any {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	return raw
}
