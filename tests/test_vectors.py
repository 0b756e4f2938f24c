import gzip
import struct

import numpy as np
import pandas as pd
import pytest

from sklearn_rnn import N_RESERVED, PAD_ID, load_word_vectors
from sklearn_rnn._vectors import align_vectors

VECTORS = {"good": [1.0, 0.0, 0.5], "bad": [-1.0, 0.0, 0.5], "film": [0.0, 1.0, 0.0]}


def _write_glove(path, rows, gz=False, header=None):
    lines = ([header] if header else []) + [w + " " + " ".join(map(str, v)) for w, v in rows]
    data = ("\n".join(lines) + "\n").encode()
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(data)
    return path


def _write_word2vec_binary(path, rows):
    dim = len(rows[0][1])
    with open(path, "wb") as f:
        f.write(f"{len(rows)} {dim}\n".encode())
        for w, v in rows:
            f.write(w.encode() + b" " + struct.pack(f"<{dim}f", *v) + b"\n")
    return path


@pytest.mark.parametrize(
    "kind", ["glove", "glove_gz", "word2vec_text", "word2vec_bin", "mapping", "keyedvectors"]
)
def test_load_word_vectors_from_every_source(tmp_path, kind):
    rows = list(VECTORS.items())
    if kind == "glove":
        source = _write_glove(tmp_path / "v.txt", rows)
    elif kind == "glove_gz":
        source = _write_glove(tmp_path / "v.txt.gz", rows, gz=True)
    elif kind == "word2vec_text":
        source = _write_glove(tmp_path / "v.vec", rows, header="3 3")
    elif kind == "word2vec_bin":
        source = _write_word2vec_binary(tmp_path / "v.bin", rows)
    elif kind == "mapping":
        source = VECTORS
    else:
        gensim = pytest.importorskip("gensim")
        source = gensim.models.KeyedVectors(3)
        source.add_vectors(list(VECTORS), np.array(list(VECTORS.values())))
    words, matrix = load_word_vectors(source)
    assert list(words) == list(VECTORS)
    np.testing.assert_allclose(matrix, np.array(list(VECTORS.values()), dtype=np.float32))


def test_vector_file_with_ragged_rows(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("good 1 0 0.5\nbad -1 0\n")
    with pytest.raises(ValueError, match="line 2 has 2 values; expected 3"):
        load_word_vectors(path)


def test_vector_file_non_utf8_and_non_numeric(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good 1 0\n\xff\xfe 1 1\n")
    with pytest.raises(ValueError, match="line 2 is not valid UTF-8"):
        load_word_vectors(path)
    path.write_text("good 1 0\nbad x 1\n")
    with pytest.raises(ValueError, match="not a number"):
        load_word_vectors(path)


def test_word2vec_binary_truncated_and_bad_header(tmp_path):
    path = _write_word2vec_binary(tmp_path / "v.bin", list(VECTORS.items()))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="truncated after 2 of 3"):
        load_word_vectors(path)
    path.write_bytes(b"not a header\n")
    with pytest.raises(ValueError, match="n_words dim"):
        load_word_vectors(path)


def _aligned(tokens, missing="zeros"):
    words = pd.Index(list(VECTORS), dtype=object)
    matrix = np.array(list(VECTORS.values()), dtype=np.float32)
    return align_vectors(words, matrix, tokens, missing=missing, random_state=0)


def test_align_vectors_rows_follow_the_tokens():
    reserved = ["<pad>", "<oov>", "<bos>", "<eos>"][:N_RESERVED]
    tokens = reserved + ["film", "unknown", "good"]
    matrix, found = _aligned(tokens)
    np.testing.assert_array_equal(matrix[N_RESERVED], VECTORS["film"])
    np.testing.assert_array_equal(matrix[N_RESERVED + 2], VECTORS["good"])
    assert found.tolist() == [False] * N_RESERVED + [True, False, True]
    np.testing.assert_array_equal(matrix[N_RESERVED + 1], 0.0)


@pytest.mark.parametrize("missing", ["zeros", "mean", "random"])
def test_align_vectors_padding_row_is_always_zero(missing):
    # "film" stands at the padding position: reserved rows are never looked up.
    matrix, found = _aligned(["film", "x", "y", "z", "good", "nothing"], missing=missing)
    np.testing.assert_array_equal(matrix[PAD_ID], 0.0)
    assert not found[PAD_ID]
    if missing == "mean":
        np.testing.assert_allclose(matrix[-1], VECTORS["good"])  # the mean of the one found
    if missing == "random":
        assert np.abs(matrix[-1]).sum() > 0


def test_align_vectors_without_any_match_is_an_error():
    with pytest.raises(ValueError, match="None of the vocabulary's tokens"):
        _aligned(["a", "b", "c", "d", "nothing", "here"])
