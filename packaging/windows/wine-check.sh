#!/usr/bin/env bash
# Runs the Windows build under Wine, as far as Wine can take it: the binary
# starts, serves the API from a database in %LocalAppData%, and, asked for a
# window, explains what it lacks (ANGLE's DLLs) and runs headless.
# Usage: packaging/windows/wine-check.sh visionflow.exe
set -euo pipefail
exe=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
wine=/usr/lib/wine/wine64
work=$(mktemp -d)
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="bcryptprimitives=n;mscoree=;mshtml="
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	"${wine%/*}/wineserver" -k 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "wine-check: FAIL: $*" >&2; exit 1; }

timeout 300 "$wine" wineboot --init >/dev/null 2>&1 || fail "wineboot"
# Debian's Wine 8 has no bcryptprimitives.dll, which Go's runtime needs.
x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
	"$here/wine-prng.c" "$here/wine-prng.def" -ladvapi32
cp "$exe" "$work/visionflow.exe"
cd "$work"

out=$(timeout 60 "$wine" ./visionflow.exe version 2>&1) || fail "version: $out"
echo "wine-check: $out"

port=$((20000 + RANDOM % 20000))
timeout 120 "$wine" ./visionflow.exe --headless --addr 127.0.0.1:$port >headless.log 2>&1 &
pids+=($!)
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 1; done
health=$(curl -sf "http://127.0.0.1:$port/api/health") || fail "no API on :$port; log: $(cat headless.log)"
echo "$health" | grep -q '"nodes":34' || fail "health: $health"
echo "$health" | grep -q 'AppData\\\\Local\\\\VisionFlow\\\\visionflow.db' || fail "database not in %LocalAppData%: $health"
curl -sf "http://127.0.0.1:$port/api/graph/visionflow-tour" | grep -q '"label":"Time travel"' || fail "sample graph"
curl -sf -X POST -H 'Content-Type: application/json' -d '{"id":"wine","label":"Added under Wine"}' \
	"http://127.0.0.1:$port/api/graph/visionflow-tour/nodes" >/dev/null || fail "add a node"
curl -sf "http://127.0.0.1:$port/api/graph/visionflow-tour" | grep -q 'Added under Wine' || fail "the added node is missing"
echo "wine-check: headless server on Windows API: sample graph served, an edit stored"
kill "${pids[0]}" 2>/dev/null || true

port=$((port + 1))
timeout 60 xvfb-run -a "$wine" ./visionflow.exe --db 'C:\vf\gui.db' --addr 127.0.0.1:$port >gui.log 2>&1 &
pids+=($!)
for _ in $(seq 60); do grep -q "serving http" gui.log && break; sleep 1; done
# Wine's GLFW start fails before any context is tried (no helper window);
# on Windows without ANGLE the reason names the DLLs. Either way: a reason,
# the headless server, no crash.
grep -q 'msg="no desktop window: .*\(GLFW did not start\|libEGL.dll, libGLESv2.dll and d3dcompiler_47.dll\).*; running headless"' gui.log ||
	fail "no window and no clear reason: $(cat gui.log)"
grep -q "panic" gui.log && fail "panicked: $(cat gui.log)"
curl -sf "http://127.0.0.1:$port/api/health" >/dev/null || fail "no headless server after the window failed"
echo "wine-check: $(grep -o 'no desktop window: [^"]*' gui.log)"
echo "wine-check: passed"
