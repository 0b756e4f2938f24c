import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_rnn import N_RESERVED, HashingOneHot

DOCS = ["the cat sat on the mat", "a dog barked at the cat"]


def test_hashing_needs_no_fit_and_is_deterministic():
    a = HashingOneHot().transform(DOCS)
    b = HashingOneHot().fit(["unrelated text"]).transform(DOCS)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_hashing_same_token_same_id_and_reserved_ids_free():
    ids = HashingOneHot(n_features=50).transform(DOCS)
    assert ids[0][0] == ids[0][4] == ids[1][4]  # 'the'
    assert all(s.min() >= N_RESERVED and s.max() < 50 for s in ids)


def test_hashing_is_stable_across_processes():
    code = (
        "from sklearn_rnn import HashingOneHot;"
        "print(HashingOneHot().transform(['the cat sat on the mat'])[0].tolist())"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1
    assert runs.pop().strip() == str(
        HashingOneHot().transform(["the cat sat on the mat"])[0].tolist()
    )


def test_hashing_seed_changes_ids():
    a = HashingOneHot(seed=0).transform(DOCS)[0]
    b = HashingOneHot(seed=1).transform(DOCS)[0]
    assert not np.array_equal(a, b)


def test_hashing_matrix_columns_are_sequence_ids():
    hasher = HashingOneHot(n_features=64)
    seqs = hasher.transform(DOCS)
    counts = hasher.set_params(output_mode="count").transform(DOCS)
    binary = hasher.set_params(output_mode="binary").transform(DOCS)
    assert sp.issparse(counts) and counts.shape == (2, 64)
    for i, s in enumerate(seqs):
        np.testing.assert_array_equal(counts[i].toarray()[0], np.bincount(s, minlength=64))
    assert binary.max() == 1 and binary[0, seqs[0][0]] == 1


def test_hashing_collision_report_counts_real_collisions():
    # With 5 buckets, 30 distinct words must collide.
    docs = [" ".join(f"w{i}" for i in range(30))]
    report = HashingOneHot(n_features=N_RESERVED + 5).collision_report(docs)
    assert report["n_tokens"] == 30
    assert report["n_ids"] <= 5
    assert report["n_colliding_tokens"] == 30
    assert report["collision_rate"] == 1.0
    big = HashingOneHot(n_features=2**20).collision_report(docs)
    assert big["n_colliding_tokens"] == 0 and big["n_ids"] == 30
    assert 0 < big["expected_collision_rate"] < 1e-3


def test_hashing_ngrams():
    ids = HashingOneHot(ngram_range=(1, 2)).transform(["a b c"])[0]
    assert len(ids) == 5


@pytest.mark.parametrize("X", ["one string", [None], [1.5]])
def test_hashing_bad_input(X):
    with pytest.raises((TypeError, ValueError), match="string|missing|Document 0"):
        HashingOneHot().transform(X)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=5), st.integers(5, 1000))
def test_hashing_property_ids_in_range(docs, n_features):
    for seq in HashingOneHot(n_features=n_features).transform(docs):
        assert seq.dtype == np.int64
        assert len(seq) == 0 or (seq.min() >= N_RESERVED and seq.max() < n_features)


def test_hashing_fit_transform_reads_a_generator_once():
    out = HashingOneHot().fit_transform(d for d in DOCS)
    assert len(out) == 2
