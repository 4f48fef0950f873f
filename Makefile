# wyvern — thin wrapper over meson/ninja.  See README.md.
BUILD ?= build
DEBUG_BUILD ?= build-debug
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
PY ?= /usr/bin/python3

.PHONY: all deps test unit systest bench demo debug lint clean fuzz install

# `make` also links $(BUILD)/bin/wyvernd and $(BUILD)/bin/wyctl, wherever
# meson put them: examples use `export PATH="$$PWD/build/bin:$$PATH"`.
all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)
	@scripts/link-bins.sh $(BUILD)

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) >/dev/null

test: all
	BUILD=$(BUILD) scripts/run-tests.sh

unit: all
	meson test -C $(BUILD) --suite unit --print-errorlogs

systest: all
	BUILD=$(BUILD) scripts/run-tests.sh system

bench: all
	@scripts/deps.sh bench
	BUILD=$(BUILD) scripts/bench/all.sh

# the build log goes to a file; the demo's own output stays on the terminal
DEMO_LOG ?= $(BUILD)/make-demo.log
demo:
	@mkdir -p $(BUILD)
	@echo "demo: building (log: $(DEMO_LOG)) ..."
	@$(MAKE) --no-print-directory all > $(DEMO_LOG) 2>&1 || \
	    { tail -30 $(DEMO_LOG); echo "demo: build failed, full log in $(DEMO_LOG)"; exit 1; }
	@BUILD=$(BUILD) DEMO_LOG=$(DEMO_LOG) scripts/demo.sh

# PREFIX (meson's prefix, default /usr/local) and DESTDIR (staging root) are honoured:
#   make install PREFIX=/usr DESTDIR=/tmp/stage
PREFIX ?=
install: all
	$(if $(PREFIX),meson configure $(BUILD) -Dprefix=$(PREFIX) && ninja -C $(BUILD))
	meson install -C $(BUILD) --no-rebuild $(if $(DESTDIR),--destdir $(DESTDIR))

debug: deps
	[ -f $(DEBUG_BUILD)/build.ninja ] || meson setup $(DEBUG_BUILD) -Dbuildtype=debug \
	    -Db_sanitize=address,undefined -Db_lundef=false -Db_lto=false -Dnative=false >/dev/null
	ninja -C $(DEBUG_BUILD)
	BUILD=$(DEBUG_BUILD) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 scripts/run-tests.sh

# libFuzzer harnesses (tests/fuzz/README.md): clang, ASan + UBSan, own build dir;
# each runs FUZZ_SECONDS on the committed seeds (new inputs go to a scratch dir).
fuzz: deps
	tests/fuzz/build.sh $(FUZZ_BUILD)
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --suppress=missingIncludeSystem --suppress="unknownMacro:pmd-offload/xdp/*" \
	    --inline-suppr -I dp/include -I dp \
	    --library=scripts/cppcheck-jansson.cfg dp ctrl model db pmd-offload api
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h') 2>/dev/null || \
	    echo "lint: clang-format differences (advisory)"

clean:
	rm -rf $(BUILD) $(DEBUG_BUILD) $(FUZZ_BUILD)
