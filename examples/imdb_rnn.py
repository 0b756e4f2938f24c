"""Train a recurrent classifier on raw IMDB reviews, in one scikit-learn Pipeline.
=================================================================================

The official 25k/25k split from ``$SKLEARN_RNN_IMDB`` or
``../shared/data/imdb/imdb_50k.csv.gz``. Hyperparameters are fixed in advance
and early stopping uses a validation split drawn from the training reviews
only, so the test set is touched once, at the end.

Run it::

    python examples/imdb_rnn.py [--cell lstm] [--maxlen 400] [--max-epochs 8] [--n-train N]
"""

# Its figure from a docs-configuration run, shown when the build has no data to run it.
# sphinx_gallery_thumbnail_path = "_static/thumbnails/imdb_rnn.png"

import argparse
import json
import os
import sys
import time

import pandas as pd
from sklearn.feature_extraction.text import strip_tags
from sklearn.pipeline import make_pipeline

from sklearn_rnn import RNNClassifier, SequencePadder, TextTokenizer

# The docs gallery runs this file without __file__; its argv[0] is the file.
HERE = os.path.dirname(os.path.abspath(globals().get("__file__", sys.argv[0])))
IMDB = os.environ.get(
    "SKLEARN_RNN_IMDB", os.path.join(HERE, "..", "..", "shared", "data", "imdb", "imdb_50k.csv.gz")
)


def plot_history(history, test_accuracy):
    """Training and validation loss, and validation accuracy, per epoch (skorch's history)."""
    import matplotlib.pyplot as plt

    epochs = history[:, "epoch"]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.5))
    ax_loss.plot(epochs, history[:, "train_loss"], label="training")
    ax_loss.plot(epochs, history[:, "valid_loss"], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss")
    ax_loss.legend()
    ax_acc.plot(epochs, history[:, "valid_acc"], marker="o", label="validation")
    ax_acc.axhline(test_accuracy, color="black", linestyle="--", label="test (best epoch)")
    ax_acc.set(xlabel="epoch", ylabel="accuracy")
    ax_acc.legend()
    fig.tight_layout()
    return fig


def main():
    parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
    parser.add_argument("--data", default=IMDB)
    parser.add_argument("--cell", default="lstm", choices=["rnn", "lstm", "gru"])
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--maxlen", type=int, default=400)
    parser.add_argument("--max-epochs", type=int, default=8)
    parser.add_argument("--patience", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--embedding-dropout", type=float, default=0.3)
    parser.add_argument("--n-train", type=int, default=None, help="subsample the training set")
    parser.add_argument("--n-test", type=int, default=None, help="subsample the test set")
    parser.add_argument("--out", default=os.path.join(HERE, "..", "results"))
    args = parser.parse_args()

    frame = pd.read_csv(args.data)
    train, test = frame[frame["split"] == "train"], frame[frame["split"] == "test"]
    if args.n_train:
        train = train.groupby("label", group_keys=False).sample(n=args.n_train // 2, random_state=0)
    if args.n_test:
        test = test.groupby("label", group_keys=False).sample(n=args.n_test // 2, random_state=0)
    print(f"IMDB: {len(train)} training and {len(test)} test reviews")

    model = make_pipeline(
        TextTokenizer(preprocessor=strip_tags, max_tokens=20000),
        # Keep the last 400 tokens of a review (the median review has 173).
        SequencePadder(maxlen=args.maxlen),
        RNNClassifier(
            cell=args.cell,
            bidirectional=args.bidirectional,
            embedding_dim=64,
            hidden_size=64,
            pooling="max",
            dropout=args.dropout,
            embedding_dropout=args.embedding_dropout,
            batch_size=64,
            max_epochs=args.max_epochs,
            patience=args.patience,
            random_state=0,
            verbose=1,
        ),
    )
    start = time.perf_counter()
    model.fit(train["text"], train["label"])
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    accuracy = model.score(test["text"], test["label"])
    predict_s = time.perf_counter() - start
    model[-1].summary()
    print(f"\ntest accuracy {accuracy:.4f}  fit {fit_s:.0f} s  predict {predict_s:.0f} s")
    plot_history(model[-1].history_, accuracy)
    os.makedirs(args.out, exist_ok=True)
    name = f"imdb_{args.cell}{'_bi' if args.bidirectional else ''}.json"
    with open(os.path.join(args.out, name), "w") as f:
        json.dump(
            {
                "cell": args.cell,
                "bidirectional": args.bidirectional,
                "n_train": len(train),
                "n_test": len(test),
                "test_accuracy": accuracy,
                "fit_s": fit_s,
                "predict_s": predict_s,
                "epochs": len(model[-1].history_),
                "best_valid_acc": max(model[-1].history_[:, "valid_acc"]),
                "params": {k: v for k, v in vars(args).items() if k not in ("data", "out")},
            },
            f,
            indent=2,
        )


if __name__ == "__main__":
    main()
