# VisionFlow. `make run` starts the app, `make test` runs every check CI runs
# except the longer fuzzing. Both work on a fresh Debian machine: missing
# Debian packages are installed (as root, or through sudo) and a Go toolchain
# is fetched from the Go module proxy when none is installed.

# Recursive (=), so the toolchain is looked for after `deps` has run.
GO       = $(shell .ci/ensure-go)
BIN     := visionflow
ARGS    ?=
FUZZTIME ?= 10s
BENCHTIME ?= 1s

# Debian packages: unzip/curl to fetch Go when missing, gcc for cgo and the
# race detector, GLFW's and OpenGL ES's headers for the desktop window,
# Xvfb and Mesa to run the GL tests without a GPU or a display, Chromium for
# the browser tests.
DEBS := ca-certificates curl unzip gcc libc6-dev pkg-config \
	libgl1-mesa-dev libegl1-mesa-dev libgles2-mesa-dev libx11-dev libx11-xcb-dev \
	libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev \
	libxkbcommon-x11-dev libwayland-dev libvulkan-dev libffi-dev \
	xvfb xauth libgl1-mesa-dri chromium

.PHONY: all deps build run test race core crosscheck nogui bench lint fuzz fuzz-corpus dist windows wine-check clean

all: build

deps:
	@missing=""; for p in $(DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; else echo "deps: run as root to install:$$missing" >&2; exit 1; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

build: deps
	$(GO) build -o $(BIN) .

# Runs the app: a window where there is a display and the desktop is built,
# the headless server otherwise. Pass flags with ARGS="--addr 0.0.0.0:7733".
run: build
	./$(BIN) $(ARGS)

test: deps lint race core crosscheck nogui

# Every test, the GL ones in a virtual X server with Mesa's software GL.
race:
	xvfb-run -a -s "-screen 0 1280x1024x24" $(GO) test -race -count=1 ./...

# The GL tests again on the OpenGLs without compute shaders (CPU physics,
# edges expanded on the CPU): OpenGL 4.1 core, the path macOS takes (with
# Gio's GLSL 1.50 shaders), and OpenGL ES 3.0, the fallback where a
# platform refuses ES 3.1.
core:
	for gl in core es30; do \
		VISIONFLOW_TEST_GL=$$gl xvfb-run -a -s "-screen 0 1280x1024x24" $(GO) test -count=1 ./internal/gles ./render ./app/desktop || exit 1; \
	done

# The builds that cannot be made here, type-checked on their Go side: the
# macOS desktop (cgo for macOS needs Apple's SDK) and Windows (cross-built
# by `make windows`, which needs mingw-w64).
crosscheck:
	for p in darwin/arm64 darwin/amd64 windows/amd64; do $(GO) run ./internal/crosscheck $${p%/*} $${p#*/} ./... || exit 1; done

# The server must build without cgo, GL or Gio.
nogui:
	CGO_ENABLED=0 $(GO) build -tags nogui -o /dev/null .

lint:
	@bad=$$($(dir $(GO))gofmt -l .); if [ -n "$$bad" ]; then echo "gofmt would change:"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# Every fuzz target for FUZZTIME (default 10s); found inputs stay in testdata/.
# Go 1.26's fuzzing coordinator can end a clean run with "context deadline
# exceeded" when -fuzztime expires while a worker is mid-input
# (go.dev/issue/75804, fixed in Go 1.27): such a run, with no failing input
# written, is not a failure; any other failure is.
fuzz:
	@out=$$(mktemp); trap 'rm -f $$out' EXIT; \
	for pkg in $$($(GO) list ./...); do \
		for t in $$(xvfb-run -a $(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$t"; \
			xvfb-run -a $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg > $$out 2>&1; st=$$?; cat $$out; \
			if [ $$st -ne 0 ]; then \
				if grep -q 'context deadline exceeded' $$out && ! grep -q 'Failing input written' $$out; then \
					echo "fuzz: $$t ended with Go's fuzztime race (go.dev/issue/75804) and no failing input: not a failure"; \
				else exit 1; fi; \
			fi; \
		done; \
	done

# Keeps what the fuzzer found (in the Go build cache) as seed corpus in each
# package's testdata/fuzz, so every `go test` replays it.
fuzz-corpus:
	@cache=$$($(GO) env GOCACHE)/fuzz/visionflow; \
	for d in $$cache/*/* $$cache/*/*/*; do \
		[ -d "$$d" ] && case "$$(basename $$d)" in Fuzz*) ;; *) continue;; esac || continue; \
		rel=$${d#$$cache/}; pkg=$$(dirname $$rel); t=$$(basename $$rel); \
		mkdir -p $$pkg/testdata/fuzz/$$t && cp -n $$d/* $$pkg/testdata/fuzz/$$t/ 2>/dev/null; \
		echo "$$pkg/testdata/fuzz/$$t: $$(ls $$pkg/testdata/fuzz/$$t | wc -l) inputs"; \
	done

# Benchmarks; figures are recorded in docs/BENCHMARKS.md. The anchors
# (d3-force-3d, ngraph.forcelayout) come from the npm registry.
bench: deps
	cd bench/anchors && npm ci --no-audit --no-fund --silent
	xvfb-run -a -s "-screen 0 1280x1024x24" $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 60m ./...

# A Linux archive: binary, desktop entry, icon, installer.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
dist: deps
	@arch=$$($(GO) env GOARCH); dir=dist/visionflow-$(VERSION)-linux-$$arch; \
	rm -rf $$dir && mkdir -p $$dir && \
	$(GO) build -trimpath -ldflags "-s -w -X visionflow/app.Version=$(VERSION)" -o $$dir/visionflow . && \
	cp packaging/linux/visionflow.desktop packaging/linux/visionflow.svg packaging/linux/install.sh README.md $$dir/ && \
	tar -C dist -czf $$dir.tar.gz $$(basename $$dir) && echo "dist: $$dir.tar.gz"

# A Windows build of the desktop, cross-compiled with mingw-w64 (installed
# when missing). It is not run here.
windows: deps
	@dpkg-query -W -f='$${Status}' gcc-mingw-w64-x86-64 2>/dev/null | grep -q "install ok installed" || \
		{ SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64; }
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc $(GO) build -o $(BIN).exe .

# Runs the Windows build under Wine (installed when missing): it must start,
# serve the API from %LocalAppData%, and, with no usable window there, say
# why and run headless. Wine cannot show the window (no ANGLE, no GPU).
wine-check: windows
	@dpkg-query -W -f='$${Status}' wine64 2>/dev/null | grep -q "install ok installed" || \
		{ SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64; }
	packaging/windows/wine-check.sh $(BIN).exe

clean:
	rm -rf $(BIN) $(BIN).exe dist
