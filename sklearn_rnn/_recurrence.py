"""Layer 3: a fused recurrence for simple RNN and GRU layers on the CPU.

torch runs ``nn.RNN`` and ``nn.GRU`` on the CPU one step at a time: per step a
few small operations forward, each allocating its result, the steps stacked at
the end; in backward one autograd node per operation, each of which reads and
writes a (batch, hidden) block, and a small product per step for the gradient
of the recurrent weights. At the sizes people use that bookkeeping, not the
arithmetic, sets the pace.

:func:`run_layers` runs a single-layer tanh ``nn.RNN`` as a loop that writes
each step's state in place into one buffer (``addmm`` + ``sigmoid_``: the
loop runs on (h + 1) / 2, see :func:`_tanh_states`); in
training, as one ``torch.autograd.Function`` whose backward is written out
(:class:`_TanhLayer`):
per step ``tanh_backward`` and one ``addmm``, and the gradients of the input
and the weights a block of steps at a time, while it is in cache. A single-layer
``nn.GRU`` in training runs the same way (:class:`_GRURecurrence`: per step
one product and six elementwise operations forward, each into a buffer kept
for the backward pass, nine and one product backward), the two directions of
a bidirectional layer and the networks of an ensemble side by side, each
operation of a step serving all of them (an epoch of a bidirectional GRU
1.11-1.34x as fast as with one direction after the other, 32-256 units; two
networks of 32 units 1.33x); at inference it keeps
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
bidirectional simple RNN batched into one product per step (0.86x with the
directions side by side in each step's block; 0.82-0.96x at 128-256 units and
1.11x at 32 with each direction's steps in a block of its own, as the GRU's
run, whose six elementwise operations per step gain more from serving both
than the simple RNN's one), two layers packed into one of twice the
width with block-diagonal weights (the two networks of an ensemble, or two
directions; a training step against the two modules of torch one after the
other: GRU 1.05-1.28x at 32-64 units but 0.79x and 0.66x at 128 and 256, LSTM
0.69-0.93x and simple RNN 0.69-0.76x at 32-64), the two directions run side by
side on two worker threads of one intra-op thread each, forward and backward
(a trial against one after the other on two threads, a training step of one
layer, batch 32-128, 200 steps: GRU 0.96-1.44x, LSTM 0.74-1.14x, this fused
loop 0.84-0.89x as the two Python loops share the GIL, and 0.47-0.49x on LSTM
sentences of 25 steps, where the hand-offs cost more than the steps; this
loop with its blocks of steps on two such threads, stop 60: 0.63-1.59x, ahead
only at batch 128 over 250 steps or more, batch 32-128, 64-256 units; this
loop's two directions forked in TorchScript, free of the GIL, one intra-op
thread each: 30.8 ms against 26.1 ms one after the other, 250 steps of 128
units at inference), and tanh computed as ``2 * sigmoid(2x) - 1`` at each
step (two extra operations per step: ``predict_proba`` 1.05-1.08x faster at
128-256 units and 0.91x at 32; the loop now runs on the sigmoid itself, the
factors folded into its constants, with no extra operation per step). It
serves float32 tensors on the CPU, outside tracing, export, compilation and
autocast; everywhere else (CUDA's cuDNN, ONNX export)
the modules run as they are, and ``SKLEARN_RNN_FUSED_RECURRENCE=0`` sends every
layer there.
"""

import functools
import os

import torch
from torch import nn
from torch.nn import functional as F

_tanh_backward = torch.ops.aten.tanh_backward.grad_input
_sigmoid_backward = torch.ops.aten.sigmoid_backward.grad_input

#: ``SKLEARN_RNN_FUSED_RECURRENCE=0``: every layer runs through torch's own
#: module (the tests and ``benchmarks/bench_train.py`` compare both), read at
#: each call, as the package's other switches are.
FUSED_RECURRENCE_ENV = "SKLEARN_RNN_FUSED_RECURRENCE"


#: The size of a block of the simple RNN's loop, in states: each block's share
#: of the input product is computed just before the loop reaches it, and its
#: gradients just after, while the block is in cache (1 MiB of float32: 16
#: steps of a batch of 128 at 128 units).
_BLOCK = 2**18


def _blocks(T, block_size, reverse=False):
    """(start, end) of the blocks of steps, 8 to 64 steps of ``block_size`` states each."""
    n = min(max(_BLOCK // max(block_size, 1), 8), 64)
    starts = range(0, T, n)
    return [(k, min(k + n, T)) for k in (reversed(starts) if reverse else starts)]


def _tanh_states(x, w_ih, b, w_hh):
    """The states (T, B, H) of h[t] = tanh(x[t] W_ih^T + b + h[t-1] W_hh^T), h[-1] = 0.

    ``x``: (T, B, features), contiguous; ``b``: the two biases summed. The
    loop runs on s = (h + 1) / 2 = sigmoid(2a), since tanh(a) = 2 sigmoid(2a)
    - 1 and torch's sigmoid is about 3x faster than its tanh on the CPU (a
    128 x 128 block: 7 us against 23 us, one thread each); with h[t-1] = 2
    s[t-1] - 1,

        2 a[t] = 2 x[t] W_ih^T + (2 b - 2 W_hh 1) + 4 s[t-1] W_hh^T,

    so each step is one ``addmm_`` (its ``alpha`` the 4) and one activation,
    in place, and the states become h in one pass at the end. The input
    product is computed a block of steps at a time (``_BLOCK``), with its
    constant, into the states' buffer just before the loop reaches the block,
    so the loop finds it in cache: the input product of a whole batch at once
    is a buffer the size of the states, written to memory, read back and
    written again (``baddbmm`` first copies its bias into its output, too).
    The forward pass, 500 steps of a batch of 128, 128-256 units: 1.13-1.37x
    as fast as one product for the batch; with the sigmoid, the loop alone
    was 1.23x as fast at 128 units, 1.37x at 32 and 1.10x at 256. So at
    inference, too, the states are the one buffer of the batch's size (before
    stop 56 the loop wrote over the product to the same end, predict_proba
    1.17-1.22x faster than with a buffer for each). Tried and not kept: the
    states turned into h a block at a time, once the loop has left it (a
    training step 0.96x), and the product without its constant, added to the
    block after (0.99x).
    """
    T, B, n_in = x.shape
    H = w_hh.shape[0]
    states = x.new_empty(T, B, H)
    w_sum = w_hh.sum(1).mul_(2)  # 2 W_hh 1
    constant = b * 2 - w_sum
    w_in, w_t = w_ih.t() * 2, w_hh.t()
    for k, end in _blocks(T, B * H):
        block = states[k:end]
        torch.addmm(constant, x[k:end].reshape(-1, n_in), w_in, out=block.view(-1, H))
        steps = block.unbind(0)
        if k == 0:  # the first step reads h[-1] = 0: no W_hh term
            s = steps[0].add_(w_sum).sigmoid_()
            steps = steps[1:]
        for step in steps:
            s = step.addmm_(s, w_t, alpha=4).sigmoid_()
    return states.mul_(2).sub_(1)


class _TanhLayer(torch.autograd.Function):
    """A single-layer tanh RNN: h[t] = tanh(x[t] W_ih^T + b + h[t-1] W_hh^T), h[-1] = 0.

    ``x``: (T, B, features), contiguous; ``w_ih``: (H, features); ``b``:
    (H,), the two biases summed; ``w_hh``: (H, H). Returns the states
    (T, B, H). The forward pass is :func:`_tanh_states`. The backward pass
    runs a block of steps at a time, from the last: the gradient of each
    step's pre-activation (per step ``tanh_backward`` and one ``addmm``, as
    torch's), then the block's share of the gradients of the input and of all
    the weights, while the block is in cache; so the gradient of the
    pre-activations never needs a buffer the size of the states.
    """

    @staticmethod
    def forward(ctx, x, w_ih, b, w_hh):
        states = _tanh_states(x, w_ih, b, w_hh)
        ctx.save_for_backward(x, w_ih, w_hh, states)
        return states

    @staticmethod
    def backward(ctx, grad):
        x, w_ih, w_hh, states = ctx.saved_tensors
        T, B, H = states.shape
        n_in = x.shape[-1]
        dx = x.new_empty(x.shape)
        dw_ih, dw_hh = torch.zeros_like(w_ih), torch.zeros_like(w_hh)
        db = states.new_zeros(H)
        blocks = _blocks(T, B * H, reverse=True)
        dpre = states.new_empty(blocks[-1][1], B, H)  # one block's pre-activation gradients
        carry = None  # the gradient the next block's first step sends to the state before it
        for k, end in blocks:
            d = dpre[: end - k]
            d.copy_(grad[k:end])
            if carry is not None:
                d[-1].add_(carry)
            steps, h = d.unbind(0), states[k:end].unbind(0)
            for i in range(end - k - 1, -1, -1):
                _tanh_backward(steps[i], h[i], grad_input=steps[i])
                if i:
                    steps[i - 1].addmm_(steps[i], w_hh)
            flat = d.view(-1, H)
            torch.mm(flat, w_ih, out=dx[k:end].view(-1, n_in))
            dw_ih.addmm_(flat.t(), x[k:end].reshape(-1, n_in))
            db.add_(flat.sum(0))
            # Step t read state t-1; the first step read zeros, so it adds nothing.
            first = max(k, 1)
            if first < end:
                dw_hh.addmm_(
                    d[first - k :].reshape(-1, H).t(), states[first - 1 : end - 1].reshape(-1, H)
                )
            if k:
                carry = torch.mm(steps[0], w_hh, out=carry)
        return dx, dw_ih, db, dw_hh


def _by_step(buffer):
    """The T blocks of a (G, T, B, n) buffer, each (G, B, n), or (B, n) for one layer."""
    return buffer[0].unbind(0) if buffer.shape[0] == 1 else buffer.unbind(1)


class _GRURecurrence(torch.autograd.Function):
    """torch's GRU over whole sequences from a zero state, its backward written out.

    G layers run side by side (the two directions of a bidirectional layer,
    the networks of an ensemble): each operation of a step serves all G, the
    products batched. ``gi``: (G,
    T, B, 3H), the input projections (gates r, z, n in torch's order) with the
    input biases and the recurrent biases of r and z; ``w_hh``: (G, 3H, H);
    ``b_hn``: (G, H), the recurrent bias of n, inside the reset gate's
    product. Returns the states (G, T, B, H) of

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
    0.76-1.00x, so inference keeps the module). One layer runs on plain
    matrices: batched products of one were 0.97-0.98x as fast.
    """

    @staticmethod
    def forward(ctx, gi, w_hh, b_hn):
        G, T, B, H3 = gi.shape
        H = H3 // 3
        if G == 1:
            mm, w_t, b_hn, block = torch.mm, w_hh[0].t(), b_hn[0], (B,)
        else:
            mm, w_t, b_hn, block = torch.bmm, w_hh.transpose(1, 2), b_hn.unsqueeze(1), (G, B)
        states = gi.new_empty(G, T, B, H)
        gates = gi.new_empty(G, T, B, 2 * H)  # r and z
        new = gi.new_empty(G, T, B, H)  # n
        hidden_n = gi.new_empty(G, T, B, H)  # h[t-1] W_hn^T + b_hn
        gh = gi.new_empty(*block, H3)
        h = gi.new_zeros(*block, H)
        for g, rz, hn, n, state in zip(*map(_by_step, (gi, gates, hidden_n, new, states))):
            mm(h, w_t, out=gh)
            torch.add(g[..., : 2 * H], gh[..., : 2 * H], out=rz).sigmoid_()
            torch.add(gh[..., 2 * H :], b_hn, out=hn)
            torch.addcmul(g[..., 2 * H :], rz[..., :H], hn, out=n).tanh_()
            h = torch.lerp(n, h, rz[..., H:], out=state)
        ctx.save_for_backward(states, gates, new, hidden_n, w_hh)
        return states

    @staticmethod
    def backward(ctx, grad):
        states, gates, new, hidden_n, w_hh = ctx.saved_tensors
        G, T, B, H = states.shape
        # One buffer of gradients per step, [h W_hn^T + b_hn, r, z, n], the
        # last three before their activations: its first three quarters are
        # the gradient of the recurrent product (its weights' rows taken in
        # that order) and its last three that of the input projection, so
        # neither needs a copy of its own.
        grads = states.new_empty(G, T, B, 4 * H)
        w_nrz = torch.cat([w_hh[:, 2 * H :], w_hh[:, : 2 * H]], dim=1)
        addmm_, w_nrz, block = (
            (torch.Tensor.addmm_, w_nrz[0], (B,))
            if G == 1
            else (torch.Tensor.baddbmm_, w_nrz, (G, B))
        )
        # The gradient of h[t-1] is summed in place, in two buffers in turn:
        # one holds step t's, the other takes step t-1's.
        buffers = [states.new_empty(*block, H) for _ in range(2)]
        tmp = states.new_empty(*block, H)
        prev = [states.new_zeros(*block, H), *_by_step(states)[:-1]]
        steps = list(zip(*map(_by_step, (grad, grads, gates, new, hidden_n)), prev))
        dh = steps[-1][0]
        for t in range(T - 1, -1, -1):
            _, d, rz, n, hn, h = steps[t]
            dprev = buffers[t % 2]
            torch.sub(h, n, out=tmp)
            torch.mul(dh, tmp, out=d[..., 2 * H : 3 * H])  # z
            torch.mul(dh, rz[..., H:], out=dprev)  # h[t-1] through z
            torch.sub(dh, dprev, out=tmp)  # n: dh * (1 - z)
            dn = _tanh_backward(tmp, n, grad_input=d[..., 3 * H :])
            torch.mul(dn, hn, out=d[..., H : 2 * H])  # r
            torch.mul(dn, rz[..., :H], out=d[..., :H])  # h[t-1] W_hn^T + b_hn
            _sigmoid_backward(d[..., H : 3 * H], rz, grad_input=d[..., H : 3 * H])
            if t:
                dh = addmm_(dprev.add_(steps[t - 1][0]), d[..., : 3 * H], w_nrz)
        # Step t read state t-1; the first step read zeros, so it adds nothing.
        dw = grads[:, 1:, :, : 3 * H].reshape(G, -1, 3 * H).transpose(1, 2) @ states[
            :, :-1
        ].reshape(G, -1, H)
        db_hn = grads[..., :H].sum((1, 2))
        return grads[..., H:], torch.cat([dw[:, H:], dw[:, :H]], dim=1), db_hn


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
        and eager()
    )


def eager():
    """Whether torch runs operations as they come: not tracing, scripting, exporting or compiling.

    The fused paths read sizes as Python numbers and run autograd Functions,
    which a trace, an export or a compiled graph would freeze or refuse.
    """
    return not (
        torch.jit.is_tracing()
        or torch.jit.is_scripting()
        or torch.onnx.is_in_onnx_export()
        or _compiling()
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

    Fused GRU layers of one size whose inputs have one shape (the two
    directions of a bidirectional layer, the networks of an ensemble, see
    ``modules._drive_together``) run side by side, in one
    :class:`_GRURecurrence`; simple RNN layers one by one, as side by side
    they were slower at 128-256 units (a training step of two directions,
    batch 128: 0.82-0.96x; 1.11x at 32).
    """
    outputs = [None] * len(layers)
    groups = {}
    for i, (layer, x) in enumerate(zip(layers, inputs)):
        if not _fused(layer, x) or x.shape[1] == 0:
            outputs[i] = call_layer(layer, x)[0]
        elif type(layer) is nn.GRU:
            groups.setdefault((layer.input_size, layer.hidden_size, x.shape), []).append(i)
        else:  # a group of its own (GRU groups have tuple keys)
            groups[i] = [i]
    for group in groups.values():
        for i, out in zip(
            group, _run_fused([layers[i] for i in group], [inputs[i] for i in group])
        ):
            outputs[i] = out
    return outputs


def _run_fused(layers, inputs):
    """:func:`run_layers` for G fused layers of one kind and size, on inputs of one shape.

    A simple RNN layer runs alone (G = 1), through :class:`_TanhLayer`. For
    GRU layers the input projections of all G are one batched product over
    the inputs stacked time first; the G layers then run side by side (a
    training step of two directions, batch 64-128, 32-256 units: 1.05-1.24x
    as fast as one after the other).
    """
    if type(layers[0]) is nn.RNN:
        (layer,), (x,) = layers, inputs
        return [_run_tanh(layer, x.transpose(0, 1))]
    H = layers[0].hidden_size
    # The recurrent bias of n stays inside the reset gate's product.
    b_hn = torch.stack([layer.bias_hh_l0[2 * H :] for layer in layers])
    bias = torch.stack(
        [layer.bias_ih_l0 + F.pad(layer.bias_hh_l0[: 2 * H], (0, H)) for layer in layers]
    )
    x = torch.stack([x.transpose(0, 1) for x in inputs])  # (G, T, B, features)
    G, T, B, n_in = x.shape  # a size -1 would be ambiguous for a batch of no sequences
    w_ih = torch.stack([layer.weight_ih_l0 for layer in layers])
    w_hh = torch.stack([layer.weight_hh_l0 for layer in layers])
    gi = torch.baddbmm(bias.unsqueeze(1), x.view(G, T * B, n_in), w_ih.transpose(1, 2))
    states = _GRURecurrence.apply(gi.view(G, T, B, 3 * H), w_hh, b_hn)
    if G > 1:
        return [s.transpose(0, 1) for s in states.unbind(0)]
    # A view: selecting the one layer would copy its gradient.
    return [states.squeeze(0).transpose(0, 1)]


def _run_tanh(layer, x):
    """A fused simple RNN layer on ``x`` (T, B, features): its states (B, T, H), time first."""
    x = x.contiguous()
    b = layer.bias_ih_l0 + layer.bias_hh_l0
    if torch.is_grad_enabled():
        states = _TanhLayer.apply(x, layer.weight_ih_l0, b, layer.weight_hh_l0)
    else:
        states = _tanh_states(x, layer.weight_ih_l0, b, layer.weight_hh_l0)
    return states.transpose(0, 1)
