//go:build !linux && !freebsd && !openbsd && !netbsd && !dragonfly

package app

// noDisplay says why no window can be opened, or "" when a display is
// available. Windows and macOS sessions always have one.
func noDisplay() string { return "" }
