//go:build linux || freebsd || openbsd || netbsd || dragonfly

package app

import "os"

// noDisplay says why no window can be opened, or "" when a display is
// available.
func noDisplay() string {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return "no display found ($DISPLAY and $WAYLAND_DISPLAY are not set)"
	}
	return ""
}
