package http_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// customerView is a CustomerView as a client reads it.
type customerView struct {
	CustomerIdentifier string            `json:"customerIdentifier"`
	DisplayName        string            `json:"displayName"`
	Status             string            `json:"status"`
	CreatedAt          string            `json:"createdAt"`
	Accounts           []json.RawMessage `json:"accounts"`
}

// wireTimeRE is createdAt as the wire contract prints it: UTC, exactly three fraction digits.
var wireTimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

// createCustomer creates a customer through the API and returns its view.
func (ts *testServer) createCustomer(tb testing.TB, c creds, id, name string) customerView {
	tb.Helper()
	res := ts.do(tb, c, "POST", "/raas/v2/customers", jsonText(tb, map[string]string{"customerIdentifier": id, "displayName": name}))
	res.wantStatus(tb, http.StatusCreated)
	var v customerView
	res.JSON(tb, &v)
	return v
}

// listCustomers returns the identifiers GET /raas/v2/customers answers, in order.
func (ts *testServer) listCustomers(tb testing.TB, c creds) []string {
	tb.Helper()
	res := ts.do(tb, c, "GET", "/raas/v2/customers", "")
	res.wantStatus(tb, http.StatusOK)
	var list []customerView
	res.JSON(tb, &list)
	ids := make([]string, len(list))
	for i, v := range list {
		ids[i] = v.CustomerIdentifier
	}
	return ids
}

func TestCreateCustomer(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		before := time.Now().UTC().Truncate(time.Millisecond)
		res := ts.do(t, c, "POST", "/raas/v2/customers", `{"customerIdentifier":"Team-A1","displayName":"Team A"}`)
		after := time.Now().UTC()
		res.wantStatus(t, http.StatusCreated)
		if got, want := res.Header.Get("Location"), "/raas/v2/customers/Team-A1"; got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
		if got, want := res.Header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
			t.Errorf("Content-Type: got %q, want %q", got, want)
		}
		var members map[string]json.RawMessage
		res.JSON(t, &members)
		if len(members) != 5 {
			t.Errorf("members: got %d (%s), want the 5 of CustomerView", len(members), res.Body)
		}
		var created customerView
		res.JSON(t, &created)
		if created.CustomerIdentifier != "Team-A1" || created.DisplayName != "Team A" || created.Status != "ACTIVE" {
			t.Errorf("view: got %+v, want Team-A1, Team A, ACTIVE", created)
		}
		if got := string(members["accounts"]); got != "[]" {
			t.Errorf("accounts: got %s, want []", got)
		}
		if !wireTimeRE.MatchString(created.CreatedAt) {
			t.Errorf("createdAt: got %q, want three fraction digits and Z", created.CreatedAt)
		}
		at, err := time.Parse(time.RFC3339, created.CreatedAt)
		if err != nil || at.Before(before) || at.After(after) {
			t.Errorf("createdAt: got %q (%v), want between %v and %v", created.CreatedAt, err, before, after)
		}

		res = ts.do(t, c, "GET", "/raas/v2/customers/Team-A1", "")
		res.wantStatus(t, http.StatusOK)
		var got customerView
		res.JSON(t, &got)
		if got.CustomerIdentifier != created.CustomerIdentifier || got.DisplayName != created.DisplayName ||
			got.Status != created.Status || got.CreatedAt != created.CreatedAt || len(got.Accounts) != 0 {
			t.Errorf("GET: got %+v, want %+v", got, created)
		}
	})
}

func TestCreateCustomerValidation(t *testing.T) {
	id100 := strings.Repeat("a1-B", 25)
	tests := []struct {
		name   string
		body   string
		want   int     // status
		fields []field // for a 400
	}{
		// customerIdentifier: 5-100 characters of -0-9a-zA-Z.
		{"id 4 characters", `{"customerIdentifier":"abcd","displayName":"x"}`, 400, []field{{"customerIdentifier", "422.010", `"abcd"`}}},
		{"id 5 characters", `{"customerIdentifier":"abcde","displayName":"x"}`, 201, nil},
		{"id 100 characters", `{"customerIdentifier":"` + id100 + `","displayName":"x"}`, 201, nil},
		{"id 101 characters", `{"customerIdentifier":"` + id100 + `z","displayName":"x"}`, 400, []field{{"customerIdentifier", "422.010", `"` + id100 + `z"`}}},
		{"id every allowed kind", `{"customerIdentifier":"Az09-zA","displayName":"x"}`, 201, nil},
		{"id only dashes", `{"customerIdentifier":"-----","displayName":"x"}`, 201, nil},
		{"id underscore", `{"customerIdentifier":"abc_de","displayName":"x"}`, 400, []field{{"customerIdentifier", "422.010", `"abc_de"`}}},
		{"id space", `{"customerIdentifier":"abc de","displayName":"x"}`, 400, []field{{"customerIdentifier", "422.010", `"abc de"`}}},
		{"id dot", `{"customerIdentifier":"abc.de","displayName":"x"}`, 400, []field{{"customerIdentifier", "422.010", `"abc.de"`}}},
		{"id slash", `{"customerIdentifier":"abc/de","displayName":"x"}`, 400, []field{{"customerIdentifier", "422.010", `"abc/de"`}}},
		{"id non-ASCII letter", `{"customerIdentifier":"abcdé","displayName":"x"}`, 400, []field{{"customerIdentifier", "422.010", `"abcdé"`}}},
		{"id control character", `{"customerIdentifier":"abc\u0000de","displayName":"x"}`, 400, []field{{"customerIdentifier", "422.010", `"abc\u0000de"`}}},
		{"id missing", `{"displayName":"x"}`, 400, []field{{"customerIdentifier", "422.007", "null"}}},
		{"id null", `{"customerIdentifier":null,"displayName":"x"}`, 400, []field{{"customerIdentifier", "422.007", "null"}}},
		{"id empty", `{"customerIdentifier":"","displayName":"x"}`, 400, []field{{"customerIdentifier", "422.007", "null"}}},

		// displayName: 1-100 code points, no control characters, not only white space.
		{"name 1 character", `{"customerIdentifier":"name-1","displayName":"x"}`, 201, nil},
		{"name 100 two-byte code points", `{"customerIdentifier":"name-100-2","displayName":"` + strings.Repeat("é", 100) + `"}`, 201, nil},
		{"name 100 four-byte code points", `{"customerIdentifier":"name-100-4","displayName":"` + strings.Repeat("😀", 100) + `"}`, 201, nil},
		{"name 101 two-byte code points", `{"customerIdentifier":"name-101-2","displayName":"` + strings.Repeat("é", 101) + `"}`, 400, []field{{"displayName", "422.006", `"` + strings.Repeat("é", 101) + `"`}}},
		{"name 101 ASCII", `{"customerIdentifier":"name-101-1","displayName":"` + strings.Repeat("n", 101) + `"}`, 400, []field{{"displayName", "422.006", `"` + strings.Repeat("n", 101) + `"`}}},
		{"name with BEL", `{"customerIdentifier":"name-bel","displayName":"a\u0007b"}`, 400, []field{{"displayName", "422.008", `"a\u0007b"`}}},
		{"name with newline", `{"customerIdentifier":"name-nl","displayName":"a\nb"}`, 400, []field{{"displayName", "422.008", `"a\nb"`}}},
		{"name with C1 control", `{"customerIdentifier":"name-c1","displayName":"a\u0085b"}`, 400, []field{{"displayName", "422.008", "\"a\u0085b\""}}},
		{"name only spaces", `{"customerIdentifier":"name-sp","displayName":"   "}`, 400, []field{{"displayName", "422.007", `"   "`}}},
		{"name only Unicode spaces", `{"customerIdentifier":"name-usp","displayName":"\u00a0\u3000"}`, 400, []field{{"displayName", "422.007", "\"\u00a0\u3000\""}}},
		{"name missing", `{"customerIdentifier":"name-miss"}`, 400, []field{{"displayName", "422.007", "null"}}},
		{"name null", `{"customerIdentifier":"name-null","displayName":null}`, 400, []field{{"displayName", "422.007", "null"}}},
		{"name empty", `{"customerIdentifier":"name-empty","displayName":""}`, 400, []field{{"displayName", "422.007", "null"}}},
		{"name with inner spaces", `{"customerIdentifier":"name-in","displayName":"  Team  B  "}`, 201, nil},

		// Every bad field at once.
		{"both bad", `{"customerIdentifier":"ab","displayName":"   "}`, 400, []field{{"customerIdentifier", "422.010", `"ab"`}, {"displayName", "422.007", `"   "`}}},
		{"both missing", `{}`, 400, []field{{"customerIdentifier", "422.007", "null"}, {"displayName", "422.007", "null"}}},

		// Wrong JSON types, once per field.
		{"id number", `{"customerIdentifier":12345,"displayName":"x"}`, 400, []field{{"customerIdentifier", "400.009", "12345"}}},
		{"id array", `{"customerIdentifier":["abcde"],"displayName":"x"}`, 400, []field{{"customerIdentifier", "400.009", `["abcde"]`}}},
		{"id object", `{"customerIdentifier":{"a":"abcde"},"displayName":"x"}`, 400, []field{{"customerIdentifier", "400.009", `{"a":"abcde"}`}}},
		{"id bool", `{"customerIdentifier":true,"displayName":"x"}`, 400, []field{{"customerIdentifier", "400.009", "true"}}},
		{"name number", `{"customerIdentifier":"type-n","displayName":1.5}`, 400, []field{{"displayName", "400.009", "1.5"}}},
		{"name array", `{"customerIdentifier":"type-a","displayName":[]}`, 400, []field{{"displayName", "400.009", "[]"}}},
		{"name object", `{"customerIdentifier":"type-o","displayName":{}}`, 400, []field{{"displayName", "400.009", "{}"}}},
		{"name bool", `{"customerIdentifier":"type-b","displayName":false}`, 400, []field{{"displayName", "400.009", "false"}}},
		{"both wrong types", `{"customerIdentifier":1,"displayName":[1]}`, 400, []field{{"customerIdentifier", "400.009", "1"}, {"displayName", "400.009", "[1]"}}},
		{"wrong type and bad value", `{"customerIdentifier":"abcd","displayName":{"x":1}}`, 400, []field{{"displayName", "400.009", `{"x":1}`}, {"customerIdentifier", "422.010", `"abcd"`}}},

		// Unknown fields are ignored, including the read-only ones real clients send back.
		{"read-only fields sent back", `{"customerIdentifier":"echo-1","displayName":"Echo","createdAt":null,"status":"","accounts":null}`, 201, nil},
		{"read-only fields with values", `{"customerIdentifier":"echo-2","displayName":"Echo","createdAt":"2020-01-01T00:00:00.000Z","status":"INACTIVE","accounts":[{"accountIdentifier":"x"}]}`, 201, nil},
		{"unknown fields", `{"customerIdentifier":"echo-3","displayName":"Echo","foo":{"bar":[1,null]},"CustomerIdentifier":1}`, 201, nil},
	}
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := ts.do(t, c, "POST", "/raas/v2/customers", tt.body)
				if tt.want != http.StatusCreated {
					e := res.wantError(t, tt.want, "400.004")
					e.wantFields(t, tt.fields...)
					if e.Path != "/raas/v2/customers" || e.Message != "Validation failed." {
						t.Errorf("path, message: got %q, %q", e.Path, e.Message)
					}
					return
				}
				res.wantStatus(t, http.StatusCreated)
				var in map[string]any
				if err := json.Unmarshal([]byte(tt.body), &in); err != nil {
					t.Fatal(err)
				}
				var got customerView
				res.JSON(t, &got)
				if got.CustomerIdentifier != in["customerIdentifier"] || got.DisplayName != in["displayName"] || got.Status != "ACTIVE" ||
					got.Accounts == nil || len(got.Accounts) != 0 || !wireTimeRE.MatchString(got.CreatedAt) {
					t.Errorf("view: got %s", res.Body)
				}
				if strings.Contains(string(res.Body), `"errors"`) {
					t.Errorf("2xx body has errors: %s", res.Body)
				}
			})
		}
		// Only the 201 rows created a customer, besides the platform's own group.
		want := 1
		for _, tt := range tests {
			if tt.want == http.StatusCreated {
				want++
			}
		}
		if got := len(ts.listCustomers(t, c)); got != want {
			t.Errorf("customers after the table: got %d, want %d", got, want)
		}
	})
}

func TestCreateCustomerMalformedBody(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"truncated", `{"customerIdentifier":`},
		{"open brace", `{`},
		{"trailing garbage", `{"customerIdentifier":"abcde","displayName":"x"} x`},
		{"two objects", `{}{}`},
		{"single quotes", `{'customerIdentifier':'abcde'}`},
		{"invalid UTF-8", "{\"customerIdentifier\":\"abcde\",\"displayName\":\"\xff\xfe\"}"},
		{"invalid UTF-8 in a key", "{\"\xc3\":1,\"customerIdentifier\":\"abcde\",\"displayName\":\"x\"}"},
		{"top-level array", `[{"customerIdentifier":"abcde","displayName":"x"}]`},
		{"top-level null", `null`},
		{"top-level string", `"abcde"`},
		{"top-level number", `42`},
		{"empty", ``},
		{"white space", "  \n"},
	}
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// The body is sent as is, even when empty, always as application/json.
				req, err := http.NewRequest("POST", ts.URL+"/raas/v2/customers", strings.NewReader(tt.body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.SetBasicAuth(c.name, c.key)
				e := send(t, http.DefaultClient, req).wantError(t, http.StatusBadRequest, "400.009")
				e.wantFields(t)
			})
		}
		if got, want := ts.listCustomers(t, c), []string{"platform-one"}; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("customers: got %v, want %v", got, want)
		}
	})
}

func TestCreateCustomerBodyLimit(t *testing.T) {
	// body returns a valid creation body of exactly n bytes, padded with an unknown field.
	body := func(tb testing.TB, id string, n int) string {
		head := `{"customerIdentifier":"` + id + `","displayName":"Big","pad":"`
		tail := `"}`
		if pad := n - len(head) - len(tail); pad >= 0 {
			return head + strings.Repeat("p", pad) + tail
		}
		tb.Fatalf("body of %d bytes is too short", n)
		return ""
	}
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.do(t, c, "POST", "/raas/v2/customers", body(t, "big-1", 1<<20)).wantStatus(t, http.StatusCreated)
		e := ts.do(t, c, "POST", "/raas/v2/customers", body(t, "big-2", 1<<20+1)).wantError(t, http.StatusRequestEntityTooLarge, "413.001")
		e.wantFields(t)
		e = ts.do(t, c, "POST", "/raas/v2/customers", body(t, "big-3", 8<<20)).wantError(t, http.StatusRequestEntityTooLarge, "413.001")
		e.wantFields(t)
		if got, want := strings.Join(ts.listCustomers(t, c), ","), "platform-one,big-1"; got != want {
			t.Errorf("customers: got %s, want %s", got, want)
		}
	})
}

func TestContentNegotiation(t *testing.T) {
	tests := []struct {
		name    string
		headers []string // name, value pairs; "" removes the header
		want    int
		key     string // i18nKey of an error
	}{
		{"Content-Type missing", []string{"Content-Type", ""}, 415, "415.001"},
		{"Content-Type text/plain", []string{"Content-Type", "text/plain"}, 415, "415.001"},
		{"Content-Type form", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "415.001"},
		{"Content-Type not parsable", []string{"Content-Type", "application/json;;;="}, 415, "415.001"},
		{"Content-Type with charset", []string{"Content-Type", "application/json; charset=utf-8"}, 201, ""},
		{"Content-Type uppercase", []string{"Content-Type", "Application/JSON"}, 201, ""},
		{"Accept text/html", []string{"Accept", "text/html"}, 406, "406.001"},
		{"Accept application/xml", []string{"Accept", "application/xml"}, 406, "406.001"},
		{"Accept json with q=0", []string{"Accept", "application/json;q=0"}, 406, "406.001"},
		{"Accept any with q=0", []string{"Accept", "text/html, */*;q=0.0"}, 406, "406.001"},
		{"Accept json refused, any allowed", []string{"Accept", "application/json;q=0, */*"}, 406, "406.001"},
		{"Accept application/* refused, any allowed", []string{"Accept", "*/*, application/*;q=0"}, 406, "406.001"},
		{"Accept application/* refused, json allowed", []string{"Accept", "application/*;q=0, application/json"}, 201, ""},
		{"Accept */*", []string{"Accept", "*/*"}, 201, ""},
		{"Accept application/*", []string{"Accept", "application/*"}, 201, ""},
		{"Accept none", []string{"Accept", ""}, 201, ""},
		{"Accept json with q=0.5", []string{"Accept", "application/json;q=0.5"}, 201, ""},
		{"Accept list", []string{"Accept", "text/html, application/json;q=0.1"}, 201, ""},
		{"Accept with charset", []string{"Accept", "application/json; charset=utf-8"}, 201, ""},
	}
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := fmt.Sprintf("neg-%02d", i)
				res := ts.do(t, c, "POST", "/raas/v2/customers", `{"customerIdentifier":"`+id+`","displayName":"x"}`, tt.headers...)
				if tt.key == "" {
					res.wantStatus(t, tt.want)
					return
				}
				res.wantError(t, tt.want, tt.key).wantFields(t)
				if res := ts.do(t, c, "GET", "/raas/v2/customers/"+id, ""); res.Status != http.StatusNotFound {
					t.Errorf("refused create: GET got %d, want 404", res.Status)
				}
			})
		}
		// A GET is negotiated too, and ignores its body's type.
		ts.do(t, c, "GET", "/raas/v2/customers", "", "Accept", "text/html").wantError(t, http.StatusNotAcceptable, "406.001")
		ts.do(t, c, "GET", "/raas/v2/customers", "null", "Content-Type", "text/plain").wantStatus(t, http.StatusOK)
	})
}

func TestCustomerConflicts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.platform(t, "platform-two")
		first := ts.createCustomer(t, c, "Dup-1", "First")

		e := ts.do(t, c, "POST", "/raas/v2/customers", `{"customerIdentifier":"Dup-1","displayName":"Second"}`).wantError(t, http.StatusConflict, "409.010")
		e.wantFields(t, field{"customerIdentifier", "409.010", `"Dup-1"`})
		if got := ts.do(t, c, "GET", "/raas/v2/customers/Dup-1", ""); !strings.Contains(string(got.Body), `"displayName":"First"`) || !strings.Contains(string(got.Body), first.CreatedAt) {
			t.Errorf("after a refused duplicate: got %s, want the first customer unchanged", got.Body)
		}
		// The platform's own group takes the platform's name as identifier too.
		e = ts.do(t, c, "POST", "/raas/v2/customers", `{"customerIdentifier":"platform-one","displayName":"Other"}`).wantError(t, http.StatusConflict, "409.010")
		e.wantFields(t, field{"customerIdentifier", "409.010", `"platform-one"`})

		// Identifiers are case-sensitive.
		ts.createCustomer(t, c, "Abcde", "Upper")
		ts.createCustomer(t, c, "abcde", "Lower")
		for id, name := range map[string]string{"Abcde": "Upper", "abcde": "Lower"} {
			var v customerView
			res := ts.do(t, c, "GET", "/raas/v2/customers/"+id, "")
			res.wantStatus(t, http.StatusOK)
			res.JSON(t, &v)
			if v.CustomerIdentifier != id || v.DisplayName != name {
				t.Errorf("GET %s: got %s %s, want %s %s", id, v.CustomerIdentifier, v.DisplayName, id, name)
			}
		}
		ts.do(t, c, "GET", "/raas/v2/customers/ABCDE", "").wantError(t, http.StatusNotFound, "404.002")

		// The platform's own group name, in any case, is taken.
		for i, name := range []string{"platform-one", "PLATFORM-ONE", "Platform-One"} {
			id := fmt.Sprintf("group-%d", i)
			e := ts.do(t, c, "POST", "/raas/v2/customers", `{"customerIdentifier":"`+id+`","displayName":"`+name+`"}`).wantError(t, http.StatusConflict, "409.011")
			e.wantFields(t, field{"displayName", "409.011", `"` + name + `"`})
			ts.do(t, c, "GET", "/raas/v2/customers/"+id, "").wantError(t, http.StatusNotFound, "404.002")
		}
		// Other display names need not be unique: another platform's name, a near miss, a repeat.
		ts.createCustomer(t, c, "name-1", "platform-two")
		ts.createCustomer(t, c, "name-2", "platform-one ")
		ts.createCustomer(t, c, "name-3", "First")
		ts.createCustomer(t, c, "name-4", "First")
	})
}

func TestCreateCustomerConcurrently(t *testing.T) {
	const n = 32
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: n, MaxIdleConnsPerHost: n}}
		defer client.CloseIdleConnections()
		var wg sync.WaitGroup
		statuses := make([]int, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				req, err := http.NewRequest("POST", ts.URL+"/raas/v2/customers",
					strings.NewReader(fmt.Sprintf(`{"customerIdentifier":"Race-1","displayName":"Racer %d"}`, i)))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.SetBasicAuth(c.name, c.key)
				<-start
				res := send(t, client, req)
				statuses[i] = res.Status
				if res.Status == http.StatusConflict {
					res.wantError(t, http.StatusConflict, "409.010")
				}
			})
		}
		close(start)
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		if count[http.StatusCreated] != 1 || count[http.StatusConflict] != n-1 {
			t.Errorf("statuses: got %v, want 1 201 and %d 409", count, n-1)
		}
		if got, want := strings.Join(ts.listCustomers(t, c), ","), "platform-one,Race-1"; got != want {
			t.Errorf("customers: got %s, want %s", got, want)
		}
	})
}

func TestListCustomers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		other := ts.platform(t, "platform-two")
		ts.createCustomer(t, other, "other-1", "Not yours")

		// A new platform sees its own group only.
		res := ts.do(t, c, "GET", "/raas/v2/customers", "")
		res.wantStatus(t, http.StatusOK)
		var own []customerView
		res.JSON(t, &own)
		if len(own) != 1 || own[0].CustomerIdentifier != "platform-one" || own[0].DisplayName != "platform-one" ||
			own[0].Status != "ACTIVE" || own[0].Accounts == nil || len(own[0].Accounts) != 0 || !wireTimeRE.MatchString(own[0].CreatedAt) {
			t.Errorf("new platform's list: got %s, want its own group alone", res.Body)
		}
		if got, want := res.Header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
			t.Errorf("Content-Type: got %q, want %q", got, want)
		}

		// Enough customers to take several chunks of the stream, listed in creation order.
		want := []string{"platform-one"}
		for i := range 300 {
			id := fmt.Sprintf("cust-%03d", 299-i) // creation order is not identifier order
			ts.createCustomer(t, c, id, fmt.Sprintf("Customer «%d»", i))
			want = append(want, id)
		}
		res = ts.do(t, c, "GET", "/raas/v2/customers", "")
		res.wantStatus(t, http.StatusOK)
		if res.Body[0] != '[' {
			t.Errorf("body: got %.20q..., want a bare array", res.Body)
		}
		var list []customerView
		res.JSON(t, &list)
		got := make([]string, len(list))
		for i, v := range list {
			got[i] = v.CustomerIdentifier
			if i > 0 && v.CreatedAt < list[i-1].CreatedAt {
				t.Errorf("item %d: createdAt %s before %s", i, v.CreatedAt, list[i-1].CreatedAt)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("list: got %v, want %v", got, want)
		}
		if list[1].DisplayName != "Customer «0»" {
			t.Errorf("display name: got %q, want %q", list[1].DisplayName, "Customer «0»")
		}

		// What real clients send on a GET: a JSON content type and the body null.
		again := ts.do(t, c, "GET", "/raas/v2/customers", "null", "Content-Type", "application/json")
		again.wantStatus(t, http.StatusOK)
		if string(again.Body) != string(res.Body) {
			t.Errorf("GET with a null body: the list differs from a GET without one")
		}
		ts.do(t, c, "GET", "/raas/v2/customers/cust-000", "null").wantStatus(t, http.StatusOK)
		// Unknown query parameters are ignored.
		if again := ts.do(t, c, "GET", "/raas/v2/customers?foo=bar&paginate=true", ""); again.Status != http.StatusOK || string(again.Body) != string(res.Body) {
			t.Errorf("GET with unknown parameters: got %d, want 200 and the same list", again.Status)
		}
	})
}

func TestGetCustomer(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		other := ts.platform(t, "platform-two")

		e := ts.do(t, c, "GET", "/raas/v2/customers/Missing-1", "").wantError(t, http.StatusNotFound, "404.002")
		e.wantFields(t, field{"customerIdentifier", "404.002", `"Missing-1"`})
		if e.Path != "/raas/v2/customers/Missing-1" {
			t.Errorf("path: got %q, want /raas/v2/customers/Missing-1", e.Path)
		}
		ts.do(t, c, "GET", "/raas/v2/customers/ab", "").wantError(t, http.StatusNotFound, "404.002")

		// Another platform's customer is answered exactly as one that does not exist.
		before := ts.do(t, other, "GET", "/raas/v2/customers/Team-A1", "", "X-Request-Id", "same-id")
		before.wantError(t, http.StatusNotFound, "404.002")
		ts.createCustomer(t, c, "Team-A1", "Team A")
		after := ts.do(t, other, "GET", "/raas/v2/customers/Team-A1", "", "X-Request-Id", "same-id")
		after.wantError(t, http.StatusNotFound, "404.002")
		if stable(before.Body) != stable(after.Body) {
			t.Errorf("another platform's customer: got %s, want %s", after.Body, before.Body)
		}
		for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control", "X-Request-Id", "WWW-Authenticate", "Location"} {
			if before.Header.Get(h) != after.Header.Get(h) {
				t.Errorf("%s: got %q, want %q", h, after.Header.Get(h), before.Header.Get(h))
			}
		}
		if strings.Contains(string(after.Body), "Team A") {
			t.Errorf("404 leaks the other platform's data: %s", after.Body)
		}
		ts.do(t, c, "GET", "/raas/v2/customers/Team-A1", "").wantStatus(t, http.StatusOK)
		ts.do(t, other, "GET", "/raas/v2/customers/platform-one", "").wantError(t, http.StatusNotFound, "404.002")
		if got, want := strings.Join(ts.listCustomers(t, other), ","), "platform-two"; got != want {
			t.Errorf("other platform's list: got %s, want %s", got, want)
		}
		// The same identifier may exist on two platforms.
		ts.createCustomer(t, other, "Team-A1", "Their team A")
		var v customerView
		res := ts.do(t, c, "GET", "/raas/v2/customers/Team-A1", "")
		res.JSON(t, &v)
		if v.DisplayName != "Team A" {
			t.Errorf("displayName: got %q, want %q", v.DisplayName, "Team A")
		}
	})
}
