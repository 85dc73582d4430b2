#!/usr/bin/env bash
# Data-parallel throughput on this machine (docs/distributed.md): associative-recall-nsm with a
# global batch of 32 in five layouts, one markdown row each from the run's summary.json.
#
#   bench/distributed.sh [STEPS] [OUT]        (defaults: 300 runs/bench-distributed)
#
# Layouts: 1 rank x 2 threads; 2 ranks x 1 thread over shared memory (vader); the same 2 ranks
# over TCP on the loopback interface, placed from a hostfile (the transport between machines);
# 1 rank x 2 threads accumulating 2 micro-batches of 16 (train.grad_accum); and 1 rank x 1 thread
# with batch 16 (half the work, for the scaling efficiency). Needs Open MPI (apt-get install openmpi-bin).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-300}
out=${2:-runs/bench-distributed}
cli=src/Nsm.Cli/bin/Release/net10.0/Nsm.Cli.dll
dotnet build src/Nsm.Cli -c Release -v q -nologo >&2
rm -rf "$out" && mkdir -p "$out"
# Containers without CMA (Open MPI issue 4948).
export OMPI_MCA_btl_vader_single_copy_mechanism=none
common=(--preset associative-recall-nsm --set "train.steps=$steps" --set train.eval_every=0)
mpi=(mpirun -np 2 --allow-run-as-root -x OMP_NUM_THREADS=1 -x OMPI_MCA_btl_vader_single_copy_mechanism)
printf 'localhost slots=2\n' > "$out/hostfile"

OMP_NUM_THREADS=2 dotnet "$cli" train "${common[@]}" --set train.batch_size=32 --set train.threads=2 --out "$out/1x2" >"$out/1x2.log" 2>&1
"${mpi[@]}" --oversubscribe dotnet "$cli" train "${common[@]}" --set train.batch_size=16 --set train.threads=1 --out "$out/2x1-shm" >"$out/2x1-shm.log" 2>&1
"${mpi[@]}" --hostfile "$out/hostfile" --mca btl tcp,self --mca btl_tcp_if_include lo \
  dotnet "$cli" train "${common[@]}" --set train.batch_size=16 --set train.threads=1 --out "$out/2x1-tcp" >"$out/2x1-tcp.log" 2>&1
OMP_NUM_THREADS=2 dotnet "$cli" train "${common[@]}" --set train.batch_size=16 --set train.grad_accum=2 --set train.threads=2 --out "$out/1x2-accum2" >"$out/1x2-accum2.log" 2>&1
OMP_NUM_THREADS=1 dotnet "$cli" train "${common[@]}" --set train.batch_size=16 --set train.threads=1 --out "$out/1x1-half" >"$out/1x1-half.log" 2>&1

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
print("| layout | tokens/s | step ms | allreduce ms/step | wall (s) | final train loss | eval loss |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for name, what in [("1x2", "1 rank x 2 threads, batch 32"), ("2x1-shm", "2 ranks x 1 thread, batch 16 each, shared memory"),
                   ("2x1-tcp", "2 ranks x 1 thread, batch 16 each, TCP on loopback (hostfile)"),
                   ("1x2-accum2", "1 rank x 2 threads, 2 micro-batches of 16"), ("1x1-half", "1 rank x 1 thread, batch 16 (half the work)")]:
    s = json.load(open(f"{out}/{name}/summary.json"))
    step_ms = 1000 * s["train_tokens"] / s["steps"] / s["train_tokens_per_sec"]
    ar = s.get("allreduce_ms_per_step")
    print(f"| {what} | {s['train_tokens_per_sec']:,.0f} | {step_ms:.1f} | {'%.2f' % ar if ar is not None else ''} | {s['wall_seconds']:.1f} | {s['final_train_loss']:.6f} | {s['eval']['loss']:.4f} |")
PY
