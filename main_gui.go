//go:build !nogui

package main

import "visionflow/desktop"

var window = desktop.Run
