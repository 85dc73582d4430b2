#!/usr/bin/env bash
# Regenerates docs/benchmarks.md and docs/benchmarks/*.png end to end (about 20-30 minutes on
# 2 quiet cores). Every measurement goes to runs/benchmarks/<suite>/ (results.json, report.md,
# charts); `nsm report` then writes the page from those files.
#   bash bench/run-all.sh                 # the full run
#   THREADS=1 bash bench/run-all.sh       # libtorch threads (default: libtorch's choice, one per core);
#                                         # 1 is far steadier when other jobs share the cores
#   QUICK=1 bash bench/run-all.sh         # a smoke run of the same pipeline (writes runs/benchmarks-quick, not docs/)
#   STREAM_MODEL=rwkv bash bench/run-all.sh   # stream another kind than nsm
set -euo pipefail
cd "$(dirname "$0")/.."
build/link-shared-data.sh

dotnet build src/Nsm.Cli -c Release -m:1 -v q -nologo
nsm() { dotnet src/Nsm.Cli/bin/Release/net10.0/Nsm.Cli.dll "$@"; }
threads=${THREADS:-0}
stream_model=${STREAM_MODEL:-nsm}

# Task presets for `nsm bench`: those present in configs/.
presets=""
for p in copy-transformer selective-copy-transformer mqar-transformer listops-transformer; do
  [ -f "configs/$p.json" ] && presets="${presets:+$presets,}$p"
done

start=$(date +%s)
if [ "${QUICK:-0}" = "1" ]; then
  out=runs/benchmarks-quick
  rm -rf "$out"
  nsm scale --quick --threads "$threads" --out "$out/scale"
  nsm scale --quick --layer --threads "$threads" --out "$out/layer"
  nsm bench --quick --presets "$presets" --set "train.threads=$threads" --out "$out/bench"
  nsm stream --quick --model "$stream_model" --threads "$threads" --out "$out/stream"
  nsm report --scale "$out/scale" --layer "$out/layer" --bench "$out/bench" --stream "$out/stream" \
    --out "$out/benchmarks.md" --images "$out/benchmarks"
else
  out=runs/benchmarks
  rm -rf "$out"
  # Every kind at the 2-layer, width-128 Transformer's parameter count. A measurement gets 20 s
  # (a cell still running at 1.5x that + 20 s is stopped and reported as timeout; longer lengths
  # of that model and mode are then reported as skipped), plus 240 s to consume a generation context.
  nsm scale --lengths 256,1k,4k,16k,64k --contexts 1k,16k,64k --batch-tokens 4096 --budget 20 --prefill-budget 240 \
    --max-rss-gb 8 --threads "$threads" --out "$out/scale"
  # One NSM layer vs one Transformer layer of equal width (issue 3). The NSM layer runs chunks of
  # 128 tokens with a local window of 64 (the defaults, c = w = 16, suit the small task presets;
  # at 16k tokens they spend most of the time on the per-chunk loop: see docs/nsm.md).
  nsm scale --layer --lengths 1k,4k,16k --contexts 1k,16k,64k --batch-tokens 4096 --budget 20 --prefill-budget 240 \
    --set model.chunk_size=128 --set model.window=64 --max-rss-gb 8 --threads "$threads" --out "$out/layer"
  # Tasks x models at the preset's parameter count: the preset's steps, capped at 6 s of training per run; 2 seeds (listops: classification, macro F1).
  nsm bench --presets "$presets" --seeds 1,2 --max-seconds 6 --set "train.threads=$threads" --set train.eval_every=0 --set train.log_every=10 --out "$out/bench"
  # One million tokens through the NSM in pieces of 2,048.
  nsm stream --model "$stream_model" --tokens 1000000 --piece 2048 --every 100000 --threads "$threads" --out "$out/stream"
  rm -rf docs/benchmarks
  nsm report --scale "$out/scale" --layer "$out/layer" --bench "$out/bench" --stream "$out/stream" \
    --out docs/benchmarks.md --images docs/benchmarks
fi
echo "run-all finished in $(( $(date +%s) - start )) s"
