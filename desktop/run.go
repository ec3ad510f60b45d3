package desktop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"visionflow/app"
	"visionflow/compute"
	"visionflow/compute/gpu"
	"visionflow/internal/gles"
	"visionflow/internal/window"
)

var _ app.Window = Run

// Run opens the window on cfg's session: a local server it starts (its
// graphs laid out by compute shaders when the context has them), or the
// host of cfg.Join. It returns when the window closes or ctx ends, after
// the server has saved positions and stopped. It must be called on the
// main OS thread.
func Run(ctx context.Context, cfg app.Config, stdout io.Writer, log *slog.Logger) error {
	return run(ctx, cfg, stdout, log, hooks{})
}

// hooks let tests watch and drive the frame loop.
type hooks struct {
	// afterFrame runs on the GL thread after every frame is drawn, before
	// it is shown; returning false closes the window.
	afterFrame func(d *desk, frame int) bool
}

func run(ctx context.Context, cfg app.Config, stdout io.Writer, log *slog.Logger, h hooks) (err error) {
	w, err := window.Open(window.Options{Width: cfg.Width, Height: cfg.Height, Title: "VisionFlow", Hidden: cfg.Screenshot != "", VSync: true})
	if err != nil {
		return fmt.Errorf("%w: %v", app.ErrNoWindow, err)
	}
	defer w.Close()
	log.Info("OpenGL context", "gl", w.Info.String())
	thread := gles.NewThread()
	defer thread.Stop()

	var src Source
	var srv *app.Server
	if cfg.Join != "" {
		r, err := dialRemote(ctx, cfg.Join)
		if err != nil {
			return fmt.Errorf("join %s: %w", cfg.Join, err)
		}
		src = r
		fmt.Fprintf(stdout, "VisionFlow %s joined %s\n", app.Version, cfg.Join)
	} else {
		if cfg.NewEngine, err = chooseEngine(cfg, w, thread, log); err != nil {
			return err
		}
		// The server's layouts build their GPU engines through this
		// thread, so it is served while the server starts and stops.
		serveWhile(thread, func() { srv, err = app.Start(ctx, cfg, nil, log) })
		if err != nil {
			return err
		}
		defer func() {
			var closeErr error
			serveWhile(thread, func() { closeErr = srv.Close() })
			err = errors.Join(err, closeErr)
		}()
		l, lerr := newLocal(srv)
		if lerr != nil {
			return lerr
		}
		src = l
		fmt.Fprintf(stdout, "VisionFlow %s serving http://%s (database %s); close the window to stop it\n", app.Version, srv.Addr, srv.Store.Path())
	}
	defer src.Close()

	d, err := newDesk(cfg, log, w, thread, src, h)
	if err != nil {
		return err
	}
	defer d.close()
	return d.loop(ctx)
}

// serveWhile runs fn on another goroutine while this one, the GL thread,
// serves the calls fn makes to it, and returns when fn has.
func serveWhile(thread *gles.Thread, fn func()) {
	ctx, done := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		defer done()
		fn()
	})
	for ctx.Err() == nil {
		thread.Wait(ctx)
	}
	wg.Wait()
	thread.Drain()
}

// chooseEngine picks the physics: the GPU engine when the context runs
// compute shaders and the kernels build, else the CPU engine; it says
// which and why. --engine gpu makes a GPU failure an error.
func chooseEngine(cfg app.Config, w *window.Window, thread *gles.Thread, log *slog.Logger) (func() (compute.Engine, error), error) {
	if cfg.Engine == "cpu" {
		log.Info("physics: CPU engine (--engine cpu)")
		return nil, nil
	}
	var probeErr error
	if !w.Info.Compute() {
		probeErr = fmt.Errorf("the OpenGL context (%s) has no compute shaders", w.Info)
	} else {
		serveWhile(thread, func() {
			var e *gpu.Engine
			if e, probeErr = gpu.New(thread); probeErr == nil {
				e.Close()
			}
		})
	}
	if probeErr != nil {
		if cfg.Engine == "gpu" {
			return nil, fmt.Errorf("--engine gpu: %w", probeErr)
		}
		log.Warn("physics: CPU engine, since GPU physics cannot run here", "reason", probeErr)
		return nil, nil
	}
	log.Info("physics: GPU engine (compute shaders)", "renderer", w.Info.Renderer)
	return func() (compute.Engine, error) { return gpu.New(thread) }, nil
}
