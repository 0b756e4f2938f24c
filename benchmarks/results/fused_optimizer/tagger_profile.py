"""Profiled epochs of RNNTagger() on the EWT training split: where the time goes.

python tagger_profile.py 2    (epochs)
"""

import cProfile
import pstats
import sys
import time

from sklearn_rnn import RNNTagger
from sklearn_rnn.datasets import load_ud_english_ewt

X, y = load_ud_english_ewt("train", path="/work/shared/data/ud_english_ewt")
epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
t = RNNTagger(max_epochs=epochs, early_stopping=False, random_state=0)
profiler = cProfile.Profile()
start = time.perf_counter()
profiler.enable()
t.fit(X, y)
profiler.disable()
print("fit", time.perf_counter() - start, "s for", epochs, "epochs")
print([(h["epoch"], round(h["dur"], 1)) for h in t.history_])
stats = pstats.Stats(profiler)
stats.sort_stats("cumulative").print_stats(45)
stats.sort_stats("tottime").print_stats(30)
