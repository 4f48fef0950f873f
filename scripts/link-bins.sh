#!/bin/sh
# BUILD/bin/wyvernd, BUILD/bin/wyctl and BUILD/bin/wyvern-api: symlinks to wherever meson built the
# programs (asked of `meson introspect`, so they keep working when the
# source layout of ctrl/ changes).  Called by `make` after ninja.
#   scripts/link-bins.sh [BUILD]
set -eu
BUILD=${1:-build}
mkdir -p "$BUILD/bin"
meson introspect --targets "$BUILD" | /usr/bin/python3 -c '
import json, os, sys
bindir, want = sys.argv[1], {"wyvernd", "wyctl", "wyvern-api"}
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["name"] in want:
        want.discard(t["name"])
        link = os.path.join(bindir, t["name"])
        tmp = link + ".tmp"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.path.relpath(t["filename"][0], bindir), tmp)
        os.replace(tmp, link)
if want:
    sys.exit("link-bins: no meson target for %s" % ", ".join(sorted(want)))
' "$BUILD/bin"
