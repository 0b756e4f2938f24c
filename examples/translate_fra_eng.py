"""English-to-French translation of short sentences (Tatoeba pairs), scored by BLEU.
===================================================================================

Real sentence pairs from ``$SKLEARN_RNN_FRA_ENG`` or
``../shared/data/tatoeba_fra_eng/fra-eng.txt.gz`` (see
:func:`sklearn_rnn.datasets.load_fra_eng`). Sentences of up to
``--max-words`` English words. Many English sentences have several French
translations, so the split is by English sentence: no held-out sentence is
seen in training with another translation. Each held-out sentence is scored
against one reference (its first translation), by corpus BLEU over the
model's lowercase word and punctuation tokens (sacrebleu, ``tokenize='none'``),
greedy and with beam search; the held-out sentences are used once, at the end.

Run it::

    python examples/translate_fra_eng.py            # quick: 30k training pairs
    python examples/translate_fra_eng.py --full     # every short pair
"""

# Its figure from a docs-configuration run, shown when the build has no data to run it.
# sphinx_gallery_thumbnail_path = "_static/thumbnails/translate_fra_eng.png"

import argparse
import json
import os
import sys
import time

import numpy as np

from sklearn_rnn import Seq2SeqEstimator, TextTokenizer
from sklearn_rnn.datasets import load_fra_eng
from sklearn_rnn.metrics import bleu_score, exact_match_score
from sklearn_rnn.seq2seq import SEQ2SEQ_TOKEN_PATTERN

# The docs gallery runs this file without __file__; its argv[0] is the file.
HERE = os.path.dirname(os.path.abspath(globals().get("__file__", sys.argv[0])))
DATA = os.environ.get(
    "SKLEARN_RNN_FRA_ENG",
    os.path.join(HERE, "..", "..", "shared", "data", "tatoeba_fra_eng", "fra-eng.txt.gz"),
)


def split_by_sentence(english, n_test, seed):
    """Indices of training pairs and of one pair per held-out English sentence."""
    sentences = np.unique(english)
    held_out = set(np.random.default_rng(seed).choice(sentences, n_test, replace=False))
    test, seen, train = [], set(), []
    for i, sentence in enumerate(english):
        if sentence not in held_out:
            train.append(i)
        elif sentence not in seen:  # its first translation is the reference
            seen.add(sentence)
            test.append(i)
    return np.array(train), np.array(test)


def main():
    parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--full", action="store_true", help="train on every short pair")
    parser.add_argument("--max-words", type=int, default=8)
    parser.add_argument("--n-train", type=int, default=30000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join(HERE, "..", "results"))
    args = parser.parse_args()

    english, french = load_fra_eng(path=args.data, return_X_y=True)
    short = np.array([len(s.split()) <= args.max_words for s in english])
    english, french = np.asarray(english)[short], np.asarray(french)[short]
    train, test = split_by_sentence(english, args.n_test, args.seed)
    if not args.full:
        train = np.random.default_rng(args.seed).permutation(train)[: args.n_train]
    print(
        f"Tatoeba fra-eng: {short.sum()} pairs of <= {args.max_words} English words; "
        f"{len(train)} for training, {len(test)} held-out sentences"
    )

    def tokenizer():
        # Words and punctuation marks; words seen once in training become <unk>.
        return TextTokenizer(token_pattern=SEQ2SEQ_TOKEN_PATTERN, min_frequency=2)

    model = Seq2SeqEstimator(
        source_tokenizer=tokenizer(),
        target_tokenizer=tokenizer(),
        embedding_dim=128,
        hidden_size=args.hidden_size,
        dropout=0.2,
        max_epochs=args.max_epochs,
        random_state=args.seed,
        verbose=1,
    )
    start = time.perf_counter()
    model.fit(english[train], french[train])
    fit_s = time.perf_counter() - start

    reference = model.tokenize_targets(french[test])
    results = {
        "n_train": len(train),
        "n_test": len(test),
        "source_vocabulary": model.source_tokenizer_.vocabulary_size_,
        "target_vocabulary": model.target_tokenizer_.vocabulary_size_,
        "epochs": len(model.history_),
        "fit_seconds": round(fit_s, 1),
    }
    outputs = {}
    for beam in (1, args.beam_size):
        model.set_params(beam_size=beam)
        start = time.perf_counter()
        predicted = model.predict_tokens(english[test])
        seconds = time.perf_counter() - start
        name = "greedy" if beam == 1 else f"beam{beam}"
        outputs[name] = predicted
        results[f"{name}_bleu"] = round(bleu_score(reference, predicted), 2)
        results[f"{name}_exact_match"] = round(exact_match_score(reference, predicted), 4)
        results[f"{name}_predict_seconds"] = round(seconds, 1)
    print(json.dumps(results, indent=2))
    for i in test[:10]:
        print(f"{english[i]}\n  -> {model.predict([english[i]])[0]}\n  (reference: {french[i]})")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "translate_fra_eng.json"), "w") as f:
        json.dump(results, f, indent=2)

    # BLEU by source length, as in Bahdanau et al. (2015), Figure 2.
    import matplotlib.pyplot as plt

    words = np.array([len(sentence.split()) for sentence in english[test]])
    shown = [n for n in range(1, args.max_words + 1) if (words == n).sum() >= 20]
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, predicted in outputs.items():
        bleu = [
            bleu_score(
                [reference[i] for i in np.flatnonzero(words == n)],
                [predicted[i] for i in np.flatnonzero(words == n)],
            )
            for n in shown
        ]
        ax.plot(shown, bleu, marker="o", label=name)
    ax.set(xlabel="words in the English sentence", ylabel="BLEU on held-out sentences")
    ax.set_title(f"English to French, Tatoeba ({len(train)} training pairs)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "translate_fra_eng.png"), dpi=100)


if __name__ == "__main__":
    main()
