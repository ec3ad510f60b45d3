// Command visionflow shows and serves large knowledge graphs and AI-agent
// swarms in 3D. See README.md.
package main

import (
	"os"

	"visionflow/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr))
}
