"""Part-of-speech tagging of web English with RNNTagger (UD English EWT).
======================================================================

:class:`sklearn_rnn.RNNTagger` gives every word of a sentence its universal
part-of-speech tag. It reads each word as a learned embedding beside a
character-level vector of its spelling, and the sentence with a
bidirectional LSTM; a linear path from each word's and its neighbours'
spelling features (a CRF's) adds its votes. Trained on the English Web Treebank's training sentences
(blogs, reviews, e-mail, answers), scored on its test sentences: the tag
accuracy over all words and over the words never seen in training, against
each word's most frequent training tag, and the accuracy per tag.

Data: ``en_ewt-ud-{train,test}.conllu(.gz)`` from
https://github.com/UniversalDependencies/UD_English-EWT, in a folder given by
``--data`` or ``$SKLEARN_RNN_UD_EWT`` (``../shared/data/ud_english_ewt`` when
there).

Run it::

    python examples/tag_ewt.py [--data FOLDER] [--n-train 12544] [--max-epochs 40] [--out results]
"""

# Its figure from a docs-configuration run, shown when the build has no data to run it.
# sphinx_gallery_thumbnail_path = "_static/thumbnails/tag_ewt.png"

import argparse
import os
import sys
from collections import Counter, defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sklearn_rnn import RNNTagger  # noqa: E402
from sklearn_rnn.datasets import load_ud_english_ewt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(globals().get("__file__", sys.argv[0])))
SHARED = os.path.join(HERE, "..", "..", "shared", "data", "ud_english_ewt")


def main():
    parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKLEARN_RNN_UD_EWT", SHARED))
    parser.add_argument("--n-train", type=int, default=None)
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--out", default=os.path.join(HERE, "..", "results"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    X_train, y_train = load_ud_english_ewt("train", path=args.data)
    X_test, y_test = load_ud_english_ewt("test", path=args.data)
    X_train, y_train = X_train[: args.n_train], y_train[: args.n_train]
    print(f"{len(X_train)} training sentences, {len(X_test)} test sentences")

    tagger = RNNTagger(max_epochs=args.max_epochs, random_state=0).fit(X_train, y_train)
    pred = tagger.predict(X_test)

    # Each word's most frequent training tag, NOUN for a word never seen.
    counts = defaultdict(Counter)
    for words, tags in zip(X_train, y_train):
        for w, t in zip(words, tags):
            counts[w.lower()][t] += 1
    baseline = [[counts[w.lower()].most_common(1)[0][0] if w.lower() in counts else "NOUN"
                 for w in words] for words in X_test]  # fmt: skip

    gold = np.concatenate(y_test)
    unseen = np.array([w.lower() not in counts for s in X_test for w in s])
    for name, p in (("most frequent tag", baseline), ("RNNTagger", pred)):
        right = np.concatenate(p) == gold
        print(
            f"{name:18s} accuracy {right.mean():.4f}, on the {unseen.sum()} unseen words "
            f"{right[unseen].mean():.4f}"
        )
    print("\n" + " ".join(f"{w}/{t}" for w, t in zip(X_test[3], pred[3])))

    right = np.concatenate(pred) == gold
    tags = sorted(set(gold), key=lambda t: -np.sum(gold == t))
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.bar(tags, [right[gold == t].mean() for t in tags])
    ax.set_ylim(0.5, 1.0)
    ax.set_ylabel("accuracy on the test words")
    ax.set_title("RNNTagger on UD English EWT: accuracy per tag (most frequent first)")
    fig.tight_layout()
    path = os.path.join(args.out, "tag_ewt.png")
    fig.savefig(path, dpi=100)
    print(f"plot saved to {path}")


if __name__ == "__main__":
    main()
