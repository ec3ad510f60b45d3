package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/windows"

	"visionflow/app"
)

// detached is set by outputs when the process has no console to write to:
// it was started from Explorer, a shortcut or the Start menu (the release
// build is a GUI-subsystem program, so Windows opens no console for it).
// Then a log file is the only trace, and a reason for a missing window is
// also shown in a dialog, since nobody reads the file unprompted.
var detached bool

// dialogShown is set once a dialog has explained a failure.
var dialogShown bool

// maxLog is the size past which a start moves the log aside (one old copy
// kept) rather than appending: every double-click appends a session.
const maxLog = 8 << 20

// noDialogEnv, set to anything, keeps dialogs from showing (their text
// goes to the log instead): a process started without a console and
// without a person at the screen (the Wine check in CI) would otherwise
// wait for ever on a button nobody presses.
const noDialogEnv = "VISIONFLOW_NO_DIALOG"

// outputs finds where to write. A GUI-subsystem program gets standard
// handles only when its starter passes them (a redirect, a pipe from an
// MCP client): those are used as they are. Started from a console
// program without a redirect, it gets none, and shares its parent's
// console instead, so that `visionflow version` or `token create` prints
// where it was typed. With neither, output goes to
// %LocalAppData%\VisionFlow\visionflow.log, crashes included, and done
// shows a failure in a dialog.
func outputs() (stdout, stderr io.Writer, done func(code int)) {
	stdout, stderr, done = os.Stdout, os.Stderr, func(int) {}
	outOK, errOK := usable(windows.STD_OUTPUT_HANDLE), usable(windows.STD_ERROR_HANDLE)
	if outOK && errOK {
		return stdout, stderr, done
	}
	var fallback io.Writer
	if attachParentConsole() {
		if con, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			fallback = con
		}
	}
	var log *os.File
	if fallback == nil {
		detached = !errOK
		var err error
		if log, err = openLog(); err != nil {
			fallback = io.Discard
		} else {
			fallback = log
			if detached {
				// Without it a panic's trace would go to the missing stderr.
				_ = debug.SetCrashOutput(log, debug.CrashOptions{})
			}
		}
	}
	if !outOK {
		stdout = fallback
	}
	if !errOK {
		stderr = fallback
	}
	if !detached {
		return stdout, stderr, done
	}
	last := &lastError{w: stderr}
	return stdout, last, func(code int) {
		if code != 0 && last.line != "" && !dialogShown {
			explainExit(last.line, log)
		}
		if log != nil {
			log.Close()
		}
	}
}

// lastError remembers the error app.Main ends with ("visionflow: ...",
// written whole), for the dialog of a detached process that fails.
type lastError struct {
	w    io.Writer
	line string
}

func (l *lastError) Write(p []byte) (int, error) {
	if s := string(p); strings.HasPrefix(s, "visionflow: ") {
		l.line = strings.TrimSpace(strings.TrimPrefix(s, "visionflow: "))
	}
	return l.w.Write(p)
}

// explainExit shows why a detached process stops (a second start on a
// database another holds, a shortcut with a wrong flag): otherwise a
// double-click would seem to do nothing at all.
func explainExit(reason string, log *os.File) {
	text := fmt.Sprintf("VisionFlow stopped: %s\n\nThe log is %s.", reason, logPath())
	if os.Getenv(noDialogEnv) != "" {
		if log != nil {
			fmt.Fprintf(log, "dialog not shown (%s is set): %q\n", noDialogEnv, text)
		}
		return
	}
	messageBox(text, windows.MB_OK|windows.MB_ICONERROR)
}

// usable says whether a standard handle leads anywhere: a GUI-subsystem
// program started without one has a null handle, writes to which fail.
func usable(std uint32) bool {
	h, err := windows.GetStdHandle(std)
	if err != nil || h == 0 || h == windows.InvalidHandle {
		return false
	}
	t, _ := windows.GetFileType(h)
	return t != windows.FILE_TYPE_UNKNOWN
}

var attachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")

// attachParentConsole joins the console of the process that started this
// one, where there is one.
func attachParentConsole() bool {
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS, (DWORD)-1
	if attachConsole.Find() != nil {
		return false
	}
	ok, _, _ := attachConsole.Call(attachParentProcess)
	return ok != 0
}

// logPath is where a detached process writes: beside the default
// database, where a user looking for VisionFlow's files finds it.
func logPath() string {
	dir := os.Getenv("LocalAppData")
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "VisionFlow", "visionflow.log")
}

func openLog() (*os.File, error) {
	path := logPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if st, err := os.Stat(path); err == nil && st.Size() > maxLog {
		_ = os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	// Starts append to one file: a line marks where each begins.
	fmt.Fprintf(f, "\n=== visionflow %s started %s (pid %d): %s\n",
		app.Version, time.Now().Format(time.RFC3339), os.Getpid(), strings.Join(os.Args, " "))
	return f, nil
}

// angleDLLs are what the window needs beside the executable: GLFW makes
// its context through ANGLE's EGL, and Gio draws through ANGLE's GLES.
// d3dcompiler_47.dll is part of Windows 10 and later; older systems need
// it shipped too.
var angleDLLs = []string{"libEGL.dll", "libGLESv2.dll", "d3dcompiler_47.dll"}

// missingDLLs are those of names that the loader cannot find where it
// would look for them (beside the executable, then the system's folders
// and %PATH%). They are mapped as data, so none of their code runs.
func missingDLLs(names []string) []string {
	var missing []string
	for _, n := range names {
		h, err := windows.LoadLibraryEx(n, 0, windows.LOAD_LIBRARY_AS_DATAFILE)
		if err != nil {
			missing = append(missing, n)
			continue
		}
		_ = windows.FreeLibrary(h)
	}
	return missing
}

// explainNoWindow shows why the window did not open, in a dialog, to a
// person who started VisionFlow from Explorer: with no console the log
// line alone would leave a double-click doing nothing visible while a
// server runs in the background. They may keep that server or quit; a
// start that is nothing without a window (--join, --screenshot) just
// ends. With a console the log says it all.
func explainNoWindow(err error, cfg app.Config, log *slog.Logger) error {
	if !detached {
		return err
	}
	text := noWindowText(err, missingDLLs(angleDLLs), exeDir(), logPath())
	style := uint32(windows.MB_OK | windows.MB_ICONERROR)
	if cfg.Join == "" && cfg.Screenshot == "" {
		text += fmt.Sprintf("\n\nVisionFlow can go on without a window, as a server on http://%s for browsers, scripts and agents "+
			"(end it in Task Manager). Keep it running?", cfg.Addr)
		style = windows.MB_YESNO | windows.MB_ICONWARNING
	}
	dialogShown = true // one dialog per start is enough
	if os.Getenv(noDialogEnv) != "" {
		log.Info("dialog not shown ("+noDialogEnv+" is set)", "text", text)
		return err
	}
	if messageBox(text, style) == idNo {
		return fmt.Errorf("%v; quit from the dialog", err)
	}
	return err
}

const idNo = 7 // IDNO, MessageBoxW's answer for the No button

// noWindowText names the missing DLLs and the folder they belong in when
// that is the reason, else gives the error as it is.
func noWindowText(err error, missing []string, dir, log string) string {
	var b strings.Builder
	if len(missing) > 0 {
		fmt.Fprintf(&b, "VisionFlow cannot open its window: %s not found.\n\n", strings.Join(missing, ", "))
		fmt.Fprintf(&b, "The window draws through ANGLE (OpenGL ES on Direct3D). Put ANGLE's libEGL.dll and libGLESv2.dll "+
			"(and, before Windows 10, d3dcompiler_47.dll) in the folder of visionflow.exe,\n\n    %s\n\n"+
			"then start it again. README-Windows.txt, in the zip VisionFlow came in, says where to get them.", dir)
	} else {
		fmt.Fprintf(&b, "VisionFlow cannot open its window:\n\n%s", strings.TrimPrefix(err.Error(), app.ErrNoWindow.Error()+": "))
	}
	fmt.Fprintf(&b, "\n\nThe log is %s.", log)
	return b.String()
}

func exeDir() string {
	exe, err := os.Executable()
	if err != nil {
		return "the folder of visionflow.exe"
	}
	return filepath.Dir(exe)
}

// messageBox shows a modal dialog and returns the button pressed (0 when
// it could not be shown).
func messageBox(text string, style uint32) int32 {
	t, err := syscall.UTF16PtrFromString(text)
	if err != nil {
		return 0
	}
	c, _ := syscall.UTF16PtrFromString("VisionFlow")
	r, _ := windows.MessageBox(0, t, c, style|windows.MB_SETFOREGROUND)
	return r
}
