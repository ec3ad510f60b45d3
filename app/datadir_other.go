//go:build !linux && !darwin && !windows

package app

import (
	"os"
	"path/filepath"
)

// dataDir is where VisionFlow keeps its database by default.
func dataDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "visionflow"), nil
}
