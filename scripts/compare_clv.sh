#!/usr/bin/env bash
# retention against Python lifetimes 0.11.3 on the same customers, in one run: a generated shop is
# ingested, retention fits BG/NBD + Gamma-Gamma and scores everyone, its per-customer summary is
# exported with `retention clv data`, and lifetimes fits and predicts on that file.
#
#   scripts/compare_clv.sh [CUSTOMERS]        # default 1000000
#
# Prints retention's and lifetimes' timings, the speed ratios and the parameter agreement.
# Needs python3 (lifetimes goes into target/venv-lifetimes, see compare_lifetimes.sh).
set -euo pipefail
customers=${1:-1000000}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/retention
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== shop of $customers customers" >&2
$bin generate --customers "$customers" | $bin ingest - --db "$work/db" > /dev/null
$bin clv data --db "$work/db" > "$work/data.csv"

now() { date +%s.%N; }
# retention: the library's fit time (summary scan, cell grouping, BG/NBD and Gamma-Gamma fits), as
# reported by `clv fit`, median of 3; scoring is the whole `clv score` command writing 1M JSON rows.
fits=()
for _ in 1 2 3; do
    fits+=("$($bin clv fit --db "$work/db" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')")
done
$bin clv fit --db "$work/db" --format json > "$work/fit.json"
scores=()
for _ in 1 2 3; do
    start=$(now)
    $bin clv score --db "$work/db" --horizon 52w --format json > /dev/null
    scores+=("$(python3 -c "print($(now) - $start)")")
done

echo "== lifetimes" >&2
LIFETIMES_RUNS=${LIFETIMES_RUNS:-1} scripts/compare_lifetimes.sh "$work/data.csv" > "$work/lifetimes.json"

python3 - "$work/fit.json" "$work/lifetimes.json" "${fits[*]}" "${scores[*]}" <<'EOF'
import json, statistics, sys
ours = json.load(open(sys.argv[1]))["model"]
lt = json.load(open(sys.argv[2]))
fit_s = statistics.median(map(float, sys.argv[3].split()))
score_s = statistics.median(map(float, sys.argv[4].split()))
bg = ours["purchases"]["model"]["bgnbd"]
gg = ours["spend"]["fitted"]["model"]
print(f"customers                 {lt['customers']}")
bg_s = ours["purchases"]["diagnostics"]["seconds"]
gg_s = ours["spend"]["fitted"]["diagnostics"]["seconds"]
lt_bg, lt_gg = lt["bgnbd"]["fit_seconds"], lt["gamma_gamma"]["fit_seconds"]
print(f"BG/NBD fit        retention {bg_s:.3f} s   lifetimes {lt_bg:.3f} s   ratio {lt_bg / bg_s:.0f}x")
print(f"Gamma-Gamma fit   retention {gg_s:.3f} s   lifetimes {lt_gg:.3f} s   ratio {lt_gg / gg_s:.0f}x")
lt_fit = lt_bg + lt_gg
print(f"whole fit: retention clv fit (scan + grouping + both fits) {fit_s:.3f} s   lifetimes both fits {lt_fit:.3f} s   ratio {lt_fit / fit_s:.0f}x")
lt_pred = sum(lt["predict_seconds"].values())
print(f"retention clv score (whole command, 1M JSON rows)  {score_s:.3f} s")
print(f"lifetimes P(alive) + expected + CLV              {lt_pred:.3f} s   ratio {lt_pred / score_s:.1f}x")
print("parameter          retention          lifetimes     relative difference")
for ours_v, theirs_v, name in [(bg["r"], lt["bgnbd"]["r"], "r"), (bg["alpha"], lt["bgnbd"]["alpha"], "alpha"),
                               (bg["a"], lt["bgnbd"]["a"], "a"), (bg["b"], lt["bgnbd"]["b"], "b"),
                               (gg["p"], lt["gamma_gamma"]["p"], "p"), (gg["q"], lt["gamma_gamma"]["q"], "q"),
                               (gg["gamma"], lt["gamma_gamma"]["v"], "gamma/v")]:
    print(f"{name:10} {ours_v:18.8g} {theirs_v:18.8g}     {abs(ours_v - theirs_v) / abs(theirs_v):.1e}")
print(f"log-likelihood BG/NBD   {ours['purchases']['diagnostics']['log_likelihood']:.3f}   {lt['bgnbd']['loglik']:.3f}")
EOF
