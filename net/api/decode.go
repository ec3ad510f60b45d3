package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"visionflow/internal/strictjson"
)

// decode reads exactly one JSON value into v: the body must be JSON, within
// the size limit, without unknown fields or trailing data.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	if err := requireType(r, "application/json"); err != nil {
		return err
	}
	body, err := readBody(w, r, s.opt.MaxBody)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// readBody reads a request body of at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if n := r.ContentLength; n > 0 && n <= min(limit, 64<<10) {
		// Read into a buffer of the size announced rather than growing
		// one from 512 bytes, then make sure that was all of it. Only for
		// small bodies: memory for a large one is taken as its bytes come,
		// not on a client's word.
		b := make([]byte, n)
		if _, err := io.ReadFull(body, b); err != nil {
			return nil, err
		}
		var more [1]byte // not io.ReadAll, which would take 512 bytes to find nothing
		for {
			k, err := body.Read(more[:])
			switch {
			case k > 0:
				rest, err := io.ReadAll(body)
				return append(append(b, more[0]), rest...), err
			case err == io.EOF:
				return b, nil
			case err != nil:
				return nil, err
			}
		}
	}
	return io.ReadAll(body)
}

func decodeJSON(body []byte, v any) error {
	if err := checkDuplicateKeys(body); err != nil {
		return err
	}
	if u, ok := v.(json.Unmarshaler); ok && json.Valid(body) {
		// A type that decodes itself (graph.Op, which also refuses
		// unknown fields) from one valid value: a decoder would only scan
		// the body once more to hand it the same bytes. Anything not valid
		// goes the long way, whose errors say more.
		if err := u.UnmarshalJSON(body); err != nil {
			return jsonError(err)
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("malformed JSON: unexpected data after the value at byte %d", dec.InputOffset())
	}
	return nil
}

// jsonError explains a decoding failure in terms a client can act on.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return invalid("malformed JSON: the body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("malformed JSON: the body ends early")
	case errors.As(err, &syn):
		return invalid("malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the body"
		}
		return invalid("%s: expected %s, got JSON %s", field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return invalid("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return invalid("malformed JSON: %v", err)
}

// checkDuplicateKeys refuses an object that names a key twice:
// encoding/json would quietly keep the last, and {"op": "addNode", "op":
// "removeNode"} is a mistake, not a request. Syntax errors are left for the
// decoder, which explains them better.
func checkDuplicateKeys(body []byte) error {
	var dup *strictjson.DuplicateKeyError
	if err := strictjson.CheckDuplicates(body); errors.As(err, &dup) {
		return invalid("%v", dup)
	}
	return nil
}

// requireType insists on a content type. Besides telling clients what to
// send, it keeps browser pages on other sites from posting "simple"
// cross-origin requests (text/plain, forms) that skip CORS preflight.
func requireType(r *http.Request, want ...string) error {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if cs, ok := params["charset"]; err == nil && ok && !strings.EqualFold(cs, "utf-8") {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported media type", Detail: fmt.Sprintf("charset %q: bodies must be UTF-8", cs)}
	}
	if err == nil {
		for _, w := range want {
			if mt == w {
				return nil
			}
		}
	}
	return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported media type",
		Detail: fmt.Sprintf("Content-Type must be %s, got %q", strings.Join(want, " or "), ct)}
}

// clientID names who made a request, for the event log and the settings
// history: its token's name; without a token (a loopback-only server) the
// X-Client-ID header when given, else the peer's address.
func clientID(r *http.Request) (string, error) {
	if p := principal(r.Context()); !p.Anonymous() {
		return p.Name, nil
	}
	id := r.Header.Get("X-Client-ID")
	if id == "" {
		host := r.RemoteAddr
		if i := strings.LastIndexByte(host, ':'); i > 0 {
			host = host[:i]
		}
		return "rest@" + host, nil
	}
	if len(id) > 128 {
		return "", invalid("X-Client-ID is %d bytes; the limit is 128", len(id))
	}
	for _, c := range id {
		if unicode.IsControl(c) {
			return "", invalid("X-Client-ID contains control character %U", c)
		}
	}
	return id, nil
}

// queryUint reads an optional non-negative integer query parameter.
func queryUint(r *http.Request, name string, def, maxV uint64) (uint64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > maxV {
		return 0, invalid("query parameter %s=%q must be a whole number from 0 to %d", name, s, maxV)
	}
	return v, nil
}
