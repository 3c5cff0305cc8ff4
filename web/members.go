package web

import "net/http"

// enterpriseRoutes are an enterprise's own pages: its designations as of a date, and HR's recognitions within the quota.
func (s *Server) enterpriseRoutes(mux *http.ServeMux) {}
