#!/usr/bin/env bash
# Runs the Windows build under Wine, as far as Wine can take it: the binary
# starts, serves the API from a database in %LocalAppData%, and, asked for a
# window it cannot make, says why and runs headless.
# Usage: packaging/windows/wine-check.sh visionflow.exe
set -euo pipefail
exe=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
wine=$(command -v wine64 || echo /usr/lib/wine/wine64) # Debian keeps it off $PATH
wineserver=$(command -v wineserver || echo "${wine%/*}/wineserver")
work=$(mktemp -d)
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="bcryptprimitives=n"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	"$wineserver" -k 2>/dev/null || true
	"$wineserver" -w 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "wine-check: FAIL: $*" >&2; exit 1; }

# start LOG ARGS... runs the exe in the background (not in a subshell, so
# that cleanup knows its pid) and waits for the line saying where it
# serves; it sets url to the base URL.
start() {
	local log=$1 line
	shift
	timeout 180 "$@" >"$log" 2>&1 &
	pids+=($!)
	for _ in $(seq 120); do
		if line=$(grep -o 'serving http://127.0.0.1:[0-9]*' "$log"); then
			url=${line#serving }
			return
		fi
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 1
	done
	fail "no serving line: $(cat "$log")"
}

# Made with a display, and finished, or the prefix's first window fails
# ("Failed to create helper window").
timeout 300 xvfb-run -a "$wine" wineboot --init >/dev/null 2>&1 || fail "wineboot"
"$wineserver" -w
# Debian's Wine 8 has no bcryptprimitives.dll, which Go's runtime needs.
x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
	"$here/wine-prng.c" "$here/wine-prng.def" -ladvapi32
cp "$exe" "$work/visionflow.exe"
cd "$work"

out=$(timeout 120 "$wine" ./visionflow.exe version 2>&1) || fail "version: $out"
echo "wine-check: $out"

start headless.log "$wine" ./visionflow.exe --headless --addr 127.0.0.1:0
health=$(curl -sf "$url/api/health") || fail "no API at $url; log: $(cat headless.log)"
echo "$health" | grep -q '"nodes":34' || fail "health: $health"
echo "$health" | grep -q 'AppData\\\\Local\\\\VisionFlow\\\\visionflow.db' || fail "database not in %LocalAppData%: $health"
curl -sf "$url/api/graph/visionflow-tour" | grep -q '"label":"Time travel"' || fail "sample graph"
curl -sf -X POST -H 'Content-Type: application/json' -d '{"id":"wine","label":"Added under Wine"}' \
	"$url/api/graph/visionflow-tour/nodes" >/dev/null || fail "add a node"
curl -sf "$url/api/graph/visionflow-tour" | grep -q 'Added under Wine' || fail "the added node is missing"
echo "wine-check: headless server on Windows API at $url: sample graph served, an edit stored"

# Wine's desktop belongs to the first process's display (none, above): end
# it before a process with a display starts.
kill "${pids[@]}" 2>/dev/null || true
"$wineserver" -k 2>/dev/null || true
"$wineserver" -w

# Without ANGLE's DLLs, as on a Windows machine that lacks them: the reason
# names them, and the headless server runs; no crash.
start gui.log xvfb-run -a "$wine" ./visionflow.exe --db 'C:\vf\gui.db' --addr 127.0.0.1:0
grep -q 'msg="no desktop window: .*EGL: Library not found; on Windows OpenGL ES comes from ANGLE: put its libEGL.dll, libGLESv2.dll and d3dcompiler_47.dll beside visionflow.exe; running headless"' gui.log ||
	fail "no window and no clear reason: $(cat gui.log)"
grep -q "panic" gui.log && fail "panicked: $(cat gui.log)"
curl -sf "$url/api/health" >/dev/null || fail "no headless server after the window failed"
echo "wine-check: $(grep -o 'no desktop window: [^"]*' gui.log)"
echo "wine-check: passed"
