#!/usr/bin/env bash
# Checks that a refactoring changed nothing a user sees: two `retention` binaries (before and
# after) run the same commands on the same shops and their outputs must be byte-identical, apart
# from lines that report elapsed time or name the store's directory.
#
#   scripts/equivalence.sh BEFORE_BINARY AFTER_BINARY [CUSTOMERS]
#
# Shops: a generated one of CUSTOMERS (default 100000, seed 7), CDNOW (--preset cdnow, from
# tests/fixtures/cdnow) and the demo's generator defaults at 2,000 customers. Commands: stats, rfm,
# segments, clusters, clv fit (then score), metrics, cohorts, actions (follow-up, win-back, vip),
# affinity and report --format json. Build the "before" binary in a worktree with its own target
# directory outside the repository, e.g.
#   git worktree add /tmp/before <commit> && CARGO_TARGET_DIR=/tmp/before-target cargo build --release
set -euo pipefail
before=${1:?before binary}
after=${2:?after binary}
customers=${3:-100000}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Lines that legitimately differ between two runs: timings and the store's path.
normalise() { sed -E -e 's/[0-9]+(\.[0-9]+)? ?(s|ms|µs)\b/<time>/g' -e "s#$work/[a-z-]+/#<dir>/#g"; }

run() { # run NAME BINARY SHOP-FILE INGEST-ARGS...
  local name=$1 bin=$2 shop=$3; shift 3
  local db="$work/$name/db" out="$work/$name"
  mkdir -p "$out"
  "$bin" ingest "$shop" --db "$db" "$@" > /dev/null
  {
    echo "## stats"; "$bin" stats --db "$db"
    echo "## rfm"; "$bin" rfm --db "$db" --format csv
    echo "## segments"; "$bin" segments --db "$db"
    echo "## clusters"; "$bin" clusters --db "$db" --k 4
    echo "## clv fit"; "$bin" clv fit --db "$db" 2>&1
    echo "## clv score"; "$bin" clv score --db "$db" --format csv
    echo "## metrics"; "$bin" metrics --db "$db"
    echo "## cohorts"; "$bin" cohorts --db "$db"
    for list in follow-up win-back vip; do echo "## actions $list"; "$bin" actions "$list" --db "$db" --format csv; done
    echo "## affinity"; "$bin" affinity --db "$db" 2>&1 || true
    echo "## report"; "$bin" report --db "$db" --format json
  } 2>&1 | normalise > "$out/out.txt"
}

"$before" generate --customers "$customers" --seed 7 > "$work/generated.csv"
"$before" generate --customers 2000 > "$work/demo.csv"
status=0
for shop in generated demo cdnow; do
  case $shop in
    cdnow) file="$repo/tests/fixtures/cdnow/CDNOW_master.txt"; args=(--preset cdnow) ;;
    *) file="$work/$shop.csv"; args=() ;;
  esac
  run "before-$shop" "$before" "$file" "${args[@]}"
  run "after-$shop" "$after" "$file" "${args[@]}"
  if cmp -s "$work/before-$shop/out.txt" "$work/after-$shop/out.txt"; then
    echo "same: $shop ($(wc -l < "$work/after-$shop/out.txt") lines)"
  else
    echo "DIFFERENT: $shop"
    diff "$work/before-$shop/out.txt" "$work/after-$shop/out.txt" | head -20 || true
    status=1
  fi
done
exit $status
