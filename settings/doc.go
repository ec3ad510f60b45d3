// Package settings holds VisionFlow's settings tree (nodes, edges, physics,
// rendering, system): every setting's path, type, default and valid range,
// validation of updates, and the Manager that applies them all-or-nothing,
// persists them through a Store with an audit trail, and tells listeners.
package settings
