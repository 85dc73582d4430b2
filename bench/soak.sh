#!/usr/bin/env bash
# Soak test of training memory: trains a small NSM for STEPS steps (default 10,000) and records
# its resident memory (VmRSS of /proc/PID/status) once a second against the last logged step
# (docs/reliability.md, "Soak: resident memory over 10,000 training steps").
#
#   bench/soak.sh [OUT_DIR] [STEPS] [-- extra --set pairs...]
#   nice bench/soak.sh /tmp/soak 10000
#
# The run is copy-long-nsm at batch 8 on one libtorch thread, with an evaluation and a checkpoint
# every 1,000 steps, so the loop, the evaluator and the checkpoint writer all repeat many times;
# a per-step leak grows with the step count whatever the batch. Writes OUT_DIR/rss.csv
# (seconds, step, rss_kib) and prints the RSS at the first sample at or after step 1,000 and
# after the last step, their ratio, and the peak; exit 1 when the growth is 5% or more.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/soak-$(date -u +%Y%m%d-%H%M%S)}
steps=${2:-10000}
shift $(( $# >= 2 ? 2 : $# ))
[ "${1:-}" = -- ] && shift
extra=()
for pair in "$@"; do extra+=(--set "$pair"); done
first=${SOAK_FIRST:-1000}  # the step memory is compared from (smaller only to try the script out)
[ "$steps" -gt "$first" ] || { echo "error: STEPS must be more than $first" >&2; exit 2; }

cli=src/Nsm.Cli/bin/Release/net10.0/Nsm.Cli.dll
[ -f "$cli" ] || dotnet build src/Nsm.Cli -c Release -v q -nologo >&2
rm -rf "$out"
mkdir -p "$out"
log="$out/train.log"
csv="$out/rss.csv"

dotnet "$cli" train --preset copy-long-nsm --out "$out/run" \
  --set "train.steps=$steps" --set train.batch_size=8 --set train.threads=1 \
  --set train.log_every=100 --set train.eval_every=1000 --set train.checkpoint_every=1000 \
  --set task.eval_examples=64 "${extra[@]}" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT INT TERM

echo "seconds,step,rss_kib" >"$csv"
start=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  # Progress lines read "step    100/10000  loss ..." (evaluation lines start with "eval").
  step=$(grep -oE '^step +[0-9]+' "$log" 2>/dev/null | tail -n 1 | grep -oE '[0-9]+' || true)
  [ -n "$rss" ] && echo "$(( $(date +%s) - start )),${step:-0},$rss" >>"$csv"
  sleep 1
done
trap - EXIT INT TERM
status=0
wait "$pid" || status=$?
if [ "$status" -ne 0 ]; then
  echo "error: training exited with $status; see $log" >&2
  exit "$status"
fi

awk -F, -v first="$first" -v last="$steps" '
  NR == 1 { next }
  $2 >= first && a == "" { a = $3; as = $2 }
  $2 >= last && b == "" { b = $3 }
  { final = $3; fs = $2 }
  $3 > peak { peak = $3 }
  END {
    # The process may end within a second of logging its last step; then its last sample counts.
    if (b == "") { b = final; last = fs }
    if (a == "") { print "error: no sample at or after step " first > "/dev/stderr"; exit 2 }
    growth = (b - a) / a * 100
    printf "RSS at step %d: %.1f MiB; at step %d: %.1f MiB; growth %+.2f%%; peak %.1f MiB\n", as, a / 1024, last, b / 1024, growth, peak / 1024
    exit growth < 5 ? 0 : 1
  }' "$csv"
