package web

import "net/http"

func (s *Server) talentOfficeRoutes(mux *http.ServeMux) {}
func (s *Server) enterpriseRoutes(mux *http.ServeMux)   {}
func (s *Server) parkRoutes(mux *http.ServeMux)         {}
func (s *Server) auditRoutes(mux *http.ServeMux)        {}
func (s *Server) importRoutes(mux *http.ServeMux)       {}
