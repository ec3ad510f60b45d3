package app

import (
	"os"
	"path/filepath"
)

// dataDir is where VisionFlow keeps its database by default.
func dataDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "Library", "Application Support", "VisionFlow"), nil
}
