#!/usr/bin/env bash
# Lays out OUT/VisionFlow.AppDir, the tree an AppImage is made from: AppRun,
# the desktop entry and icon at its top (where appimagetool and desktop
# integrations look), .DirIcon, and usr/ as the .deb installs it.
# Usage: packaging/linux/mkappdir.sh BINARY ICONDIR OUTDIR
set -euo pipefail
bin=$1 icons=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
dir=$out/VisionFlow.AppDir
rm -rf "$dir"
install -Dm755 "$here/AppRun" "$dir/AppRun"
install -Dm755 "$bin" "$dir/usr/bin/visionflow"
install -Dm644 "$here/visionflow.desktop" "$dir/usr/share/applications/visionflow.desktop"
install -Dm644 "$here/visionflow.svg" "$dir/usr/share/icons/hicolor/scalable/apps/visionflow.svg"
install -Dm644 "$icons/visionflow-256.png" "$dir/usr/share/icons/hicolor/256x256/apps/visionflow.png"
ln -s usr/share/applications/visionflow.desktop "$dir/visionflow.desktop"
ln -s usr/share/icons/hicolor/256x256/apps/visionflow.png "$dir/visionflow.png"
ln -s visionflow.png "$dir/.DirIcon"
# The AppDir must run as it is.
out=$("$dir/AppRun" version) || { echo "mkappdir: $dir/AppRun version failed: $out" >&2; exit 1; }
echo "$dir ($out)"
