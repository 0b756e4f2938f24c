"""The fused and the default optimizer over 200 steps of the same random gradients."""

import torch

torch.manual_seed(0)
start = [torch.randn(300, 50), torch.randn(50)]
optimizers = [
    (torch.optim.Adam, {}),
    (torch.optim.AdamW, {}),
    (torch.optim.SGD, {}),
    (torch.optim.SGD, {"momentum": 0.9}),
]
for cls, extra in optimizers:
    out = []
    for kw in [{}, {"fused": True}]:
        p = [t.clone().requires_grad_() for t in start]
        opt = cls(p, lr=1e-2, **extra, **kw)
        g = torch.Generator().manual_seed(1)
        for _ in range(200):
            for t in p:
                t.grad = torch.randn(t.shape, generator=g)
            opt.step()
        out.append(p)
    d = max((a - b).abs().max().item() for a, b in zip(*out))
    print(cls.__name__, extra, "max abs diff after 200 steps", d)
