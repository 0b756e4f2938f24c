import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from sklearn_rnn import N_RESERVED, OOV_ID, NGramVectorizer, TextTokenizer

CORPUS = ["good movie", "not a good movie", "a bad bad movie"]


def test_ngrams_count_matches_sklearn_countvectorizer():
    ours = NGramVectorizer(output_mode="count", ngram_range=(1, 2)).fit_transform(CORPUS)
    ref = CountVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b").fit_transform(CORPUS)
    assert sp.issparse(ours)
    assert (ours != ref).nnz == 0


def test_ngrams_tfidf_matches_sklearn_tfidfvectorizer():
    ours = NGramVectorizer().fit_transform(CORPUS)
    ref = TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b").fit_transform(CORPUS)
    np.testing.assert_allclose(ours.toarray(), ref.toarray())


def test_ngrams_binary_and_frequency():
    vec = NGramVectorizer(output_mode="binary", ngram_range=(1, 1)).fit(CORPUS)
    row = vec.transform(["bad bad bad movie"]).toarray()[0]
    assert row[vec.vocabulary_["bad"]] == 1
    freq = NGramVectorizer(output_mode="frequency", ngram_range=(1, 1)).fit(CORPUS)
    row = freq.transform(["bad bad bad movie"]).toarray()[0]
    assert row[freq.vocabulary_["bad"]] == pytest.approx(0.75)
    assert row.sum() == pytest.approx(1.0)


def test_ngrams_on_token_ids_match_ngrams_on_text():
    tok = TextTokenizer().fit(CORPUS)
    ids = tok.transform(CORPUS)
    on_ids = NGramVectorizer(output_mode="count").fit_transform(ids)
    on_text = NGramVectorizer(output_mode="count").fit_transform(CORPUS)
    # Same documents, same n-grams: the column sums agree up to column order.
    assert sorted(on_ids.sum(axis=0).A1) == sorted(on_text.sum(axis=0).A1)
    assert on_ids.shape == on_text.shape


def test_ngrams_on_padded_ids_ignore_padding():
    tok = TextTokenizer().fit(CORPUS)
    ragged = tok.transform(CORPUS)
    padded = np.zeros((3, 6), dtype=np.int64)
    for i, s in enumerate(ragged):
        padded[i, 6 - len(s) :] = s
    vec = NGramVectorizer(output_mode="count").fit(ragged)
    assert (vec.transform(padded) != vec.transform(ragged)).nnz == 0
    assert not any(g.startswith("0 ") or g == "0" for g in vec.vocabulary_)


def test_ngrams_sequence_mode_fasttext_ids():
    vec = NGramVectorizer(output_mode="sequence", ngram_range=(1, 2)).fit(CORPUS)
    seq = vec.transform(["good movie zebra"])[0]
    v = vec.vocabulary_
    expected = [v["good"], v["movie"], None, v["good movie"], None]
    expected = [OOV_ID if e is None else e + N_RESERVED for e in expected]
    assert seq.tolist() == expected
    assert vec.vocabulary_size_ == len(v) + N_RESERVED


def test_ngrams_transform_rejects_other_input_kind():
    vec = NGramVectorizer().fit(CORPUS)
    with pytest.raises(TypeError, match="fitted on text input; got ids"):
        vec.transform(TextTokenizer().fit(CORPUS).transform(CORPUS))


@pytest.mark.parametrize("bad", [(2, 1), (0, 1)])
def test_ngrams_bad_ngram_range(bad):
    with pytest.raises(ValueError, match="ngram_range"):
        NGramVectorizer(ngram_range=bad).fit(CORPUS)


def test_ngrams_negative_ids_are_rejected():
    with pytest.raises(ValueError, match="sequence 1 holds -3"):
        NGramVectorizer().fit(np.array([np.array([4, 5]), np.array([-3])], dtype=object))


def test_ngrams_empty_after_pruning_is_a_clear_error():
    with pytest.raises(ValueError, match="no n-gram is left"):
        NGramVectorizer(stop_words="english").fit(["the a of", "and"])


def test_ngrams_pickle_round_trip():
    vec = NGramVectorizer().fit(CORPUS)
    again = pickle.loads(pickle.dumps(vec))
    assert (vec.transform(CORPUS) != again.transform(CORPUS)).nnz == 0
    assert list(again.get_feature_names_out())[:2] == ["a", "a bad"]


def test_ngrams_and_padder_accept_generators_without_losing_the_first_item():
    from sklearn_rnn import SequencePadder

    counts = NGramVectorizer(output_mode="count").fit_transform(d for d in CORPUS)
    assert counts.shape[0] == 3
    padded = SequencePadder().fit_transform(np.array([4, 5][:n]) for n in (1, 2))
    assert padded.tolist() == [[0, 4], [4, 5]]


def test_ngrams_one_column_dataframe_is_text():
    import pandas as pd

    vec = NGramVectorizer(output_mode="count").fit(pd.DataFrame({"text": CORPUS}))
    assert vec.input_kind_ == "text"


_ID_SEQUENCES = st.lists(
    st.lists(st.integers(N_RESERVED, N_RESERVED + 6), min_size=0, max_size=8),
    min_size=1,
    max_size=6,
).filter(lambda seqs: any(seqs))


@settings(max_examples=50, deadline=None)
@given(_ID_SEQUENCES, st.integers(1, 3))
def test_ngrams_property_counts_are_the_ngrams_of_each_sequence(seqs, n):
    """Each row of counts sums to the n-grams of its sequence, whatever the ids."""
    from sklearn_rnn._sequences import as_ragged

    X = as_ragged([np.array(s, dtype=np.int64) for s in seqs])
    counts = NGramVectorizer(ngram_range=(1, n), output_mode="count").fit_transform(X)
    expected = [sum(max(0, len(s) - k + 1) for k in range(1, n + 1)) for s in seqs]
    np.testing.assert_array_equal(np.asarray(counts.sum(axis=1)).ravel(), expected)
    binary = NGramVectorizer(ngram_range=(1, n), output_mode="binary").fit_transform(X)
    assert set(np.unique(binary.data)) <= {1} and (binary.toarray() <= counts.toarray()).all()


def test_ngrams_negation_matches_countvectorizer_on_marked_text():
    from sklearn_rnn._text import mark_negation

    docs = ["It was not good, but fun.", "Good. Not bad at all!", "never seen it"]
    ours = NGramVectorizer(ngram_range=(1, 2), output_mode="count", negation=True)
    theirs = CountVectorizer(
        ngram_range=(1, 2),
        preprocessor=lambda d: mark_negation(d.lower()),
        token_pattern=r"(?u)\b\w+\b",
    )
    np.testing.assert_array_equal(
        ours.fit_transform(docs).toarray(), theirs.fit_transform(docs).toarray()
    )
    assert ours.vocabulary_ == theirs.vocabulary_
    assert {"not_good", "not_bad not_at", "not_seen not_it"} <= set(ours.vocabulary_)
