//go:build !windows

package main

import (
	"io"
	"log/slog"
	"os"

	"visionflow/app"
)

// outputs are the standard ones: only a Windows GUI-subsystem build can
// start without anywhere to write.
func outputs() (stdout, stderr io.Writer, done func(code int)) {
	return os.Stdout, os.Stderr, func(int) {}
}

// explainNoWindow leaves the reason to the log. A start without a
// terminal (a desktop entry, an app bundle) has its output kept by the
// session's journal or Console.app, but nobody is told to look there:
// showing it, as Windows does, is not done yet here.
func explainNoWindow(err error, _ app.Config, _ *slog.Logger) error { return err }
