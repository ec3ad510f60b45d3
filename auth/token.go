package auth

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// A token reads "vf_<id>_<secret>": id is 10 characters a person can quote
// (token list shows it, revoke takes it), secret 32 random bytes. Only a
// hash of the whole token is stored: a copy of the database gives no way
// in. The secret's entropy makes a plain SHA-256 enough; a slow hash
// protects guessable passwords, not random keys.
const (
	prefix    = "vf_"
	idLen     = 10
	secretLen = 52 // 32 bytes in unpadded base32
	tokenLen  = len(prefix) + idLen + 1 + secretLen
)

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// Token is a stored token, without its secret.
type Token struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Role     Role      `json:"role"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires,omitzero"`
	Revoked  time.Time `json:"revoked,omitzero"`
	LastUsed time.Time `json:"lastUsed,omitzero"`
	Hash     []byte    `json:"-"`
}

// Active reports whether t is usable at now.
func (t Token) Active(now time.Time) bool {
	return t.Revoked.IsZero() && (t.Expires.IsZero() || now.Before(t.Expires))
}

// Principal is who a request with t acts as.
func (t Token) Principal() Principal {
	return Principal{TokenID: t.ID, Name: t.Name, Role: t.Role, Expires: t.Expires}
}

// New makes a token: the secret to give its holder once, and the record to
// store. name defaults to "<role>-<id>".
func New(random io.Reader, name string, role Role, now time.Time, ttl time.Duration) (secret string, t Token, err error) {
	if _, err := ParseRole(string(role)); err != nil {
		return "", Token{}, err
	}
	if err := CheckName(name); err != nil {
		return "", Token{}, err
	}
	if ttl < 0 {
		return "", Token{}, fmt.Errorf("expiry %v is in the past; give a positive duration", ttl)
	}
	b := make([]byte, 6+32)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", Token{}, fmt.Errorf("make a token: %w", err)
	}
	id := strings.ToLower(enc.EncodeToString(b[:6]))[:idLen]
	secret = prefix + id + "_" + strings.ToLower(enc.EncodeToString(b[6:]))
	if name == "" {
		name = string(role) + "-" + id
	}
	t = Token{ID: id, Name: name, Role: role, Created: now, Hash: Hash(secret)}
	if ttl > 0 {
		t.Expires = now.Add(ttl)
	}
	return secret, t, nil
}

// CheckName validates a token's name: it becomes the identity in event
// logs, so it is short printable text.
func CheckName(name string) error {
	if len(name) > 64 {
		return fmt.Errorf("name is %d bytes; the limit is 64", len(name))
	}
	if !utf8.ValidString(name) {
		return errors.New("name is not valid UTF-8")
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("name contains control character %U", c)
		}
	}
	return nil
}

// Hash is what is stored of a token.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// ErrMalformed says a string is not a VisionFlow token at all.
var ErrMalformed = errors.New(`not a VisionFlow token (they read "vf_" then 63 letters and digits)`)

// Parse checks a token's form and returns its id. It does not say whether
// the token exists.
func Parse(secret string) (id string, err error) {
	if len(secret) != tokenLen || !strings.HasPrefix(secret, prefix) || secret[len(prefix)+idLen] != '_' {
		return "", ErrMalformed
	}
	for i := len(prefix); i < len(secret); i++ {
		c := secret[i]
		if i == len(prefix)+idLen {
			continue
		}
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return "", ErrMalformed
		}
	}
	return secret[len(prefix) : len(prefix)+idLen], nil
}

// Why a token was refused; each wraps ErrUnauthenticated.
var (
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrNoToken         = fmt.Errorf("%w: this server is shared beyond this machine and needs a token: send Authorization: Bearer <token> (make one with `visionflow token create`)", ErrUnauthenticated)
	ErrUnknownToken    = fmt.Errorf("%w: the token is not one this server made", ErrUnauthenticated)
	ErrRevoked         = fmt.Errorf("%w: the token was revoked", ErrUnauthenticated)
	ErrExpired         = fmt.Errorf("%w: the token has expired", ErrUnauthenticated)
)

// ParseTTL reads how long a token lasts: a Go duration ("12h", "90m") or
// a number of days ("7d"); "" or "0" is forever.
func ParseTTL(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err == nil && fmt.Sprint(n) == d && n > 0 && n <= 3650 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	ttl, err := time.ParseDuration(s)
	if err != nil || ttl <= 0 {
		return 0, fmt.Errorf("expiry %q is not a positive duration such as 12h or 7d", s)
	}
	return ttl, nil
}
