// Package overlay is the desktop app's Gio interface drawn over the 3D
// view: a stats bar, the settings panel (built from the settings schema:
// sliders, switches, choices, colour swatches), node search, the graph
// picker, Logseq import with progress, the node inspector, and node labels.
// It knows nothing of sessions or servers: it is given Data each frame and
// returns the Actions the user took.
package overlay
