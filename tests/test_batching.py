import numpy as np
import pytest
import torch

from sklearn_rnn import BOS_ID, EOS_ID
from sklearn_rnn._batching import (
    SequenceDataset,
    bucketed_loader,
    by_length,
    collate_pairs,
    collate_sequences,
)
from sklearn_rnn._sequences import as_ragged

SEQS = [np.array([5, 6, 7]), np.array([8]), np.array([9, 10])]


def test_collate_pads_each_batch_to_its_own_longest_sequence():
    X, y = collate_sequences([(SEQS[1], 0, 1.0), (SEQS[2], 1, 0.5)])
    assert X["x"].tolist() == [[8, 0], [9, 10]]
    assert X["lengths"].tolist() == [1, 2]
    assert X["sample_weight"].tolist() == [1.0, 0.5]
    assert y.tolist() == [0, 1]


def test_collate_without_targets_gives_the_inputs_only():
    X, y = collate_sequences([(s, None, 1.0) for s in SEQS])
    assert y is None and set(X) == {"x", "lengths"}
    numeric = [np.ones((2, 3), dtype=np.float32), np.ones((1, 3), dtype=np.float32)]
    X, _ = collate_sequences([(s, None, 1.0) for s in numeric], numeric=True)
    assert X["x"].shape == (2, 2, 3) and X["x"].dtype == torch.float32
    assert X["x"][1, 1].abs().sum() == 0  # padded at the end


def test_collate_pairs_shifts_the_target_by_one_step():
    X, target_out = collate_pairs([(np.array([5, 6]), np.array([7, 8, 9]), 1.0)])
    assert X["target_in"].tolist() == [[BOS_ID, 7, 8, 9]]
    assert target_out.tolist() == [[7, 8, 9, EOS_ID]]
    X, none = collate_pairs([(np.array([5, 6]), None, 1.0)])
    assert none is None and set(X) == {"source", "source_lengths"}


def test_by_length_orders_and_restores():
    lengths = np.array([3, 1, 2, 1])
    order, restore = by_length(lengths)
    assert lengths[order].tolist() == [1, 1, 2, 3]
    assert order[restore].tolist() == [0, 1, 2, 3]
    same, _ = by_length(lengths, enabled=False)
    assert same.tolist() == [0, 1, 2, 3]


def test_dataset_subset_keeps_items_together():
    data = SequenceDataset(as_ragged(SEQS), np.array([0, 1, 2]), np.array([1.0, 2.0, 3.0]))
    part = data.subset(np.array([2, 0]))
    assert len(part) == 2 and part.lengths.tolist() == [2, 3]
    seq, target, weight = part[0]
    assert seq.tolist() == [9, 10] and target == 2 and weight == 3.0
    assert SequenceDataset(SEQS)[1][1:] == (None, 1.0)


def test_bucketed_loader_covers_every_item_once():
    data = SequenceDataset(as_ragged(SEQS * 10), np.arange(30))
    torch.manual_seed(0)
    for bucket in (True, False):
        loader = bucketed_loader(
            data, batch_size=4, shuffle=True, bucket_by_length=bucket, collate_fn=collate_sequences
        )
        seen = sorted(int(t) for _, y in loader for t in y)
        assert seen == list(range(30))


def test_length_buckets_cover_every_sample_once_with_similar_lengths():
    import torch

    from sklearn_rnn._batching import LengthBucketBatchSampler

    lengths = np.random.default_rng(0).integers(1, 500, size=1000)
    sampler = LengthBucketBatchSampler(lengths, 32, pool_batches=10)
    torch.manual_seed(0)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 32  # ceil(1000 / 32)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    spread = np.median([np.ptp(lengths[b]) for b in batches])
    random_spread = np.median([np.ptp(lengths[i : i + 32]) for i in range(0, 1000, 32)])
    assert spread < random_spread / 5
    torch.manual_seed(0)
    assert [list(b) for b in sampler] == [list(b) for b in batches]  # seeded by torch
    assert [list(b) for b in sampler] != [list(b) for b in batches]  # a new order each epoch
    ordered = LengthBucketBatchSampler(lengths, 32, shuffle=False)
    flat = [i for b in ordered for i in b]
    assert np.all(np.diff(lengths[flat]) >= 0)


def _same_batch(a, b):
    (Xa, ya), (Xb, yb) = a, b
    assert set(Xa) == set(Xb)
    for key in Xa:
        assert Xa[key].dtype == Xb[key].dtype, key
        torch.testing.assert_close(Xa[key], Xb[key], rtol=0, atol=0)
    assert (ya is None) == (yb is None)
    if ya is not None:
        assert ya.dtype == yb.dtype
        torch.testing.assert_close(ya, yb, rtol=0, atol=0)


def test_packed_batches_are_the_collated_batches():
    from sklearn_rnn._batching import PackedSequences

    rng = np.random.default_rng(0)
    ids = as_ragged([rng.integers(1, 50, size=n) for n in [3, 0, 7, 1, 5, 0, 2]])
    numeric = [rng.normal(size=(n, 2)).astype(np.float32) for n in [3, 1, 7, 1, 5, 4, 2]]
    cases = [
        (ids, np.array([0, 1, 2, 0, 1, 2, 0]), None, False),
        (ids, np.array([0, 1, 0, 1, 0, 1, 0]), np.linspace(0.5, 2, 7), False),
        (ids, None, None, False),
        (numeric, rng.normal(size=(7, 3)).astype(np.float32), None, True),
        (numeric, None, None, True),
    ]
    for sequences, targets, weights, is_numeric in cases:
        data = SequenceDataset(sequences, targets, weights)
        packed = PackedSequences(data, "cpu", numeric=is_numeric)
        for indices in ([0, 1, 2], [6, 3], [4], [2, 0, 6, 5, 4, 3, 1]):
            collated = collate_sequences([data[i] for i in indices], numeric=is_numeric)
            _same_batch(packed.batch(indices), collated)
    # A batch of empty id sequences: no steps.
    empty = SequenceDataset(ids, np.zeros(7, dtype=np.int64))
    X, _ = PackedSequences(empty, "cpu").batch([1, 5])
    assert X["x"].shape == (2, 0) and X["lengths"].tolist() == [0, 0]


@pytest.mark.parametrize("estimator", ["classifier", "regressor"])
def test_batches_built_on_the_device_train_and_predict_as_the_dataloader(monkeypatch, estimator):
    from sklearn_rnn import LSTMRegressor, RNNClassifier, _batching

    rng = np.random.default_rng(1)
    if estimator == "classifier":
        X = as_ragged([rng.integers(4, 30, size=rng.integers(1, 12)) for _ in range(90)])
        y = rng.integers(0, 3, size=90)
        model = RNNClassifier(hidden_size=8, embedding_dim=8, max_epochs=3, batch_size=16)
    else:
        X = [rng.normal(size=(rng.integers(2, 9), 2)).astype(np.float32) for _ in range(90)]
        y = np.array([x[-1, 0] for x in X])
        model = LSTMRegressor(hidden_size=8, max_epochs=3, batch_size=16)
    model.set_params(random_state=0, device="cpu", patience=5)
    weights = np.linspace(0.5, 2, len(y))
    loaded = model.fit(X, y, sample_weight=weights)
    expected = (loaded.history_[:, "train_loss"], loaded.history_[:, "valid_loss"])
    out = loaded.predict(X) if estimator == "regressor" else loaded.predict_proba(X)
    monkeypatch.setattr(_batching, "BATCHES_ON_DEVICE", True)
    built = []
    monkeypatch.setattr(
        _batching.DeviceBatches, "__iter__",
        lambda self, it=_batching.DeviceBatches.__iter__: built.append(1) or it(self),
    )  # fmt: skip
    again = type(model)(**model.get_params()).fit(X, y, sample_weight=weights)
    assert built  # the batches came from the packed dataset
    assert again.history_[:, "train_loss"] == expected[0]  # the same random stream
    assert again.history_[:, "valid_loss"] == expected[1]
    got = again.predict(X) if estimator == "regressor" else again.predict_proba(X)
    np.testing.assert_array_equal(got, out)
