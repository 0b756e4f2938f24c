"""Run every benchmark, one after the other (never two at once: they would share the cores).

    python benchmarks/run_all.py [--quick]

Each ``bench_*.py`` prints its tables and writes ``benchmarks/results/<name>.json``;
this script also writes ``benchmarks/results/machine.json`` (CPU, memory, versions).
``--quick`` passes small sizes, to check that the suite runs (its figures are noisy,
so it writes them to a temporary folder, not over the committed results).
"""

import argparse
import glob
import json
import os
import platform
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
QUICK_ARGS = {
    "bench_accuracy.py": ["--sets", "cr", "--use-folds", "1", "--models", "default,bow-bigram"],
    "bench_text.py": ["--repeats", "1"],
    "bench_train.py": [
        *("--n-train", "256", "--n-test", "256", "--repeats", "1", "--hidden", "32"),
        *("--epochs", "2"),
    ],
    "bench_buckets_accuracy.py": ["--n", "300", "--seeds", "2"],
    "bench_forecast.py": [
        *("--series", "nile", "--models"),
        "last,snaive,ridge,ridge-half,ets,lstm,lstm-half,ridge-half+ets,lstm-half+ets",
    ],
    "bench_forecast_panel.py": ["--panels", "macro", "--series", "woolyrnq"],
    "bench_tagging.py": ["--n-train", "500", "--models", "most-frequent,crf,rnn"],
    "bench_search.py": ["--sets", "cr", "--max-epochs", "3"],
    "bench_neighbour.py": ["--n", "300", "--models", "rnn-32"],
    "bench_gpu.py": ["--n-train", "512", "--n-test", "256", "--hidden", "32", "--epochs", "2"],
}

#: Benchmarks that measure the CUDA path: skipped, and said so, without a GPU.
NEEDS_GPU = {"bench_gpu.py"}


#: Instruction-set flags that decide the speed of torch's and TensorFlow's CPU kernels.
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile", "amx_bf16")


def machine():
    info = {"platform": platform.platform(), "python": sys.version.split()[0]}
    info["cpus"] = os.cpu_count()
    try:
        with open("/proc/cpuinfo") as f:
            lines = f.read().splitlines()
        names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
        flags = [line.split(":", 1)[1].split() for line in lines if line.startswith("flags")]
        info["cpu"] = names[0] if names else None
        # "model name" is often generic on cloud machines ("Intel(R) Xeon(R)
        # Processor"); family and model numbers tell the generation (6/106:
        # Ice Lake, 6/143: Sapphire Rapids; AMD: family 25 Zen 3/4, 26 Zen 5).
        numbers = {
            key: line.split(":", 1)[1].strip()
            for line in lines
            for key in ("cpu family", "model")
            if line.split(":", 1)[0].strip() == key
        }
        if numbers:
            info["cpu_family_model"] = f"{numbers.get('cpu family')}/{numbers.get('model')}"
        info["cpu_flags"] = [flag for flag in CPU_FLAGS if flags and flag in flags[0]]
        with open("/proc/meminfo") as f:
            info["memory_gb"] = round(int(f.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    import sklearn
    import torch

    info.update(torch=torch.__version__, scikit_learn=sklearn.__version__)
    capability = getattr(torch.backends.cpu, "get_cpu_capability", lambda: "unknown")
    info["torch_cpu_capability"] = capability()
    info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def cpu_description():
    """The CPU a figure was measured on, for a benchmark's JSON record.

    Its model name, family/model numbers, the instruction-set flags that
    decide the kernels' speed, torch's CPU capability, the core count and
    torch's thread count: figures from two CPUs are not comparable.
    """
    import torch

    info = machine()
    return {
        "model": info.get("cpu") or platform.processor() or "unknown",
        "family_model": info.get("cpu_family_model"),
        "flags": info.get("cpu_flags", []),
        "torch_capability": info["torch_cpu_capability"],
        "cpus": info["cpus"],
        "torch_threads": torch.get_num_threads(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "machine.json"), "w") as f:
        json.dump(machine(), f, indent=2)
    quick_out = tempfile.mkdtemp(prefix="bench-quick-") if args.quick else None
    failed = []
    for script in sorted(glob.glob(os.path.join(HERE, "bench_*.py"))):
        name = os.path.basename(script)
        print(f"\n=== {name} ===", flush=True)
        if name in NEEDS_GPU and not machine()["cuda"]:
            print("skipped: needs a CUDA GPU (torch.cuda.is_available() is False)")
            continue
        extra = []
        if args.quick:
            out = os.path.join(quick_out, name.replace(".py", ".json"))
            extra = [*QUICK_ARGS.get(name, []), "--out", out]
        if subprocess.run([sys.executable, script, *extra]).returncode != 0:
            failed.append(name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
