#!/usr/bin/env bash
# Writes the library's public API, one item per line, to docs/public-api.txt, so that a change to
# the surface a linking service sees shows up in review as a diff of that file.
#
#   scripts/public-api.sh          # rewrite docs/public-api.txt
#   scripts/public-api.sh --check  # fail if docs/public-api.txt is out of date
#
# Needs cargo-public-api (`cargo install cargo-public-api --locked`, 0.52) and a nightly toolchain,
# which it uses to build rustdoc's JSON. Default features (the `cli` feature adds nothing public to
# the library); blanket and auto-trait impls left out (-ss), auto-derived impls kept, so a removed
# `Clone` or `Serialize` shows.
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/public-api.txt
# Its own target directory: rustdoc JSON from nightly would otherwise rebuild the stable one.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/public-api}
new=$(cargo public-api -ss --color never 2>/dev/null)
if [ "${1:-}" = "--check" ]; then
    if ! diff -u "$out" <(printf '%s\n' "$new"); then
        echo "docs/public-api.txt is out of date: run scripts/public-api.sh and review the diff" >&2
        exit 1
    fi
else
    printf '%s\n' "$new" > "$out"
    echo "$(wc -l < "$out") items in $out"
fi
