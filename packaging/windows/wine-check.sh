#!/usr/bin/env bash
# Runs the Windows build under Wine, as far as Wine can take it: the binary
# starts, serves the API from a database in %LocalAppData%, and, asked for a
# window it cannot make, says why and runs headless. Started as Explorer
# starts it (no console, no standard handles), it writes to its log file
# and explains the missing DLLs in a dialog, whose text, with
# VISIONFLOW_NO_DIALOG set, goes to the log instead (nobody is there to
# press its button).
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
# serves, in LOG or, where the exe writes elsewhere, in $serving_in; it
# sets url to the base URL.
start() {
	local log=$1 line
	shift
	timeout 180 "$@" >"$log" 2>&1 &
	pids+=($!)
	for _ in $(seq 120); do
		if line=$(grep -so 'serving http://127.0.0.1:[0-9]*' "${serving_in:-$log}"); then
			url=${line#serving }
			return
		fi
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 1
	done
	fail "no serving line: $(cat "$log" "${serving_in:-/dev/null}")"
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

kill "${pids[@]}" 2>/dev/null || true
"$wineserver" -k 2>/dev/null || true
"$wineserver" -w

# As from Explorer: `start` gives a GUI program no standard handles and no
# console to join, as a double-click does. The log goes beside the default
# database, which the first run made.
db=$(find "$WINEPREFIX/drive_c/users" -path '*/VisionFlow/visionflow.db' -print -quit)
[ -n "$db" ] || fail "no visionflow.db under $WINEPREFIX/drive_c/users"
vflog=${db%.db}.log
rm -f "$vflog"
serving_in=$vflog start detached.log env VISIONFLOW_NO_DIALOG=1 xvfb-run -a "$wine" start /wait /unix "$work/visionflow.exe" \
	--db 'C:\vf\detached.db' --addr 127.0.0.1:0
unset serving_in
! grep -q 'serving http\|msg=' detached.log || fail "started without a console, it still wrote to standard output: $(cat detached.log)"
grep -q '^=== visionflow .* started ' "$vflog" || fail "no start line in the log file: $(cat "$vflog")"
grep -q 'msg="no desktop window: .*libEGL.dll' "$vflog" || fail "no reason for the missing window in the log file: $(cat "$vflog")"
grep -q 'msg="dialog not shown (VISIONFLOW_NO_DIALOG is set)" text="VisionFlow cannot open its window: libEGL.dll, libGLESv2.dll not found\.' "$vflog" ||
	fail "the dialog would not name the missing DLLs: $(cat "$vflog")"
grep -q 'Keep it running?' "$vflog" || fail "the dialog would not offer the headless server: $(cat "$vflog")"
curl -sf "$url/api/health" >/dev/null || fail "no headless server when started without a console"
echo "wine-check: started as from Explorer, it logged to ${vflog#"$WINEPREFIX/drive_c/"} and would have shown: $(grep -o 'text="[^.]*' "$vflog" | head -n1)"

# A start that fails, as from a shortcut with a wrong flag, says why too.
VISIONFLOW_NO_DIALOG=1 timeout 60 "$wine" start /wait /unix "$work/visionflow.exe" --no-such-flag >/dev/null 2>&1 || true
grep -q 'dialog not shown (VISIONFLOW_NO_DIALOG is set): "VisionFlow stopped: flag provided but not defined: -no-such-flag' "$vflog" ||
	fail "a failed start without a console would show no reason: $(cat "$vflog")"
echo "wine-check: a failed start without a console would show: $(grep -o '"VisionFlow stopped: [^\]*' "$vflog")"
echo "wine-check: passed"
