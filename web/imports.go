package web

import "net/http"

// importRoutes are importing a CSV file, with a dry run first and a progress bar.
func (s *Server) importRoutes(mux *http.ServeMux) {}
