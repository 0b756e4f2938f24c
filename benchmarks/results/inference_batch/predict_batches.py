"""predict_proba time by validation/prediction batch size (stop 48; the record behind
``BaseRNN._inference_batch_size``).

Five classifiers fitted one epoch on 2,000 IMDB training reviews (20k-word
vocabulary, whole reviews), then ``predict_proba`` over 3,000 test reviews with
the net's prediction batch forced to 32, 64, 128 and 256, alternating, three
rounds; the median seconds per size. Run from the repository root:

    python benchmarks/results/inference_batch/predict_batches.py
"""

import platform
import time

import numpy as np
import pandas as pd
import torch

from sklearn_rnn import RNNClassifier, TextTokenizer

df = pd.read_csv("../shared/data/imdb/imdb_50k.csv.gz")
train = df[df.split == "train"].sample(2000, random_state=0)
test = df[df.split == "test"].sample(3000, random_state=0)
tokenizer = TextTokenizer(max_tokens=20000).fit(train.text)
X_train, X_test = tokenizer.transform(train.text), tokenizer.transform(test.text)
print(platform.platform(), torch.__version__)
for params in [
    {},  # the default: two bidirectional LSTMs of 64 units
    dict(ensemble_size=1, hidden_size=32, cell="gru"),
    dict(ensemble_size=1, hidden_size=64, bidirectional=False),
    dict(ensemble_size=1, hidden_size=64, bidirectional=False, cell="gru"),
    dict(ensemble_size=1, hidden_size=128),
]:
    clf = RNNClassifier(max_epochs=1, random_state=0, **params).fit(X_train, train.label.values)
    seconds = {}
    for _ in range(3):
        for size in [32, 64, 128, 256]:
            clf.net_.iterator_valid__batch_size = size
            start = time.perf_counter()
            clf.predict_proba(X_test)
            seconds.setdefault(size, []).append(time.perf_counter() - start)
    print(
        params or "defaults", {size: round(float(np.median(s)), 2) for size, s in seconds.items()}
    )
