"""nn.LSTM on the CPU: oneDNN's kernel (torch's default) against torch's native loop.

Issue 22: the AMD EPYC with AVX2 only runs the IMDB ``bilstm`` epochs at about 1.4 times
the Intel machine's time. Whether torch's native LSTM beats oneDNN's there. One layer,
``batch_first`` as the package calls it, forward and backward of a training step, and
forward alone; median of 5, best of 2 alternating rounds.

Run: ``python lstm_onednn_vs_native.py`` (output: ``output.txt``).
"""

import time

import torch
from torch import nn

SIZES = [(32, 32, 128, 100), (128, 128, 64, 256), (64, 64, 64, 400), (256, 256, 64, 100)]
SIZES += [(128, 128, 32, 25)]


def median_time(layer, x, reps, train):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        if train:
            out, _ = layer(x)
            out.sum().backward()
        else:
            with torch.no_grad():
                layer(x)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    torch.manual_seed(0)
    print(torch.__version__, torch.backends.cpu.get_cpu_capability(), torch.get_num_threads())
    for inp, hid, batch, steps in SIZES:
        layer = nn.LSTM(inp, hid, batch_first=True)
        x = torch.randn(batch, steps, inp, requires_grad=True)
        for train in (True, False):
            best = {True: [], False: []}
            for _ in range(2):
                for onednn in (True, False):
                    with torch.backends.mkldnn.flags(enabled=onednn):
                        median_time(layer, x, 1, train)  # warm-up
                        best[onednn].append(median_time(layer, x, 5, train))
            a, b = min(best[True]), min(best[False])
            print(
                f"in {inp} hidden {hid} batch {batch} steps {steps} "
                f"{'train' if train else 'infer'}: oneDNN {a * 1e3:.1f} ms, "
                f"native {b * 1e3:.1f} ms, native's speed {a / b:.2f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
