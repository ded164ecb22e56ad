# wsshare: every entry point. `make demo` and `make test` are all a new user needs;
# both run `make setup` first, which installs only what is missing. While working
# on the C core, `make check` is the inner loop (native tests, ASan+UBSan, a short
# fuzz of every target): under two minutes, even from a clean build/.

SHELL := /bin/bash
# A failed link must not leave a target make would take as built.
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

# ---- inputs -----------------------------------------------------------------
# cJSON's upstream release, checked by the sha256 of its tarball as Debian
# ships it (the same in every Debian revision of that release).
CJSON_UPSTREAM := 1.7.15
CJSON_ORIG_SHA256 := 5308fd4bd90cef7aa060558514de6a1a4a0819974a26e6ed13973c5f624c24b2
CJSON_DIR := build/cjson-$(CJSON_UPSTREAM)
APT_PACKAGES := emscripten chromium firefox-esr webkit2gtk-driver xvfb dpkg-dev valgrind gcc make \
                clang libclang-rt-14-dev
PORT ?= 1865

# ---- compiler flags, grouped by purpose --------------------------------------
CORE_SRC := $(wildcard wasm/src/*.c)
CORE_HDR := wasm/include/wsshare.h $(wildcard wasm/src/*.h)
# The version is package.json's, and only there: the core gets it as
# WSS_VERSION_STRING (with the include paths every core build uses), the
# JavaScript bundles as WSSHARE_VERSION.
VERSION := $(shell node -p "require('./package.json').version")
INCLUDES := -Iwasm/include -Iwasm/src -I$(CJSON_DIR) -DWSS_VERSION_STRING='"$(VERSION)"'

CFLAGS_COMMON := -std=c99 -Wall -Wextra -Werror -pedantic -Wshadow -Wstrict-prototypes \
                 -Wconversion -Wno-sign-conversion
CFLAGS_DEBUG := -O1 -g
CFLAGS_BENCH := -O2 -g
CFLAGS_SAN := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
# cJSON is built untouched, with the flags it builds with itself.
CJSON_CFLAGS := -std=c89 -O2 -g -fvisibility=hidden

EMCC := NODE_PATH=/usr/share/nodejs emcc
EMFLAGS_COMMON := -sSTANDALONE_WASM=1 --no-entry -sMALLOC=emmalloc -sFILESYSTEM=0 \
                  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=1MB -sTOTAL_STACK=65536 \
                  -sENVIRONMENT=web,worker
# The leader's exports: every declaration wsshare.h marks WSS_EXPORT, and the
# allocator the host passes its buffers with (build/exported_functions.json).
EMFLAGS_INTERFACES := -sEXPORTED_FUNCTIONS=@build/exported_functions.json
# Release: chosen for size (-Oz with LTO was the smallest of -Os/-Oz, with and
# without LTO, as measured here). Debug: undefined behaviour traps in the wasm
# itself, where 32-bit sizes differ from the native runs; the glue has no
# imports to offer a sanitizer runtime, so traps are the assertions.
EMFLAGS_DIST := -Oz -flto
EMFLAGS_DEBUG := -O1 -g -sASSERTIONS=1 -fsanitize=undefined -fsanitize-trap=undefined

# The tab's session, link and Web Locks election (wasm/src/session.c, link.c,
# locks.c) run in every page, compiled to JavaScript by wasm2js: pages need no
# 'wasm-unsafe-eval'. They allocate nothing; a fixed memory holds their pools,
# the link's shared buffers and the stack. Bulk memory turns libc's memmove
# into wasm2js's copyWithin (190 bytes less gzip). Its exports are the
# wss_session_*, wss_link_* and wss_locks_* functions the page's JavaScript
# calls (C.wss_...): what no page calls is left out of what it loads.
PAGE_SRC := wasm/src/session.c wasm/src/link.c wasm/src/locks.c
LEADER_SRC := $(filter-out $(PAGE_SRC),$(CORE_SRC))
PAGE_EXPORTS = $(shell grep -oh '\bC\.wss_\(session\|link\|locks\)_[a-z_]*' js-glue/*.js | sort -u | \
                 sed 's/^C\./"_/; s/$$/"/' | paste -sd, -)
EMFLAGS_PAGE = -Oz -flto -mbulk-memory -sSTANDALONE_WASM=1 --no-entry -sFILESYSTEM=0 -sINITIAL_MEMORY=458752 \
               -sTOTAL_STACK=4096 -sALLOW_MEMORY_GROWTH=0 -sENVIRONMENT=web,worker \
               -sEXPORTED_FUNCTIONS='[$(PAGE_EXPORTS)]'

ESBUILD := node_modules/.bin/esbuild
# The profiles' names, as the core's table gives them (one row a line).
PROTOCOL_NAMES := $(shell sed -n '/WSS_PROFILES_BEGIN/,/WSS_PROFILES_END/s/^ *{"\([^"]*\)".*/"\1"/p' \
                    wasm/src/profiles.c | paste -sd, -)
ESBUILD_FLAGS := --bundle --minify --target=es2020 --legal-comments=none \
                 --define:WSSHARE_VERSION='"$(VERSION)"' --define:WSSHARE_PROTOCOLS='[$(PROTOCOL_NAMES)]'
# What a page loads is held to a size budget: its private members (named with
# a leading underscore, never part of the API) get short names.
ESBUILD_TAB := --mangle-props='^_[a-zA-Z]'
JS_SRC := $(wildcard js-glue/*.js) build/page/page.mjs wasm/src/profiles.c

DIST := dist/wsshare.wasm dist/wsshare.mjs dist/wsshare.js dist/wsshare-worker.js \
        dist/wsshare-leader.mjs dist/wsshare.d.ts

.PHONY: all dist setup demo check test test-native test-asan test-valgrind test-server test-e2e test-js \
        test-pack test-types test-bench test-fuzz test-soak bench fuzz soak clean sizes

all: setup dist

# What ships; `npm pack` builds it first (package.json's prepack).
dist: $(DIST)

# ---- setup ------------------------------------------------------------------
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_SRC_LIST := /etc/apt/sources.list.d/wsshare-src.sources

setup:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  echo "setup: npm ci"; npm ci --no-audit --no-fund --loglevel=error; \
	fi
	@$(MAKE) --no-print-directory -s $(CJSON_DIR)/cJSON.c

# cJSON's C source comes from Debian's source package, in whichever revision
# Debian publishes now (a security update replaces the last one on the
# mirrors): the upstream tarball must match our pinned checksum, and
# dpkg-source checks every other file against the .dsc as it applies
# Debian's patches, security fixes included. Downloaded afresh each time.
$(CJSON_DIR)/cJSON.c:
	@if [ ! -f $(APT_SRC_LIST) ]; then \
	  echo "setup: adding deb-src entries beside the machine's deb entries"; \
	  { for f in /etc/apt/sources.list.d/*.sources; do \
	      [ -f "$$f" ] && [ "$$f" != $(APT_SRC_LIST) ] && sed 's/^Types:.*/Types: deb-src/' "$$f" && echo; \
	    done; } | $(SUDO) tee $(APT_SRC_LIST) >/dev/null; \
	  if [ -f /etc/apt/sources.list ]; then \
	    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | $(SUDO) tee $(APT_SRC_LIST:.sources=.list) >/dev/null; \
	  fi; \
	  $(SUDO) apt-get update -qq </dev/null; \
	 fi
	@rm -rf build/cjson-src && mkdir -p build/cjson-src
	@cd build/cjson-src && \
	  { apt-get source --download-only -qq cjson </dev/null >/dev/null 2>&1 || \
	    { $(SUDO) apt-get update -qq </dev/null && apt-get source --download-only -qq cjson </dev/null >/dev/null; }; } && \
	  dsc=$$(ls cjson_*.dsc) && \
	  if [ ! -f cjson_$(CJSON_UPSTREAM).orig.tar.gz ]; then \
	    echo "setup: Debian's cjson ($$dsc) is no longer cJSON $(CJSON_UPSTREAM): update CJSON_UPSTREAM and CJSON_ORIG_SHA256" >&2; \
	    exit 1; \
	  fi && \
	  echo "$(CJSON_ORIG_SHA256)  cjson_$(CJSON_UPSTREAM).orig.tar.gz" | sha256sum -c --quiet - && \
	  rm -rf ../$(notdir $(CJSON_DIR)) && \
	  dpkg-source -x $$dsc ../$(notdir $(CJSON_DIR)) >/dev/null && \
	  echo "setup: cJSON $(CJSON_UPSTREAM) with the patches of Debian's cjson $$(sed -n 's/^Version: //p' $$dsc), in $(CJSON_DIR)"
	@test -f $@

# ---- native builds of the core ------------------------------------------------
build/native/cJSON.o: $(CJSON_DIR)/cJSON.c
	@mkdir -p $(dir $@)
	gcc $(CJSON_CFLAGS) -c $< -o $@

build/san/cJSON.o: $(CJSON_DIR)/cJSON.c
	@mkdir -p $(dir $@)
	gcc $(CJSON_CFLAGS) -fsanitize=address,undefined -fno-omit-frame-pointer -c $< -o $@

build/native/%.o: wasm/src/%.c $(CORE_HDR) | $(CJSON_DIR)/cJSON.c
	@mkdir -p $(dir $@)
	gcc $(CFLAGS_COMMON) $(CFLAGS_DEBUG) $(INCLUDES) -c $< -o $@

build/bench/%.o: wasm/src/%.c $(CORE_HDR) | $(CJSON_DIR)/cJSON.c
	@mkdir -p $(dir $@)
	gcc $(CFLAGS_COMMON) $(CFLAGS_BENCH) $(INCLUDES) -c $< -o $@

build/san/%.o: wasm/src/%.c $(CORE_HDR) | $(CJSON_DIR)/cJSON.c
	@mkdir -p $(dir $@)
	gcc $(CFLAGS_COMMON) $(CFLAGS_SAN) $(INCLUDES) -c $< -o $@

TEST_SRC := $(wildcard tests/native/*.c)
TEST_HDR := $(wildcard tests/native/*.h)

build/native/test_core: $(TEST_SRC) $(TEST_HDR) $(patsubst wasm/src/%.c,build/native/%.o,$(CORE_SRC)) build/native/cJSON.o
	gcc $(CFLAGS_COMMON) $(CFLAGS_DEBUG) $(INCLUDES) -Itests/native $(TEST_SRC) \
	  $(filter %.o,$^) -o $@ -lm

build/san/test_core: $(TEST_SRC) $(TEST_HDR) $(patsubst wasm/src/%.c,build/san/%.o,$(CORE_SRC)) build/san/cJSON.o
	gcc $(CFLAGS_COMMON) $(CFLAGS_SAN) $(INCLUDES) -Itests/native $(TEST_SRC) \
	  $(filter %.o,$^) -o $@ -lm

# The core's micro-benchmark, optimised as a release build would be.
build/bench/core_bench: tests/bench/core_bench.c $(patsubst wasm/src/%.c,build/bench/%.o,$(CORE_SRC)) build/native/cJSON.o
	gcc $(CFLAGS_COMMON) $(CFLAGS_BENCH) $(INCLUDES) $(filter %.o,$^) $< -o $@ -lm

build/native/soak: tests/soak/soak.c $(patsubst wasm/src/%.c,build/native/%.o,$(CORE_SRC)) build/native/cJSON.o
	gcc $(CFLAGS_COMMON) $(CFLAGS_DEBUG) $(INCLUDES) $^ -o $@ -lm

build/san/soak: tests/soak/soak.c $(patsubst wasm/src/%.c,build/san/%.o,$(CORE_SRC)) build/san/cJSON.o
	gcc $(CFLAGS_COMMON) $(CFLAGS_SAN) $(INCLUDES) $^ -o $@ -lm

# ---- fuzz targets (clang's libFuzzer, with ASan and UBSan) ----------------------
FUZZ_TARGETS := envelope config core jscan profiles jsonrpc
FUZZ_CC := clang-14
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer

FUZZ_OBJ := $(patsubst wasm/src/%.c,build/fuzz/%.o,$(CORE_SRC))
# Kept between builds, though only the pattern rules below name them.
.SECONDARY: $(FUZZ_OBJ)

build/fuzz/cJSON.o: $(CJSON_DIR)/cJSON.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CJSON_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

# The core is compiled once for every target, instrumented for the fuzzer.
build/fuzz/%.o: wasm/src/%.c $(CORE_HDR) | $(CJSON_DIR)/cJSON.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS_COMMON) $(subst fuzzer,fuzzer-no-link,$(FUZZ_FLAGS)) $(INCLUDES) -c $< -o $@

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/counted_alloc.h $(FUZZ_OBJ) build/fuzz/cJSON.o
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS_COMMON) $(FUZZ_FLAGS) $(INCLUDES) $< $(FUZZ_OBJ) build/fuzz/cJSON.o -o $@ -lm

# A new version in package.json rebuilds every native build of the core (the
# WebAssembly ones below name it themselves).
$(foreach d,native bench san,$(patsubst wasm/src/%.c,build/$(d)/%.o,$(CORE_SRC))) \
  $(addprefix build/fuzz/fuzz_,$(FUZZ_TARGETS)): package.json

# ---- the WebAssembly core ------------------------------------------------------
# The export list, from the WSS_EXPORT marks of wsshare.h (a declaration's
# name is on its marked line).
build/exported_functions.json: wasm/include/wsshare.h
	@mkdir -p build
	{ echo '_malloc'; echo '_free'; \
	  sed -n 's/^WSS_EXPORT [^(]*[ *]\(wss_[a-z_0-9]*\)(.*/_\1/p' $<; } | \
	  sed 's/.*/"&"/' | paste -sd, - | sed 's/^/[/; s/$$/]/' > $@
	@test "$$(grep -c '^WSS_EXPORT ' $<)" -eq "$$(grep -o '"_wss_' $@ | wc -l)" || \
	  { echo "$@: a WSS_EXPORT line of $< has no wss_ name before its '('"; rm -f $@; exit 1; }

dist/wsshare.wasm: $(LEADER_SRC) $(CORE_HDR) package.json $(CJSON_DIR)/cJSON.c build/exported_functions.json
	@mkdir -p dist
	$(EMCC) $(EMFLAGS_COMMON) $(EMFLAGS_INTERFACES) $(EMFLAGS_DIST) $(INCLUDES) \
	  $(LEADER_SRC) $(CJSON_DIR)/cJSON.c -o $@

build/debug/wsshare.wasm: $(LEADER_SRC) $(CORE_HDR) package.json $(CJSON_DIR)/cJSON.c build/exported_functions.json
	@mkdir -p build/debug
	$(EMCC) $(EMFLAGS_COMMON) $(EMFLAGS_INTERFACES) $(EMFLAGS_DEBUG) $(INCLUDES) \
	  $(LEADER_SRC) $(CJSON_DIR)/cJSON.c -o $@

build/page/page.wasm: $(PAGE_SRC) wasm/include/wsshare.h Makefile $(wildcard js-glue/*.js)
	@mkdir -p build/page
	$(EMCC) $(EMFLAGS_PAGE) -Iwasm/include $(PAGE_SRC) -o $@

build/page/page.mjs: build/page/page.wasm
	wasm2js $< -Oz --enable-bulk-memory -o $@

# ---- the JavaScript side --------------------------------------------------------
# The module's one dynamic import (the leader's code, loaded into a page that
# cannot start a worker) names a URL known only at run time: bundlers must
# leave it to the browser. esbuild drops comments inside import(), so the
# hint webpack reads is put back after minifying.
dist/wsshare.mjs: $(JS_SRC) package.json
	@mkdir -p dist
	$(ESBUILD) js-glue/index.js $(ESBUILD_FLAGS) $(ESBUILD_TAB) --format=esm --outfile=$@ --log-level=warning
	@test "$$(grep -o 'import(' $@ | wc -l)" = 1 || { echo "$@: expected one dynamic import"; rm -f $@; exit 1; }
	@sed -i 's|import(|import(/*webpackIgnore:true*/|' $@

dist/wsshare.js: $(JS_SRC) package.json
	@mkdir -p dist
	$(ESBUILD) js-glue/script.js $(ESBUILD_FLAGS) $(ESBUILD_TAB) --format=iife --outfile=$@ --log-level=warning

dist/wsshare-worker.js: $(JS_SRC) package.json
	@mkdir -p dist
	$(ESBUILD) js-glue/worker.js $(ESBUILD_FLAGS) --format=iife --outfile=$@ --log-level=warning

dist/wsshare-leader.mjs: $(JS_SRC) package.json
	@mkdir -p dist
	$(ESBUILD) js-glue/leader-main.js $(ESBUILD_FLAGS) --format=esm --outfile=$@ --log-level=warning

dist/wsshare.d.ts: js-glue/wsshare.d.ts
	@mkdir -p dist
	cp $< $@

sizes: $(DIST)
	@node tests/sizes.mjs

# ---- tests ----------------------------------------------------------------------
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all

# The Node suites run last; the browser suite closes the output, once per engine.
test: setup $(DIST) sizes test-types test-native test-asan test-valgrind test-fuzz test-soak test-js

test-native: build/native/test_core
	build/native/test_core

test-asan: build/san/test_core
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 build/san/test_core

test-valgrind: build/native/test_core
	$(VALGRIND) build/native/test_core

# Each fuzz target for a while, from its seed corpus under tests/fuzz/ and
# what earlier runs found (build/fuzz/corpus/); make test gives each 15 s.
FUZZ_SECONDS ?= 300
fuzz: $(addprefix build/fuzz/fuzz_,$(FUZZ_TARGETS))
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

test-fuzz: $(addprefix build/fuzz/fuzz_,$(FUZZ_TARGETS))
	tests/fuzz/run.sh 15 $(FUZZ_TARGETS)

# The inner loop, in under two minutes from a clean build/ on two cores: the
# native tests, the same under ASan and UBSan, and every fuzz target for
# CHECK_FUZZ_SECONDS from its corpus. Builds with as many jobs as there are cores.
CHECK_FUZZ_SECONDS ?= 5
CHECK_JOBS ?= $(shell nproc)
check:
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) build/native/test_core build/san/test_core \
	  $(addprefix build/fuzz/fuzz_,$(FUZZ_TARGETS))
	@$(MAKE) --no-print-directory test-native test-asan
	tests/fuzz/run.sh $(CHECK_FUZZ_SECONDS) $(FUZZ_TARGETS)

# The soak: frames each way and tabs joining and leaving through one core, under
# ASan/LeakSanitizer, then a shorter run under valgrind. make soak is ten times
# make test's run.
SOAK_FRAMES ?= 1000000
SOAK_JOINS ?= 10000
SOAK_VALGRIND_FRAMES ?= 100000
SOAK_VALGRIND_JOINS ?= 1000
test-soak: build/san/soak build/native/soak
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 build/san/soak $(SOAK_FRAMES) $(SOAK_JOINS)
	$(VALGRIND) build/native/soak $(SOAK_VALGRIND_FRAMES) $(SOAK_VALGRIND_JOINS)

soak:
	$(MAKE) --no-print-directory test-soak SOAK_FRAMES=10000000 SOAK_JOINS=100000 \
	  SOAK_VALGRIND_FRAMES=1000000 SOAK_VALGRIND_JOINS=10000

NODE_TEST := node --test --test-concurrency=1 --test-reporter=spec

test-server:
	$(NODE_TEST) tests/server/

# The declarations, as a strict TypeScript app consumes them.
test-types: $(DIST)
	node_modules/.bin/tsc -p tests/types

# The npm tarball: its contents, and a fresh project that installs it.
test-pack: $(DIST)
	$(NODE_TEST) tests/pack/

# The browser suite runs whole in each engine, one engine after another (the
# machine is shared); every engine runs even when one fails, and the wall time
# of each is printed at the end. E2E_ENGINES=webkit (say) narrows a run.
E2E_ENGINES := chromium firefox webkit

define RUN_E2E
failed=""; times=""; \
for engine in $(E2E_ENGINES); do \
  echo "== E2E in $$engine"; start=$$(date +%s); \
  WSSHARE_ENGINE=$$engine $(NODE_TEST) tests/e2e/ || failed="$$failed $$engine"; \
  times="$$times $$engine $$(( $$(date +%s) - start )) s,"; \
done; \
echo "E2E wall time per engine:$${times%,}"; \
if [ -n "$$failed" ]; then echo "E2E failed in:$$failed"; exit 1; fi
endef

test-e2e: $(DIST) build/debug/wsshare.wasm
	@$(RUN_E2E)

# The bench's own test (tests/bench/) runs it in a tiny configuration and
# asserts only that it writes well-formed results: never a timing.
test-js: $(DIST) build/debug/wsshare.wasm build/bench/core_bench
	$(NODE_TEST) tests/server/ tests/pack/ tests/bench/
	@$(RUN_E2E)

test-bench: $(DIST) build/bench/core_bench
	$(NODE_TEST) tests/bench/

# ---- benchmarks -------------------------------------------------------------------
# Every goal of docs/goals.md against its baselines, in headless Chromium, also
# on a loaded machine and at 16 and 32 tabs, and what Firefox's and WebKit's
# drivers can run in those engines: writes bench/results.json, bench/RESULTS.md
# and bench/chart.svg (see tests/bench/).
bench: setup $(DIST) build/bench/core_bench
	node tests/bench/run.mjs --out bench

# ---- demo ------------------------------------------------------------------------
demo: all
	PORT=$(PORT) node demo/server.mjs

clean:
	rm -rf build/native build/san build/debug build/bench build/fuzz dist bench/tmp
