"""Layer 1: token-id sequences, the reserved ids, and Keras-compatible padding.

Everything that pads, truncates or validates a batch of sequences lives here,
once; the transformers and estimators call these functions.
"""

from numbers import Integral

import numpy as np

PAD_ID = 0
OOV_ID = 1
BOS_ID = 2
EOS_ID = 3
N_RESERVED = 4
RESERVED_TOKENS = ("<pad>", "<unk>", "<bos>", "<eos>")


class TokenSequences:
    """Token-id sequences together with the embedding matrix their ids index.

    This is what :class:`~sklearn_rnn.PretrainedEmbedding` passes down a
    Pipeline: the ids stay compact integers (the data set is never turned into a
    float tensor) and the matrix travels by reference, so a recurrent estimator
    can initialise its embedding layer from it.

    Parameters
    ----------
    ids : ndarray
        A 1-D object array of 1-D int arrays (ragged) or a 2-D int array padded
        with 0.
    embedding_matrix : ndarray of shape (vocabulary_size, embedding_dim)
        Row ``i`` is the vector of token id ``i``.
    """

    def __init__(self, ids, embedding_matrix):
        self.ids = ids
        self.embedding_matrix = embedding_matrix

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, index):
        return TokenSequences(self.ids[index], self.embedding_matrix)

    def __repr__(self):
        return (
            f"TokenSequences(n_sequences={len(self.ids)}, "
            f"embedding_matrix_shape={self.embedding_matrix.shape})"
        )


def materialize(X):
    """Turn a one-shot iterable (a generator) into a list, so that peeking at it loses nothing.

    Array-likes that are not sequences (they only define ``__array__``) and numeric
    pandas objects become arrays.
    """
    if isinstance(X, (np.ndarray, list, tuple, TokenSequences)):
        return X
    if hasattr(X, "iloc"):  # pandas: numbers become an array, text stays for the text checks
        values = X.to_numpy()
        return values if np.issubdtype(values.dtype, np.number) else X
    if hasattr(X, "__array__"):
        return np.asarray(X)
    if hasattr(X, "__len__"):
        return X
    return list(X)


def reject_unsupported(X):
    """Clear errors for sparse and complex input, which no sequence model reads."""
    if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(
            "Sparse input is not supported: pass sequences as a ragged object array "
            "or a dense padded array."
        )
    if isinstance(X, np.ndarray) and np.iscomplexobj(X):
        raise ValueError("Complex data not supported: sequences hold ids or real numbers.")
    if isinstance(X, (dict, set, frozenset)):
        raise TypeError(
            f"X is a {type(X).__name__}; pass a sequence of sequences (a list or array, in "
            "sample order)."
        )


def check_id_sequences(X):
    """Validate a batch of token-id sequences and return it ragged.

    Parameters
    ----------
    X : 1-D object array of 1-D int arrays, 2-D int array padded with 0, or an
        iterable of integer sequences.

    Returns
    -------
    sequences : ndarray of object, shape (n_sequences,)
        Each item is a 1-D ``int64`` array without padding.

    Raises
    ------
    TypeError
        If ``X`` is raw text or holds non-integer ids.
    ValueError
        If an id is negative or the batch is empty.
    """
    if isinstance(X, TokenSequences):
        X = X.ids
    if isinstance(X, (str, bytes)):
        raise TypeError(
            f"Iterable over token-id sequences expected, {type(X).__name__} object received."
        )
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype != object:
        if not np.issubdtype(X.dtype, np.integer):
            raise TypeError(f"Token ids must be integers; got a 2-D array of dtype {X.dtype}.")
        if X.size and X.min() < 0:
            row = int(np.argwhere(X < 0)[0, 0])
            raise ValueError(f"Token ids must be >= 0; sequence {row} holds a negative id.")
        # 0 is padding by the data contract: the real tokens are the rest.
        rows = [row[row != PAD_ID].astype(np.int64) for row in X]
    else:
        if hasattr(X, "to_numpy"):  # pandas Series
            X = X.to_numpy()
        if isinstance(X, np.ndarray) and X.ndim > 2:
            raise ValueError(
                f"Token-id sequences must be 1-D ragged or 2-D padded; got {X.ndim}-D."
            )
        rows = []
        for i, seq in enumerate(X):
            if isinstance(seq, (str, bytes)):
                raise TypeError(
                    f"Sequence {i} is {type(seq).__name__}, not a sequence of token "
                    "ids; turn raw text into ids with TextTokenizer first."
                )
            if isinstance(seq, Integral):
                raise TypeError(
                    f"Sequence {i} is a single integer; expected a sequence of token ids."
                )
            arr = np.asarray(seq)
            if arr.size == 0:
                rows.append(np.zeros(0, dtype=np.int64))
                continue
            if arr.ndim != 1:
                raise ValueError(f"Sequence {i} has shape {arr.shape}; token-id sequences are 1-D.")
            if not np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
                raise TypeError(
                    f"Sequence {i} holds {arr.dtype} values; token ids must be integers."
                )
            if arr.min() < 0:
                raise ValueError(f"Token ids must be >= 0; sequence {i} holds {arr.min()}.")
            rows.append(arr.astype(np.int64, copy=False))
    if not rows:
        raise ValueError("Expected at least one sequence; got an empty batch.")
    return as_ragged(rows)


def check_numeric_sequences(X):
    """Validate numeric sequences: 1-D or 2-D float arrays, ragged, or a 2-D/3-D array."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim not in (2, 3):
            raise ValueError(
                f"Numeric sequences must be a 2-D (n_sequences, timesteps) or 3-D "
                f"(n_sequences, timesteps, n_features) array; got {X.ndim}-D. "
                "Reshape your data, e.g. X[np.newaxis] for a single sequence."
            )
        seqs = list(X.astype(np.float32, copy=False))
    else:
        seqs = [np.asarray(s, dtype=np.float32) for s in X]
    for i, s in enumerate(seqs):
        if s.ndim not in (1, 2):
            raise ValueError(
                f"Sequence {i} has shape {s.shape}; a numeric sequence is 1-D "
                "(timesteps,) or 2-D (timesteps, n_features)."
            )
        if not np.isfinite(s).all():
            raise ValueError(f"Sequence {i} holds NaN or infinite values.")
    if not seqs:
        raise ValueError("Expected at least one sequence; got an empty batch.")
    return seqs


def feature_width(seqs):
    """The number of features per step shared by all 2-D numeric sequences (None if none).

    Raises
    ------
    ValueError
        Naming the first sequence whose width differs from the first one's.
    """
    width, first = None, None
    for i, s in enumerate(seqs):
        if s.ndim != 2 or not len(s):
            continue
        if width is None:
            width, first = s.shape[1], i
        elif s.shape[1] != width:
            raise ValueError(
                f"Numeric sequences must all have the same number of features; sequence {i} "
                f"has {s.shape[1]}, sequence {first} has {width}."
            )
    return width


def input_kind(X):
    """What a batch holds: ``'text'`` (raw documents), ``'ids'`` (token ids) or ``'numeric'``.

    The one place the package answers that question. Integer arrays and
    sequences are token ids (a :class:`TokenSequences` too), floating ones
    numeric, strings and bytes raw text; a collection is judged by its first
    item. X is what :func:`materialize` returns (pandas text stays pandas).
    """
    if isinstance(X, TokenSequences):
        return "ids"
    if isinstance(X, (str, bytes)):
        return "text"
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.dtype.kind in "US":
            return "text"
        return "numeric" if np.issubdtype(X.dtype, np.floating) else "ids"
    if hasattr(X, "iloc"):  # pandas: a Series or a one-column DataFrame is a collection
        if X.ndim == 2 and X.shape[1] != 1:
            return "text"  # the text check names the columns to choose from
        X = X.to_numpy().ravel()
    first = next(iter(X), None)
    if isinstance(first, (str, bytes)):
        return "text"
    if first is not None and np.issubdtype(np.asarray(first).dtype, np.floating):
        return "numeric"
    return "ids"


def as_ragged(rows):
    """Pack a list of arrays into a 1-D object array (the ragged batch form)."""
    out = np.empty(len(rows), dtype=object)
    for i, row in enumerate(rows):
        out[i] = row
    return out


def sequence_lengths(sequences):
    """Lengths of a ragged batch as an int64 array."""
    return np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))


def pad_sequences(sequences, maxlen=None, dtype=None, padding="pre", truncating="pre", value=0):
    """Pad (and truncate) sequences to one length, as Keras' ``pad_sequences``.

    Same results as ``keras.utils.pad_sequences`` for the same arguments, with
    two deliberate differences: ``dtype=None`` keeps integer ids as ``int64``
    and numbers as ``float32`` (Keras casts everything to ``int32`` by
    default, silently truncating floats), and ``maxlen=0`` is an error rather
    than Keras' keep-everything slice.

    Parameters
    ----------
    sequences : iterable of sequences
        Each item is a sequence of scalars (ids) or of equal-shaped vectors.
    maxlen : int, default=None
        Output length; ``None`` is the longest sequence.
    dtype : dtype, default=None
        Output dtype; ``None`` infers it from the data.
    padding : {'pre', 'post'}, default='pre'
        Pad before or after each sequence.
    truncating : {'pre', 'post'}, default='pre'
        Drop values from the start ('pre') or the end ('post') of sequences
        longer than ``maxlen``.
    value : int or float, default=0
        Padding value.

    Returns
    -------
    padded : ndarray of shape (n_sequences, maxlen) or (n_sequences, maxlen, ...)
    """
    if padding not in ("pre", "post"):
        raise ValueError(f"padding must be 'pre' or 'post'; got {padding!r}.")
    if truncating not in ("pre", "post"):
        raise ValueError(f"truncating must be 'pre' or 'post'; got {truncating!r}.")
    seqs = [np.asarray(s) for s in sequences]
    lengths = [len(s) for s in seqs]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif not isinstance(maxlen, Integral) or maxlen < 1:
        raise ValueError(f"maxlen must be a positive integer or None; got {maxlen!r}.")
    sample_shape = ()
    for i, s in enumerate(seqs):
        if len(s):
            if not sample_shape and s.ndim > 1:
                sample_shape = s.shape[1:]
            if s.shape[1:] != sample_shape:
                raise ValueError(
                    f"Sequence {i} has elements of shape {s.shape[1:]}; "
                    f"expected {sample_shape} like the sequences before it."
                )
    if dtype is None:
        kinds = [s.dtype for s in seqs if len(s)]
        is_int = all(np.issubdtype(k, np.integer) for k in kinds)
        dtype = np.int64 if is_int and float(value).is_integer() else np.float32
    out = np.full((len(seqs), maxlen) + sample_shape, value, dtype=dtype)
    for i, s in enumerate(seqs):
        if not len(s):
            continue
        trunc = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if padding == "post":
            out[i, : len(trunc)] = trunc
        else:
            out[i, maxlen - len(trunc) :] = trunc
    return out
