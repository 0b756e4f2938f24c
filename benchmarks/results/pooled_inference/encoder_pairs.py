"""Paired forward passes of RNNEncoderModule at inference.

The top states pooled as they are computed (new), or kept, then pooled (old).

Stop 63. The old path is the same code with ``modules.pools`` answering False,
which is what every layer got before. Batches of 300 steps (lengths 250-300),
embedding 32, max pooling; 15 rounds alternating, medians.

    python benchmarks/results/pooled_inference/encoder_pairs.py gru,rnn
"""

import sys
import time

import numpy as np
import torch

from sklearn_rnn import modules
from sklearn_rnn.modules import RNNEncoderModule

torch.manual_seed(0)
NEW = modules.pools
for cell in sys.argv[1].split(","):
    for H, bi, B in [
        (32, True, 128),
        (128, True, 32),
        (256, True, 32),
        (128, False, 32),
        (32, False, 128),
    ]:
        enc = RNNEncoderModule(
            num_embeddings=10000,
            embedding_dim=32,
            cell=cell,
            hidden_size=H,
            bidirectional=bi,
            pooling="max",
        ).eval()
        x = torch.randint(1, 10000, (B, 300))
        lengths = torch.randint(250, 301, (B,))
        lengths[0] = 300
        t = {"old": [], "new": []}
        with torch.no_grad():
            for r in range(15):
                for name in ("old", "new") if r % 2 else ("new", "old"):
                    modules.pools = NEW if name == "new" else (lambda layer, x: False)
                    t0 = time.perf_counter()
                    enc(x, lengths)
                    t[name].append(time.perf_counter() - t0)
        modules.pools = NEW
        o, n = np.median(t["old"]), np.median(t["new"])
        print(
            cell,
            H,
            "bi" if bi else "uni",
            B,
            f"old {1e3 * o:.2f} ms new {1e3 * n:.2f} ms -> {o / n:.2f}x",
            flush=True,
        )
