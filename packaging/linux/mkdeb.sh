#!/usr/bin/env bash
# Builds the Debian package OUT/visionflow_DEBVERSION_ARCH.deb from a
# release binary and the icon renderings (`make deb` gives both).
# Usage: packaging/linux/mkdeb.sh BINARY DEBVERSION ICONDIR OUTDIR
# DEB_MAINTAINER overrides the Maintainer field (the repository names no
# maintainer yet, so the default is a placeholder); GO names the go
# command when it is not on $PATH.
set -euo pipefail
bin=$1 version=$2 icons=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
arch=$(dpkg --print-architecture)
maintainer=${DEB_MAINTAINER:-VisionFlow <noreply@visionflow.invalid>}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root

install -Dm755 "$bin" "$root/usr/bin/visionflow"
install -Dm644 "$here/visionflow.desktop" "$root/usr/share/applications/visionflow.desktop"
install -Dm644 "$here/visionflow.svg" "$root/usr/share/icons/hicolor/scalable/apps/visionflow.svg"
# Bitmaps too: some menus and docks draw only PNGs.
for n in 16 32 48 64 128 256; do
	install -Dm644 "$icons/visionflow-$n.png" "$root/usr/share/icons/hicolor/${n}x$n/apps/visionflow.png"
done
install -d "$root/usr/share/man/man1" "$root/usr/share/doc/visionflow"
gzip -9n <"$here/visionflow.1" >"$root/usr/share/man/man1/visionflow.1.gz"
gzip -9n <"$repo/README.md" >"$root/usr/share/doc/visionflow/README.md.gz"
doc=$root/usr/share/doc/visionflow
# The notice's years are those of the repository's history.
years=$(git -C "$repo" log --format=%ad --date=format:%Y 2>/dev/null | sort -u | awk 'NR == 1 { f = $0 } END { print (f == $0 ? f : f "-" $0) }') || true
{
	sed "s/^Copyright: The VisionFlow authors/Copyright: ${years:-$(date +%Y)} The VisionFlow authors/" "$here/deb/copyright"
	echo
	echo "Files: usr/bin/visionflow"
	echo "Copyright: The authors of each Go module below"
	echo "License: various"
	echo " The binary links these Go modules (go version -m), each under the"
	echo " licence in its own source:"
	"${GO:-go}" version -m "$bin" | awk '$1 == "dep" { printf " %s %s\n", $2, $3 }'
} >"$doc/copyright"
chmod 644 "$doc/copyright"
{
	echo "visionflow ($version) unstable; urgency=medium"
	echo
	echo "  * Built by make deb from VisionFlow $("$bin" version | awk '{print $2}')."
	echo
	echo " -- $maintainer  $(date -R -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")"
} | gzip -9n >"$doc/changelog.gz" # a native package: upstream and Debian are one

# Depends: the shared libraries the binary links, found by dpkg-shlibdeps
# in the packages that hold them, with the lowest versions their symbols
# files allow. It insists on a debian/control beside it; an empty one
# does.
mkdir "$work/debian"
: >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O -eroot/usr/bin/visionflow 2>"$work/shlibdeps.err") ||
	{ cat "$work/shlibdeps.err" >&2; exit 1; }
depends=${depends#shlibs:Depends=}
[ -n "$depends" ] || { echo "mkdeb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
# dpkg-shlibdeps sees only what the binary links. GLFW and Gio open the
# rest with dlopen: EGL and OpenGL ES, which the window cannot do without
# (without them it runs headless and says why), and X extensions GLFW
# uses when they are there (cursor themes, monitors, raw mouse input).
depends="$depends, libegl1, libgles2"
recommends="libx11-xcb1, libxcursor1, libxi6, libxinerama1, libxrandr2, libxxf86vm1"

install -d -m755 "$root/DEBIAN"
install -m755 "$here/deb/postinst" "$here/deb/postrm" "$root/DEBIAN/"
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
cat >"$root/DEBIAN/control" <<EOF
Package: visionflow
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --apparent-size "$root/usr" | cut -f1)
Depends: $depends
Recommends: $recommends
Section: science
Priority: optional
Description: see and work with large knowledge graphs in 3D
 VisionFlow lays large knowledge graphs, and the swarms of AI agents
 working on them, out live in 3D with force-directed physics. It keeps
 everything in one SQLite file, records every change as an event that can
 be replayed, and serves the session over REST, a WebSocket stream and
 MCP to scripts, browsers, AI agents and other VisionFlow instances.
 .
 Without a display or a usable OpenGL context it runs as a headless
 server.
EOF

mkdir -p "$out"
deb=$out/visionflow_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
