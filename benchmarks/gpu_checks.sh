#!/usr/bin/env bash
# The GPU checks in one command: the test suite with every estimator training on
# the GPU (device='auto'), then benchmarks/bench_gpu.py with its variants.
#
# On a machine with a CUDA GPU and torch, from the repository root:
#
#     benchmarks/gpu_checks.sh [OUT_DIR]
#
# skorch must be importable (pip install -e . does it; on a machine without an
# index, install a wheel of skorch fetched elsewhere first). IMDB comes from
# SKLEARN_RNN_IMDB_IDS, an .npz written anywhere by
#     python benchmarks/bench_gpu.py --save-ids imdb_ids.npz
# (so the GPU machine spends no time tokenizing), else from SKLEARN_RNN_IMDB or
# ../shared/data/imdb/imdb_50k.csv.gz. Logs and JSON go to OUT_DIR (default
# gpu-checks/). About 7 minutes on an H200: 70 s of tests, then the grid (three fits a cell).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-gpu-checks}"
mkdir -p "$out"
python3 -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU'" || exit 2
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"

# pytest-xdist spreads the tests over the host's cores; its absence runs them in one process.
workers=()
python3 -c "import xdist" 2>/dev/null && workers=(-n 8)
OMP_NUM_THREADS=2 python3 -m pytest -q -p no:cacheprovider "${workers[@]}" tests sklearn_rnn \
    -o addopts='-m "not slow" --doctest-modules -ra' >"$out/tests.log" 2>&1
grep -E "passed|failed" "$out/tests.log" | tail -1
grep -E "^(FAILED|ERROR)" "$out/tests.log" | head -40

data=()
if [ -n "${SKLEARN_RNN_IMDB_IDS:-}" ]; then data=(--ids "$SKLEARN_RNN_IMDB_IDS"); fi
PYTHONUNBUFFERED=1 python3 benchmarks/bench_gpu.py "${data[@]}" --epochs 4 --on-device --pinned \
    --out "$out/bench_gpu.json" 2>&1 | tee "$out/bench_gpu.log"
