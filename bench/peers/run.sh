#!/usr/bin/env bash
# Peer benchmarks: bptt's own `bench` against numpy and PyTorch on the same workloads,
# back to back on this machine, then a table (summarize.py).
#
#   npm run bench:peers                 # from the repo root; 5 s per measurement
#   SECONDS=10 npm run bench:peers      # longer measurements
#   ROUNDS=3 npm run bench:peers        # everything 3 times, interleaved: medians and ranges
#
# Optional environment:
#   SECONDS        timed seconds per measurement (default 5; fractions allowed)
#   ROUNDS         how many times to run the whole set (default 1). This machine is shared and
#                  the peers' numbers move by up to 30% from one minute to the next: with several
#                  rounds the table shows each row's median and range, and the ratios are taken
#                  within each round (bptt first in odd rounds, last in even ones) and summarised
#                  by their median.
#   PY             the python with numpy and torch (default /usr/bin/python3, Debian's)
#   PY_NUMPY       the python for the numpy runs (default $PY), e.g. one with pip's numpy 2.x
#   BPTT_BACKENDS  bptt's backends to bench, e.g. "native wasm-relaxed" (default: every one available)
#   PEERS_OUT      also keep the collected JSON lines in this file
#   PEERS_EXTRA=0  skip the extra single-thread peer runs (numpy float32 and torch at 1 BLAS thread)
#   PEERS_SKIP_BPTT=1  skip bptt's own bench (peers only; the table then has no ratios)
set -u -o pipefail

# SECONDS is special in bash: without it in the environment it counts the shell's run time,
# and an imported value keeps counting up. Read what the caller really passed from the
# process's initial environment.
requested_seconds=""
if [[ -r /proc/$$/environ ]]; then
  requested_seconds=$(tr '\0' '\n' < /proc/$$/environ | sed -n 's/^SECONDS=//p' | head -n 1)
fi
S=${requested_seconds:-5}
if ! [[ $S =~ ^[0-9]+([.][0-9]+)?$ ]] || [[ $S =~ ^0+([.]0+)?$ ]]; then
  echo "run.sh: SECONDS must be a positive number of seconds, got '$S'" >&2
  exit 2
fi
ROUNDS=${ROUNDS:-1}
if ! [[ $ROUNDS =~ ^[1-9][0-9]*$ ]]; then
  echo "run.sh: ROUNDS must be a whole number of rounds, 1 or more, got '$ROUNDS'" >&2
  exit 2
fi
ROUND=1

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=${PY:-/usr/bin/python3}
if [[ ! -x $PY ]]; then
  echo "run.sh: $PY not found; falling back to python3 on PATH (it may lack numpy/torch)" >&2
  PY=$(command -v python3 || true)
  [[ -n $PY ]] || { echo "run.sh: no python3 at all" >&2; exit 2; }
fi
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on some processors and slow OpenBLAS down:
# unset them for the benchmark processes only.
PYENV=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
PY_NUMPY=${PY_NUMPY:-$PY}

OUT=$(mktemp "${TMPDIR:-/tmp}/bptt-peers.XXXXXX.jsonl")
TEXT_FILE=$(mktemp "${TMPDIR:-/tmp}/bptt-peers-text.XXXXXX.txt")
cleanup() {
  if [[ -n ${PEERS_OUT:-} ]]; then cp "$OUT" "$PEERS_OUT" && echo "JSON lines kept in $PEERS_OUT"; fi
  rm -f "$OUT" "$TEXT_FILE"
}
trap cleanup EXIT

cpu_busy() { # percent of all cores busy over a 1 s sample (other work: nothing of ours runs then)
  local a b
  a=($(head -n1 /proc/stat)); sleep 1; b=($(head -n1 /proc/stat))
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  (( total > 0 )) && echo $(( 100 * (total - idle) / total )) || echo 0
}

meta() { # meta KEY VALUE: a line summarize.py shows under the table
  "$PY" -c 'import json,sys; print(json.dumps({"meta": sys.argv[1], "value": sys.argv[2]}))' "$1" "$2" >> "$OUT"
}

# run LABEL CMD...: runs CMD, shows its output, keeps its JSON lines; a failure is recorded, not fatal.
run() {
  local label=$1
  shift
  echo "--- $label"
  "$@" 2> >(sed 's/^/    (stderr) /' >&2) | while IFS= read -r line; do
    if [[ $line == \{* ]]; then
      echo "{\"round\": $ROUND, ${line#\{}" >> "$OUT"
      echo "    $(cut -c1-160 <<< "$line")"
    else
      echo "    $line"
    fi
  done
  local rc=${PIPESTATUS[0]}
  if [[ $rc -ne 0 ]]; then
    echo "    FAILED (exit $rc)"
    "$PY" -c 'import json,sys; print(json.dumps({"failed": sys.argv[1], "exit": int(sys.argv[2])}))' "$label" "$rc" >> "$OUT"
  fi
}

echo "bptt peer benchmarks: $S s per measurement, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "python: $PY"
meta "seconds per measurement" "$S"
meta "rounds" "$ROUNDS"
meta "load average at start (1/5/15 min)" "$(cut -d' ' -f1-3 /proc/loadavg)"
meta "CPU busy with other work at start (%)" "$(cpu_busy)"
(cd "$ROOT" && npx tsx bench/peers/workload-text.ts > "$TEXT_FILE") || { echo "run.sh: could not write the text workload's text" >&2; exit 2; }
echo "--- which BLAS numpy uses"
blas_out=$("${PYENV[@]}" "$PY_NUMPY" "$HERE/numpy_rnn.py" --blas-info 2>&1) || true
sed 's/^/    /' <<< "$blas_out"
meta "numpy BLAS" "$(grep -m1 '^{' <<< "$blas_out" || echo "unknown (numpy missing?)")"

# 1. bptt's own benchmark (every backend, every workload), from the repo root.
run_bptt() {
  if [[ ${PEERS_SKIP_BPTT:-0} != 1 ]]; then
    if [[ -n ${BPTT_BACKENDS:-} ]]; then
      local backend
      for backend in $BPTT_BACKENDS; do
        run "bptt bench --json --backend $backend --seconds $S" bash -c "cd \"$ROOT\" && exec npx tsx src/cli/main.ts bench --json --backend $backend --seconds $S"
      done
    else
      run "bptt bench --json --seconds $S" bash -c "cd \"$ROOT\" && exec npx tsx src/cli/main.ts bench --json --seconds $S"
    fi
  fi
}

run_peers() {
  # 2. numpy, float64 and float32, 2 BLAS threads (+ float32 at 1 thread: bptt's backends are mostly 1-thread).
  for workload in seed small; do
    for dtype in float64 float32; do
      run "numpy $dtype $workload, 2 BLAS threads" "${PYENV[@]}" OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 \
        "$PY_NUMPY" "$HERE/numpy_rnn.py" --workload "$workload" --dtype "$dtype" --seconds "$S" --threads 2
    done
    if [[ ${PEERS_EXTRA:-1} != 0 ]]; then
      run "numpy float32 $workload, 1 BLAS thread (extra)" "${PYENV[@]}" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
        "$PY_NUMPY" "$HERE/numpy_rnn.py" --workload "$workload" --dtype float32 --seconds "$S" --threads 1
    fi
  done

  # 3. PyTorch float32: torch threads (OpenMP, ATen ops) × BLAS threads (OpenBLAS, matmuls).
  #    OMP_WAIT_POLICY=passive everywhere (it only matters with 2 torch threads, where spinning
  #    OpenMP workers would fight OpenBLAS's threads for the 2 cores).
  torch_run() { # workload, torch threads, BLAS threads
    run "torch float32 $1, torch.set_num_threads($2), $3 BLAS threads" \
      "${PYENV[@]}" OMP_WAIT_POLICY=passive OPENBLAS_NUM_THREADS="$3" MKL_NUM_THREADS="$3" \
      "$PY" "$HERE/torch_rnn.py" --workload "$1" --dtype float32 --seconds "$S" --threads "$2" --blas-threads "$3"
  }
  torch_configs=("1 2" "2 2")
  [[ ${PEERS_EXTRA:-1} != 0 ]] && torch_configs+=("1 1")
  for workload in seed small; do
    for config in "${torch_configs[@]}"; do torch_run "$workload" $config; done
  done

  # 4. PyTorch nn.LSTM and nn.GRU on the small shape, against bptt's lstm and gru workloads.
  for workload in lstm gru; do
    for config in "1 1" "1 2"; do torch_run "$workload" $config; done
  done

  # 5. The text workload: nn.LSTM in torch_stream.py, the recipe of bptt's (src/train/benchmark.ts), on the
  #    same text (the dinosaur names as one running text: the speed depends on the shapes, not the text).
  for config in "1 1" "1 2" "2 2"; do
    set -- $config
    run "torch float32 text (nn.LSTM, stream), torch.set_num_threads($1), $2 BLAS threads" \
      "${PYENV[@]}" OMP_WAIT_POLICY=passive OPENBLAS_NUM_THREADS="$2" MKL_NUM_THREADS="$2" \
      "$PY" "$HERE/torch_stream.py" "$TEXT_FILE" --workload text --cell lstm --hidden 256 --embed 64 --layers 1 \
      --batch 32 --seq 64 --dropout 0.4 --optimizer adagrad --lr 0.04 --clip 5 --val 0 --speed-only --seconds "$S" --threads "$1"
  done
}

for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
  (( ROUNDS > 1 )) && echo "=== round $ROUND of $ROUNDS"
  if (( ROUND % 2 == 1 )); then run_bptt; run_peers; else run_peers; run_bptt; fi
done

meta "load average at end (1/5/15 min)" "$(cut -d' ' -f1-3 /proc/loadavg)"
meta "CPU busy with other work at end (%)" "$(cpu_busy)"
echo
"$PY" "$HERE/summarize.py" "$OUT"
