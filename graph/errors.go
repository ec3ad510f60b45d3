package graph

import (
	"errors"
	"fmt"
)

// Kinds of failure. Every error returned by this package wraps one of them,
// so callers (the REST layer, for a status code) can tell them apart with
// errors.Is.
var (
	ErrInvalid      = errors.New("invalid")
	ErrNotFound     = errors.New("not found")
	ErrDuplicateID  = errors.New("duplicate id")
	ErrDangling     = errors.New("dangling edge")
	ErrNonFinite    = errors.New("non-finite number")
	ErrTooLarge     = errors.New("too large")
	ErrUnknownType  = errors.New("unknown graph type")
	ErrCorruptEvent = errors.New("event does not apply")
)

// Error says which field of which object broke which rule.
type Error struct {
	Kind   error  // one of the Err* values above
	Field  string // for example `node "a".label` or `edge "e1".target`
	Detail string // the rule, in words
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Detail
	}
	return e.Field + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.Kind }

func errf(kind error, field, format string, args ...any) *Error {
	return &Error{Kind: kind, Field: field, Detail: fmt.Sprintf(format, args...)}
}
