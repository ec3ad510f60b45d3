package main

import (
	"bytes"
	"debug/macho"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// bundle describes the VisionFlow.app to write.
type bundle struct {
	ID           string // CFBundleIdentifier
	Version      string // what the build calls itself (git describe)
	ShortVersion string // numeric: CFBundleShortVersionString, CFBundleVersion
	MinOS        string // LSMinimumSystemVersion
	Binary       string // a macOS build of visionflow; "" for the placeholder
	Icons        map[int][]byte
}

const (
	exeName  = "visionflow"
	iconName = "visionflow.icns"
	// minOS is the oldest macOS Go 1.26's runtime supports.
	minOS = "12.0"
	// placeholderMark is in the script written where no macOS binary was
	// given, so that checks can tell it from a real build.
	placeholderMark = "VISIONFLOW-PLACEHOLDER"
)

// placeholder stands in for the executable in a bundle assembled without
// a macOS build: started from Finder it says why it does nothing, rather
// than failing with no word.
const placeholder = `#!/bin/sh
# ` + placeholderMark + `: this bundle was assembled without a macOS build of
# visionflow, which needs cgo with Apple's SDK, so only a Mac can make it.
msg="This VisionFlow.app has no program in it: it was put together on a machine that cannot build for macOS. Build visionflow on a Mac (go build -o visionflow .) and make the bundle again with make macos-app BIN_DARWIN=./visionflow."
echo "$msg" >&2
osascript -e "display alert \"VisionFlow\" message \"$msg\"" >/dev/null 2>&1
exit 1
`

// infoPlist is the bundle's Info.plist.
func (b bundle) infoPlist() []plistEntry {
	return []plistEntry{
		{"CFBundleDevelopmentRegion", "en"},
		{"CFBundleDisplayName", "VisionFlow"},
		{"CFBundleExecutable", exeName},
		{"CFBundleIconFile", iconName},
		{"CFBundleIdentifier", b.ID},
		{"CFBundleInfoDictionaryVersion", "6.0"},
		{"CFBundleName", "VisionFlow"},
		{"CFBundlePackageType", "APPL"},
		{"CFBundleShortVersionString", b.ShortVersion},
		{"CFBundleSignature", "????"},
		{"CFBundleVersion", b.ShortVersion},
		// The build's own name for itself (a tag or a commit), which the
		// numeric fields cannot carry.
		{"VisionFlowBuild", b.Version},
		{"LSApplicationCategoryType", "public.app-category.productivity"},
		{"LSMinimumSystemVersion", b.MinOS},
		// Without it macOS draws the window at half resolution on Retina
		// screens and scales it up.
		{"NSHighResolutionCapable", true},
		// Lets a laptop stay on its integrated GPU: an OpenGL app that
		// says nothing forces the discrete one on.
		{"NSSupportsAutomaticGraphicsSwitching", true},
		{"NSPrincipalClass", "NSApplication"},
	}
}

// write lays the bundle out at dir (a path ending in .app), replacing
// whatever was there.
func (b bundle) write(dir string) error {
	if !strings.HasSuffix(dir, ".app") {
		return fmt.Errorf("%s: a bundle's name ends in .app", dir)
	}
	exe := []byte(placeholder)
	if b.Binary != "" {
		var err error
		if exe, err = os.ReadFile(b.Binary); err != nil {
			return err
		}
		if _, err := machoArchs(exe); err != nil {
			return fmt.Errorf("%s is not a macOS program (%v): build it on a Mac", b.Binary, err)
		}
	}
	var entries []icnsEntry
	for _, t := range iconOrder {
		if png, ok := b.Icons[iconTypes[t]]; ok {
			entries = append(entries, icnsEntry{t, png})
		}
	}
	if len(entries) == 0 {
		return errors.New("no icon images")
	}
	var icns, plist bytes.Buffer
	if err := writeICNS(&icns, entries); err != nil {
		return err
	}
	if err := writePlist(&plist, b.infoPlist()); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	contents := filepath.Join(dir, "Contents")
	for _, f := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{filepath.Join(contents, "Info.plist"), plist.Bytes(), 0o644},
		{filepath.Join(contents, "PkgInfo"), []byte("APPL????"), 0o644},
		{filepath.Join(contents, "MacOS", exeName), exe, 0o755},
		{filepath.Join(contents, "Resources", iconName), icns.Bytes(), 0o644},
	} {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
			return err
		}
		// WriteFile's mode is cut by the umask; the executable bit must
		// not be.
		if err := os.Chmod(f.path, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// checked is what verify found in a bundle.
type checked struct {
	Plist       map[string]any
	Icons       []string // entry types of the .icns
	Placeholder bool     // the executable is the placeholder script
	Archs       []string // else the Mach-O's architectures
}

var (
	numericVersion = regexp.MustCompile(`^[0-9]+(\.[0-9]+){0,2}$`)
	reverseDNS     = regexp.MustCompile(`^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`)
)

// verify checks the bundle at dir as macOS would need it: the layout,
// Info.plist's keys and what they name, PkgInfo, the icon file and the
// executable (a Mach-O, or the placeholder, which it reports).
func verify(dir string) (checked, error) {
	var c checked
	contents := filepath.Join(dir, "Contents")
	data, err := os.ReadFile(filepath.Join(contents, "Info.plist"))
	if err != nil {
		return c, err
	}
	if c.Plist, err = parsePlist(data); err != nil {
		return c, fmt.Errorf("the Info.plist: %v", err)
	}
	str := func(k string) string { s, _ := c.Plist[k].(string); return s }
	for _, k := range []string{"CFBundleIdentifier", "CFBundleName", "CFBundleExecutable", "CFBundleIconFile",
		"CFBundleShortVersionString", "CFBundleVersion", "CFBundlePackageType", "LSMinimumSystemVersion", "LSApplicationCategoryType"} {
		if str(k) == "" {
			return c, fmt.Errorf("the Info.plist: no %s", k)
		}
	}
	if hi, _ := c.Plist["NSHighResolutionCapable"].(bool); !hi {
		return c, errors.New("the Info.plist: NSHighResolutionCapable is not true")
	}
	for _, k := range []string{"CFBundleShortVersionString", "CFBundleVersion"} {
		if !numericVersion.MatchString(str(k)) {
			return c, fmt.Errorf("the Info.plist: %s %q is not numeric (1.2.3)", k, str(k))
		}
	}
	if !reverseDNS.MatchString(str("CFBundleIdentifier")) {
		return c, fmt.Errorf("the Info.plist: CFBundleIdentifier %q is not reverse-DNS", str("CFBundleIdentifier"))
	}
	if !strings.HasPrefix(str("LSApplicationCategoryType"), "public.app-category.") {
		return c, fmt.Errorf("the Info.plist: LSApplicationCategoryType %q is not a public.app-category", str("LSApplicationCategoryType"))
	}
	pkgInfo, err := os.ReadFile(filepath.Join(contents, "PkgInfo"))
	if err != nil {
		return c, err
	}
	sig := str("CFBundleSignature")
	if sig == "" {
		sig = "????"
	}
	if want := str("CFBundlePackageType") + sig; string(pkgInfo) != want {
		return c, fmt.Errorf("PkgInfo is %q, Info.plist says %q", pkgInfo, want)
	}

	icon := str("CFBundleIconFile")
	if filepath.Ext(icon) == "" {
		icon += ".icns" // macOS adds it when the key leaves it out
	}
	data, err = os.ReadFile(filepath.Join(contents, "Resources", icon))
	if err != nil {
		return c, fmt.Errorf("CFBundleIconFile: %v", err)
	}
	entries, err := readICNS(data)
	if err != nil {
		return c, fmt.Errorf("%s: %v", icon, err)
	}
	for _, e := range entries {
		c.Icons = append(c.Icons, e.Type)
	}

	exe := filepath.Join(contents, "MacOS", str("CFBundleExecutable"))
	st, err := os.Stat(exe)
	if err != nil {
		return c, fmt.Errorf("CFBundleExecutable: %v", err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 != 0o111 {
		return c, fmt.Errorf("%s: mode %v, want an executable file", exe, st.Mode())
	}
	data, err = os.ReadFile(exe)
	if err != nil {
		return c, err
	}
	if bytes.HasPrefix(data, []byte("#!")) && bytes.Contains(data, []byte(placeholderMark)) {
		c.Placeholder = true
		return c, nil
	}
	if c.Archs, err = machoArchs(data); err != nil {
		return c, fmt.Errorf("%s: not a Mach-O program: %v", exe, err)
	}
	return c, nil
}

// machoArchs are the architectures of a Mach-O program, thin or
// universal.
func machoArchs(data []byte) ([]string, error) {
	if f, err := macho.NewFatFile(bytes.NewReader(data)); err == nil {
		var archs []string
		for _, a := range f.Arches {
			if a.Type != macho.TypeExec {
				return nil, fmt.Errorf("%s part is a %v, not an executable", a.Cpu, a.Type)
			}
			archs = append(archs, a.Cpu.String())
		}
		return archs, nil
	}
	f, err := macho.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if f.Type != macho.TypeExec {
		return nil, fmt.Errorf("a %v, not an executable", f.Type)
	}
	return []string{f.Cpu.String()}, nil
}
