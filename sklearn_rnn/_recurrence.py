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
networks of 32 units 1.33x); at inference one GRU alone keeps
torch's module, whose loop in C++ was as fast as this one in Python
(0.76-1.00x) and as one that keeps the state as ``(h + 1) / 2``, so that the
new gate's tanh becomes a sigmoid, 2-3x faster on the CPU, the factors folded
into the weights (0.76-1.04x, 32-256 units; 0.87-0.90x with its states
pooled as it runs).

At inference, where a network pools its top layer's states (max or mean,
the classifier's default) and reads nothing else of them, ``run_layers``
with ``pool`` pools each block of steps while it is in cache and writes the
next block over it (:func:`_run_pooled`): no buffer of all the states goes
to memory and back, nothing masks it afterwards. Simple RNN layers run
:func:`_tanh_blocks`, the loop of :func:`_tanh_states`; GRU layers side by
side (two directions, an ensemble's networks) run :func:`_gru_pooled`, that
loop on ``(h + 1) / 2``. Against the states kept and then pooled, an
encoder's forward pass over batches of 300 steps (stop 63, paired, medians
of 15): bidirectional GRU 1.18-1.34x (32-256 units), simple RNN 1.04-1.19x,
one GRU 1.00x (a second run: 0.99-1.32x, 1.05-1.13x, 0.99-1.00x);
``predict_proba`` in ``bench_train``'s setting (batches of 128 reviews of
up to 500 steps), three paired runs on a noisy machine: bidirectional GRU
0.97-1.80x, simple RNN 1.08-1.53x. The equations and parameters are
the modules', so the results equal torch's within float32 rounding
(``tests/test_recurrence.py`` checks outputs and gradients against the
modules, the GRU's also in float64; the pooled paths against the modules'
states pooled after them).

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
    states = x.new_empty(x.shape[0], x.shape[1], w_hh.shape[0])
    for _ in _tanh_blocks(x, w_ih, b, w_hh, states):
        pass
    return states.mul_(2).sub_(1)


def _tanh_blocks(x, w_ih, b, w_hh, states=None):
    """The loop of :func:`_tanh_states`: yields each block of steps' s = (h + 1) / 2.

    Yields ``(start, end, block)``, the block (end - start, B, H). With
    ``states`` (T, B, H) the blocks are its views, written in turn; without,
    one buffer of a block's size serves every block, each valid until the
    next is asked for (the caller may overwrite it: the loop carries its last
    state in a buffer of its own).
    """
    T, B, n_in = x.shape
    H = w_hh.shape[0]
    w_sum = w_hh.sum(1).mul_(2)  # 2 W_hh 1
    constant = b * 2 - w_sum
    w_in, w_t = w_ih.t() * 2, w_hh.t()
    blocks = _blocks(T, B * H)
    if states is None:
        buffer = x.new_empty(blocks[0][1] - blocks[0][0], B, H)
        carry = x.new_empty(B, H)
    for k, end in blocks:
        block = buffer[: end - k] if states is None else states[k:end]
        torch.addmm(constant, x[k:end].reshape(-1, n_in), w_in, out=block.view(-1, H))
        steps = block.unbind(0)
        if k == 0:  # the first step reads h[-1] = 0: no W_hh term
            s = steps[0].add_(w_sum).sigmoid_()
            steps = steps[1:]
        for step in steps:
            s = step.addmm_(s, w_t, alpha=4).sigmoid_()
        if states is None:
            s = carry.copy_(s)  # the next block is written over this one
        yield k, end, block


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
    asked for (in training), since at inference torch's module is as fast
    (unless its states are pooled as they come, see :func:`pools`).
    """
    if type(layer) is nn.GRU:
        if not torch.is_grad_enabled() or not (
            x.requires_grad or any(p.requires_grad for p in layer.parameters())
        ):
            return False
    elif type(layer) is not nn.RNN or layer.nonlinearity != "tanh":
        return False
    return _plain(layer, x)


def pools(layer, x):
    """Whether :func:`run_layers` can pool this layer's states as it computes them.

    At inference (no gradients), a tanh ``nn.RNN`` or an ``nn.GRU`` under the
    fused paths' conditions (:func:`_plain`), on a sequence of one step or more.
    """
    return (
        not torch.is_grad_enabled()
        and (type(layer) is nn.GRU or (type(layer) is nn.RNN and layer.nonlinearity == "tanh"))
        and x.shape[1] > 0
        and _plain(layer, x)
    )


def _plain(layer, x):
    """The fused paths' shared conditions: one float32 layer, batch first, on the CPU, eager."""
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


def run_layers(layers, inputs, pool=None):
    """The output sequences of single-layer recurrent modules, each on its own input.

    ``layers``: modules (one, or the two directions of a bidirectional
    layer), each ``batch_first`` with one layer; ``inputs``: their inputs,
    each (batch, steps, features). Each starts from a zero state. Returns a
    list of (batch, steps, hidden) tensors.

    ``pool``: ``None``, or ``(pooling, lengths)`` for layers that
    :func:`pools` accepts: ``'max'`` or ``'mean'`` over each sequence's first
    ``lengths[i]`` steps ((batch,) integers, at least 0), and the list holds
    (batch, hidden) tensors instead, the states pooled as the loop leaves
    them, never all kept (:func:`_run_pooled`). The row of a sequence of
    length 0 is for the caller to replace.

    Fused GRU layers of one size whose inputs have one shape (the two
    directions of a bidirectional layer, the networks of an ensemble, see
    ``modules._drive_together``) run side by side, in one
    :class:`_GRURecurrence`; simple RNN layers one by one, as side by side
    they were slower at 128-256 units (a training step of two directions,
    batch 128: 0.82-0.96x; 1.11x at 32).
    """
    if pool is not None:
        return _run_pooled(layers, inputs, *pool)
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


def _run_pooled(layers, inputs, pooling, lengths):
    """:func:`run_layers` with ``pool=(pooling, lengths)``: each layer's pooled states.

    At inference a network that pools its top layer's states reads nothing
    else of them, so the states of a block of steps are pooled while in
    cache (:class:`_RunningPool`) and their buffer serves the next block: no
    buffer of all the states is written to memory and read back (for a
    simple RNN of 256 units, a batch of 128 reviews of 500 steps, 64 MiB a
    direction), and nothing masks them afterwards. GRU layers of one size
    whose inputs have one shape run side by side (:func:`_gru_pooled`),
    simple RNN layers one by one (:func:`_tanh_blocks`).
    """
    if pooling not in ("max", "mean"):
        raise ValueError(f"pooling must be 'max' or 'mean' here; got {pooling!r}.")
    outputs = [None] * len(layers)
    groups = {}
    for i, (layer, x) in enumerate(zip(layers, inputs)):
        if not pools(layer, x):
            raise ValueError(f"{layer} cannot pool its states as it runs, on this input.")
        key = (layer.input_size, layer.hidden_size, x.shape) if type(layer) is nn.GRU else i
        groups.setdefault(key, []).append(i)
    for group in groups.values():
        batch, H = inputs[group[0]].shape[0], layers[group[0]].hidden_size
        if len(group) == 1 and type(layers[group[0]]) is nn.GRU:
            # One GRU alone: torch's module was faster than this loop (0.87-0.90x).
            (i,) = group
            pooled = [_pool_states(call_layer(layers[i], inputs[i])[0], pooling, lengths)]
        elif type(layers[group[0]]) is nn.GRU:
            pool = _RunningPool(pooling, lengths, (len(group), batch, H), inputs[group[0]])
            _gru_pooled([layers[i] for i in group], [inputs[i] for i in group], pool)
            pooled = pool.result().unbind(0)
        else:
            (i,) = group
            layer, x = layers[i], inputs[i].transpose(0, 1).contiguous()
            pool = _RunningPool(pooling, lengths, (batch, H), x)
            b = layer.bias_ih_l0 + layer.bias_hh_l0
            for k, end, block in _tanh_blocks(x, layer.weight_ih_l0, b, layer.weight_hh_l0):
                pool.add(k, end, block)
            pooled = [pool.result()]
        for i, out in zip(group, pooled):
            outputs[i] = out
    return outputs


def _pool_states(h, pooling, lengths):
    """The max or mean of each sequence's true steps, from all the states ``h`` (B, T, H).

    ``modules._reduce(..., inplace=True)`` at this layer (which cannot import it).
    """
    past = torch.arange(h.shape[1], device=h.device) >= lengths.view(-1, 1)
    h.masked_fill_(past.unsqueeze(-1), float("-inf") if pooling == "max" else 0.0)
    if pooling == "max":
        return h.amax(1)
    return h.sum(1).div_(lengths.clamp_min(1).view(-1, 1))


class _RunningPool:
    """The maximum or the mean of each sequence's true steps, pooled a block of steps at a time.

    ``lengths``: (B,), the true steps of each sequence; ``shape``: the
    pooled states', (..., B, H). :meth:`add` takes the loops' blocks of
    s = (h + 1) / 2, (steps, ..., B, H), in order, and masks the steps past
    a sequence's end in the block itself; :meth:`result` is the pool of h =
    2 s - 1 (a sequence of length 0: -inf for max, -1 for mean).
    """

    def __init__(self, pooling, lengths, shape, like):
        self.max = pooling == "max"
        self.lengths = lengths
        self.shortest = int(lengths.min())
        self.fill = float("-inf") if self.max else 0.0
        self.value = like.new_full(shape, self.fill)

    def add(self, start, end, block):
        if end > self.shortest:  # steps past some sequence's end
            time = torch.arange(start, end, device=block.device)
            past = time.view(-1, *[1] * (block.dim() - 1)) >= self.lengths.view(-1, 1)
            block.masked_fill_(past, self.fill)
        if self.max:
            torch.maximum(self.value, block.amax(0), out=self.value)
        else:
            self.value.add_(block.sum(0))

    def result(self):
        if not self.max:
            self.value.div_(self.lengths.clamp_min(1).view(-1, 1))
        return self.value.mul_(2).sub_(1)


def _gru_pooled(layers, inputs, pool):
    """G GRU layers of one size on inputs of one shape, side by side at inference, into ``pool``.

    The forward loop of :class:`_GRURecurrence`, on s = (h + 1) / 2 as the
    simple RNN's (:func:`_tanh_states`): with tanh(a) = 2 sigmoid(2a) - 1 the
    new gate n = 2 m - 1, m = sigmoid(2 a_n), and h[t] = lerp(n, h[t-1], z)
    becomes s[t] = lerp(m, s[t-1], z); h W^T = 2 s W^T - W 1. The factors
    and constants fold into the weights and biases, so a step is one batched
    product and six elementwise operations, and the new gate a sigmoid
    (about 3x faster than tanh on the CPU). The input projection is computed
    a block of steps at a time, just before the loop reaches it, and each
    block's states go to ``pool`` (:class:`_RunningPool`) before the next
    block is written over them.
    """
    G, H = len(layers), layers[0].hidden_size
    B, T, n_in = inputs[0].shape
    w_ih = torch.stack([layer.weight_ih_l0 for layer in layers])
    w_hh = torch.stack([layer.weight_hh_l0 for layer in layers])
    b_ih = torch.stack([layer.bias_ih_l0 for layer in layers])
    b_hh = torch.stack([layer.bias_hh_l0 for layer in layers])
    w_sum = w_hh.sum(2)  # W_hh 1, (G, 3H)
    # r, z: x W_i^T + b_i + b_h - W_h 1 + 2 s W_h^T; the new gate: all twice.
    scale = w_ih.new_ones(3 * H)
    scale[2 * H :] = 2
    constant = (b_ih + F.pad(b_hh[:, : 2 * H] - w_sum[:, : 2 * H], (0, H))) * scale
    w_in = (w_ih * scale.unsqueeze(1)).transpose(1, 2)  # (G, n_in, 3H)
    # The recurrent product: 2 s W_rz^T, and 4 s W_n^T + 2 (b_hn - W_n 1) for the new gate.
    w_t = (w_hh * (scale * 2).unsqueeze(1)).transpose(1, 2)  # (G, H, 3H)
    b_hn = (2 * (b_hh[:, 2 * H :] - w_sum[:, 2 * H :])).unsqueeze(1)
    x = torch.stack([x.transpose(0, 1) for x in inputs])  # (G, T, B, n_in), time first
    blocks = _blocks(T, G * B * 3 * H)
    n = blocks[0][1] - blocks[0][0]
    gi = x.new_empty(G, n, B, 3 * H)
    states = x.new_empty(n, G, B, H)
    gh, rz, hn = x.new_empty(G, B, 3 * H), x.new_empty(G, B, 2 * H), x.new_empty(G, B, H)
    carry = x.new_empty(G, B, H)
    s = x.new_full((G, B, H), 0.5)  # h = 0
    for k, end in blocks:
        for g in range(G):
            torch.addmm(
                constant[g],
                x[g, k:end].reshape(-1, n_in),
                w_in[g],
                out=gi[g, : end - k].view(-1, 3 * H),
            )
        for i in range(end - k):
            step = gi[:, i]
            torch.bmm(s, w_t, out=gh)
            torch.add(step[..., : 2 * H], gh[..., : 2 * H], out=rz).sigmoid_()
            torch.add(gh[..., 2 * H :], b_hn, out=hn)
            m = torch.addcmul(step[..., 2 * H :], rz[..., :H], hn, out=step[..., 2 * H :])
            s = torch.lerp(m.sigmoid_(), s, rz[..., H:], out=states[i])
        s = carry.copy_(s)  # the next block is written over this one
        pool.add(k, end, states[: end - k])
