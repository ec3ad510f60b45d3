#!/bin/sh
# Installs VisionFlow from this folder: into ~/.local, or /usr/local as root.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" = 0 ]; then prefix=/usr/local; else prefix="$HOME/.local"; fi
install -Dm755 "$here/visionflow" "$prefix/bin/visionflow"
install -Dm644 "$here/visionflow.desktop" "$prefix/share/applications/visionflow.desktop"
install -Dm644 "$here/visionflow.svg" "$prefix/share/icons/hicolor/scalable/apps/visionflow.svg"
echo "installed $prefix/bin/visionflow"
