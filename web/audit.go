package web

import "net/http"

// auditRoutes are the auditor's pages: the audit trail, filtered, and verifying the chain.
func (s *Server) auditRoutes(mux *http.ServeMux) {}
