package web

import "net/http"

// parkRoutes are a park operator's pages: tenants as of a date, admitting and ending tenancies, benefit rules and eligibility checks.
func (s *Server) parkRoutes(mux *http.ServeMux) {}
