"""HashingOneHot: the hashing trick, stateless one-hot ids with no vocabulary in memory."""

from collections import Counter
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import murmurhash3_32
from sklearn.utils._param_validation import Interval, StrOptions

from ._sequences import N_RESERVED, as_ragged
from ._text import (
    DEFAULT_TOKEN_PATTERN,
    TEXT_PARAMETER_CONSTRAINTS,
    _TextAnalyzerMixin,
    check_raw_documents,
)

_BLOCK = 2048  # documents analysed at a time by transform


class HashingOneHot(_TextAnalyzerMixin, TransformerMixin, BaseEstimator):
    """Hash tokens to a fixed number of ids: one-hot encoding with no vocabulary.

    Each token (or n-gram) goes to id ``4 + murmurhash3_32(token) % (n_features - 4)``,
    so ids 0-3 stay free for padding, out-of-vocabulary and the sequence
    markers. The hash is MurmurHash3 (scikit-learn's), seeded with ``seed``, so
    ids are the same in every process and on every machine (Python's
    ``hash()`` is not). Nothing is learned: ``fit`` only validates, and memory
    does not grow with the data, which is what makes the trick useful for
    streams and very large vocabularies. Its drawback is that distinct tokens
    can share an id (a collision); measure it with :meth:`collision_report`.

    Parameters
    ----------
    n_features : int, default=2**16
        Number of ids (reserved ids included): the size of an embedding layer
        fed the 'sequence' output, or the number of columns of the matrix.
    output_mode : {'sequence', 'binary', 'count'}, default='sequence'
        'sequence': each document's hashed ids in token order (ragged, for an
        embedding layer). 'binary' or 'count': a sparse one-hot bag matrix of
        shape (n_documents, n_features) whose column ``j`` is id ``j``.
    ngram_range : tuple (min_n, max_n), default=(1, 1)
        Hash n-grams too (word or character, following ``analyzer``).
    seed : int, default=0
        Seed of the hash function.
    analyzer, lowercase, strip_accents, token_pattern, stop_words, preprocessor, negation :
        Text analysis, as in :class:`TextTokenizer`.

    Examples
    --------
    >>> from sklearn_rnn import HashingOneHot
    >>> hasher = HashingOneHot(n_features=1000)
    >>> ids = hasher.transform(["the cat sat on the mat"])[0]
    >>> ids[0] == ids[4]
    np.True_
    >>> int(ids.min()) >= 4 and int(ids.max()) < 1000
    True
    """

    _parameter_constraints = {
        **TEXT_PARAMETER_CONSTRAINTS,
        "n_features": [Interval(Integral, N_RESERVED + 1, 2**31, closed="both")],
        "output_mode": [StrOptions({"sequence", "binary", "count"})],
        "ngram_range": [tuple],
        "seed": [Interval(Integral, 0, 2**32 - 1, closed="both")],
    }

    def __init__(
        self,
        *,
        n_features=2**16,
        output_mode="sequence",
        ngram_range=(1, 1),
        seed=0,
        analyzer="word",
        lowercase=True,
        strip_accents=None,
        token_pattern=DEFAULT_TOKEN_PATTERN,
        stop_words=None,
        preprocessor=None,
        negation=False,
    ):
        self.n_features = n_features
        self.output_mode = output_mode
        self.ngram_range = ngram_range
        self.seed = seed
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.token_pattern = token_pattern
        self.stop_words = stop_words
        self.preprocessor = preprocessor
        self.negation = negation

    def fit(self, X=None, y=None):
        """Validate the parameters (and X if given); nothing is learned."""
        self._validate_params()
        self._build_text_analyzer(self.ngram_range)  # checks ngram_range with the others
        if X is not None:
            check_raw_documents(X)
        return self

    def fit_transform(self, X, y=None):
        """Validate and hash ``X`` (a generator is read once)."""
        return self.transform(X)

    def _hashed_blocks(self, X):
        """Yield (analysed documents, token -> id of their distinct tokens), a block at a time.

        Blocks keep the token strings of only ``_BLOCK`` documents in memory,
        and each distinct token of a block is hashed once: the work grows with
        the vocabulary of the documents, not with their number of tokens.
        """
        self._validate_params()
        docs = check_raw_documents(X)
        analyze = self._build_text_analyzer(self.ngram_range)
        buckets = self.n_features - N_RESERVED
        for start in range(0, len(docs), _BLOCK):
            tokenized = [analyze(doc) for doc in docs[start : start + _BLOCK]]
            distinct = set().union(*tokenized)
            ids = {
                tok: N_RESERVED + murmurhash3_32(tok, seed=self.seed, positive=True) % buckets
                for tok in distinct
            }
            yield tokenized, ids

    def transform(self, X):
        """Hash raw documents to id sequences or a sparse one-hot bag matrix.

        Documents are analysed a block at a time, so the token strings of a
        large batch are never all in memory together.

        Returns
        -------
        Xt : 1-D object array of int64 id arrays ('sequence'), or
            scipy.sparse.csr_matrix of shape (n_documents, n_features).
        """
        rows = [
            np.array([ids[t] for t in tokens], dtype=np.int64)
            for tokenized, ids in self._hashed_blocks(X)
            for tokens in tokenized
        ]
        if self.output_mode == "sequence":
            return as_ragged(rows)
        lengths = [len(r) for r in rows]
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        indices = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        del rows
        matrix = sp.csr_matrix(
            (np.ones(len(indices), dtype=np.int64), indices, indptr),
            shape=(len(lengths), self.n_features),
        )
        matrix.sum_duplicates()
        if self.output_mode == "binary":
            matrix.data[:] = 1
        return matrix

    def collision_report(self, X):
        """Measure how often distinct tokens of ``X`` share an id.

        Parameters
        ----------
        X : iterable of str
            Raw text documents.

        Returns
        -------
        report : dict
            ``n_tokens``: distinct tokens (or n-grams) in X; ``n_ids``: distinct
            ids they hash to; ``n_colliding_tokens``: tokens that share their
            id with another token; ``collision_rate``: that number over
            ``n_tokens``; ``token_collision_rate``: the share of token
            occurrences whose id is shared; ``expected_collision_rate``: the
            rate an ideal random hash gives for this many tokens,
            ``1 - (1 - 1/m) ** (n_tokens - 1)`` with ``m = n_features - 4``.
        """
        ids, occurrences = {}, Counter()
        for tokenized, block_ids in self._hashed_blocks(X):
            ids.update(block_ids)
            for tokens in tokenized:
                occurrences.update(tokens)
        per_id = Counter(ids.values())
        colliding = {tok for tok, i in ids.items() if per_id[i] > 1}
        n_occurrences = sum(occurrences.values())
        m = self.n_features - N_RESERVED
        n = len(ids)
        return {
            "n_tokens": n,
            "n_ids": len(per_id),
            "n_colliding_tokens": len(colliding),
            "collision_rate": len(colliding) / n if n else 0.0,
            "token_collision_rate": (
                sum(occurrences[t] for t in colliding) / n_occurrences if n_occurrences else 0.0
            ),
            "expected_collision_rate": 1 - (1 - 1 / m) ** (n - 1) if n else 0.0,
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
