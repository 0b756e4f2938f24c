import numpy as np
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
