package coffer

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field limits of the wire contract.
const (
	IdentifierMin   = 5
	IdentifierMax   = 100
	DisplayNameMax  = 100 // Unicode code points
	EmailMax        = 100
	MaxNotification = 20
)

// The i18n keys of field failures.
const (
	KeyRequired           = "422.007"
	KeyTooLong            = "422.006"
	KeyPattern            = "422.008"
	KeyEmail              = "422.009"
	KeyCustomerIdentifier = "422.010"
	KeyCurrency           = "422.011"
	KeyType               = "400.009"
)

func identifier(s string, upper bool) bool {
	if len(s) < IdentifierMin || len(s) > IdentifierMax {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-', c >= '0' && c <= '9', c >= 'a' && c <= 'z':
		case upper && c >= 'A' && c <= 'Z':
		default:
			return false
		}
	}
	return true
}

// ValidCustomerIdentifier reports whether s is 5-100 characters of -0-9a-zA-Z. Platform names
// follow the same rule, since a platform's own group takes its name as identifier.
func ValidCustomerIdentifier(s string) bool { return identifier(s, true) }

// ValidAccountIdentifier reports whether s is 5-100 characters of -0-9a-z.
func ValidAccountIdentifier(s string) bool { return identifier(s, false) }

// ValidatePlatformName returns an EINVALID error unless name can name a platform.
func ValidatePlatformName(name string) error {
	if !ValidCustomerIdentifier(name) {
		return Errorf(EINVALID, KeyCustomerIdentifier, "platform name must be 5-100 characters of -, 0-9, a-z, A-Z")
	}
	return nil
}

// CheckCustomerIdentifier records the failure of a customer identifier given in a body.
func CheckCustomerIdentifier(v *Validation, path, s string) {
	switch {
	case s == "":
		v.Add(path, KeyRequired, "NotBlank", nil, "%s is required", path)
	case !ValidCustomerIdentifier(s):
		v.Add(path, KeyCustomerIdentifier, "Pattern", s, "%s must be 5-100 characters of -, 0-9, a-z, A-Z", path)
	}
}

// CheckAccountIdentifier records the failure of an account identifier given in a body. An
// uppercase letter is reported as such: identifiers are never lowercased silently.
func CheckAccountIdentifier(v *Validation, path, s string) {
	switch {
	case s == "":
		v.Add(path, KeyRequired, "NotBlank", nil, "%s is required", path)
	case ValidAccountIdentifier(strings.ToLower(s)) && s != strings.ToLower(s):
		v.Add(path, KeyPattern, "Pattern", s, "%s must be lowercase: 5-100 characters of -, 0-9, a-z", path)
	case !ValidAccountIdentifier(s):
		v.Add(path, KeyPattern, "Pattern", s, "%s must be 5-100 characters of -, 0-9, a-z", path)
	}
}

// CheckDisplayName records the failure of a display name: required, 1-100 code points, no control
// characters, not only white space.
func CheckDisplayName(v *Validation, path, s string) {
	n := utf8.RuneCountInString(s)
	switch {
	case s == "":
		v.Add(path, KeyRequired, "NotBlank", nil, "%s is required", path)
	case n > DisplayNameMax:
		v.Add(path, KeyTooLong, "Size", s, "%s must be at most %d characters, not %d", path, DisplayNameMax, n)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		v.Add(path, KeyPattern, "Pattern", s, "%s must not contain control characters", path)
	case strings.TrimSpace(s) == "":
		v.Add(path, KeyRequired, "NotBlank", s, "%s must not be only white space", path)
	}
}

// ValidEmail reports whether s is a bare address (an addr-spec with a domain, no display name,
// no comments) of at most EmailMax characters.
func ValidEmail(s string) bool {
	if s == "" || len(s) > EmailMax || strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || r > unicode.MaxASCII }) >= 0 {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.HasPrefix(s[at+1:], "[")
}

// CheckEmail records the failure of a required email address.
func CheckEmail(v *Validation, path, s string) {
	switch {
	case s == "":
		v.Add(path, KeyRequired, "NotBlank", nil, "%s is required", path)
	case len(s) > EmailMax:
		v.Add(path, KeyTooLong, "Size", s, "%s must be at most %d characters", path, EmailMax)
	case !ValidEmail(s):
		v.Add(path, KeyEmail, "Email", s, "%s must be a valid email address", path)
	}
}

// Validate checks a customer creation; it reports every failed field.
func (in CustomerCreate) Validate(v *Validation) {
	CheckCustomerIdentifier(v, "customerIdentifier", in.Identifier)
	CheckDisplayName(v, "displayName", in.DisplayName)
}

// SameGroupName reports whether a display name takes the name of a platform's own group. The
// comparison ignores case.
func SameGroupName(displayName, platformName string) bool {
	return strings.EqualFold(displayName, platformName)
}

// GroupNameTaken is the 409 for a display name equal to the platform's own group name.
func GroupNameTaken(displayName string) *Error {
	return &Error{Code: ECONFLICT, Key: "409.011", Message: "The display name is the name of the platform's own group.",
		Fields: []FieldError{{Path: "displayName", Key: "409.011", Message: fmt.Sprintf("displayName %q is the platform's own group name", displayName), InvalidValue: displayName, Constraint: "Unique"}}}
}
