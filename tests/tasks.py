"""Small synthetic tasks shared by the test modules."""

import numpy as np

from sklearn_rnn._sequences import as_ragged


def order_task(n, rng):
    """Label: does token 5 come before token 6? Both occur once among fillers 7..12."""
    X, y = [], []
    for _ in range(n):
        length = rng.integers(4, 10)
        seq = rng.integers(7, 13, size=length)
        i, j = rng.choice(length, size=2, replace=False)
        seq[i], seq[j] = 5, 6
        X.append(seq)
        y.append(int(i < j))
    return as_ragged(X), np.array(y)
