package app

import (
	"errors"
	"os"
	"path/filepath"
)

// dataDir is where VisionFlow keeps its database by default.
func dataDir() (string, error) {
	d := os.Getenv("LocalAppData")
	if d == "" {
		return "", errors.New("%LocalAppData% is not set")
	}
	return filepath.Join(d, "VisionFlow"), nil
}
