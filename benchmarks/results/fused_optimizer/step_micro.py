"""One dropout mask and one Adam step at the tagger's sizes, in milliseconds (CPU)."""

import time

import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(32, 22, 200)  # a batch of the tagger's step vectors


def bench(f, n=300):
    f()
    start = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - start) / n * 1e3


print("threads", torch.get_num_threads())
print("F.dropout      ms", bench(lambda: nn.functional.dropout(x, 0.5, True)))
print("bernoulli_     ms", bench(lambda: torch.empty_like(x).bernoulli_(0.5)))
print("rand_like<p    ms", bench(lambda: torch.rand_like(x) < 0.5))
print("rand_like      ms", bench(lambda: torch.rand_like(x)))
print("mul            ms", bench(lambda: x * 2.0))
print("native_dropout ms", bench(lambda: torch.native_dropout(x, 0.5, True)))
# The tagger's parameters, roughly: a 17k x 100 word embedding and LSTM weights.
params = [nn.Parameter(torch.randn(17000, 100))]
params += [nn.Parameter(torch.randn(512, 200)) for _ in range(8)]
params += [nn.Parameter(torch.randn(512)) for _ in range(12)]
for p in params:
    p.grad = torch.randn_like(p)
for kw in [dict(foreach=False), dict(foreach=True), dict(fused=True)]:
    opt = torch.optim.Adam(params, lr=1e-3, **kw)
    print("adam", kw, "ms", bench(opt.step, 100))
