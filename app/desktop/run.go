package desktop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
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
	api, err := window.ParseAPI(cfg.GL)
	if err != nil {
		return fmt.Errorf("--gl: %w", err)
	}
	w, err := window.Open(window.Options{API: api, Width: cfg.Width, Height: cfg.Height, Title: "VisionFlow", Hidden: cfg.Screenshot != "", VSync: true})
	if err != nil {
		return fmt.Errorf("%w: %v", app.ErrNoWindow, err)
	}
	defer w.Close()
	log.Info("OpenGL context", "dialect", w.Info.Dialect.String(), "gl", w.Info.String())
	if len(w.Info.Missing) > 0 {
		log.Debug("OpenGL entry points this context lacks", "names", w.Info.Missing)
	}
	r, g, err := graphics(w.Info.Dialect)
	if err == nil && r.ExpandErr != nil {
		log.Warn("edge ends expanded on the CPU: the edge_expand kernel does not build here", "err", r.ExpandErr)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", app.ErrNoWindow, err)
	}
	handed := false // to the desk, which frees them
	defer func() {
		if !handed {
			g.Release()
			r.Close()
		}
	}()
	thread := gles.NewThread()
	defer thread.Stop()

	var src Source
	var srv *app.Server
	if cfg.Join != "" {
		r, err := dialRemote(ctx, cfg.Join, cfg.Token)
		if err != nil {
			return fmt.Errorf("join %s: %w", cfg.Join, err)
		}
		src = r
		fmt.Fprintf(stdout, "VisionFlow %s joined %s\n", app.Version, cfg.Join)
	} else {
		kernels, err := chooseEngine(&cfg, w, thread, log)
		if err != nil {
			return err
		}
		if kernels != nil {
			cfg.NewEngine = func() (compute.Engine, error) { return kernels.NewEngine(), nil }
		}
		// The GL thread never waits for the session (whose layouts may be
		// waiting for the GL thread): what must wait for it, starting and
		// stopping the server, runs elsewhere while this thread serves GL.
		var l *local
		serveWhile(thread, func() {
			if srv, err = app.Start(ctx, cfg, nil, log); err == nil {
				if l, err = newLocal(srv); err != nil {
					srv.Close()
				}
			}
		})
		if err != nil {
			if kernels != nil {
				serveWhile(thread, kernels.Close)
			}
			return err
		}
		defer func() {
			var closeErr error
			serveWhile(thread, func() {
				closeErr = srv.Close()
				if kernels != nil {
					kernels.Close()
				}
			})
			err = errors.Join(err, closeErr)
		}()
		src = l
		fmt.Fprintf(stdout, "VisionFlow %s serving http://%s (database %s); close the window to stop it\n", app.Version, srv.Addr, srv.Store.Path())
		if cfg.DemoAgents > 0 {
			stop := app.StartDemo(srv, cfg.DemoAgents, log)
			// Before the server stops (deferred above, so run after this).
			defer serveWhile(thread, stop)
		}
	}
	defer src.Close()
	if cfg.Graph != "" {
		if err := hasGraph(ctx, src, cfg.Graph); err != nil {
			return err
		}
	}

	var remember *recall
	if srv != nil {
		remember = &recall{path: filepath.Join(filepath.Dir(srv.Store.Path()), "window.json")}
	} else if dir, err := app.DataDir(); err == nil {
		remember = &recall{path: filepath.Join(dir, "window.json")}
	}
	d := newDesk(cfg, log, w, thread, src, r, g, h, remember)
	handed = true
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
// compute shaders on a real GPU and the kernels build (it returns them),
// else the CPU engine (nil); it logs which and why, and puts the reason in
// cfg for /api/health and the stats bar. --engine gpu makes a GPU failure
// an error.
func chooseEngine(cfg *app.Config, w *window.Window, thread *gles.Thread, log *slog.Logger) (*gpu.Kernels, error) {
	if cfg.Engine == "cpu" {
		cfg.EngineReason = "--engine cpu"
		log.Info("physics: CPU engine (--engine cpu)")
		return nil, nil
	}
	if cfg.Engine == "auto" {
		if ok, why := autoEngine(w.Info.Dialect.Compute(), w.Info.Dialect.String(), w.Info.Renderer); !ok {
			cfg.EngineReason = why
			log.Info("physics: CPU engine, since " + why)
			return nil, nil
		}
	}
	var kernels *gpu.Kernels
	var err error
	if !w.Info.Compute() {
		err = fmt.Errorf("the OpenGL context (%s, %s) has no compute shaders", w.Info.Dialect, w.Info)
	} else {
		serveWhile(thread, func() { kernels, err = gpu.NewKernels(thread) })
	}
	if err != nil {
		if cfg.Engine == "gpu" {
			return nil, fmt.Errorf("--engine gpu: %w", err)
		}
		cfg.EngineReason = "GPU physics cannot run here"
		log.Warn("physics: CPU engine, since GPU physics cannot run here", "reason", err)
		return nil, nil
	}
	cfg.EngineReason = "compute shaders on " + w.Info.Renderer
	if cfg.Engine == "gpu" {
		cfg.EngineReason = "--engine gpu"
	}
	log.Info("physics: GPU engine (compute shaders)", "renderer", w.Info.Renderer)
	return kernels, nil
}

// autoEngine decides what --engine auto may use before trying: not the GPU
// engine where the context has no compute shaders, nor where a software
// rasteriser runs them on the CPU. There, measured on Mesa's llvmpipe, the
// GPU engine stepped 9–13× slower than the CPU engine on the same machine
// (a Logseq screenshot 80–88 s against 6.3 s; a 64k-node graph 1 step/s),
// since the rasteriser and the CPU engine share the same cores and the
// rasteriser runs the kernels without the CPU engine's tree.
func autoEngine(compute bool, dialect, renderer string) (gpu bool, why string) {
	switch {
	case !compute:
		return false, dialect + " has no compute shaders"
	case softwareRenderer(renderer):
		return false, "the GL renderer (" + renderer + ") is a software rasteriser, where the CPU engine is 9–13× faster"
	}
	return true, ""
}

// engineLabel names the physics engine in the stats bar, with why when the
// choice was not the obvious one: "cpu (software GL)".
func engineLabel(name, why string) string {
	switch {
	case strings.Contains(why, "software rasteriser"):
		return name + " (software GL)"
	case strings.Contains(why, "no compute shaders"):
		return name + " (no compute shaders)"
	case strings.Contains(why, "cannot run"):
		return name + " (GPU failed)"
	case strings.HasPrefix(why, "--engine"):
		return name + " (" + why + ")"
	}
	return name
}

// softwareRenderer tells a GL renderer string that draws on the CPU:
// Mesa's llvmpipe, softpipe and swrast, Google's SwiftShader, Microsoft's
// WARP (through ANGLE, "Microsoft Basic Render Driver").
func softwareRenderer(renderer string) bool {
	r := strings.ToLower(renderer)
	for _, s := range []string{"llvmpipe", "softpipe", "swrast", "swiftshader", "software", "basic render driver"} {
		if strings.Contains(r, s) {
			return true
		}
	}
	return false
}

// hasGraph checks that the session has graph id, naming those it has when
// it does not.
func hasGraph(ctx context.Context, src Source, id string) error {
	list, err := src.Graphs(ctx)
	if err != nil {
		return fmt.Errorf("--graph %s: listing the graphs: %w", id, err)
	}
	var ids []string
	for _, s := range list {
		if s.ID == id {
			return nil
		}
		ids = append(ids, s.ID)
	}
	return fmt.Errorf("--graph %s: no such graph; the session has %s", id, strings.Join(ids, ", "))
}
