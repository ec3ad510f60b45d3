// Package window opens the GLFW window and OpenGL context that the desktop
// app, the screenshot mode and the GL tests draw into: OpenGL ES 3.1 (with
// compute shaders), else 3.0, through EGL on Linux and through ANGLE on
// Windows; or OpenGL 4.1 core, the only OpenGL of macOS and an option on
// Linux.
package window

import (
	"errors"
	"fmt"
	"sync"

	"github.com/go-gl/glfw/v3.3/glfw"

	"visionflow/internal/gles"
)

// API is the kind of OpenGL context a window asks for.
type API int

const (
	Default API = iota // the platform's: Core41 on macOS, ES31 elsewhere
	ES31               // OpenGL ES 3.1 (compute shaders, GPU physics), else 3.0
	ES30               // OpenGL ES 3.0 only: no compute shaders (--gl es30)
	Core41             // OpenGL 4.1 core profile: no compute shaders
)

// ParseAPI reads the --gl flag's values.
func ParseAPI(s string) (API, error) {
	switch s {
	case "", "auto":
		return Default, nil
	case "es":
		return ES31, nil
	case "es30":
		return ES30, nil
	case "core":
		return Core41, nil
	}
	return Default, fmt.Errorf("want auto, es, es30 or core, not %q", s)
}

// Resolve turns Default into the platform's API.
func (a API) Resolve() API {
	if a == Default {
		return defaultAPI
	}
	return a
}

// Dialect is the GLSL dialect a context of this API speaks.
func (a API) Dialect() gles.Dialect {
	switch a.Resolve() {
	case Core41:
		return gles.GL410
	case ES30:
		return gles.ES300
	}
	return gles.ES310
}

// Options describe a window.
type Options struct {
	API           API
	Width, Height int
	Title         string
	Hidden        bool // for screenshots and tests
	Samples       int  // multisample antialiasing; 0 for none
	VSync         bool
}

// Window is an open window with a current GL context. All its methods run
// on the thread that opened it.
type Window struct {
	W    *glfw.Window
	Info gles.Info
}

var initOnce struct {
	sync.Once
	err error
}

// ErrNoDisplay says there is no display to open a window on.
var ErrNoDisplay = errors.New("no display")

// Open creates the window and makes its context current on the calling
// thread, which must be locked to its OS thread. Asked for OpenGL ES, it
// takes 3.1 (compute shaders) where the platform offers it and 3.0 where
// it refuses 3.1 as a version it lacks (ANGLE on Direct3D 10-class
// hardware, for one); see plan.
func Open(o Options) (_ *Window, err error) {
	var w *glfw.Window
	// go-gl/glfw only logs GLFW's platform errors, and panics on the ones
	// it takes for programmer errors, such as calls after an init that the
	// platform refused. Both come from the machine, not from this code, so
	// both end as errors here.
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*glfw.Error)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("%w: GLFW: %v (and any platform error logged before it)", ErrNoDisplay, e)
		}
		if err != nil && w != nil {
			destroy(w)
		}
	}()
	initOnce.Do(func() {
		if err := glfw.Init(); err != nil {
			initOnce.err = fmt.Errorf("%w: %v", ErrNoDisplay, err)
		} else if !initialized() {
			initOnce.err = fmt.Errorf("%w: GLFW did not start: the platform refused it (its error is logged above)", ErrNoDisplay)
		}
	})
	if initOnce.err != nil {
		return nil, initOnce.err
	}
	api := o.API.Resolve()
	tries := plan(o.API)
	var errs []error
	for i, a := range tries {
		if w, err = create(o, a); err == nil {
			api = a
			break
		}
		errs = append(errs, err)
		var ge *glfw.Error
		versionRefused := errors.Is(err, errNoWindow) || errors.As(err, &ge) && ge.Code == glfw.VersionUnavailable
		if i+1 < len(tries) && !retry(tries[i+1], versionRefused) {
			break // the next would fail the same way
		}
	}
	if w == nil {
		return nil, fmt.Errorf("%w%s", errors.Join(errs...), contextHelp)
	}
	w.MakeContextCurrent()
	if glfw.GetCurrentContext() == nil {
		return nil, fmt.Errorf("make the %s context current: the platform refused (its error is logged above)", api.Dialect())
	}
	if o.VSync {
		glfw.SwapInterval(1)
	} else {
		glfw.SwapInterval(0)
	}
	info, err := gles.Init(api.Dialect(), glfw.GetProcAddress)
	if err != nil {
		return nil, err
	}
	return &Window{W: w, Info: info}, nil
}

// plan is the contexts to try, in order, for what was asked. ES 3.1 falls
// back to 3.0; left to choose (--gl auto), Linux falls back to OpenGL 4.1
// core last, for drivers whose EGL makes no ES context at all. Windows has
// only ES (ANGLE) and macOS only 4.1 core.
func plan(asked API) []API {
	switch api := asked.Resolve(); {
	case api != ES31:
		return []API{api}
	case asked == Default && defaultAPI == ES31 && coreFallback:
		return []API{ES31, ES30, Core41}
	default:
		return []API{ES31, ES30}
	}
}

// retry says whether, the try before having failed, to is worth one: ES
// 3.0 only when 3.1 was refused as a version (a failure of ES itself would
// repeat), desktop OpenGL after any failure of ES.
func retry(to API, versionRefused bool) bool {
	if to == Core41 {
		return true
	}
	return versionRefused
}

// create makes a window whose context speaks api.
func create(o Options, api API) (*glfw.Window, error) {
	glfw.DefaultWindowHints()
	if err := contextHints(api); err != nil {
		return nil, err
	}
	if api == Core41 {
		glfw.WindowHint(glfw.ClientAPI, glfw.OpenGLAPI)
		glfw.WindowHint(glfw.ContextVersionMajor, 4)
		glfw.WindowHint(glfw.ContextVersionMinor, 1)
		glfw.WindowHint(glfw.OpenGLProfile, glfw.OpenGLCoreProfile)
		glfw.WindowHint(glfw.OpenGLForwardCompatible, glfw.True)
	} else {
		minor := 1
		if api == ES30 {
			minor = 0
		}
		glfw.WindowHint(glfw.ClientAPI, glfw.OpenGLESAPI)
		glfw.WindowHint(glfw.ContextVersionMajor, 3)
		glfw.WindowHint(glfw.ContextVersionMinor, minor)
	}
	glfw.WindowHint(glfw.SRGBCapable, glfw.True) // Gio assumes an sRGB back buffer
	glfw.WindowHint(glfw.DepthBits, 24)
	glfw.WindowHint(glfw.Samples, o.Samples)
	glfw.WindowHint(glfw.ScaleToMonitor, glfw.True)
	if o.Hidden {
		glfw.WindowHint(glfw.Visible, glfw.False)
	}
	w, err := glfw.CreateWindow(o.Width, o.Height, o.Title, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("create an %s window: %w", api.Dialect(), err)
	}
	if w == nil {
		// A platform error, which go-gl/glfw logs and does not return.
		return nil, fmt.Errorf("create an %s window: %w (its error is logged above)", api.Dialect(), errNoWindow)
	}
	return w, nil
}

// errNoWindow is a window the platform did not make, for a reason that
// go-gl/glfw logged instead of returning.
var errNoWindow = errors.New("the platform made none")

// destroy closes a window that is being given up on, without letting a
// second GLFW panic escape Open.
func destroy(w *glfw.Window) {
	defer func() { _ = recover() }()
	w.Destroy()
}

// initialized reports whether glfw.Init worked, which it does not say
// when the platform refused: any call then panics.
func initialized() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	glfw.GetPrimaryMonitor()
	return true
}

// FramebufferSize is the drawable size in pixels (HiDPI aware).
func (w *Window) FramebufferSize() (int, int) { return w.W.GetFramebufferSize() }

// Scale is the content scale: pixels per device-independent unit.
func (w *Window) Scale() float32 {
	x, _ := w.W.GetContentScale()
	if x <= 0 {
		return 1
	}
	return x
}

// Close destroys the window.
func (w *Window) Close() { w.W.Destroy() }

// Terminate ends GLFW; after it no window can be opened.
func Terminate() { glfw.Terminate() }
