package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"visionflow/graph"
	"visionflow/settings"
)

// Streams a client can subscribe to.
const (
	StreamPositions = "positions"
	StreamEvents    = "events"
)

// Client message types.
const (
	TypeSubscribe   = "subscribe"
	TypeUnsubscribe = "unsubscribe"
	TypeFullFrame   = "fullFrame"
	TypeApply       = "apply"
	TypePing        = "ping"
)

// Server message types.
const (
	TypeHello        = "hello"
	TypeSubscribed   = "subscribed"
	TypeUnsubscribed = "unsubscribed"
	TypeEvents       = "events"
	TypeSettings     = "settings"
	TypeApplied      = "applied"
	TypeError        = "error"
	TypePong         = "pong"
	TypeReload       = "reload"
)

// ClientMessage is anything a client sends as text. Which fields apply
// depends on Type:
//
//	{"type": "subscribe", "graph": "g", "streams": ["positions", "events"]}
//	{"type": "unsubscribe"}
//	{"type": "fullFrame"}
//	{"type": "apply", "id": "r1", "graph": "g", "ops": [...]}
//	{"type": "ping", "id": "p1"}
type ClientMessage struct {
	Type    string     `json:"type"`
	ID      string     `json:"id,omitempty"`    // echoed in the answer
	Graph   string     `json:"graph,omitempty"` // subscribe, apply: empty means the default / subscribed graph
	Streams []string   `json:"streams"`         // subscribe: null or absent means both; [] means none
	Ops     []graph.Op `json:"ops,omitempty"`   // apply
}

var clientFields = []string{"type", "id", "graph", "streams", "ops"}

// MaxRequestID bounds the id a client attaches to a message.
const MaxRequestID = 128

// ErrMessage is wrapped by every client message decoding error.
var ErrMessage = errors.New("malformed message")

// DecodeClientMessage decodes and checks one client message: known type,
// no unknown or misplaced fields, known streams, no trailing data.
func DecodeClientMessage(b []byte) (ClientMessage, error) {
	// encoding/json matches field names without regard to case; the
	// protocol's names are exact.
	var keys map[string]json.RawMessage
	if json.Unmarshal(b, &keys) == nil {
		for k := range keys {
			if !slices.Contains(clientFields, k) {
				return ClientMessage{}, fmt.Errorf("%w: unknown field %q", ErrMessage, k)
			}
		}
	}
	var m ClientMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return ClientMessage{}, fmt.Errorf("%w: %v", ErrMessage, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return ClientMessage{}, fmt.Errorf("%w: data after the message", ErrMessage)
	}
	bad := func(format string, args ...any) (ClientMessage, error) {
		return ClientMessage{}, fmt.Errorf("%w: %s", ErrMessage, fmt.Sprintf(format, args...))
	}
	if len(m.ID) > MaxRequestID {
		return bad("id is %d bytes; the limit is %d", len(m.ID), MaxRequestID)
	}
	if m.Graph != "" {
		if err := graph.ValidateGraphID(m.Graph); err != nil {
			return bad("%v", err)
		}
	}
	switch m.Type {
	case TypeSubscribe:
		if m.Ops != nil {
			return bad("subscribe takes no ops")
		}
		if m.Streams == nil {
			m.Streams = []string{StreamPositions, StreamEvents}
		}
		for _, s := range m.Streams {
			if s != StreamPositions && s != StreamEvents {
				return bad("unknown stream %q (want %q or %q)", s, StreamPositions, StreamEvents)
			}
		}
		slices.Sort(m.Streams)
		m.Streams = slices.Compact(m.Streams)
	case TypeApply:
		if m.Streams != nil {
			return bad("apply takes no streams")
		}
		if len(m.Ops) == 0 {
			return bad("apply needs ops")
		}
	case TypeUnsubscribe, TypeFullFrame, TypePing:
		if m.Graph != "" || m.Streams != nil || m.Ops != nil {
			return bad("%s takes no graph, streams or ops", m.Type)
		}
	case "":
		return bad(`"type" is missing`)
	default:
		return bad("unknown type %q", m.Type)
	}
	return m, nil
}

// Hello greets a client when it connects.
type Hello struct {
	Type         string `json:"type"` // "hello"
	Protocol     int    `json:"protocol"`
	ClientID     string `json:"clientId"`
	Server       string `json:"server"`
	DefaultGraph string `json:"defaultGraph"`
}

// Subscribed confirms a subscription; a full frame follows it when
// positions are subscribed.
type Subscribed struct {
	Type    string   `json:"type"` // "subscribed"
	ID      string   `json:"id,omitempty"`
	Graph   string   `json:"graph"`
	Streams []string `json:"streams"`
	Seq     uint64   `json:"seq"` // the graph's last event
}

// Unsubscribed confirms an unsubscribe.
type Unsubscribed struct {
	Type string `json:"type"` // "unsubscribed"
	ID   string `json:"id,omitempty"`
}

// Events carries committed graph events, in order. Nodes in NodeAdded and
// NodeRemoved carry their wire ids.
type Events struct {
	Type   string        `json:"type"` // "events"
	Graph  string        `json:"graph"`
	Events []graph.Event `json:"events"`
}

// Reload says a graph changed too much to send event by event (an import,
// a replacement, a deletion): fetch it again over REST. Deleted says
// whether it is gone.
type Reload struct {
	Type    string `json:"type"` // "reload"
	Graph   string `json:"graph"`
	Seq     uint64 `json:"seq"`
	Deleted bool   `json:"deleted,omitempty"`
}

// Settings carries applied settings changes.
type Settings struct {
	Type   string           `json:"type"` // "settings"
	Deltas []settings.Delta `json:"deltas"`
}

// Applied answers an apply: the ops were committed as these events.
type Applied struct {
	Type   string        `json:"type"` // "applied"
	ID     string        `json:"id,omitempty"`
	Graph  string        `json:"graph"`
	Events []graph.Event `json:"events"`
}

// Error answers a message that could not be carried out.
type Error struct {
	Type   string `json:"type"` // "error"
	ID     string `json:"id,omitempty"`
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

// Pong answers a ping.
type Pong struct {
	Type string `json:"type"` // "pong"
	ID   string `json:"id,omitempty"`
}

// ServerMessage is what a client decodes first: the type, and the rest to
// decode once the type is known.
type ServerMessage struct {
	Type string `json:"type"`
}
