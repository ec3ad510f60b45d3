package wire

import (
	"time"

	"visionflow/graph"
)

// The bodies of REST requests and answers that clients share with the
// server (docs/api.md).

// MaxEventPage is the most events one GET …/events returns.
const MaxEventPage = 10000

// Event is a graph event as the API shows it: with its time in RFC 3339
// beside the hybrid-logical-clock value.
type Event struct {
	graph.Event
	At time.Time `json:"time"`
}

// EventPage is the answer of GET /api/graph/{id}/events.
type EventPage struct {
	Graph  string  `json:"graph"`
	Events []Event `json:"events"`
	Next   uint64  `json:"next"` // pass as since= for the next page
	More   bool    `json:"more"`
}

// Batch is the body of POST /api/graph/{id}/batch.
type Batch struct {
	Ops []graph.Op `json:"ops"`
}
