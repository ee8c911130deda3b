#!/usr/bin/env bash
# Renders the report of a generated shop and of CDNOW in headless Chromium and checks that the screenshot shows
# a drawn page (scripts/png_check.py), and that the same check rejects a blank page. Installs
# Debian's chromium when it is missing (needs root). Leaves the screenshot in target/.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" != 0 ]; then
        echo "chromium is missing: install Debian's package as root (apt-get install chromium)" >&2
        exit 2
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

cargo build --release --quiet
bin=target/release/retention
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" demo --db "$work/shop" --customers 20000 >/dev/null
cat >"$work/loyalty.toml" <<'TOML'
points_per_unit = 1
[[reward]]
points = 250
value = "5.00"
[[tier]]
name = "Silver"
min_spend = "500"
[[tier]]
name = "Premier"
min_spend = "2500"
benefits = ["free shipping"]
TOML
"$bin" report --db "$work/shop" --programme "$work/loyalty.toml" --out "$work/report.html"

# The flags that keep Chromium from reaching for a network this machine does not have.
shoot() {
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/profile" --hide-scrollbars --window-size=1280,4000 \
        --screenshot="$2" "file://$1" >/dev/null 2>&1
}
shoot "$work/report.html" "$work/report.png"
python3 scripts/png_check.py "$work/report.png"
# The CDNOW master file as of 1998-06-30, with a BG/NBD model: the issue's reference data.
"$bin" ingest tests/fixtures/cdnow/CDNOW_master.txt --preset cdnow --db "$work/cdnow" >/dev/null
"$bin" clv fit --db "$work/cdnow" --as-of 1998-06-30 >/dev/null
"$bin" report --db "$work/cdnow" --as-of 1998-06-30 --out "$work/cdnow.html"
shoot "$work/cdnow.html" "$work/cdnow.png"
python3 scripts/png_check.py "$work/cdnow.png"
printf '<!DOCTYPE html><html><body style="background:#f3f4f6"></body></html>\n' >"$work/blank.html"
shoot "$work/blank.html" "$work/blank.png"
python3 scripts/png_check.py "$work/blank.png" --expect-blank
mkdir -p target
cp "$work/report.png" target/report-screenshot.png
cp "$work/cdnow.png" target/report-screenshot-cdnow.png
echo "ok: target/report-screenshot.png, target/report-screenshot-cdnow.png"
