"""Time TextTokenizer against scikit-learn's CountVectorizer on the IMDB training set,
and PretrainedEmbedding's GloVe loading and alignment.

    python benchmarks/bench_text.py [--data ../shared/data/imdb/imdb_50k.csv.gz] [--repeats 3]

Prints a table (median of the repeats, reference and ours alternated in one run)
and writes benchmarks/results/bench_text.json.
"""

import argparse
import json
import os
import time

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer, strip_tags

from sklearn_rnn import PretrainedEmbedding, TextTokenizer, load_word_vectors
from sklearn_rnn._vectors import _glove_package_index, align_vectors

DEFAULT_DATA = os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data", "imdb", "imdb_50k.csv.gz"
)


def _time(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKLEARN_RNN_IMDB", DEFAULT_DATA))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--out", default=os.path.join(os.path.dirname(__file__), "results", "bench_text.json")
    )
    args = parser.parse_args()

    frame = pd.read_csv(args.data)
    texts = frame.loc[frame["split"] == "train", "text"].tolist()
    print(f"IMDB training set: {len(texts)} reviews")

    rows = {
        "CountVectorizer.fit_transform": [],
        "TextTokenizer.fit_transform": [],
        "TextTokenizer.transform": [],
    }
    pattern = r"(?u)\b\w+\b"
    for _ in range(args.repeats):
        t, _ = _time(lambda: CountVectorizer(token_pattern=pattern).fit_transform(texts))
        rows["CountVectorizer.fit_transform"].append(t)
        tok = TextTokenizer()
        t, seqs = _time(lambda: tok.fit_transform(texts))
        rows["TextTokenizer.fit_transform"].append(t)
        t, _ = _time(lambda: tok.transform(texts))
        rows["TextTokenizer.transform"].append(t)
    ref = np.median(rows["CountVectorizer.fit_transform"])
    print(f"\n{'step':38s} {'median s':>9s} {'speed vs CountVectorizer':>25s}")
    for name, times in rows.items():
        print(f"{name:38s} {np.median(times):9.2f} {ref / np.median(times):24.2f}x")

    results = {name: float(np.median(t)) for name, t in rows.items()}
    results["n_tokens"] = int(sum(len(s) for s in seqs))
    results["vocabulary_size"] = tok.vocabulary_size_

    emb_rows = []
    for max_tokens in (None, 20000):
        tok = TextTokenizer(preprocessor=strip_tags, max_tokens=max_tokens).fit(texts)
        times = []
        for _ in range(args.repeats):
            _glove_package_index.cache_clear()  # cold: read the word index every time
            t, (matrix, found) = _time(
                lambda: align_vectors(
                    *load_word_vectors("glove-6b-50d"), tok.get_vocabulary(), random_state=0
                )
            )
            times.append(t)
        emb = PretrainedEmbedding(tokenizer=tok, random_state=0).fit(texts)
        emb_rows.append(
            (max_tokens, np.median(times), matrix.shape, emb.type_coverage_, emb.token_coverage_)
        )
    print(
        f"\n{'GloVe 6B-50d, max_tokens':26s} {'load+align s':>12s} {'matrix':>12s} "
        f"{'type coverage':>13s} {'token coverage':>14s}"
    )
    for max_tokens, t, shape, tc, kc in emb_rows:
        print(f"{str(max_tokens):26s} {t:12.2f} {str(shape):>12s} {tc:13.3f} {kc:14.3f}")
        results[f"glove_load_align_s_max_tokens_{max_tokens}"] = float(t)
        results[f"glove_type_coverage_max_tokens_{max_tokens}"] = tc
        results[f"glove_token_coverage_max_tokens_{max_tokens}"] = kc

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
