// Command macos writes VisionFlow.app, the macOS application bundle, and
// checks one. It runs anywhere: the bundle is files, an XML property list
// and an ICNS icon made of PNGs. Only the executable has to come from a
// Mac (cgo for macOS needs Apple's SDK); without one the bundle gets a
// placeholder that says so, and so does this command, loudly.
//
//	go run ./packaging/macos -out dist/VisionFlow.app -icons dist/icons -version V -short 1.2.3 [-bin visionflow]
//	go run ./packaging/macos -check dist/VisionFlow.app
//
// -icons is a folder of visionflow-N.png, N the size in pixels (16 to
// 1024), as `make icons` renders them from the SVG.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("macos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "the bundle to write (a path ending in .app)")
	check := fs.String("check", "", "check this bundle instead of writing one")
	bin := fs.String("bin", "", "a macOS build of visionflow (Mach-O); none writes a placeholder")
	icons := fs.String("icons", "", "folder of visionflow-N.png icon renderings")
	version := fs.String("version", "", "the build's version (git describe)")
	short := fs.String("short", "", "the numeric version, 1.2.3")
	id := fs.String("id", "org.visionflow.VisionFlow", "CFBundleIdentifier")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir := *check
	if dir == "" {
		if *out == "" || *icons == "" || *short == "" {
			fmt.Fprintln(stderr, "macos: -out, -icons and -short are needed (or -check)")
			return 2
		}
		b := bundle{ID: *id, Version: *version, ShortVersion: *short, MinOS: minOS, Binary: *bin}
		var err error
		if b.Icons, err = readIcons(*icons); err == nil {
			err = b.write(*out)
		}
		if err != nil {
			fmt.Fprintln(stderr, "macos:", err)
			return 1
		}
		dir = *out
	}
	c, err := verify(dir)
	if err != nil {
		fmt.Fprintf(stderr, "macos: %s: %v\n", dir, err)
		return 1
	}
	if c.Placeholder {
		bar := strings.Repeat("!", 72)
		fmt.Fprintf(stderr, "%s\n%s: NO MACOS PROGRAM IN IT: its executable is a placeholder that only\n"+
			"says it must be built on a Mac. Build visionflow on a Mac (go build -o visionflow .), then\nmake macos-app BIN_DARWIN=./visionflow\n%s\n",
			bar, dir, bar)
	}
	what := "placeholder executable"
	if !c.Placeholder {
		what = "Mach-O " + strings.Join(c.Archs, "+")
	}
	fmt.Fprintf(stdout, "macos: %s: bundle checked (%s %s, %s, icons %s)\n",
		dir, c.Plist["CFBundleIdentifier"], c.Plist["CFBundleShortVersionString"], what, strings.Join(c.Icons, " "))
	return 0
}

// readIcons reads the renderings in dir that the ICNS types need.
func readIcons(dir string) (map[int][]byte, error) {
	icons := map[int][]byte{}
	for _, size := range iconTypes {
		if _, ok := icons[size]; ok {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("visionflow-%d.png", size)))
		if err != nil {
			return nil, err
		}
		icons[size] = data
	}
	return icons, nil
}
