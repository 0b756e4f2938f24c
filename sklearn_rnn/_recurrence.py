"""Layer 3: a fused recurrence for simple RNN and GRU layers on the CPU.

torch runs ``nn.RNN`` and ``nn.GRU`` on the CPU one step at a time: per step a
few small operations forward, each allocating its result, the steps stacked at
the end; in backward one autograd node per operation, each of which reads and
writes a (batch, hidden) block, and a small product per step for the gradient
of the recurrent weights. At the sizes people use that bookkeeping, not the
arithmetic, sets the pace.

:func:`run_layers` runs a single-layer tanh ``nn.RNN`` as a loop that writes
each step's state in place into one buffer (``addmm`` + ``tanh_``); in
training, as one ``torch.autograd.Function`` whose backward is written out:
per step ``tanh_backward`` and one ``addmm``, and the gradient of the
recurrent weights for all steps as one large product. A single-layer
``nn.GRU`` in training runs the same way (:class:`_GRURecurrence`: per step
one product and six elementwise operations forward, each into a buffer kept
for the backward pass, nine and one product backward); at inference it keeps
torch's module, whose loop in C++ was as fast as this one in Python
(0.76-1.00x) and as one that keeps the state as ``(h + 1) / 2``, so that the
new gate's tanh becomes a sigmoid, 2-3x faster on the CPU, the factors folded
into the weights (0.76-1.04x, 32-256 units). The equations and parameters are
the modules', so the results equal torch's within float32 rounding
(``tests/test_recurrence.py`` checks outputs and gradients against the
modules, the GRU's also in float64).

Measured by ``benchmarks/bench_train.py`` (2-core AMD EPYC with AVX-512, the
``ours_unfused`` rows of stop 54's run): an epoch of a simple RNN, uni- or
bidirectional, hidden 32-256, 1.24-1.47x faster than with torch's module;
``predict_proba`` 1.11-1.36x (the states written over the input projection,
see :func:`_tanh_states`). An epoch of a GRU 1.12-1.39x (0.97-1.43x in a run
of the GRU cells alone, ``bench_train_gru_fused.json``); the recurrence alone,
a training step of two directions inside the fit's memory policy, batch 32,
220 steps, 1.15-1.34x at 128-512 units (1.17x over 50 steps), at or below the
module's peak memory; an earlier trial for GRU layers, not kept, had measured
0.85-0.95x torch. Not used where it did not help:
``nn.LSTM`` (torch calls oneDNN's fused kernel), the directions of a
bidirectional layer batched into one product per step (0.86x: the per-step
blocks are no longer contiguous), two layers packed into one of twice the
width with block-diagonal weights (the two networks of an ensemble, or two
directions; a training step against the two modules of torch one after the
other: GRU 1.05-1.28x at 32-64 units but 0.79x and 0.66x at 128 and 256, LSTM
0.69-0.93x and simple RNN 0.69-0.76x at 32-64), the two directions run side by
side on two worker threads of one intra-op thread each, forward and backward
(a trial against one after the other on two threads, a training step of one
layer, batch 32-128, 200 steps: GRU 0.96-1.44x, LSTM 0.74-1.14x, this fused
loop 0.84-0.89x as the two Python loops share the GIL, and 0.47-0.49x on LSTM
sentences of 25 steps, where the hand-offs cost more than the steps; this
loop's two directions forked in TorchScript, free of the GIL, one intra-op
thread each: 30.8 ms against 26.1 ms one after the other, 250 steps of 128
units at inference), and tanh computed as ``2 * sigmoid(2x) - 1`` (torch's
sigmoid is 2-3x faster than its tanh on a 128 x 128 block, but the two extra
operations per step leave ``predict_proba`` 1.05-1.08x faster at 128-256 units
and 0.91x at 32). It serves float32 tensors on the CPU, outside tracing,
export, compilation and autocast; everywhere else (CUDA's cuDNN, ONNX export)
the modules run as they are, and ``SKLEARN_RNN_FUSED_RECURRENCE=0`` sends every
layer there.
"""

import functools
import os

import torch
from torch import nn

_tanh_backward = torch.ops.aten.tanh_backward.grad_input
_sigmoid_backward = torch.ops.aten.sigmoid_backward.grad_input

#: ``SKLEARN_RNN_FUSED_RECURRENCE=0``: every layer runs through torch's own
#: module (the tests and ``benchmarks/bench_train.py`` compare both), read at
#: each call, as the package's other switches are.
FUSED_RECURRENCE_ENV = "SKLEARN_RNN_FUSED_RECURRENCE"


def _tanh_states(gi, w_hh, inplace=False):
    """The states (T, B, H) of h[t] = tanh(gi[t] + h[t-1] W_hh^T), h[-1] = 0, in one buffer.

    ``inplace``: the buffer is ``gi`` itself, each step written over its input
    projection. Without a backward pass nothing else reads ``gi``, and the
    states then need no second buffer of the batch's size, whose fresh pages
    and copies cost more than the arithmetic of a wide layer (predict_proba
    1.17-1.22x faster for a simple RNN of 128-256 units on IMDB reviews; AMD
    EPYC, AVX-512). In training the states keep a buffer of their own: written
    over the projection there (the Function marking it dirty), an epoch was
    0.94-0.96x as fast, as a fit already reuses the memory it frees.
    """
    w_t = w_hh.t()
    if inplace:
        h = gi[0].tanh_()
        for t in range(1, gi.shape[0]):
            h = gi[t].addmm_(h, w_t).tanh_()
        return gi
    states = torch.empty_like(gi)
    h = torch.tanh(gi[0], out=states[0])
    for t in range(1, gi.shape[0]):
        h = torch.addmm(gi[t], h, w_t, out=states[t]).tanh_()
    return states


class _TanhRecurrence(torch.autograd.Function):
    """h[t] = tanh(gi[t] + h[t-1] W_hh^T), h[-1] = 0.

    ``gi``: (T, B, H), the input projection with both biases; ``w_hh``: (H, H).
    Returns the states (T, B, H).
    """

    @staticmethod
    def forward(ctx, gi, w_hh):
        states = _tanh_states(gi, w_hh)
        ctx.save_for_backward(states, w_hh)
        return states

    @staticmethod
    def backward(ctx, grad):
        states, w_hh = ctx.saved_tensors
        T, B, H = states.shape
        dpre = torch.empty_like(states)  # gradient of each step's pre-activation
        dh = grad[T - 1]
        for t in range(T - 1, -1, -1):
            _tanh_backward(dh, states[t], grad_input=dpre[t])
            if t:
                dh = torch.addmm(grad[t - 1], dpre[t], w_hh)
        # Step t read state t-1; the first step read zeros, so it adds nothing.
        dw = dpre[1:].reshape(-1, H).t() @ states[:-1].reshape(-1, H)
        return dpre, dw


class _GRURecurrence(torch.autograd.Function):
    """torch's GRU over whole sequences from a zero state, its backward written out.

    ``gi``: (T, B, 3H), the input projection (gates r, z, n in torch's order)
    with the input biases and the recurrent biases of r and z; ``w_hh``:
    (3H, H); ``b_hn``: (H,), the recurrent bias of n, inside the reset gate's
    product. Returns the states (T, B, H) of

        r, z = sigmoid(gi_rz + h[t-1] W_hrz^T),
        n = tanh(gi_n + r * (h[t-1] W_hn^T + b_hn)),
        h[t] = n + z * (h[t-1] - n) = (1 - z) * n + z * h[t-1], h[-1] = 0.

    Forward, per step: one product and six elementwise operations, each
    written into a buffer kept for the backward pass; backward, per step:
    nine elementwise operations and one product, and the gradient of the
    recurrent weights for all steps as one large product. torch's module
    records about a dozen autograd nodes per step instead, each run by the
    autograd engine (measured: a training step of one layer 1.05-1.53x as
    fast; at inference torch's loop in C++ was as fast as this one in Python,
    0.76-1.00x, so inference keeps the module).
    """

    @staticmethod
    def forward(ctx, gi, w_hh, b_hn):
        T, B, H3 = gi.shape
        H = H3 // 3
        w_t = w_hh.t()
        states = gi.new_empty(T, B, H)
        gates = gi.new_empty(T, B, 2 * H)  # r and z
        new = gi.new_empty(T, B, H)  # n
        hidden_n = gi.new_empty(T, B, H)  # h[t-1] W_hn^T + b_hn
        gh = gi.new_empty(B, H3)
        h = gi.new_zeros(B, H)
        for t in range(T):
            g = gi[t]
            torch.mm(h, w_t, out=gh)
            rz = torch.add(g[:, : 2 * H], gh[:, : 2 * H], out=gates[t]).sigmoid_()
            hn = torch.add(gh[:, 2 * H :], b_hn, out=hidden_n[t])
            n = torch.addcmul(g[:, 2 * H :], rz[:, :H], hn, out=new[t]).tanh_()
            h = torch.lerp(n, h, rz[:, H:], out=states[t])
        ctx.save_for_backward(states, gates, new, hidden_n, w_hh)
        return states

    @staticmethod
    def backward(ctx, grad):
        states, gates, new, hidden_n, w_hh = ctx.saved_tensors
        T, B, H = states.shape
        # One buffer of gradients per step, [h W_hn^T + b_hn, r, z, n], the
        # last three before their activations: its first three quarters are
        # the gradient of the recurrent product (its weights' rows taken in
        # that order) and its last three that of the input projection, so
        # neither needs a copy of its own.
        grads = states.new_empty(T, B, 4 * H)
        w_nrz = torch.cat([w_hh[2 * H :], w_hh[: 2 * H]])
        dprev = states.new_empty(B, H)
        tmp = states.new_empty(B, H)
        zero = states.new_zeros(B, H)
        dh = grad[T - 1]
        for t in range(T - 1, -1, -1):
            r, z = gates[t, :, :H], gates[t, :, H:]
            d = grads[t]
            torch.sub(states[t - 1] if t else zero, new[t], out=tmp)
            torch.mul(dh, tmp, out=d[:, 2 * H : 3 * H])  # z
            torch.mul(dh, z, out=dprev)  # h[t-1] through z
            torch.sub(dh, dprev, out=tmp)  # n: dh * (1 - z)
            dn = _tanh_backward(tmp, new[t], grad_input=d[:, 3 * H :])
            torch.mul(dn, hidden_n[t], out=d[:, H : 2 * H])  # r
            torch.mul(dn, r, out=d[:, :H])  # h[t-1] W_hn^T + b_hn
            _sigmoid_backward(d[:, H : 3 * H], gates[t], grad_input=d[:, H : 3 * H])
            if t:
                dh = torch.addmm(dprev.add_(grad[t - 1]), d[:, : 3 * H], w_nrz)
        # Step t read state t-1; the first step read zeros, so it adds nothing.
        dw = grads[1:, :, : 3 * H].reshape(-1, 3 * H).t() @ states[:-1].reshape(-1, H)
        db_hn = grads[..., :H].sum((0, 1))
        return grads[..., H:], torch.cat([dw[H:], dw[:H]]), db_hn


def _fused(layer, x):
    """Whether :func:`run_layers` takes a fused path for this layer and input.

    A tanh ``nn.RNN`` always; an ``nn.GRU`` only where a gradient will be
    asked for (in training), since at inference torch's module is as fast.
    """
    if type(layer) is nn.GRU:
        if not torch.is_grad_enabled() or not (
            x.requires_grad or any(p.requires_grad for p in layer.parameters())
        ):
            return False
    elif type(layer) is not nn.RNN or layer.nonlinearity != "tanh":
        return False
    return (
        os.environ.get(FUSED_RECURRENCE_ENV, "1") != "0"
        and layer.num_layers == 1
        and layer.bias
        and layer.batch_first
        and not layer.bidirectional
        and x.device.type == "cpu"
        and x.dtype == torch.float32
        and layer.weight_hh_l0.dtype == torch.float32
        and not _cpu_autocast()
        and not torch.jit.is_tracing()
        and not torch.jit.is_scripting()
        and not torch.onnx.is_in_onnx_export()
        and not _compiling()
    )


def _cpu_autocast():
    try:
        return torch.is_autocast_enabled("cpu")
    except TypeError:  # torch < 2.4
        return torch.is_autocast_cpu_enabled()


def _cpu_autocast_dtype():
    try:
        return torch.get_autocast_dtype("cpu")
    except AttributeError:  # torch < 2.4
        return torch.get_autocast_cpu_dtype()


@functools.cache
def cpu_bfloat16_lstm():
    """Whether torch's CPU LSTM kernel runs under bfloat16 autocast on this machine.

    It is oneDNN's recurrent primitive, whose bfloat16 version needs AVX-512:
    on a CPU with AVX2 only it cannot be created (a RuntimeError from oneDNN).
    Found out once, with a one-step LSTM (whose initialisation leaves torch's
    random stream as it was).
    """
    try:
        with torch.random.fork_rng(devices=[]), torch.autocast("cpu", dtype=torch.bfloat16):
            nn.LSTM(2, 2, batch_first=True)(torch.zeros(1, 1, 2))
    except RuntimeError:
        return False
    return True


def call_layer(layer, x, *state):
    """``layer(x, *state)``, a recurrent module's forward call.

    Under CPU bfloat16 autocast (``mixed_precision='bf16'``) on a CPU whose
    oneDNN has no bfloat16 LSTM (:func:`cpu_bfloat16_lstm`), an LSTM layer runs
    in float32 instead, as autocast keeps other operations in float32: the
    rest of the network still computes in bfloat16.
    """
    if (
        type(layer) is nn.LSTM
        and x.device.type == "cpu"
        and _cpu_autocast()
        and _cpu_autocast_dtype() == torch.bfloat16
        and not cpu_bfloat16_lstm()
    ):
        state = [None if s is None else tuple(t.float() for t in s) for s in state]
        with torch.autocast("cpu", enabled=False):
            return layer(x.float(), *state)
    return layer(x, *state)


def _compiling():
    is_compiling = getattr(torch.compiler, "is_compiling", None)  # torch >= 2.3
    return bool(is_compiling is not None and is_compiling())


def run_layers(layers, inputs):
    """The output sequences of single-layer recurrent modules, each on its own input.

    ``layers``: modules (one, or the two directions of a bidirectional
    layer), each ``batch_first`` with one layer; ``inputs``: their inputs,
    each (batch, steps, features). Each starts from a zero state. Returns a
    list of (batch, steps, hidden) tensors.
    """
    outputs = []
    for layer, x in zip(layers, inputs):
        if not _fused(layer, x) or x.shape[1] == 0:
            outputs.append(call_layer(layer, x)[0])
            continue
        gru = type(layer) is nn.GRU
        if gru:  # the recurrent bias of n stays inside the reset gate's product
            b_rz, b_hn = layer.bias_hh_l0.split([2 * layer.hidden_size, layer.hidden_size])
            bias = layer.bias_ih_l0 + torch.cat([b_rz, torch.zeros_like(b_hn)])
        else:
            bias = layer.bias_ih_l0 + layer.bias_hh_l0
        gi = torch.addmm(bias, x.transpose(0, 1).reshape(-1, x.shape[-1]), layer.weight_ih_l0.t())
        gi = gi.view(x.shape[1], x.shape[0], gi.shape[-1])  # -1 is ambiguous for no sequences
        if gru:
            states = _GRURecurrence.apply(gi, layer.weight_hh_l0, b_hn)
        elif torch.is_grad_enabled():
            states = _TanhRecurrence.apply(gi, layer.weight_hh_l0)
        else:  # inference: the loop alone, over the projection it no longer needs
            states = _tanh_states(gi, layer.weight_hh_l0, inplace=True)
        outputs.append(states.transpose(0, 1))
    return outputs
