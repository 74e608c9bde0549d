package coffer_test

import (
	"math/big"
	"regexp"
	"testing"

	"github.com/cofferhq/coffer"
)

// decimal is what ParseAmount must accept, value permitting: digits, and at most two places.
var decimal = regexp.MustCompile(`^[0-9]{1,13}(\.[0-9]{1,2})?$`)

// FuzzParseAmount checks ParseAmount against a slow reference on big integers: it accepts
// exactly the decimals with at most two places up to MaxAmount, gives their value in minor
// units, and every accepted value round-trips through FormatAmount.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "12", "12.3", "12.34", "0.01", "007.5", "1000000000000", "1000000000000.01",
		"9999999999999.99", "12.345", "12.", ".5", "-1", "+1", "1e3", "1,5", " 1", "", "0x10", "١٢", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := coffer.ParseAmount(s)

		// The reference: the value in minor units, through arbitrary precision.
		want, wantOK := int64(0), false
		if decimal.MatchString(s) {
			r, _ := new(big.Rat).SetString(s)
			r.Mul(r, big.NewRat(100, 1))
			if r.IsInt() && r.Num().IsInt64() && r.Num().Int64() <= coffer.MaxAmount {
				want, wantOK = r.Num().Int64(), true
			}
		}
		if ok != wantOK || (ok && got != want) {
			t.Fatalf("ParseAmount(%q): got %d, %v, want %d, %v", s, got, ok, want, wantOK)
		}
		if !ok {
			return
		}
		text := coffer.FormatAmount(got)
		back, ok := coffer.ParseAmount(text)
		if !ok || back != got {
			t.Fatalf("ParseAmount(FormatAmount(%d) = %q): got %d, %v, want %d", got, text, back, ok, got)
		}
		if again := coffer.FormatAmount(back); again != text {
			t.Fatalf("FormatAmount is not canonical: %q then %q", text, again)
		}
	})
}

// FuzzCursorDecode checks that CursorCodec.Decode never panics on any token, and that a token it
// accepts is exactly the encoding of the cursor it returns: no second spelling of a cursor passes.
func FuzzCursorDecode(f *testing.F) {
	cc := coffer.NewCursorCodec([]byte("fuzz secret of the cursor codec"))
	for _, c := range []coffer.Cursor{
		{},
		{PlatformID: 1, Scope: 42, Position: coffer.Position{CreatedAt: 1_700_000_000_000, Seq: 7}},
		{PlatformID: -1, Scope: ^uint64(0), Before: true, Position: coffer.Position{CreatedAt: -1, Seq: -1 << 63}},
	} {
		tok := cc.Encode(c)
		f.Add(tok)
		f.Add(tok[:len(tok)-1])
		f.Add(tok + "A")
		f.Add(tok[:len(tok)-1] + "B")
	}
	f.Add("")
	f.Add("not a cursor")
	f.Fuzz(func(t *testing.T, token string) {
		c, ok := cc.Decode(token)
		if !ok {
			if c != (coffer.Cursor{}) {
				t.Fatalf("Decode(%q) refused the token but returned %+v", token, c)
			}
			return
		}
		if again := cc.Encode(c); again != token {
			t.Fatalf("Decode(%q) = %+v, which encodes to %q", token, c, again)
		}
	})
}
