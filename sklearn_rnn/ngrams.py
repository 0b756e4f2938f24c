"""NGramVectorizer: the bag-of-n-grams baseline, on raw text or on token-id sequences."""

from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._sequences import (
    N_RESERVED,
    OOV_ID,
    as_ragged,
    check_id_sequences,
    input_kind,
    materialize,
)
from ._text import (
    DEFAULT_TOKEN_PATTERN,
    TEXT_PARAMETER_CONSTRAINTS,
    _TextAnalyzerMixin,
    check_ngram_range,
    check_raw_documents,
)


def _id_ngrams(sequence, ngram_range):
    """N-grams of an id sequence as space-joined strings ('12 7'), in order."""
    tokens = [str(i) for i in sequence]
    min_n, max_n = ngram_range
    grams = []
    for n in range(min_n, max_n + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


class NGramVectorizer(_TextAnalyzerMixin, TransformerMixin, BaseEstimator):
    """Bag of n-grams ("N or fewer consecutive tokens") as a sparse matrix or id sequence.

    The counting, vocabulary pruning and tf-idf weighting are scikit-learn's
    (``CountVectorizer`` and ``TfidfTransformer``). Input is either raw text,
    analysed with the same text parameters as :class:`TextTokenizer`, or the
    token-id sequences a fitted ``TextTokenizer`` returns, so that a
    bag-of-words baseline and a recurrent model can share one tokenization
    (with id input, padding ids 0 are ignored and n-grams never span padding).

    Parameters
    ----------
    ngram_range : tuple (min_n, max_n), default=(1, 2)
        Lengths of the n-grams. Unigrams and bigrams is the classic strong
        baseline for sentiment.
    output_mode : {'tfidf', 'count', 'binary', 'frequency', 'sequence'}, default='tfidf'
        'tfidf': tf-idf weights, rows L2-normalised (scikit-learn defaults).
        'count': n-gram counts. 'binary': 1 where the n-gram occurs.
        'frequency': counts divided by the document's number of n-grams.
        'sequence': each document's n-gram ids in order (all its unigrams,
        then its bigrams, ...), numbered after the four reserved ids, with
        unknown n-grams mapped to the out-of-vocabulary id 1: fastText-style
        input to an embedding model.
    min_df, max_df, max_features :
        Vocabulary pruning, as in ``CountVectorizer``.
    analyzer, lowercase, strip_accents, token_pattern, stop_words, preprocessor, negation :
        Text analysis of raw-text input, as in :class:`TextTokenizer`.

    Attributes
    ----------
    vocabulary_ : dict
        Maps each n-gram (a string; for id input, ids joined by spaces) to its
        column in the matrix.
    vocabulary_size_ : int
        Number of ids in 'sequence' mode (columns plus the reserved ids).
    input_kind_ : {'text', 'ids'}
        What ``fit`` received; ``transform`` expects the same.

    Examples
    --------
    >>> from sklearn_rnn import NGramVectorizer
    >>> vec = NGramVectorizer(output_mode="count").fit(["good movie", "not a good movie"])
    >>> sorted(vec.vocabulary_)
    ['a', 'a good', 'good', 'good movie', 'movie', 'not', 'not a']
    >>> vec.transform(["good good movie"]).toarray()
    array([[0, 0, 2, 1, 1, 0, 0]])
    """

    _parameter_constraints = {
        **TEXT_PARAMETER_CONSTRAINTS,
        "ngram_range": [tuple],
        "output_mode": [StrOptions({"tfidf", "count", "binary", "frequency", "sequence"})],
        "min_df": [Interval(Real, 0, 1, closed="both"), Interval(Integral, 1, None, closed="left")],
        "max_df": [Interval(Real, 0, 1, closed="both"), Interval(Integral, 1, None, closed="left")],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        ngram_range=(1, 2),
        output_mode="tfidf",
        min_df=1,
        max_df=1.0,
        max_features=None,
        analyzer="word",
        lowercase=True,
        strip_accents=None,
        token_pattern=DEFAULT_TOKEN_PATTERN,
        stop_words=None,
        preprocessor=None,
        negation=False,
    ):
        self.ngram_range = ngram_range
        self.output_mode = output_mode
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.token_pattern = token_pattern
        self.stop_words = stop_words
        self.preprocessor = preprocessor
        self.negation = negation

    def _check_input(self, X, kind):
        if kind != "text":  # check_id_sequences names what is wrong with numbers
            return list(check_id_sequences(X))
        return check_raw_documents(X)

    def _analyzer(self, kind):
        if kind == "ids":
            return partial(_id_ngrams, ngram_range=self.ngram_range)
        return self._build_text_analyzer(self.ngram_range)

    def fit(self, X, y=None):
        """Learn the n-gram vocabulary (and idf weights) from raw text or id sequences."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        """Learn the vocabulary and return the encoded documents."""
        self._validate_params()
        check_ngram_range(self.ngram_range)
        X = materialize(X)
        kind = input_kind(X)
        docs = self._check_input(X, kind)
        self.counter_ = CountVectorizer(
            analyzer=self._analyzer(kind),
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
            dtype=np.int64,
        )
        try:
            counts = self.counter_.fit_transform(docs)
        except ValueError as exc:
            raise ValueError(
                f"{exc}: no n-gram is left after analysis and pruning "
                "(empty documents, only stop words, or min_df/max_df too strict)."
            ) from None
        self.input_kind_ = kind
        self.vocabulary_ = self.counter_.vocabulary_
        self.vocabulary_size_ = len(self.vocabulary_) + N_RESERVED
        if self.output_mode == "tfidf":
            self.tfidf_ = TfidfTransformer().fit(counts)
        return self._encode(counts, docs)

    def transform(self, X):
        """Encode documents as a sparse matrix (or id sequences in 'sequence' mode).

        Returns
        -------
        Xt : scipy.sparse.csr_matrix of shape (n_documents, n_ngrams)
            or, in 'sequence' mode, a 1-D object array of int64 id arrays.
        """
        check_is_fitted(self, "vocabulary_")
        X = materialize(X)
        kind = input_kind(X)
        if kind != self.input_kind_:
            raise TypeError(
                f"NGramVectorizer was fitted on {self.input_kind_} input; got {kind} input."
            )
        docs = self._check_input(X, kind)
        counts = None if self.output_mode == "sequence" else self.counter_.transform(docs)
        return self._encode(counts, docs)

    def _encode(self, counts, docs):
        mode = self.output_mode
        if mode == "sequence":
            analyze = self.counter_.build_analyzer()
            get = self.vocabulary_.get
            return as_ragged(
                [
                    np.array(
                        [(get(g, -N_RESERVED + OOV_ID)) + N_RESERVED for g in analyze(doc)],
                        dtype=np.int64,
                    )
                    for doc in docs
                ]
            )
        if mode == "binary":
            counts.data[:] = 1
            return counts
        if mode == "frequency":
            return normalize(counts.astype(np.float64), norm="l1")
        if mode == "tfidf":
            return self.tfidf_.transform(counts)
        return counts

    def get_feature_names_out(self, input_features=None):
        """The n-grams, in column order."""
        check_is_fitted(self, "vocabulary_")
        return self.counter_.get_feature_names_out()
