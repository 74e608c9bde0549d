package http

import "net/http"

// routes lists every route the server answers, one line each. API routes take the principal from
// the authentication wrapper: read routes accept any live key, write routes refuse read-only
// keys.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /raas/v2/customers", s.read(s.listCustomers))
	mux.Handle("POST /raas/v2/customers", s.write(s.createCustomer))
	mux.Handle("GET /raas/v2/customers/{customerIdentifier}", s.read(s.getCustomer))
	mux.Handle("GET /raas/v2/customers/{customerIdentifier}/accounts", s.read(s.listCustomerAccounts))
	mux.Handle("POST /raas/v2/customers/{customerIdentifier}/accounts", s.write(s.createAccount))
	mux.Handle("PATCH /raas/v2/customers/{customerIdentifier}/accounts/{accountIdentifier}", s.write(s.updateAccount))
	mux.Handle("GET /raas/v2/accounts", s.read(s.listAccounts))
	mux.Handle("GET /raas/v2/accounts/{accountIdentifier}", s.read(s.getAccount))

	mux.HandleFunc("GET /livez", s.livez)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("GET /openapi.yaml", s.serveOpenAPIYAML)
	mux.HandleFunc("GET /openapi.json", s.serveOpenAPIJSON)
	mux.HandleFunc("GET /docs", s.serveDocs)
	mux.HandleFunc("GET /docs/{file}", s.serveDocsFile)
	return mux
}
