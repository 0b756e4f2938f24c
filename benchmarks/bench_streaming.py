"""Peak memory of training on text streamed from disk, at 1x and 10x the documents.

    python benchmarks/bench_streaming.py [--data ../shared/data/imdb/imdb_50k.csv.gz]
                                         [--n-docs 25000] [--scale 10] [--chunksize 5000]

Writes CSV files of ``n`` and ``scale * n`` IMDB reviews (the 50k reviews
cycled; a temporary folder), then trains, each run in a fresh process whose
peak resident memory (``ru_maxrss``) is read at the end:

- ``stream-bow``: ``HashingOneHot(output_mode='binary')`` and
  ``SGDClassifier.partial_fit`` over chunks read with ``pandas.read_csv(chunksize=)``;
- ``stream-rnn``: ``HashingOneHot()`` id sequences and
  ``RNNClassifier(num_embeddings=n_features).partial_fit`` over the same chunks;
- ``in-memory-bow`` / ``in-memory-rnn`` (the references): the same models
  with the whole file read, hashed and fitted at once.

Each model is then scored on the first 5,000 test reviews (scored in chunks,
not counted in the peak, which is read before scoring). Prints a table (peak
MB, growth over the process after imports, 10x/1x ratio) and writes
benchmarks/results/bench_streaming.json.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

DEFAULT_DATA = os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data", "imdb", "imdb_50k.csv.gz"
)
MODES = ["stream-bow", "in-memory-bow", "stream-rnn", "in-memory-rnn"]
N_FEATURES = 2**16


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _models():
    from sklearn.linear_model import SGDClassifier

    from sklearn_rnn import HashingOneHot, RNNClassifier

    bow = (
        HashingOneHot(n_features=N_FEATURES, output_mode="binary"),
        SGDClassifier(random_state=0),
    )
    rnn = (
        HashingOneHot(n_features=N_FEATURES),
        RNNClassifier(
            cell="gru",
            num_embeddings=N_FEATURES,
            embedding_dim=32,
            hidden_size=32,
            max_epochs=1,
            batch_size=64,
            early_stopping=False,
            ensemble_size=1,
            linear_ngrams=0,
            random_state=0,
        ),
    )
    return {"bow": bow, "rnn": rnn}


def worker(mode, path, test_path, chunksize):
    """One training run; prints a JSON line with its memory figures."""
    import pandas as pd

    kind = mode.rsplit("-", 1)[1]
    hasher, model = _models()[kind]
    after_imports = _peak_mb()
    start = time.perf_counter()
    n = 0
    if mode.startswith("stream"):
        for chunk in pd.read_csv(path, chunksize=chunksize):
            model.partial_fit(hasher.transform(chunk["text"]), chunk["label"], classes=[0, 1])
            n += len(chunk)
    else:
        frame = pd.read_csv(path)
        n = len(frame)
        model.fit(hasher.transform(frame["text"]), frame["label"])
    seconds = time.perf_counter() - start
    peak = _peak_mb()
    correct = total = 0
    for chunk in pd.read_csv(test_path, chunksize=chunksize):
        correct += int((model.predict(hasher.transform(chunk["text"])) == chunk["label"]).sum())
        total += len(chunk)
    print(
        json.dumps(
            {
                "mode": mode,
                "n_docs": n,
                "peak_mb": round(peak, 1),
                "after_imports_mb": round(after_imports, 1),
                "growth_mb": round(peak - after_imports, 1),
                "train_seconds": round(seconds, 1),
                "test_accuracy": round(correct / total, 4),
            }
        )
    )


def _write(frame, n, path):
    reps = -(-n // len(frame))
    import pandas as pd

    pd.concat([frame] * reps, ignore_index=True).iloc[:n].to_csv(path, index=False)
    return os.path.getsize(path) / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKLEARN_RNN_IMDB", DEFAULT_DATA))
    parser.add_argument("--n-docs", type=int, default=25000)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--chunksize", type=int, default=5000)
    parser.add_argument("--modes", nargs="+", default=MODES, choices=MODES)
    parser.add_argument(
        "--out",
        default=os.path.join(os.path.dirname(__file__), "results", "bench_streaming.json"),
    )
    parser.add_argument(
        "--worker", nargs=3, metavar=("MODE", "PATH", "TEST"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.worker:
        return worker(*args.worker, args.chunksize)

    import pandas as pd

    frame = pd.read_csv(args.data).sample(frac=1.0, random_state=0)
    train = frame[frame["split"] == "train"][["text", "label"]]
    test = frame[frame["split"] == "test"][["text", "label"]].iloc[:5000]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-streaming-") as tmp:
        test_path = os.path.join(tmp, "test.csv")
        test.to_csv(test_path, index=False)
        sizes = {}
        for factor in (1, args.scale):
            n = args.n_docs * factor
            path = os.path.join(tmp, f"train_{factor}x.csv")
            sizes[factor] = (path, _write(train, n, path))
            print(f"{factor}x: {n} documents, {sizes[factor][1]:.0f} MB of CSV", flush=True)
        for mode in args.modes:
            for factor, (path, mb) in sizes.items():
                out = subprocess.run(
                    [sys.executable, __file__, "--worker", mode, path, test_path]
                    + ["--chunksize", str(args.chunksize)],
                    capture_output=True,
                    text=True,
                )
                if out.returncode != 0:
                    sys.exit(out.stderr)
                row = json.loads(out.stdout.strip().splitlines()[-1])
                row.update(factor=factor, csv_mb=round(mb, 1))
                results.append(row)
                print(json.dumps(row), flush=True)

    print(f"\nPeak resident memory, chunks of {args.chunksize} documents (MB)")
    header = f"{'mode':<15}{'docs':>9}{'CSV':>7}{'peak':>8}{'growth':>8}{'x 1x':>7}"
    print(header + f"{'train s':>9}{'test acc':>10}")
    for row in results:
        base = next(r for r in results if r["mode"] == row["mode"] and r["factor"] == 1)
        row["growth_ratio_vs_1x"] = round(row["growth_mb"] / base["growth_mb"], 2)
        print(
            f"{row['mode']:<15}{row['n_docs']:>9}{row['csv_mb']:>7.0f}{row['peak_mb']:>8.0f}"
            f"{row['growth_mb']:>8.0f}{row['growth_ratio_vs_1x']:>7.2f}"
            f"{row['train_seconds']:>9.1f}{row['test_accuracy']:>10.4f}"
        )
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"chunksize": args.chunksize, "rows": results}, f, indent=2)


if __name__ == "__main__":
    main()
