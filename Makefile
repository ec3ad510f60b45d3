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
# the browser tests, dpkg-dev for the .deb's dependencies (dpkg-shlibdeps),
# which the packaging tests work out too, and networkx, which reads the GML
# the exporter writes in a test.
DEBS := ca-certificates curl unzip gcc libc6-dev pkg-config dpkg-dev \
	libgl1-mesa-dev libegl1-mesa-dev libgles2-mesa-dev libx11-dev libx11-xcb-dev \
	libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev \
	libxkbcommon-x11-dev libwayland-dev libvulkan-dev libffi-dev \
	xvfb xauth libgl1-mesa-dri chromium python3-networkx

.PHONY: all help deps build run test race core crosscheck nogui bench lint fuzz fuzz-corpus \
	release-bin icons dist deb deb-check appdir windows windows-zip wine-check macos-app clean

all: build ## the default: build

# Each target with a `## ` comment is listed, with it, by `make help`.
help: ## list the targets
	@awk -F ':.*## ' '/^[a-zA-Z0-9_-]+:.*## / { printf "  %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

deps: ## install the Debian packages the build and the tests need
	@missing=""; for p in $(DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; else echo "deps: run as root to install:$$missing" >&2; exit 1; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

build: deps ## build ./visionflow
	$(GO) build -o $(BIN) .

# Runs the app: a window where there is a display and the desktop is built,
# the headless server otherwise. Pass flags with ARGS="--addr 0.0.0.0:7733".
run: build ## build and start VisionFlow (flags through ARGS="...")
	./$(BIN) $(ARGS)

test: deps lint race core crosscheck nogui ## every check CI runs but Wine and fuzzing

# Every test, the GL ones in a virtual X server with Mesa's software GL.
race: ## every test with the race detector, the GL ones under Xvfb
	xvfb-run -a -s "-screen 0 1280x1024x24" $(GO) test -race -count=1 ./...

# The GL tests again on the OpenGLs without compute shaders (CPU physics,
# edges expanded on the CPU): OpenGL 4.1 core, the path macOS takes (with
# Gio's GLSL 1.50 shaders), and OpenGL ES 3.0, the fallback where a
# platform refuses ES 3.1.
core: ## the GL tests again on OpenGL 4.1 core and ES 3.0
	for gl in core es30; do \
		VISIONFLOW_TEST_GL=$$gl xvfb-run -a -s "-screen 0 1280x1024x24" $(GO) test -count=1 ./internal/gles ./render ./app/desktop || exit 1; \
	done

# The builds that cannot be made here, type-checked on their Go side: the
# macOS desktop (cgo for macOS needs Apple's SDK) and Windows (cross-built
# by `make windows`, which needs mingw-w64).
crosscheck: ## type-check the macOS and Windows builds' Go side
	for p in darwin/arm64 darwin/amd64 windows/amd64; do $(GO) run ./internal/crosscheck $${p%/*} $${p#*/} ./... || exit 1; done

# The server must build without cgo, GL or Gio.
nogui: ## build the server without cgo, GL or Gio
	CGO_ENABLED=0 $(GO) build -tags nogui -o /dev/null .

lint: ## gofmt, go vet and staticcheck
	@bad=$$($(dir $(GO))gofmt -l .); if [ -n "$$bad" ]; then echo "gofmt would change:"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# Every fuzz target for FUZZTIME (default 10s); found inputs stay in testdata/.
# Go 1.26's fuzzing coordinator can end a clean run with "context deadline
# exceeded" when -fuzztime expires while a worker is mid-input
# (go.dev/issue/75804, fixed in Go 1.27): such a run, with no failing input
# written, is not a failure; any other failure is.
fuzz: ## every fuzz target for FUZZTIME (default 10s)
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
fuzz-corpus: ## keep what the fuzzer found as seed corpus in testdata/
	@cache=$$($(GO) env GOCACHE)/fuzz/visionflow; \
	for d in $$cache/*/* $$cache/*/*/*; do \
		[ -d "$$d" ] && case "$$(basename $$d)" in Fuzz*) ;; *) continue;; esac || continue; \
		rel=$${d#$$cache/}; pkg=$$(dirname $$rel); t=$$(basename $$rel); \
		mkdir -p $$pkg/testdata/fuzz/$$t && cp -n $$d/* $$pkg/testdata/fuzz/$$t/ 2>/dev/null; \
		echo "$$pkg/testdata/fuzz/$$t: $$(ls $$pkg/testdata/fuzz/$$t | wc -l) inputs"; \
	done

# Benchmarks; figures are recorded in docs/BENCHMARKS.md. The anchors
# (d3-force-3d, ngraph.forcelayout) come from the npm registry.
bench: deps ## the benchmarks of docs/BENCHMARKS.md
	cd bench/anchors && npm ci --no-audit --no-fund --silent
	xvfb-run -a -s "-screen 0 1280x1024x24" $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 60m ./...

# Packages. VERSION is what the build calls itself; the formats that take
# only numbers, or order versions their own way, get it rewritten by
# packaging/version.sh. Debian packages the targets need are installed
# when missing, as `deps` does.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
VERSION := $(VERSION)
NUMVERSION := $(shell packaging/version.sh numeric $(VERSION))
DEBVERSION := $(shell packaging/version.sh deb $(VERSION))
LDFLAGS := -s -w -X visionflow/app.Version=$(VERSION)
RELEASE := dist/release/$(BIN)
ICONS := dist/icons
# go-winres, from the Go module proxy, turns winres.json into the .syso
# the Windows build links: icon, version and manifest.
WINRES := github.com/tc-hib/go-winres@v0.3.3
BIN_DARWIN ?=

# The binary the Linux packages ship: stripped, stamped with VERSION,
# without the build machine's paths, and position-independent with its
# relocations read-only, as Debian's hardening checks ask.
release-bin: deps ## the Linux binary the packages ship (dist/release/visionflow)
	$(GO) build -trimpath -buildmode=pie -ldflags "$(LDFLAGS) -extldflags '-Wl,-z,relro,-z,now'" -o $(RELEASE) .

icons: ## render the SVG icon as PNGs (dist/icons) for the packages
	@command -v rsvg-convert >/dev/null || .ci/ensure-debs librsvg2-bin
	@mkdir -p $(ICONS) && for n in 16 24 32 48 64 128 256 512 1024; do \
		rsvg-convert -w $$n -h $$n packaging/linux/visionflow.svg -o $(ICONS)/visionflow-$$n.png || exit 1; \
	done

dist: release-bin ## Linux archive: binary, desktop entry, icon and install.sh (--uninstall removes)
	@arch=$$($(GO) env GOARCH); dir=dist/visionflow-$(VERSION)-linux-$$arch; \
	rm -rf $$dir && mkdir -p $$dir && cp $(RELEASE) $$dir/ && \
	cp packaging/linux/visionflow.desktop packaging/linux/visionflow.svg packaging/linux/install.sh README.md $$dir/ && \
	tar -C dist -czf $$dir.tar.gz $$(basename $$dir) && echo "dist: $$dir.tar.gz"

deb: release-bin icons ## Debian package dist/visionflow_VERSION_ARCH.deb (apt remove visionflow removes it)
	@GO=$(GO) packaging/linux/mkdeb.sh $(RELEASE) $(DEBVERSION) $(ICONS) dist

# What a broken package would show: a field or file missing, or a policy
# error lintian finds. Its warnings are printed, not fatal.
deb-check: deb ## build the .deb and check it: control fields, files, lintian
	@.ci/ensure-debs lintian
	packaging/linux/deb-check.sh $$(ls -t dist/visionflow_*.deb | head -n1)

# An AppImage would be this folder behind the AppImage runtime, which no
# registry reachable here ships (see packaging/README.md).
appdir: release-bin icons ## AppDir dist/VisionFlow.AppDir, the tree an AppImage is made from
	@packaging/linux/mkappdir.sh $(RELEASE) $(ICONS) dist

# A Windows build of the desktop, cross-compiled with mingw-w64, as a GUI
# program: no console window opens with it, and with no console to write
# to it logs to %LocalAppData%\VisionFlow\visionflow.log. The resources
# go-winres makes go into rsrc_windows_amd64.syso beside main.go, where
# go build finds them. Its version flags would set the numeric version and
# the text shown for it alike, so winres.json's @NUMVERSION@ and @VERSION@
# are filled in here instead.
windows: deps icons ## visionflow.exe: Windows GUI build with icon, version and manifest (mingw-w64)
	@.ci/ensure-debs gcc-mingw-w64-x86-64
	@rm -rf dist/winres && mkdir -p dist/winres && cp $(ICONS)/*.png dist/winres/ && \
		sed -e 's/@NUMVERSION@/$(NUMVERSION)/g' -e 's/@VERSION@/$(VERSION)/g' packaging/windows/winres.json >dist/winres/winres.json
	$(GO) run $(WINRES) make --in dist/winres/winres.json --arch amd64 --out rsrc
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
		$(GO) build -trimpath -ldflags "-H=windowsgui $(LDFLAGS)" -o $(BIN).exe .

windows-zip: windows ## dist/visionflow-VERSION-windows-amd64.zip: the .exe, README and a note on ANGLE's DLLs
	@command -v zip >/dev/null || .ci/ensure-debs zip
	@dir=dist/visionflow-$(VERSION)-windows-amd64; rm -rf $$dir $$dir.zip && mkdir -p $$dir && \
	cp $(BIN).exe README.md $$dir/ && sed 's/$$/\r/' packaging/windows/README-Windows.txt >$$dir/README-Windows.txt && \
	(cd dist && zip -q -9 -r $$(basename $$dir).zip $$(basename $$dir)) && echo "windows-zip: $$dir.zip"

# Runs the Windows build under Wine (installed when missing): it must start,
# serve the API from %LocalAppData%, and, with no usable window there, say
# why and run headless; started as from Explorer, it must log to its file.
# Wine cannot show the window (no ANGLE, no GPU).
wine-check: windows ## run the Windows build under Wine, as CI does
	@.ci/ensure-debs wine64
	packaging/windows/wine-check.sh $(BIN).exe

# The bundle is files and can be laid out anywhere, but its program needs
# cgo with Apple's SDK: build visionflow on a Mac and pass it as
# BIN_DARWIN. Without it the bundle holds a placeholder that says so, and
# the target says so too.
macos-app: icons ## dist/VisionFlow.app; its program from BIN_DARWIN=(a build made on a Mac), else a placeholder
	$(GO) run ./packaging/macos -out dist/VisionFlow.app -icons $(ICONS) \
		-version $(VERSION) -short $(NUMVERSION) $(if $(BIN_DARWIN),-bin $(BIN_DARWIN))

clean: ## remove what the builds wrote
	rm -rf $(BIN) $(BIN).exe rsrc_windows_*.syso dist
