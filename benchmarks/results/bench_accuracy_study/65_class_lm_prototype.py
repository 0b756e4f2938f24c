"""Study 65 (stop 67): the prototype that showed a language model per class lifts the stack.

A scratch implementation, kept as the record of the run that led to
``RNNLMClassifier``; the package does not use it. One LSTM language model per
class (Mesnil et al. 2014), trained the classic way on the class's reviews
joined into one stream (truncated back-propagation through time: 32 streams,
64 steps, the state carried across windows), with an adaptive softmax over
the 20k most frequent words (edges at 1,000 and 5,000), embedding 64, hidden
128, dropout 0.3, Adam at 2e-3, gradient norm clipped at 1, at most 10 epochs,
stopped on 5% of the class's reviews. A review's score is its log-likelihood
ratio per token (positive model minus negative). ``RNNLMClassifier`` trains on
whole reviews in length buckets through skorch instead.

On the IMDB development split (20k/5k of the training reviews; the test
reviews are never read), with the stack's own two folds for the out-of-fold
scores, then refitted on all 20k:

    python 65_class_lm_prototype.py '{"V": 20000, "E": 64, "H": 128, "dropout": 0.3,
        "epochs": 10}' /tmp/s67/dev_lm.npz

The stacks were then scored on those scores beside ``bench_stacking.py``'s
cached predictions (``65_imdb_dev_class_lm.json``, ``prototype``).
"""

import json
import os
import sys
import time

import numpy as np
import torch
from sklearn.feature_extraction.text import strip_tags
from sklearn.model_selection import StratifiedKFold
from torch import nn

from sklearn_rnn import TextTokenizer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench_accuracy import load  # noqa: E402


class LM(nn.Module):
    def __init__(self, V, E, H, dropout):
        super().__init__()
        self.emb = nn.Embedding(V, E)
        self.drop = nn.Dropout(dropout)
        self.rnn = nn.LSTM(E, H, batch_first=True)
        self.out = nn.AdaptiveLogSoftmaxWithLoss(H, V, cutoffs=[1000, 5000], div_value=4.0)

    def hidden(self, x, state=None):
        h, state = self.rnn(self.drop(self.emb(x)), state)
        return self.drop(h), state


def stream(seqs):
    return torch.from_numpy(np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs]))


def train_lm(seqs, V, E, H, dropout, epochs, B=32, T=64, lr=2e-3, seed=0, log=""):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    n_val = max(1, len(seqs) // 20)
    order = rng.permutation(len(seqs))
    val = [seqs[i] for i in order[:n_val]]
    tr = [seqs[i] for i in order[n_val:]]
    m = LM(V, E, H, dropout)
    opt = torch.optim.Adam(m.parameters(), lr=lr)
    best, best_state = np.inf, None
    for ep in range(epochs):
        t0 = time.perf_counter()
        m.train()
        s = stream([tr[i] for i in rng.permutation(len(tr))])
        n = (len(s) - 1) // B
        data, target = s[: n * B].view(B, n), s[1 : n * B + 1].view(B, n)
        state, tot, cnt = None, 0.0, 0
        for i in range(0, n, T):
            x, t = data[:, i : i + T], target[:, i : i + T]
            if state is not None:
                state = tuple(z.detach() for z in state)
            h, state = m.hidden(x, state)
            loss = m.out(h.reshape(-1, H), t.reshape(-1)).loss
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step()
            tot += loss.item() * t.numel()
            cnt += t.numel()
        v = -score(m, val).sum() / sum(len(q) - 1 for q in val)
        took = time.perf_counter() - t0
        print(f"{log} epoch {ep}: train {tot / cnt:.3f} val {v:.3f} ({took:.0f} s)")
        if v >= best:
            break
        best, best_state = v, {k: x.clone() for k, x in m.state_dict().items()}
    m.load_state_dict(best_state)
    return m


@torch.no_grad()
def score(m, seqs, B=64):
    """Sum of log p(token_t | tokens < t) over each sequence (the first token given)."""
    m.eval()
    lengths = np.array([len(s) for s in seqs])
    order = np.argsort(lengths)
    out = np.zeros(len(seqs))
    for i in range(0, len(seqs), B):
        idx = order[i : i + B]
        L = lengths[idx].max()
        x = np.zeros((len(idx), L), dtype=np.int64)
        for r, j in enumerate(idx):
            x[r, : lengths[j]] = seqs[j]
        x = torch.from_numpy(x)
        h, _ = m.hidden(x[:, :-1])
        lp = m.out(h.reshape(-1, h.shape[-1]), x[:, 1:].reshape(-1)).output
        lp = lp.view(len(idx), L - 1)
        out[idx] = (lp * (x[:, 1:] != 0)).sum(1).numpy()
    return out


def fit_predict(X, y, X_test, V, E, H, dropout, epochs, seed, log):
    tok = TextTokenizer(preprocessor=strip_tags, max_tokens=V, add_markers=True).fit(X)
    S, S_test = tok.transform(X), tok.transform(X_test)
    ll = []
    for c in np.unique(y):
        seqs = [S[i] for i in np.flatnonzero(y == c)]
        m = train_lm(seqs, V, E, H, dropout, epochs, seed=seed, log=f"{log} class {c}")
        ll.append(score(m, S_test))
    n = np.array([len(s) - 1 for s in S_test])
    return (ll[1] - ll[0]) / n  # the log-likelihood ratio per token


def main():
    cfg, out = json.loads(sys.argv[1]), sys.argv[2]
    X, y, X_test, y_test = load("imdb-dev", imdb_full=True, imdb_n=None)
    X, y = np.asarray(X, object), np.asarray(y)
    args = dict(V=cfg["V"], E=cfg["E"], H=cfg["H"], dropout=cfg["dropout"], epochs=cfg["epochs"])
    t0 = time.perf_counter()
    oof = np.zeros(len(y))
    for k, (a, b) in enumerate(StratifiedKFold(2, shuffle=True, random_state=0).split(X, y)):
        oof[b] = fit_predict(X[a], y[a], X[b], seed=0, log=f"fold {k}", **args)
    print("out-of-fold accuracy", np.mean((oof > 0) == y))
    test = fit_predict(X, y, X_test, seed=0, log="full", **args)
    print("held-out accuracy", np.mean((test > 0) == np.asarray(y_test)))
    np.savez(
        out, oof=oof, test=test, y=y, y_test=np.asarray(y_test), fit_s=time.perf_counter() - t0
    )


if __name__ == "__main__":
    main()
