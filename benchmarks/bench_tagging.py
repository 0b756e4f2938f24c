"""Part-of-speech tagging on UD English EWT: RNNTagger against a CRF and the most frequent tag.

Universal Dependencies English Web Treebank, official split (12,544 training
sentences, 2,001 development and 2,077 test sentences;
``../shared/data/ud_english_ewt`` or ``$SKLEARN_RNN_UD_EWT``), universal POS
tags (17) by default, ``--tag xpos`` for the Penn tags (50). Models, each
trained on the training split only and scored on the test split. The
recurrent ones stop early on held-out sentences: with ``--stop-on train``
(the default) 10% of the training split, as ``fit(X, y)`` holds out; with
``--stop-on dev`` the official development split, passed as ``fit``'s
``validation_mask`` (the treebank's intended protocol, and that of published
taggers: all training sentences train, the development split only decides
when to stop). The CRF and the most frequent tag have no early stopping and
never read the development split.

- ``most-frequent``: each word's most frequent training tag; words never seen
  in training get the most frequent tag of the words seen once (an
  unknown word is most like a rare one);
- ``crf``: sklearn-crfsuite's linear-chain CRF (L-BFGS, c1=0.1, c2=0.1, 100
  iterations) over the usual hand-made word features: the word in
  lowercase, its 1-3 letter prefixes and suffixes, case and digit shapes, and
  the same of its neighbours (sklearn-crfsuite's tutorial features, plus
  prefixes);
- ``rnn``: ``RNNTagger()`` with its defaults (learned word embedding,
  character CNN, two bidirectional LSTM layers);
- ``rnn-glove``: ``RNNTagger(vectors='glove-6b-50d')``;
- any ``--candidate NAME='{"param": value}'``.

    python benchmarks/bench_tagging.py [--models most-frequent,crf,rnn,rnn-glove]
        [--candidate NAME=JSON ...] [--tag upos] [--seeds 0] [--stop-on train]
        [--eval test] [--out ...]

Prints per model: token accuracy on the test split, accuracy on the test
tokens whose (lowercased) word never occurs in training, fit seconds and
epochs; the RNNTagger's figures are means over ``--seeds`` (range in
brackets).
"""

import argparse
import json
import os
import platform
import time
from collections import Counter, defaultdict

import numpy as np
import torch
from run_all import cpu_description  # benchmarks/run_all.py, beside this script

from sklearn_rnn import RNNTagger
from sklearn_rnn.datasets import load_ud_english_ewt

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "data", "ud_english_ewt")


class MostFrequentTag:
    """Each word's most frequent training tag; an unseen word the commonest tag of rare words."""

    def fit(self, X, y):
        counts = defaultdict(Counter)
        for words, tags in zip(X, y):
            for w, t in zip(words, tags):
                counts[w.lower()][t] += 1
        self.tags_ = {w: c.most_common(1)[0][0] for w, c in counts.items()}
        rare = Counter(c.most_common(1)[0][0] for c in counts.values() if sum(c.values()) == 1)
        self.unknown_ = rare.most_common(1)[0][0]
        return self

    def predict(self, X):
        return [[self.tags_.get(w.lower(), self.unknown_) for w in words] for words in X]


def _shape(word, prefix):
    return {
        f"{prefix}lower": word.lower(),
        f"{prefix}suffix1": word[-1:],
        f"{prefix}suffix2": word[-2:],
        f"{prefix}suffix3": word[-3:],
        f"{prefix}prefix1": word[:1],
        f"{prefix}prefix2": word[:2],
        f"{prefix}prefix3": word[:3],
        f"{prefix}istitle": word.istitle(),
        f"{prefix}isupper": word.isupper(),
        f"{prefix}isdigit": word.isdigit(),
        f"{prefix}hasdigit": any(c.isdigit() for c in word),
        f"{prefix}hashyphen": "-" in word,
    }


def crf_features(words):
    out = []
    for i, word in enumerate(words):
        feats = {"bias": 1.0, **_shape(word, "")}
        if i > 0:
            feats.update(_shape(words[i - 1], "-1:"))
        else:
            feats["BOS"] = True
        if i < len(words) - 1:
            feats.update(_shape(words[i + 1], "+1:"))
        else:
            feats["EOS"] = True
        out.append(feats)
    return out


class CRFTagger:
    def fit(self, X, y):
        import sklearn_crfsuite

        self.crf_ = sklearn_crfsuite.CRF(
            algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100, all_possible_transitions=True
        )
        self.crf_.fit([crf_features(s) for s in X], y)
        return self

    def predict(self, X):
        return self.crf_.predict([crf_features(s) for s in X])


def score(model, X_test, y_test, seen):
    pred = model.predict(X_test)
    right = np.concatenate([np.asarray(p) == np.asarray(t) for p, t in zip(pred, y_test)])
    unseen = np.array([w.lower() not in seen for s in X_test for w in s])
    return float(right.mean()), float(right[unseen].mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKLEARN_RNN_UD_EWT", DEFAULT_DATA))
    parser.add_argument("--tag", default="upos")
    parser.add_argument("--models", default="most-frequent,crf,rnn,rnn-glove")
    parser.add_argument("--candidate", action="append", default=[], metavar="NAME=JSON")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--n-train", type=int, help="use the first N training sentences")
    parser.add_argument(
        "--eval",
        default="test",
        choices=["test", "dev"],
        help="the split scored: 'dev' for choosing settings, 'test' for the reported figures",
    )
    parser.add_argument(
        "--stop-on",
        default="train",
        choices=["train", "dev"],
        help="the recurrent models' early-stopping sentences: 10%% of the training split, "
        "or the development split (with --eval test only)",
    )
    parser.add_argument("--out", default=os.path.join(HERE, "results", "bench_tagging.json"))
    args = parser.parse_args()
    if args.stop_on == "dev" and args.eval == "dev":
        parser.error("--stop-on dev stops on the split --eval dev scores; use --stop-on train")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    X_train, y_train = load_ud_english_ewt("train", tag=args.tag, path=args.data)
    X_test, y_test = load_ud_english_ewt(args.eval, tag=args.tag, path=args.data)
    if args.n_train:
        X_train, y_train = X_train[: args.n_train], y_train[: args.n_train]
    X_stop, y_stop = [], []
    if args.stop_on == "dev":
        X_stop, y_stop = load_ud_english_ewt("dev", tag=args.tag, path=args.data)
    seen = {w.lower() for s in X_train for w in s}
    n_unseen = sum(w.lower() not in seen for s in X_test for w in s)
    print(
        f"UD English EWT ({args.tag}): {len(X_train)} training sentences, {len(X_test)} "
        f"{args.eval} sentences, {sum(map(len, X_test))} {args.eval} tokens, {n_unseen} of them "
        "unseen in training; the recurrent models stop early on "
        + ("10% of the training split" if args.stop_on == "train" else "the development split")
    )
    candidates = {"rnn": {}, "rnn-glove": {"vectors": "glove-6b-50d"}}
    for spec in args.candidate:
        key, _, params = spec.partition("=")
        candidates[key] = json.loads(params)
    models = args.models.split(",") + [c for c in candidates if c not in ("rnn", "rnn-glove")]
    seeds = [int(s) for s in args.seeds.split(",")]
    results = {}
    print(f"\n{'model':16s} {'accuracy':>18s} {'unseen words':>18s} {'fit s':>7s} {'epochs':>7s}")
    for name in dict.fromkeys(models):
        runs = []
        for seed in seeds if name in candidates else [None]:
            if name == "most-frequent":
                model = MostFrequentTag()
            elif name == "crf":
                model = CRFTagger()
            elif name in candidates:
                model = RNNTagger(random_state=seed, **candidates[name])
            else:
                parser.error(f"unknown model {name!r}")
            start = time.perf_counter()
            if X_stop and isinstance(model, RNNTagger) and model.early_stopping:
                stop = np.r_[np.zeros(len(X_train), bool), np.ones(len(X_stop), bool)]
                model.fit(X_train + X_stop, y_train + y_stop, validation_mask=stop)
            else:
                model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            acc, unseen = score(model, X_test, y_test, seen)
            epochs = len(model.history_) if hasattr(model, "history_") else None
            runs.append(dict(seed=seed, accuracy=acc, unseen=unseen, fit_s=seconds, epochs=epochs))
            if len(seeds) > 1 and name in candidates:  # a long run: show each seed as it ends
                print(
                    f"  {name} seed {seed}: {acc:.4f}, unseen words {unseen:.4f}, "
                    f"{seconds:.0f} s, {epochs} epochs",
                    flush=True,
                )
        results[name] = {"params": candidates.get(name), "runs": runs}
        acc = [r["accuracy"] for r in runs]
        unseen = [r["unseen"] for r in runs]
        spread = lambda v: f" [{min(v):.4f}-{max(v):.4f}]" if len(v) > 1 else ""  # noqa: E731
        epochs = runs[0]["epochs"]
        print(
            f"{name:16s} {np.mean(acc):>8.4f}{spread(acc):>10s} {np.mean(unseen):>8.4f}"
            f"{spread(unseen):>10s} {np.mean([r['fit_s'] for r in runs]):7.0f} "
            f"{'' if epochs is None else np.mean([r['epochs'] for r in runs]):>7}",
            flush=True,
        )
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(
            {
                "command": "python benchmarks/bench_tagging.py "
                + " ".join(
                    f"--{k.replace('_', '-')} {v}"
                    for k, v in vars(args).items()
                    if k not in ("out", "data") and v not in (None, [])
                ),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                f"torch {torch.__version__}",
                "cpu": cpu_description(),
                "scored_split": args.eval,
                "early_stopping_sentences": "10% of the training split"
                if args.stop_on == "train"
                else "the development split",
                "n_unseen_scored_tokens": n_unseen,
                "results": results,
            },
            f,
            indent=1,
        )


if __name__ == "__main__":
    main()
