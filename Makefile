# wyvern — thin wrapper over meson/ninja.  See README.md.
BUILD ?= build
DEBUG_BUILD ?= build-debug
PY ?= /usr/bin/python3

.PHONY: all deps test unit systest bench demo debug lint clean

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

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

demo: all
	BUILD=$(BUILD) scripts/demo.sh

debug: deps
	[ -f $(DEBUG_BUILD)/build.ninja ] || meson setup $(DEBUG_BUILD) -Dbuildtype=debug \
	    -Db_sanitize=address,undefined -Db_lundef=false -Db_lto=false -Dnative=false >/dev/null
	ninja -C $(DEBUG_BUILD)
	BUILD=$(DEBUG_BUILD) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 scripts/run-tests.sh

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --suppress=missingIncludeSystem --inline-suppr -I dp/include -I dp \
	    --library=scripts/cppcheck-jansson.cfg dp ctrl model db pmd-offload
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h') 2>/dev/null || \
	    echo "lint: clang-format differences (advisory)"

clean:
	rm -rf $(BUILD) $(DEBUG_BUILD)
