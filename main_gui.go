//go:build !nogui

package main

import "visionflow/app/desktop"

var window = desktop.Run
