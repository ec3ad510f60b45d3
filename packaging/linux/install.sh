#!/bin/sh
# Installs VisionFlow from this folder: into ~/.local, or /usr/local as
# root, or $PREFIX. With --uninstall, removes what it installed; the
# database and settings (~/.local/share/visionflow) stay, since they are
# the user's.
# Usage: [PREFIX=DIR] ./install.sh [--uninstall]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${PREFIX:-}" ]; then prefix=$PREFIX; elif [ "$(id -u)" = 0 ]; then prefix=/usr/local; else prefix="$HOME/.local"; fi
files="bin/visionflow share/applications/visionflow.desktop share/icons/hicolor/scalable/apps/visionflow.svg"

# Menus and launchers read caches of these folders; where the tools that
# refresh them are missing, the desktop rescans on its own, later.
refresh() {
	if command -v update-desktop-database >/dev/null 2>&1; then
		update-desktop-database -q "$prefix/share/applications" 2>/dev/null || true
	fi
	if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$prefix/share/icons/hicolor/index.theme" ]; then
		gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" 2>/dev/null || true
	fi
}

case ${1:-} in
--uninstall)
	for f in $files; do
		if [ -e "$prefix/$f" ]; then
			rm -f "$prefix/$f"
			echo "removed $prefix/$f"
		fi
	done
	refresh
	echo "uninstalled VisionFlow from $prefix (graphs and settings in each user's ~/.local/share/visionflow are kept)"
	;;
"")
	install -Dm755 "$here/visionflow" "$prefix/bin/visionflow"
	install -Dm644 "$here/visionflow.desktop" "$prefix/share/applications/visionflow.desktop"
	install -Dm644 "$here/visionflow.svg" "$prefix/share/icons/hicolor/scalable/apps/visionflow.svg"
	refresh
	echo "installed $prefix/bin/visionflow (remove it with $0 --uninstall)"
	;;
*)
	echo "usage: $0 [--uninstall]" >&2
	exit 2
	;;
esac
