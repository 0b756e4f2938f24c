"""Study 32 (stop 59): a fitted tagger's parameters and pickle, with and without the linear path.

One epoch on EWT's whole training split (the sizes do not depend on training
longer), universal (17) and Penn (50) tags. Run from the repository root with
the treebank in $SKLEARN_RNN_UD_EWT; output in the README beside this file.
"""

import pickle

from sklearn_rnn import RNNTagger
from sklearn_rnn.datasets import load_ud_english_ewt

for tag in ("upos", "xpos"):
    X, y = load_ud_english_ewt("train", tag=tag)
    for lin in (True, False):
        m = RNNTagger(max_epochs=1, early_stopping=False, random_state=0, linear_features=lin)
        m.fit(X, y)
        n = sum(p.numel() for p in m.net_.module_.parameters())
        size = len(pickle.dumps(m)) / 1e6
        print(tag, "linear_features", lin, f"{n / 1e6:.2f}M params", f"pickle {size:.0f} MB")
