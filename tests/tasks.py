"""Small synthetic tasks shared by the test modules."""

import numpy as np
import torch

from sklearn_rnn._sequences import as_ragged

#: The tolerance of outputs equal up to rounding whatever the batch holds
#: (padding, batch size, order). The CPU kernels give the same sums to about
#: 1e-7; cuDNN chooses its kernels by the batch's shape, and they round
#: differently by a few 1e-6 (seen on an H200, torch 2.11 and cuDNN 9.19).
#: Where the estimators train on the GPU (device='auto'), the looser one.
ROUNDING = 2e-5 if torch.cuda.is_available() else 1e-6


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
