package coffer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"
)

// Cursor is a place in a list, bound to the platform and to the scope (the customer and the
// filters) of the list it was issued for.
type Cursor struct {
	PlatformID int64
	Scope      uint64 // ScopeOf the list's customer and filters
	Before     bool   // a prevCursor: the page before Position; else the page after it
	Position   Position
}

// CursorCodec turns cursors into opaque, URL-safe, authenticated tokens (HMAC-SHA-256 with a
// server secret shared by every replica) and back.
type CursorCodec struct {
	key []byte
}

// NewCursorCodec returns a codec keyed by secret.
func NewCursorCodec(secret []byte) *CursorCodec { return &CursorCodec{key: secret} }

const (
	cursorVersion = 1
	cursorBody    = 1 + 1 + 8 + 8 + 8 + 8
	cursorMAC     = 16
)

// Encode returns the token of c.
func (cc *CursorCodec) Encode(c Cursor) string {
	b := make([]byte, cursorBody, cursorBody+cursorMAC)
	b[0] = cursorVersion
	if c.Before {
		b[1] = 1
	}
	binary.BigEndian.PutUint64(b[2:], uint64(c.PlatformID))
	binary.BigEndian.PutUint64(b[10:], c.Scope)
	binary.BigEndian.PutUint64(b[18:], uint64(c.Position.CreatedAt))
	binary.BigEndian.PutUint64(b[26:], uint64(c.Position.Seq))
	b = append(b, cc.mac(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (cc *CursorCodec) mac(body []byte) []byte {
	m := hmac.New(sha256.New, cc.key)
	m.Write(body)
	return m.Sum(nil)[:cursorMAC]
}

// Decode returns the cursor of a token, or false when the token is not one this server issued
// or has been altered.
func (cc *CursorCodec) Decode(token string) (Cursor, bool) {
	if len(token) != base64.RawURLEncoding.EncodedLen(cursorBody+cursorMAC) {
		return Cursor{}, false
	}
	// Strict: the unused low bits of the last character must be zero, or a token with a changed
	// last character would decode to the same bytes and pass as genuine.
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) != cursorBody+cursorMAC || b[0] != cursorVersion || b[1] > 1 {
		return Cursor{}, false
	}
	if !hmac.Equal(b[cursorBody:], cc.mac(b[:cursorBody])) {
		return Cursor{}, false
	}
	return Cursor{
		Before:     b[1] == 1,
		PlatformID: int64(binary.BigEndian.Uint64(b[2:])),
		Scope:      binary.BigEndian.Uint64(b[10:]),
		Position: Position{
			CreatedAt: int64(binary.BigEndian.Uint64(b[18:])),
			Seq:       int64(binary.BigEndian.Uint64(b[26:])),
		},
	}, true
}

// ScopeOf returns the scope of a list: a hash of its route and every filter, so that a cursor
// issued for one list is refused by another.
func ScopeOf(route string, f AccountFilter) uint64 {
	h := sha256.New()
	w := func(s string) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	opt := func(p *int64) {
		if p == nil {
			w("-")
		} else {
			w(FormatAmount(*p))
		}
	}
	w(route)
	w(f.Customer)
	w(f.Number)
	w(f.DisplayName)
	w(string(f.Status))
	w(f.ContactEmail)
	w(strconv.Itoa(len(f.Currencies)))
	for _, c := range f.Currencies {
		w(string(c))
	}
	opt(f.MinBalance)
	opt(f.MaxBalance)
	opt(f.MinCreatedAt)
	opt(f.MaxCreatedAt)
	w(strconv.Itoa(len(f.FundingEmails)))
	for _, e := range f.FundingEmails {
		w(e)
	}
	return binary.BigEndian.Uint64(h.Sum(nil))
}
