"""The fused CPU recurrence equals torch's own modules, forward and backward."""

import numpy as np
import pytest
import torch
from torch import nn

from sklearn_rnn import RNNClassifier, _recurrence, modules
from sklearn_rnn._recurrence import _fused, run_layers
from sklearn_rnn.modules import EnsembleModule, RNNEncoderModule


def _grads(output, tensors, weight):
    return torch.autograd.grad((output * weight).sum(), tensors)


@pytest.mark.parametrize("module", [nn.RNN, nn.GRU])
@pytest.mark.parametrize("directions", [1, 2])
@pytest.mark.parametrize("steps", [1, 2, 37])
def test_fused_layers_equal_torch_modules(module, directions, steps):
    torch.manual_seed(0)
    layers = [module(6, 9, batch_first=True) for _ in range(directions)]
    with torch.no_grad():  # biases away from zero, so that a misplaced one shows
        for layer in layers:
            layer.bias_hh_l0.uniform_(-1, 1)
            layer.bias_ih_l0.uniform_(-1, 1)
    inputs = [torch.randn(5, steps, 6, requires_grad=True) for _ in range(directions)]
    params = [p for layer in layers for p in layer.parameters()]
    assert _fused(layers[0], inputs[0])
    fused = torch.stack(run_layers(layers, inputs))
    reference = torch.stack([layer(x)[0] for layer, x in zip(layers, inputs)])
    torch.testing.assert_close(fused, reference, rtol=1e-5, atol=1e-6)
    weight = torch.randn_like(reference)
    got = _grads(fused, inputs + params, weight)
    want = _grads(reference, inputs + params, weight)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("module", [nn.RNN, nn.GRU])
@pytest.mark.parametrize("grad", [True, False])
def test_fused_layers_take_a_batch_of_no_sequences(module, grad):
    layer = module(3, 4, batch_first=True)
    x = torch.randn(0, 5, 3, requires_grad=grad)
    with torch.set_grad_enabled(grad):
        (out,) = run_layers([layer], [x])
    assert out.shape == (0, 5, 4)
    if grad:
        out.sum().backward()
        assert x.grad.shape == x.shape


@pytest.mark.parametrize(
    "module, n_layers, steps",
    [(nn.RNN, 1, 11), (nn.RNN, 1, 40), (nn.GRU, 1, 11), (nn.GRU, 2, 11)],
)
def test_fused_recurrence_exact_in_double_precision(module, n_layers, steps, monkeypatch):
    # The written-out backward against autograd through torch's modules, in
    # float64, where only the order of the sums can differ; two GRU layers run
    # side by side (the two directions of a bidirectional layer), each on its
    # own input and weights.
    torch.manual_seed(0)
    layers = [module(5, 8, batch_first=True).double() for _ in range(n_layers)]
    for layer in layers:
        for p in layer.parameters():
            p.data.uniform_(-0.5, 0.5)  # biases away from zero, so that a misplaced one shows
    # The simple RNN's loop in its shortest blocks, 8 steps: 11 and 40 steps
    # make two and five blocks, the last one of 11 short.
    monkeypatch.setattr(_recurrence, "_BLOCK", 1)
    xs = [torch.randn(3, steps, 5, dtype=torch.double, requires_grad=True) for _ in layers]
    fused = _recurrence._run_fused(layers, xs)
    references = [layer(x)[0] for layer, x in zip(layers, xs)]
    tensors = [*xs, *(p for layer in layers for p in layer.parameters())]
    weights = [torch.randn_like(r) for r in references]
    got = torch.autograd.grad(fused, tensors, weights)
    want = torch.autograd.grad(references, tensors, weights)
    for f, r in zip(fused, references):
        torch.testing.assert_close(f, r, rtol=0, atol=1e-12)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=0, atol=1e-12)


@pytest.mark.parametrize("mode", [torch.no_grad, torch.inference_mode])
def test_fused_inference_equals_torch_module(mode, monkeypatch):
    torch.manual_seed(0)
    layer = nn.RNN(6, 9, batch_first=True)
    x = torch.randn(5, 23, 6)
    x_before = x.clone()
    calls = []
    states = _recurrence._tanh_states
    monkeypatch.setattr(_recurrence, "_tanh_states", lambda *a: calls.append(a) or states(*a))
    with mode():
        (fused,) = run_layers([layer], [x])
        reference = layer(x)[0]
    torch.testing.assert_close(fused, reference, rtol=1e-5, atol=1e-6)
    assert len(calls) == 1  # the fused loop ran, without an autograd Function
    assert torch.equal(x, x_before)  # the layer's input is left as it was
    (again,) = run_layers([layer], [x])  # with gradients: through the Function
    assert len(calls) == 2
    torch.testing.assert_close(again.detach(), fused, rtol=1e-5, atol=1e-6)


def test_fused_path_only_where_it_is_measured(monkeypatch):
    layer = nn.RNN(3, 4, batch_first=True)
    x = torch.randn(2, 5, 3)
    assert _fused(layer, x)
    assert not _fused(nn.LSTM(3, 4, batch_first=True), x)  # torch calls oneDNN's kernel
    gru = nn.GRU(3, 4, batch_first=True)
    assert _fused(gru, x)  # in training
    with torch.no_grad():
        assert _fused(layer, x)
        assert not _fused(gru, x)  # at inference torch's own loop is as fast
    gru.requires_grad_(False)
    assert not _fused(gru, x)  # nothing to differentiate: inference, too
    assert _fused(gru, x.requires_grad_())
    assert not _fused(nn.RNN(3, 4, batch_first=True, nonlinearity="relu"), x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not _fused(layer, x)  # mixed precision: torch's module under autocast
    assert not _fused(layer.double(), x.double())
    monkeypatch.setenv("SKLEARN_RNN_FUSED_RECURRENCE", "0")
    assert not _fused(layer, x)
    assert not _fused(gru, x)


@pytest.mark.parametrize("cell", ["rnn", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_encoder_same_with_and_without_fused_path(cell, bidirectional, monkeypatch):
    torch.manual_seed(0)
    encoder = RNNEncoderModule(
        num_embeddings=30,
        embedding_dim=5,
        cell=cell,
        hidden_size=7,
        num_layers=2,
        bidirectional=bidirectional,
        pooling="last",
    )
    x = torch.tensor([[3, 7, 9, 4, 2], [4, 11, 0, 0, 0], [5, 0, 0, 0, 0]])
    lengths = torch.tensor([5, 2, 1])
    params = list(encoder.parameters())
    out = encoder(x, lengths)
    got = torch.autograd.grad(out.square().sum(), params)
    monkeypatch.setenv("SKLEARN_RNN_FUSED_RECURRENCE", "0")
    reference = encoder(x, lengths)
    want = torch.autograd.grad(reference.square().sum(), params)
    torch.testing.assert_close(out, reference, rtol=1e-5, atol=1e-6)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5)


def _toy_data(n, steps, shorter):
    """Sequences of word ids, every third cut to ``shorter`` steps, and a label from the first."""
    X = np.random.default_rng(0).integers(1, 40, size=(n, steps))
    X[::3, shorter:] = 0
    return X, (X[:, 0] > 20).astype(int)


@pytest.mark.parametrize("cell, function", [("rnn", "_TanhLayer"), ("gru", "_GRURecurrence")])
def test_training_with_fused_path_matches_torch_modules(cell, function, monkeypatch):
    X, y = _toy_data(64, 12, shorter=8)
    params = dict(
        cell=cell, bidirectional=True, hidden_size=8, embedding_dim=6, max_epochs=3,
        early_stopping=False, batch_size=16, random_state=0, device="cpu", ensemble_size=2,
    )  # fmt: skip
    calls = []
    fused_function = getattr(_recurrence, function)
    apply = fused_function.apply
    monkeypatch.setattr(fused_function, "apply", lambda *a: calls.append(a[0].shape) or apply(*a))
    fused = RNNClassifier(**params).fit(X, y).predict_proba(X)
    assert calls  # the fit took the fused path
    if cell == "gru":  # two networks of two directions side by side: (4, steps, batch, 3 * 8)
        assert {(shape[0], shape[-1]) for shape in calls} == {(4, 24)}
    monkeypatch.setenv("SKLEARN_RNN_FUSED_RECURRENCE", "0")
    calls.clear()
    plain = RNNClassifier(**params).fit(X, y).predict_proba(X)
    assert not calls  # the switch sent every layer through torch's module
    np.testing.assert_allclose(fused, plain, atol=1e-4)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_gru_ensemble_members_run_side_by_side(bidirectional, monkeypatch):
    # The members' layers run together, in one fused recurrence per layer;
    # outputs and gradients are those of the members run one after the other.
    torch.manual_seed(0)
    ensemble = EnsembleModule(
        ensemble_size=3, n_outputs=2, num_embeddings=30, embedding_dim=5, cell="gru",
        hidden_size=7, num_layers=2, bidirectional=bidirectional,
    )  # fmt: skip
    x = torch.tensor([[3, 7, 9, 4, 2], [4, 11, 0, 0, 0], [5, 0, 0, 0, 0]])
    lengths = torch.tensor([5, 2, 1])
    calls = []
    apply = _recurrence._GRURecurrence.apply
    monkeypatch.setattr(
        _recurrence._GRURecurrence, "apply", lambda *a: calls.append(a[0].shape[0]) or apply(*a)
    )
    params = list(ensemble.parameters())
    out = ensemble(x, lengths)
    got = torch.autograd.grad(out.square().sum(), params)
    assert calls == [3 * (2 if bidirectional else 1)] * 2  # each layer: one call for all
    reference = torch.stack([member(x, lengths) for member in ensemble.members], dim=1)
    want = torch.autograd.grad(reference.square().sum(), params)
    torch.testing.assert_close(out, reference, rtol=1e-5, atol=1e-6)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("time_first", [True, False])
@pytest.mark.parametrize("shortest", [13, 9, 1])
def test_masked_max_pooling_equals_the_general_path(shortest, time_first, monkeypatch):
    # States laid out time first (the fused recurrence's) or batch first
    # (torch's modules'), pooled over each sequence's true steps where they
    # lie: values and gradients equal those of the masked copy.
    calls = []
    apply = modules._MaskedMax.apply
    monkeypatch.setattr(modules._MaskedMax, "apply", lambda *a: calls.append(a[2]) or apply(*a))
    torch.manual_seed(0)
    T, B, H = 13, 6, 5
    lengths = torch.tensor([13, 11, shortest, 12, 13, 10]).unsqueeze(1)
    mask = torch.arange(T) < lengths
    states = torch.randn(B, T, H, dtype=torch.double)
    states[~mask] = 50.0  # padding larger than every true state
    if time_first:
        states = states.transpose(0, 1).contiguous()
    states.requires_grad_()
    h = states.transpose(0, 1) if time_first else states
    fast = modules._reduce(h, mask, lengths, "max")
    assert calls == [0 if time_first else 1]
    reference = h.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(dim=1).values
    torch.testing.assert_close(fast, reference, rtol=0, atol=0)
    weight = torch.randn_like(fast)
    (got,) = torch.autograd.grad(fast, states, weight)
    (want,) = torch.autograd.grad(reference, states, weight)
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    assert got.is_contiguous()  # in the states' layout, as the recurrence's backward reads it


@pytest.mark.parametrize("time_first", [True, False])
def test_masked_max_pooling_sends_a_tied_maximum_s_gradient_to_its_first_step(
    time_first, monkeypatch
):
    # A state can repeat exactly (saturated, or a GRU's update gate at 1): the
    # gradient goes to the first of the tied steps, as with max's indices.
    calls = []
    apply = modules._MaskedMax.apply
    monkeypatch.setattr(modules._MaskedMax, "apply", lambda *a: calls.append(a[2]) or apply(*a))
    # Two sequences of 3 and 4 steps, 2 units, batch first; the first has ties.
    states = torch.tensor(
        [
            [[0.5, 1.0], [0.5, 2.0], [0.2, 2.0], [0.5, -1.0]],  # step 3 is padding
            [[0.125, 0.25], [0.375, 0.25], [0.25, 0.875], [0.25, 0.125]],
        ]
    )
    if time_first:
        states = states.transpose(0, 1).contiguous()
    states.requires_grad_()
    h = states.transpose(0, 1) if time_first else states
    lengths = torch.tensor([[3], [4]])
    mask = torch.arange(4) < lengths
    pooled = modules._reduce(h, mask, lengths, "max")
    assert calls == [0 if time_first else 1]
    assert pooled.tolist() == [[0.5, 2.0], [0.375, 0.875]]
    weight = torch.tensor([[6.0, 4.0], [1.0, 2.0]])
    (grad,) = torch.autograd.grad(pooled, states, weight)
    grad = grad.transpose(0, 1) if time_first else grad
    assert grad[0].tolist() == [[6.0, 0.0], [0.0, 4.0], [0.0, 0.0], [0.0, 0.0]]
    assert grad[1].tolist() == [[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [0.0, 0.0]]
    reference = h.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(dim=1).values
    (want,) = torch.autograd.grad(reference, states, weight)
    want = want.transpose(0, 1) if time_first else want
    assert torch.equal(grad, want)  # as the general path's


@pytest.mark.parametrize("time_first", [True, False])
@pytest.mark.parametrize("steps", [6, 2**15 + 3])  # step ranks in int16, then int32
def test_masked_max_pooling_keeps_the_gradient_on_true_steps_when_padding_ties(time_first, steps):
    # A saturated state stays at 1.0 after the sequence's end: the padding
    # steps hold the maximum too, but the gradient goes to its first true step.
    states = torch.zeros(2, steps, 1)
    states[0, 1:] = 1.0  # true steps 0-2 (maximum 1.0 from step 1), then padding at 1.0
    states[1, -2] = 0.5  # the whole sequence, its maximum one step before the end
    if time_first:
        states = states.transpose(0, 1).contiguous()
    states.requires_grad_()
    h = states.transpose(0, 1) if time_first else states
    lengths = torch.tensor([[3], [steps]])
    mask = torch.arange(steps) < lengths
    pooled = modules._reduce(h, mask, lengths, "max")
    assert pooled.tolist() == [[1.0], [0.5]]
    (grad,) = torch.autograd.grad(pooled, states, torch.tensor([[3.0], [5.0]]))
    grad = grad.transpose(0, 1) if time_first else grad
    assert grad[0, 1, 0] == 3.0 and grad[1, -2, 0] == 5.0
    assert grad.abs().sum() == 8.0  # nowhere else


def test_masked_max_pooling_of_nan_states_gives_a_gradient_without_failing():
    # NaN states (a diverged fit) have a maximum found at no step: the backward
    # still returns a gradient of the states' shape instead of an index error.
    states = torch.tensor([[[0.5], [float("nan")], [0.25]]], requires_grad=True)
    pooled = modules._MaskedMax.apply(states, torch.tensor([3]), 1)
    (grad,) = torch.autograd.grad(pooled, states, torch.ones_like(pooled))
    assert grad.shape == states.shape and grad.sum() == 1.0


def test_fused_encoder_pools_its_states_where_they_lie(monkeypatch):
    calls = []
    apply = modules._MaskedMax.apply
    monkeypatch.setattr(
        modules._MaskedMax, "apply", lambda *a: calls.append(a[0].shape) or apply(*a)
    )
    torch.manual_seed(0)
    encoder = RNNEncoderModule(
        num_embeddings=30, embedding_dim=5, cell="rnn", hidden_size=7, bidirectional=True
    )
    x = torch.tensor([[3, 7, 9, 4, 2], [4, 11, 0, 0, 0], [5, 0, 0, 0, 0]])
    out = encoder(x, torch.tensor([5, 2, 1]))
    assert calls == [(5, 3, 7), (5, 3, 7)]  # both directions, where they lie: time first
    with torch.no_grad():
        again = encoder(x, torch.tensor([5, 2, 1]))  # inference: pooled as they are computed
    assert len(calls) == 2
    torch.testing.assert_close(again, out.detach())


def _spy_pooled(monkeypatch):
    calls = []
    run = _recurrence._run_pooled
    monkeypatch.setattr(_recurrence, "_run_pooled", lambda *a: calls.append(len(a[0])) or run(*a))
    return calls


@pytest.mark.parametrize("cell", ["rnn", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["max", "mean"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_inference_pools_the_top_states_as_they_are_computed(
    cell, bidirectional, pooling, num_layers, monkeypatch
):
    # At inference the top layer's states are pooled a block of steps at a
    # time, never all kept: the same pooled vectors as torch's modules' states
    # masked and pooled, also over several blocks (150 steps, blocks of 64)
    # and for sequences of 0 and 1 steps.
    torch.manual_seed(0)
    encoder = RNNEncoderModule(
        num_embeddings=40, embedding_dim=5, cell=cell, hidden_size=7, num_layers=num_layers,
        bidirectional=bidirectional, pooling=pooling,
    ).eval()  # fmt: skip
    lengths = torch.tensor([150, 0, 1, 64, 65, 129, 150])
    x = torch.randint(1, 40, (7, 150)) * (torch.arange(150) < lengths.unsqueeze(1))
    calls = _spy_pooled(monkeypatch)
    with torch.no_grad():
        pooled = encoder(x, lengths)
    assert calls == [2 if bidirectional else 1]  # the top layer's directions, in one call
    assert torch.equal(pooled[1], torch.zeros(pooled.shape[1]))  # the empty sequence
    monkeypatch.setenv("SKLEARN_RNN_FUSED_RECURRENCE", "0")
    with torch.no_grad():
        reference = encoder(x, lengths)
    assert len(calls) == 1  # torch's modules, their states pooled after
    torch.testing.assert_close(pooled, reference, rtol=1e-5, atol=2e-6)


def test_inference_pools_as_before_where_it_cannot_while_running(monkeypatch):
    # 'last' pooling, LSTM layers and training keep the states and pool them after.
    torch.manual_seed(0)
    x = torch.tensor([[3, 7, 9, 4, 2], [4, 11, 0, 0, 0]])
    lengths = torch.tensor([5, 2])
    calls = _spy_pooled(monkeypatch)
    for params in [dict(cell="rnn", pooling="last"), dict(cell="lstm", pooling="max")]:
        encoder = RNNEncoderModule(num_embeddings=30, embedding_dim=5, hidden_size=7, **params)
        with torch.no_grad():
            encoder.eval()(x, lengths)
    RNNEncoderModule(num_embeddings=30, embedding_dim=5, cell="gru", hidden_size=7)(x, lengths)
    assert calls == []


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_ensemble_inference_pools_every_member_s_states_at_once(cell, monkeypatch):
    torch.manual_seed(0)
    ensemble = EnsembleModule(
        ensemble_size=3, n_outputs=2, num_embeddings=30, embedding_dim=5, cell=cell,
        hidden_size=7, bidirectional=True,
    ).eval()  # fmt: skip
    x = torch.tensor([[3, 7, 9, 4, 2], [4, 11, 0, 0, 0], [5, 0, 0, 0, 0]])
    lengths = torch.tensor([5, 2, 1])
    calls = _spy_pooled(monkeypatch)
    with torch.no_grad():
        out = ensemble(x, lengths)
        members = [member(x, lengths) for member in ensemble.members]
    # GRU members run side by side: one call for all six directions; simple
    # RNN members one after the other, as in training.
    assert calls == ([6] if cell == "gru" else [2, 2, 2]) + [2, 2, 2]
    torch.testing.assert_close(out, torch.stack(members).mean(0), rtol=1e-5, atol=1e-6)


def test_run_layers_refuses_to_pool_what_it_cannot():
    x = torch.randn(2, 5, 3)
    lengths = torch.tensor([5, 3])
    with torch.no_grad():
        with pytest.raises(ValueError, match="pooling must be 'max' or 'mean'"):
            run_layers([nn.RNN(3, 4, batch_first=True)], [x], ("last", lengths))
        with pytest.raises(ValueError, match="cannot pool its states"):
            run_layers([nn.LSTM(3, 4, batch_first=True)], [x], ("max", lengths))
    with pytest.raises(ValueError, match="cannot pool its states"):  # training
        run_layers([nn.RNN(3, 4, batch_first=True)], [x], ("max", lengths))


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_fitted_classifier_predicts_the_same_with_pooled_inference(cell, monkeypatch):
    # One fitted model, its predictions and pooled representations with the
    # states pooled as they are computed and with torch's modules.
    X, y = _toy_data(48, 90, shorter=60)
    clf = RNNClassifier(
        cell=cell, bidirectional=True, hidden_size=8, embedding_dim=6, max_epochs=2,
        early_stopping=False, random_state=0, device="cpu", pooling="mean",
    ).fit(X, y)  # fmt: skip
    calls = _spy_pooled(monkeypatch)
    proba, rep = clf.predict_proba(X), clf.transform(X)
    assert calls  # pooled as computed
    monkeypatch.setenv("SKLEARN_RNN_FUSED_RECURRENCE", "0")
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(rep, clf.transform(X), atol=1e-6)
