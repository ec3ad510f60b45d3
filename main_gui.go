//go:build !nogui

package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"visionflow/app"
	"visionflow/app/desktop"
)

// window is the desktop, with the failure to open one explained where the
// platform leaves no other place to say it (see explainNoWindow).
func window(ctx context.Context, cfg app.Config, stdout io.Writer, log *slog.Logger) error {
	err := desktop.Run(ctx, cfg, stdout, log)
	if errors.Is(err, app.ErrNoWindow) {
		return explainNoWindow(err, cfg, log)
	}
	return err
}
