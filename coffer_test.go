package coffer_test

import (
	"strings"
	"testing"

	"github.com/cofferhq/coffer"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"12", 1200, true},
		{"12.3", 1230, true},
		{"12.34", 1234, true},
		{"0.01", 1, true},
		{"007.5", 750, true},
		{"1000000000000", coffer.MaxAmount, true},
		{"1000000000000.01", 0, false},
		{"9999999999999", 0, false},
		{"12.345", 0, false},
		{"12.", 0, false},
		{".5", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1e3", 0, false},
		{"1,5", 0, false},
		{" 1", 0, false},
		{"", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := coffer.ParseAmount(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseAmount(%q): got %d, %v, want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"}, {1, "0.01"}, {10, "0.1"}, {99, "0.99"}, {100, "1"}, {1205, "12.05"}, {1250, "12.5"},
		{912788, "9127.88"}, {coffer.MaxAmount, "1000000000000"}, {-1205, "-12.05"},
	}
	for _, tt := range tests {
		if got := coffer.FormatAmount(tt.in); got != tt.want {
			t.Errorf("FormatAmount(%d): got %q, want %q", tt.in, got, tt.want)
		}
		if tt.in >= 0 {
			if back, ok := coffer.ParseAmount(tt.want); !ok || back != tt.in {
				t.Errorf("ParseAmount(FormatAmount(%d)): got %d, %v", tt.in, back, ok)
			}
		}
	}
}

func TestCursorCodec(t *testing.T) {
	cc := coffer.NewCursorCodec([]byte("0123456789abcdef0123456789abcdef"))
	c := coffer.Cursor{PlatformID: 7, Scope: 42, Before: true, Position: coffer.Position{CreatedAt: 1_767_225_600_123, Seq: 99}}
	token := cc.Encode(c)
	if strings.ContainsAny(token, "+/=%") {
		t.Errorf("token %q is not URL-safe", token)
	}
	got, ok := cc.Decode(token)
	if !ok || got != c {
		t.Fatalf("Decode(Encode(c)): got %+v, %v, want %+v", got, ok, c)
	}
	// Any change of any character is refused.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range token {
		for _, r := range alphabet {
			if byte(r) == token[i] {
				continue
			}
			altered := token[:i] + string(r) + token[i+1:]
			if _, ok := cc.Decode(altered); ok {
				t.Fatalf("altered token %q (position %d) was accepted", altered, i)
			}
		}
	}
	other := coffer.NewCursorCodec([]byte("another secret of thirty-two b.."))
	if _, ok := other.Decode(token); ok {
		t.Error("a token of another secret was accepted")
	}
	for _, bad := range []string{"", "x", token[:len(token)-1], token + "A", strings.Repeat("A", len(token))} {
		if _, ok := cc.Decode(bad); ok {
			t.Errorf("Decode(%q) was accepted", bad)
		}
	}
}

func TestScopeOf(t *testing.T) {
	min := int64(0)
	base := coffer.AccountFilter{Customer: "team-a"}
	scopes := map[uint64]string{}
	for name, f := range map[string]coffer.AccountFilter{
		"customer":    base,
		"other":       {Customer: "team-b"},
		"status":      {Customer: "team-a", Status: coffer.AccountFrozen},
		"min balance": {Customer: "team-a", MinBalance: &min},
		"max balance": {Customer: "team-a", MaxBalance: &min},
		"name":        {Customer: "team-a", DisplayName: "x"},
		"name shift":  {Customer: "team-ax"}, // length-prefixed: "team-a"+"x" is not "team-ax"+""
	} {
		s := coffer.ScopeOf("customer", f)
		if prev, dup := scopes[s]; dup {
			t.Errorf("filters %q and %q have the same scope", prev, name)
		}
		scopes[s] = name
	}
	if coffer.ScopeOf("customer", base) == coffer.ScopeOf("platform", base) {
		t.Error("two routes with the same filters have the same scope")
	}
}
