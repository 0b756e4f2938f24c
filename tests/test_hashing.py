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


def _write_reviews(path, n, seed):
    """A CSV of short labelled reviews: label 1 iff the review says 'good' (among filler words)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    fillers = ["the", "film", "plot", "was", "quite", "actors", "story", "and", "it", "ending"]
    rows = []
    for i in range(n):
        words = list(rng.choice(fillers, size=rng.integers(4, 12)))
        label = int(i % 2)
        words.insert(int(rng.integers(0, len(words))), "good" if label else "bad")
        rows.append((" ".join(words), label))
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False)


def test_streaming_chunks_from_disk_train_a_recurrent_model(tmp_path):
    """HashingOneHot + partial_fit over a CSV read in chunks: the out-of-core path.

    The hashed ids of a chunk do not depend on the other chunks, and the model,
    sized to the hash space up front, learns from the stream.
    """
    import pandas as pd

    from sklearn_rnn import RNNClassifier

    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    _write_reviews(train, 600, seed=0)
    _write_reviews(test, 200, seed=1)
    hasher = HashingOneHot(n_features=2**10)
    clf = RNNClassifier(
        num_embeddings=hasher.n_features,
        hidden_size=16,
        embedding_dim=16,
        lr=1e-2,
        max_epochs=1,
        early_stopping=False,
        random_state=0,
    )
    whole = hasher.transform(pd.read_csv(train)["text"])
    streamed = []
    for epoch in range(3):
        for chunk in pd.read_csv(train, chunksize=100):
            ids = hasher.transform(chunk["text"])
            clf.partial_fit(ids, chunk["label"], classes=[0, 1])
            if epoch == 0:
                streamed.extend(ids)
    assert len(streamed) == len(whole)
    assert all(np.array_equal(a, b) for a, b in zip(streamed, whole))
    assert len(clf.history_) == 18  # one epoch per chunk
    held_out = pd.read_csv(test)
    assert clf.score(hasher.transform(held_out["text"]), held_out["label"]) > 0.95


def test_streaming_bag_of_words_with_sgd_partial_fit(tmp_path):
    import pandas as pd
    from sklearn.linear_model import SGDClassifier

    path = tmp_path / "train.csv"
    _write_reviews(path, 400, seed=2)
    hasher = HashingOneHot(n_features=2**12, output_mode="binary")
    sgd = SGDClassifier(random_state=0)
    for chunk in pd.read_csv(path, chunksize=50):
        sgd.partial_fit(hasher.transform(chunk["text"]), chunk["label"], classes=[0, 1])
    held_out = pd.read_csv(path)  # separable task: a linear bag of words fits it
    assert sgd.score(hasher.transform(held_out["text"]), held_out["label"]) > 0.95


@pytest.mark.parametrize("ngram_range", [(2, 1), (0, 1), (1, 2, 3)])
def test_invalid_ngram_range_is_an_error_not_unigrams(ngram_range):
    # Regression: (2, 1) silently gave unigrams.
    with pytest.raises(ValueError, match="ngram_range must be \\(min_n, max_n\\)"):
        HashingOneHot(ngram_range=ngram_range).fit_transform(["a b c"])


def test_hashing_negation_hashes_the_marked_words():
    marked = HashingOneHot(n_features=1000, negation=True).transform(["not good, good"])[0]
    plain = HashingOneHot(n_features=1000).transform(["not not_good, good"])[0]
    np.testing.assert_array_equal(marked, plain)
    assert marked[1] != marked[2]  # "not_good" and "good" are different tokens
