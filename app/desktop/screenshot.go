package desktop

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
)

// writePNG writes RGBA pixels (top row first) to a PNG file, through a
// temporary file so a failed write leaves no half image behind.
func writePNG(path string, px []byte, w, h int) error {
	img := &image.NRGBA{Pix: px, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	for i := 3; i < len(px); i += 4 {
		px[i] = 255 // the window's alpha is not part of the picture
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".screenshot-*.png")
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := png.Encode(tmp, img); err != nil {
		tmp.Close()
		return fmt.Errorf("screenshot: encode %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	// CreateTemp makes the file private; a picture is for sharing.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	return nil
}
