// Package app is VisionFlow's application: the Session that owns all live
// state and applies every change in order, and the start-up that wires the
// store, settings and servers together for the desktop or headless modes.
package app
