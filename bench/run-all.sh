#!/usr/bin/env bash
# Regenerates docs/benchmarks.md and docs/benchmarks/*.png end to end (about 20-30 minutes on
# 2 cores; run it on a quiet machine). Every measurement goes to runs/benchmarks/<suite>/
# (results.json, report.md, charts); `nsm report` then writes the page from those files.
#   bash bench/run-all.sh            # the full run
#   QUICK=1 bash bench/run-all.sh    # a smoke run of the same pipeline in a few minutes (writes to runs/benchmarks-quick, not docs/)
#   STREAM_MODEL=rwkv bash bench/run-all.sh   # stream another kind than nsm
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet build src/Nsm.Cli -c Release -m:1 -v q -nologo
nsm() { dotnet src/Nsm.Cli/bin/Release/net10.0/Nsm.Cli.dll "$@"; }

# Task presets for `nsm bench`: those present in configs/.
presets=""
for p in copy-transformer selective-copy-transformer mqar-transformer; do
  [ -f "configs/$p.json" ] && presets="${presets:+$presets,}$p"
done

start=$(date +%s)
if [ "${QUICK:-0}" = "1" ]; then
  out=runs/benchmarks-quick
  rm -rf "$out"
  nsm scale --quick --out "$out/scale"
  nsm scale --quick --layer --out "$out/layer"
  nsm bench --quick --presets "$presets" --out "$out/bench"
  nsm stream --quick --model "${STREAM_MODEL:-nsm}" --out "$out/stream"
  nsm report --scale "$out/scale" --layer "$out/layer" --bench "$out/bench" --stream "$out/stream" \
    --out "$out/benchmarks.md" --images "$out/benchmarks"
else
  out=runs/benchmarks
  rm -rf "$out"
  # All kinds at the 2-layer, width-128 Transformer's parameter count; 40 s per measurement
  # (a cell past it is stopped and reported as timeout), 240 s to consume a generation context.
  nsm scale --lengths 256,1k,4k,16k,64k --contexts 1k,16k,64k --batch-tokens 4096 --budget 40 --prefill-budget 240 --max-rss-gb 8 --out "$out/scale"
  # One layer of equal width (issue 3).
  nsm scale --layer --lengths 1k,4k,16k --contexts 1k,16k,64k --batch-tokens 4096 --budget 40 --prefill-budget 240 --max-rss-gb 8 --out "$out/layer"
  # Tasks x models: equal steps and a 12 s wall-clock cap per run, 2 seeds.
  nsm bench --presets "$presets" --seeds 1,2 --max-seconds 12 --set train.eval_every=100 --out "$out/bench"
  # One million tokens through the NSM.
  nsm stream --model "${STREAM_MODEL:-nsm}" --tokens 1000000 --piece 2048 --every 100000 --out "$out/stream"
  rm -rf docs/benchmarks
  nsm report --scale "$out/scale" --layer "$out/layer" --bench "$out/bench" --stream "$out/stream" \
    --out docs/benchmarks.md --images docs/benchmarks
fi
echo "run-all finished in $(( $(date +%s) - start )) s"
