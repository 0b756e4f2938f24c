"""Quickstart: the comparison from Python, with an estimator of your own beside the named models.
=================================================================================================

The command line does the same (``sklearn-rnn compare --quick``); here the
models are chosen in code, and a hashed one-hot baseline of our own joins the
named ones. Every model is a Pipeline from raw text, fitted on the same
training reviews and scored once on the same test reviews.

IMDB comes from ``$SKLEARN_RNN_IMDB``, ``../shared/data/imdb/imdb_50k.csv.gz``
or the cache (see :func:`sklearn_rnn.datasets.load_imdb`).

Run it::

    python examples/quickstart.py [--n-train 5000] [--n-test 5000]
"""

# Its figure from a docs-configuration run, shown when the build has no data to run it.
# sphinx_gallery_thumbnail_path = "_static/thumbnails/quickstart.png"

import argparse
import os
import sys

from sklearn.feature_extraction.text import strip_tags
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_rnn import HashingOneHot
from sklearn_rnn.compare import compare
from sklearn_rnn.datasets import load_imdb

# The docs gallery runs this file without __file__; its argv[0] is the file.
HERE = os.path.dirname(os.path.abspath(globals().get("__file__", sys.argv[0])))
SHARED = os.path.join(HERE, "..", "..", "shared", "data", "imdb", "imdb_50k.csv.gz")


def main():
    parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=5000)
    parser.add_argument("--n-test", type=int, default=5000)
    parser.add_argument("--output-dir", default=os.path.join(HERE, "..", "results", "quickstart"))
    args = parser.parse_args()
    path = None if os.environ.get("SKLEARN_RNN_IMDB") or not os.path.exists(SHARED) else SHARED
    imdb = load_imdb(path=path)
    train, test = imdb.split == "train", imdb.split == "test"
    # Stratified subsets, the same for every model.
    X_train, _, y_train, _ = train_test_split(
        imdb.data[train], imdb.target[train], train_size=args.n_train,
        stratify=imdb.target[train], random_state=0,
    )  # fmt: skip
    X_test, _, y_test, _ = train_test_split(
        imdb.data[test], imdb.target[test], train_size=args.n_test,
        stratify=imdb.target[test], random_state=0,
    )  # fmt: skip
    hashed = make_pipeline(
        HashingOneHot(n_features=2**18, output_mode="binary", preprocessor=strip_tags),
        LogisticRegression(C=1, max_iter=1000),
    )
    comparison = compare(
        X_train,
        y_train,
        X_test,
        y_test,
        models=["bow-bigram", "nb-bigram", ("hashed one-hot", hashed), "lstm", "bilstm-glove"],
        mode="quick",
        random_state=0,
        output_dir=args.output_dir,
        title="IMDB quickstart",
    )
    # The scores with their standard errors, and the recurrent models' training curves.
    comparison.figures()


if __name__ == "__main__":
    main()
