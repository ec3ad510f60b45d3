package app

import (
	"os"
	"path/filepath"
)

// dataDir is where VisionFlow keeps its database by default, following the
// XDG base directory convention.
func dataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "visionflow"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share", "visionflow"), nil
}
