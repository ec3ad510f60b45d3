// Command visionflow shows and serves large knowledge graphs and AI-agent
// swarms in 3D. See README.md.
package main

import (
	"os"
	"runtime"

	"visionflow/app"
)

// The desktop window must live on the main OS thread (macOS insists, and
// GLFW's event handling expects it everywhere): main runs there.
func init() { runtime.LockOSThread() }

func main() {
	stdout, stderr, done := outputs()
	code := app.Main(os.Args[1:], stdout, stderr, window)
	done(code)
	os.Exit(code)
}
