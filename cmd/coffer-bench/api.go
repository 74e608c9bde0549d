package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// newClient returns the one HTTP client of the run: keep-alive connections, as many per server
// as there are clients in the load generator, no compression and no proxy.
func newClient(clients int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        4 * clients,
			MaxIdleConnsPerHost: clients,
			MaxConnsPerHost:     clients,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		Timeout: 5 * time.Minute, // a streamed list of the largest data sets included
	}
}

// api calls the Coffer API as one platform.
type api struct {
	client *http.Client
	base   string // http://HOST:PORT/raas/v2
	creds  credentials
}

// statusError is an answer that is not 2xx.
type statusError struct {
	method, path string
	status       int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.status, e.body)
}

// do sends a request with a JSON body (nil for none) and decodes the JSON answer into out, or
// reads and drops it when out is nil. It returns the number of bytes of the answer, and an error
// for a failure or any status but 2xx.
func (a *api) do(ctx context.Context, method, path string, body []byte, out any) (int64, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.SetBasicAuth(a.creds.PlatformName, a.creds.PlatformKey)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, &statusError{method, path, resp.StatusCode, string(bytes.TrimSpace(b))}
	}
	if out != nil {
		return 0, json.NewDecoder(resp.Body).Decode(out)
	}
	return io.Copy(io.Discard, resp.Body)
}

// get is a plain GET whose answer is dropped: the hello-world baseline.
func get(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return &statusError{http.MethodGet, url, resp.StatusCode, ""}
	}
	return nil
}

// mustJSON encodes a request body.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
