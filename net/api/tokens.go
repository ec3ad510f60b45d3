package api

import (
	"net/http"

	"visionflow/auth"
	"visionflow/net/wire"
	"visionflow/session"
)

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) error {
	p := principal(r.Context())
	writeJSON(w, http.StatusOK, wire.WhoAmI{Name: p.Name, Role: p.Role, TokenID: p.TokenID})
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.b.ListTokens(r.Context())
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []auth.Token{}
	}
	writeJSON(w, http.StatusOK, ts)
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	var req wire.TokenRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if _, err := auth.ParseRole(string(req.Role)); err != nil {
		return invalid("role: %v", err)
	}
	ttl, err := auth.ParseTTL(req.Expires)
	if err != nil {
		return invalid("expires: %v", err)
	}
	secret, tok, err := s.b.CreateToken(r.Context(), who, session.TokenRequest{Role: req.Role, Name: req.Name, TTL: ttl})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, wire.NewToken{Token: secret, Info: tok})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	tok, err := s.b.RevokeToken(r.Context(), who, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.hub.dropToken(tok.ID, "the token was revoked")
	writeJSON(w, http.StatusOK, tok)
	return nil
}
