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

// GraphMetrics is the answer of GET /api/graph/{id}/metrics: the graph's
// structure and each node's measures (graph/analysis).
type GraphMetrics struct {
	Graph       string  `json:"graph"`
	Seq         uint64  `json:"seq"` // the graph's state measured
	Nodes       int     `json:"nodes"`
	Edges       int     `json:"edges"`
	Components  int     `json:"components"`
	Communities int     `json:"communities"` // Louvain's
	Modularity  float64 `json:"modularity"`
	// BetweennessSources is how many sources betweenness came from;
	// BetweennessExact says whether that was every node.
	BetweennessSources int           `json:"betweennessSources"`
	BetweennessExact   bool          `json:"betweennessExact"`
	Metrics            []NodeMetrics `json:"metrics,omitempty"`
}

// NodeMetrics is one node's measures. Communities and components are
// numbered by size, largest first.
type NodeMetrics struct {
	ID          string  `json:"id"`
	Label       string  `json:"label"`
	Degree      int32   `json:"degree"`
	PageRank    float64 `json:"pagerank"`
	Betweenness float64 `json:"betweenness"`
	Community   int32   `json:"community"`
	Component   int32   `json:"component"`
}
