#!/usr/bin/env bash
# Passkey retrieval grid of a trained checkpoint: exact match by length x depth, with the peak
# resident memory of each evaluation (docs/long-context.md).
#
#   bench/long-context.sh RUN_DIR [LENGTHS] [DEPTHS] [EXAMPLES] [PIECE]
#   bench/long-context.sh runs/passkey-nsm "256 1024 4096 16384" "0 0.5 1" 100 1024
#
# Each cell is one `nsm eval` with task.depth_min = task.depth_max = depth and task.seq_len =
# length; streaming kinds stream PIECE tokens at a time (PIECE 0 = one call, for the others).
# Prints one markdown row per cell: length, depth, exact match, examples, peak RSS (MiB), seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:?usage: bench/long-context.sh RUN_DIR [LENGTHS] [DEPTHS] [EXAMPLES] [PIECE]}
lengths=${2:-"256 1024 4096 16384"}
depths=${3:-"0 0.25 0.5 0.75 1"}
examples=${4:-100}
piece=${5:-1024}
[ -f "$run/config.json" ] || { echo "error: '$run' holds no checkpoint (config.json)" >&2; exit 2; }
cli=src/Nsm.Cli/bin/Release/net10.0/Nsm.Cli.dll
[ -f "$cli" ] || dotnet build src/Nsm.Cli -c Release -v q -nologo >&2
echo "| length | depth | exact match | examples | peak RSS MiB | seconds |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
for n in $lengths; do
  for d in $depths; do
    out=$(/usr/bin/time -f "%M %e" dotnet "$cli" eval --checkpoint "$run" --piece "$piece" --batch 4 \
      --set "task.seq_len=$n" --set "task.depth_min=$d" --set "task.depth_max=$d" \
      --set "task.eval_examples=$examples" --set train.threads=1 2>&1)
    json=$(grep '^{' <<<"$out" | tail -n 1)
    read -r rss secs < <(tail -n 1 <<<"$out")
    acc=$(python3 -c 'import json,sys; print("%.1f %%" % (100*json.loads(sys.argv[1])["accuracy"]))' "$json")
    echo "| $n | $d | $acc | $examples | $((rss / 1024)) | $secs |"
  done
done
