// Package metrics holds the Prometheus instruments of a VisionFlow process
// (served at /metrics; docs/metrics.md describes each).
package metrics

import (
	"maps"
	"net/http"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Set is one process's instruments. A nil *Set records nothing, so code
// can be instrumented whether or not metrics are wanted.
type Set struct {
	reg           *prometheus.Registry
	http          *prometheus.HistogramVec
	wsIn          *prometheus.CounterVec
	wsInBytes     prometheus.Counter
	wsOut         *prometheus.CounterVec
	wsOutBytes    *prometheus.CounterVec
	wsOutJSON     *prometheus.CounterVec
	frames        *prometheus.CounterVec
	framesDropped prometheus.Counter
	commit        prometheus.Histogram
	commitEvents  prometheus.Histogram
	commitEdits   prometheus.Histogram
	writerWait    *prometheus.HistogramVec
	events        prometheus.Counter
}

// New makes the instruments, with Go's and the process's own.
func New() *Set {
	s := &Set{reg: prometheus.NewRegistry()}
	s.http = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "visionflow_http_request_duration_seconds",
		Help: "REST requests by route pattern and status code, and how long they took.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)},
		[]string{"route", "code"})
	s.wsIn = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "visionflow_ws_messages_received_total",
		Help: "WebSocket messages received from clients, by type (invalid: not decoded)."}, []string{"type"})
	s.wsInBytes = prometheus.NewCounter(prometheus.CounterOpts{Name: "visionflow_ws_received_bytes_total",
		Help: "Bytes of WebSocket messages received from clients."})
	s.wsOut = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "visionflow_ws_messages_sent_total",
		Help: "WebSocket messages written to clients, by kind (json, frame), each client counted."}, []string{"kind"})
	s.wsOutBytes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "visionflow_ws_sent_bytes_total",
		Help: "Bytes of WebSocket messages written to clients, by kind (json, frame)."}, []string{"kind"})
	s.wsOutJSON = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "visionflow_ws_json_sent_bytes_total",
		Help: "Bytes of JSON messages written to WebSocket clients, by message type."}, []string{"type"})
	s.frames = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "visionflow_ws_frames_total",
		Help: "Position frames encoded (each once, for all its subscribers), by kind."}, []string{"kind"})
	s.framesDropped = prometheus.NewCounter(prometheus.CounterOpts{Name: "visionflow_ws_frames_replaced_total",
		Help: "Position frames replaced before a slow client took them (it gets a full frame later)."})
	s.commit = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "visionflow_commit_duration_seconds",
		Help: "Durable commits of graph changes (one SQLite transaction each), and how long they took.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)})
	s.commitEvents = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "visionflow_commit_events",
		Help: "Events per durable commit.", Buckets: prometheus.ExponentialBuckets(1, 4, 10)})
	s.commitEdits = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "visionflow_commit_edits",
		Help: "Edits (requests, each all or nothing) per durable commit: above 1 when concurrent edits of a graph share a commit.", Buckets: prometheus.ExponentialBuckets(1, 2, 11)})
	s.writerWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "visionflow_store_writer_wait_seconds",
		Help: "How long each write waited for SQLite's one writer connection, by kind (bulk: a part of an import; small: every other write).", Buckets: prometheus.ExponentialBuckets(0.00001, 2, 16)},
		[]string{"kind"})
	s.events = prometheus.NewCounter(prometheus.CounterOpts{Name: "visionflow_events_total",
		Help: "Graph events committed."})
	s.reg.MustRegister(s.http, s.wsIn, s.wsInBytes, s.wsOut, s.wsOutBytes, s.wsOutJSON, s.frames, s.framesDropped, s.commit, s.commitEvents, s.commitEdits, s.writerWait, s.events,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return s
}

// Handler serves the metrics in Prometheus's text format.
func (s *Set) Handler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Request records a REST request.
func (s *Set) Request(route string, code int, seconds float64) {
	if s != nil {
		s.http.WithLabelValues(route, codeLabel(code)).Observe(seconds)
	}
}

func codeLabel(code int) string {
	if code < 100 || code > 999 {
		return "other"
	}
	return string([]byte{byte('0' + code/100), byte('0' + code/10%10), byte('0' + code%10)})
}

// Message records a WebSocket message received.
func (s *Set) Message(typ string) {
	if s != nil {
		s.wsIn.WithLabelValues(typ).Inc()
	}
}

// Frame records a position frame encoded.
func (s *Set) Frame(kind string) {
	if s != nil {
		s.frames.WithLabelValues(kind).Inc()
	}
}

// FrameReplaced records a frame a slow client missed.
func (s *Set) FrameReplaced() {
	if s != nil {
		s.framesDropped.Inc()
	}
}

// Received records a WebSocket message of n bytes from a client.
func (s *Set) Received(n int) {
	if s != nil {
		s.wsInBytes.Add(float64(n))
	}
}

// SentFrame records a position frame of n bytes written to a client.
func (s *Set) SentFrame(n int) {
	if s != nil {
		s.wsOut.WithLabelValues("frame").Inc()
		s.wsOutBytes.WithLabelValues("frame").Add(float64(n))
	}
}

// SentJSON records a JSON message of type typ and n bytes written to a
// client.
func (s *Set) SentJSON(typ string, n int) {
	if s != nil {
		s.wsOut.WithLabelValues("json").Inc()
		s.wsOutBytes.WithLabelValues("json").Add(float64(n))
		s.wsOutJSON.WithLabelValues(typ).Add(float64(n))
	}
}

// Commit records a durable commit of events.
func (s *Set) Commit(events int, seconds float64) {
	if s != nil {
		s.commit.Observe(seconds)
		s.commitEvents.Observe(float64(events))
		s.events.Add(float64(events))
	}
}

// WriterWait records how long a write waited for the writer connection.
func (s *Set) WriterWait(bulk bool, seconds float64) {
	if s != nil {
		kind := "small"
		if bulk {
			kind = "bulk"
		}
		s.writerWait.WithLabelValues(kind).Observe(seconds)
	}
}

// CommitGroup records how many edits shared a durable commit.
func (s *Set) CommitGroup(edits int) {
	if s != nil {
		s.commitEdits.Observe(float64(edits))
	}
}

// Gauge registers a gauge read when scraped.
func (s *Set) Gauge(name, help string, fn func() float64) {
	if s != nil {
		s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
	}
}

// GaugeVec registers a gauge with one label, read when scraped: fn gives
// the value of each label value present.
func (s *Set) GaugeVec(name, help, label string, fn func() map[string]float64) {
	if s != nil {
		s.reg.MustRegister(&funcVec{desc: prometheus.NewDesc(name, help, []string{label}, nil), fn: fn})
	}
}

type funcVec struct {
	desc *prometheus.Desc
	fn   func() map[string]float64
}

func (f *funcVec) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }

func (f *funcVec) Collect(ch chan<- prometheus.Metric) {
	vals := f.fn()
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		ch <- prometheus.MustNewConstMetric(f.desc, prometheus.GaugeValue, vals[k], k)
	}
}
