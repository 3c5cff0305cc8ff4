package web

import "net/http"

// talentOfficeRoutes are the talent office's pages: talent authorizations with their quotas, competitions, awards and recognising winners.
func (s *Server) talentOfficeRoutes(mux *http.ServeMux) {}
