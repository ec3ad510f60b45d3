package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func pngOf(t *testing.T, size int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := range size {
		img.Set(i, i, color.NRGBA{0, 0xe5, 0xff, 0xff})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func iconSet(t *testing.T) map[int][]byte {
	icons := map[int][]byte{}
	for _, size := range iconTypes {
		icons[size] = pngOf(t, size)
	}
	return icons
}

func TestICNSLayout(t *testing.T) {
	var entries []icnsEntry
	for _, typ := range iconOrder {
		entries = append(entries, icnsEntry{typ, pngOf(t, iconTypes[typ])})
	}
	var b bytes.Buffer
	if err := writeICNS(&b, entries); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	// Walked by hand rather than with readICNS, so that a mistake shared
	// by writer and reader cannot hide.
	if string(data[:4]) != "icns" || binary.BigEndian.Uint32(data[4:8]) != uint32(len(data)) {
		t.Fatalf("header % x, file %d bytes", data[:8], len(data))
	}
	off := 8
	for i, e := range entries {
		typ, n := string(data[off:off+4]), int(binary.BigEndian.Uint32(data[off+4:off+8]))
		if typ != e.Type || n != 8+len(e.Data) || !bytes.Equal(data[off+8:off+n], e.Data) {
			t.Fatalf("entry %d: %q of %d bytes, want %q of %d", i, typ, n, e.Type, 8+len(e.Data))
		}
		off += n
	}
	if off != len(data) {
		t.Fatalf("entries end at %d of %d bytes", off, len(data))
	}
	got, err := readICNS(data)
	if err != nil || len(got) != len(entries) {
		t.Fatalf("read back: %d entries, %v", len(got), err)
	}
}

func TestICNSRejects(t *testing.T) {
	good := func() []byte {
		var b bytes.Buffer
		if err := writeICNS(&b, []icnsEntry{{"ic07", pngOf(t, 128)}, {"icp4", pngOf(t, 16)}}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for name, tc := range map[string]struct {
		mangle func([]byte) []byte
		want   string
	}{
		"magic":        {func(d []byte) []byte { copy(d, "icnz"); return d }, "no icns header"},
		"total length": {func(d []byte) []byte { binary.BigEndian.PutUint32(d[4:], 9); return d }, "header says 9"},
		"truncated":    {func(d []byte) []byte { d = d[:len(d)-3]; binary.BigEndian.PutUint32(d[4:], uint32(len(d))); return d }, "are left"},
		"entry length": {func(d []byte) []byte { binary.BigEndian.PutUint32(d[12:], 4); return d }, "says 4 bytes"},
		"type":         {func(d []byte) []byte { copy(d[8:], "it32"); return d }, `"it32" is not`},
		"size":         {func(d []byte) []byte { copy(d[8:], "ic08"); return d }, "is 128x128, its type is 256x256"},
		"not png":      {func(d []byte) []byte { d[17] = 'X'; return d }, "not a PNG"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := readICNS(tc.mangle(good())); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	if err := writeICNS(&bytes.Buffer{}, []icnsEntry{{"ic09", pngOf(t, 256)}}); err == nil {
		t.Fatal("a 256-pixel PNG written as ic09 (512)")
	}
}

func TestPlist(t *testing.T) {
	var b bytes.Buffer
	in := []plistEntry{{"Name", `A <b> & "c"`}, {"Yes", true}, {"No", false}}
	if err := writePlist(&b, in); err != nil {
		t.Fatal(err)
	}
	got, err := parsePlist(b.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.Bytes())
	}
	if got["Name"] != `A <b> & "c"` || got["Yes"] != true || got["No"] != false || len(got) != 3 {
		t.Fatalf("read back %v from\n%s", got, b.Bytes())
	}
	if err := writePlist(&b, []plistEntry{{"N", 3}}); err == nil {
		t.Fatal("an int written")
	}
	for name, doc := range map[string]string{
		"root":        `<dict><key>a</key><string>b</string></dict>`,
		"no value":    `<plist><dict><key>a</key></dict></plist>`,
		"two keys":    `<plist><dict><key>a</key><key>b</key><true/></dict></plist>`,
		"twice":       `<plist><dict><key>a</key><true/><key>a</key><false/></dict></plist>`,
		"no key":      `<plist><dict><string>b</string></dict></plist>`,
		"unknown":     `<plist><dict><key>a</key><bool>1</bool></dict></plist>`,
		"unclosed":    `<plist><dict><key>a</key><string>b</string>`,
		"top not map": `<plist><array/></plist>`,
	} {
		if _, err := parsePlist([]byte(doc)); err == nil {
			t.Errorf("%s: %s parsed", name, doc)
		}
	}
	nested := `<plist version="1.0"><dict><key>A</key><array><string>x</string></array><key>B</key><integer> 7 </integer></dict></plist>`
	if got, err := parsePlist([]byte(nested)); err != nil || got["B"] != "7" {
		t.Fatalf("nested: %v %v", got, err)
	}
}

func writeBundle(t *testing.T, bin string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "VisionFlow.app")
	b := bundle{ID: "org.visionflow.VisionFlow", Version: "v1.2.3-4-gabc", ShortVersion: "1.2.3", MinOS: minOS, Binary: bin, Icons: iconSet(t)}
	if err := b.write(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPlaceholderBundle(t *testing.T) {
	dir := writeBundle(t, "")
	var files []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, fmt.Sprintf("%s %v", filepath.ToSlash(rel), info.Mode().Perm()))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Contents/Info.plist -rw-r--r--",
		"Contents/MacOS/visionflow -rwxr-xr-x",
		"Contents/PkgInfo -rw-r--r--",
		"Contents/Resources/visionflow.icns -rw-r--r--",
	}
	if !slices.Equal(files, want) {
		t.Fatalf("bundle holds\n%s\nwant\n%s", strings.Join(files, "\n"), strings.Join(want, "\n"))
	}
	c, err := verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Placeholder || len(c.Icons) != len(iconOrder) {
		t.Fatalf("checked %+v", c)
	}
	for k, v := range map[string]any{
		"CFBundleIdentifier": "org.visionflow.VisionFlow", "CFBundleName": "VisionFlow", "CFBundleExecutable": "visionflow",
		"CFBundleIconFile": "visionflow.icns", "CFBundleShortVersionString": "1.2.3", "VisionFlowBuild": "v1.2.3-4-gabc",
		"LSMinimumSystemVersion": minOS, "NSHighResolutionCapable": true, "LSApplicationCategoryType": "public.app-category.productivity",
	} {
		if c.Plist[k] != v {
			t.Errorf("%s = %v, want %v", k, c.Plist[k], v)
		}
	}
}

// macho64 is the smallest Mach-O executable header debug/macho reads: an
// arm64 program with no load commands.
func macho64(t *testing.T) string {
	var b bytes.Buffer
	for _, v := range []uint32{0xfeedfacf, 0x0100000c, 0, 2 /* MH_EXECUTE */, 0, 0, 0, 0} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	p := filepath.Join(t.TempDir(), "visionflow")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMachOBundle(t *testing.T) {
	c, err := verify(writeBundle(t, macho64(t)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Placeholder || !slices.Equal(c.Archs, []string{"CpuArm64"}) {
		t.Fatalf("checked %+v", c)
	}
	// The test binary itself is no macOS program (on Linux and Windows).
	exe, _ := os.Executable()
	b := bundle{ID: "a.b", ShortVersion: "1", MinOS: minOS, Binary: exe, Icons: iconSet(t)}
	if err := b.write(filepath.Join(t.TempDir(), "X.app")); err == nil || !strings.Contains(err.Error(), "not a macOS program") {
		t.Fatalf("a non-Mach-O binary taken: %v", err)
	}
}

func TestVerifyFinds(t *testing.T) {
	for name, tc := range map[string]struct {
		break_ func(dir string) error
		want   string
	}{
		"not executable": {func(d string) error { return os.Chmod(filepath.Join(d, "Contents/MacOS/visionflow"), 0o644) }, "want an executable"},
		"no icon":        {func(d string) error { return os.Remove(filepath.Join(d, "Contents/Resources/visionflow.icns")) }, "CFBundleIconFile"},
		"pkginfo":        {put("Contents/PkgInfo", "APPLxxxx", 0o644), "PkgInfo"},
		"not a program":  {put("Contents/MacOS/visionflow", "#!/bin/sh\n", 0o755), "not a Mach-O"},
		"missing key":    {editPlist("<key>CFBundleIdentifier</key>", "<key>Other</key>"), "no CFBundleIdentifier"},
		"version":        {editPlist("<string>1.2.3</string>", "<string>1.2.3-dev</string>"), "not numeric"},
		"hidpi":          {editPlist("<key>NSHighResolutionCapable</key>\n\t<true/>", "<key>NSHighResolutionCapable</key>\n\t<false/>"), "NSHighResolutionCapable"},
		"category":       {editPlist("public.app-category.productivity", "Office"), "public.app-category"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeBundle(t, "")
			if err := tc.break_(dir); err != nil {
				t.Fatal(err)
			}
			if _, err := verify(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// put replaces the bundle's file rel.
func put(rel, data string, mode os.FileMode) func(string) error {
	return func(dir string) error { return os.WriteFile(filepath.Join(dir, rel), []byte(data), mode) }
}

// editPlist replaces old, which must be there, with new in Info.plist.
func editPlist(old, new string) func(string) error {
	return func(dir string) error {
		p := filepath.Join(dir, "Contents/Info.plist")
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Contains(data, []byte(old)) {
			return fmt.Errorf("no %q in\n%s", old, data)
		}
		return os.WriteFile(p, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644)
	}
}

func TestCommand(t *testing.T) {
	icons := t.TempDir()
	for size, data := range iconSet(t) {
		if err := os.WriteFile(filepath.Join(icons, fmt.Sprintf("visionflow-%d.png", size)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "VisionFlow.app")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-out", out, "-icons", icons, "-version", "dev", "-short", "0.1.0"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "NO MACOS PROGRAM") || !strings.Contains(stdout.String(), "bundle checked") {
		t.Fatalf("a placeholder bundle not said loudly:\n%s%s", stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"-check", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("check: exit %d: %s", code, stderr.String())
	}
	if code := run([]string{"-out", out}, &stdout, &stderr); code != 2 {
		t.Fatalf("no -icons: exit %d", code)
	}
}
