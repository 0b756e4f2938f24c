"""TextTokenizer: raw documents to sequences of token ids, order preserved."""

from array import array
from collections import defaultdict
from itertools import repeat
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._sequences import (
    BOS_ID,
    EOS_ID,
    N_RESERVED,
    OOV_ID,
    PAD_ID,
    RESERVED_TOKENS,
    as_ragged,
    check_id_sequences,
)
from ._text import (
    DEFAULT_TOKEN_PATTERN,
    TEXT_PARAMETER_CONSTRAINTS,
    _TextAnalyzerMixin,
    check_raw_documents,
    check_tokens,
)


class TextTokenizer(_TextAnalyzerMixin, TransformerMixin, BaseEstimator):
    """Turn raw documents into sequences of token ids, keeping word order.

    The text analysis (lowercasing, accent stripping, token pattern, stop words,
    character analyzers) is scikit-learn's ``CountVectorizer`` analysis with
    ``ngram_range=(1, 1)``, so the tokens are the ones a bag-of-words model
    sees; the difference is that their order is kept.

    Ids follow the package's data contract: ``0`` is padding, ``1`` stands for
    out-of-vocabulary tokens, ``2`` and ``3`` begin and end a sequence, and the
    real tokens are numbered from ``4``, most frequent first, ties broken by
    the token's alphabetical order (so the numbering does not depend on the
    order of the documents).

    Parameters
    ----------
    analyzer : {'word', 'char', 'char_wb'} or callable, default='word'
        Split into words or characters ('char_wb' pads words with spaces). A
        callable receives a document and returns its list of str tokens; the
        other text parameters are then unused.
    lowercase : bool, default=True
        Lowercase before tokenizing.
    strip_accents : {'ascii', 'unicode'} or callable, default=None
        Remove accents, as in scikit-learn.
    token_pattern : str, default=r"(?u)\\b\\w+\\b"
        Regular expression of a word token. Unlike scikit-learn's default, it
        keeps one-character words ('a', 'I'), which carry meaning in order.
    stop_words : 'english', list or None, default=None
        Words removed before numbering.
    preprocessor : callable, default=None
        Applied to each document before lowercasing and accent stripping, e.g.
        ``sklearn.feature_extraction.text.strip_tags`` to drop ``<br />``.
    negation : bool, default=False
        Mark the words after a negation up to the next punctuation mark with a
        ``'not_'`` prefix ("was not good, but fun" gives the tokens was, not,
        not_good, but, fun), so that "good" in "not good" is a token of its
        own. A negation is not, no, never, nothing, nobody, none, nowhere,
        neither, nor, cannot or a word ending in n't. Word analyzer only;
        applied after ``preprocessor``, lowercasing and accent stripping. The
        ``token_pattern`` must keep a marked word whole (the default does).
    max_tokens : int, default=None
        Largest vocabulary size, *including* the four reserved ids, so it is
        the ``num_embeddings`` an embedding layer needs. The least frequent
        tokens beyond it map to the out-of-vocabulary id. ``None``: no cap.
    min_frequency : int or float, default=1
        Tokens seen fewer times than this in the training corpus map to the
        out-of-vocabulary id. A float in (0, 1) is a share of all training
        tokens.
    add_markers : bool, default=False
        Wrap each sequence in the begin (2) and end (3) ids, as the targets of
        a sequence-to-sequence model need.

    Attributes
    ----------
    vocabulary_ : dict
        Maps each kept token to its id (reserved ids are not in it).
    vocabulary_size_ : int
        Number of ids, reserved ids included: the size of an embedding layer.
    token_counts_ : ndarray of shape (n_ids,)
        Training count of each id (``n_ids`` is ``vocabulary_size_``); entry 1
        counts the training tokens that fell out of the vocabulary.

    See Also
    --------
    SequencePadder : Pads the sequences to a fixed length.
    NGramVectorizer : Bag-of-n-grams over the same tokens.

    Examples
    --------
    >>> from sklearn_rnn import TextTokenizer
    >>> tok = TextTokenizer().fit(["the cat sat", "the dog sat down"])
    >>> tok.transform(["the dog sat on the cat"])[0]
    array([5, 7, 4, 1, 5, 6])
    >>> tok.sequences_to_texts(tok.transform(["the dog sat on the cat"]))
    ['the dog sat <unk> the cat']
    """

    _parameter_constraints = {
        **TEXT_PARAMETER_CONSTRAINTS,
        "max_tokens": [Interval(Integral, N_RESERVED + 1, None, closed="left"), None],
        "min_frequency": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "add_markers": ["boolean"],
    }

    def __init__(
        self,
        *,
        analyzer="word",
        lowercase=True,
        strip_accents=None,
        token_pattern=DEFAULT_TOKEN_PATTERN,
        stop_words=None,
        preprocessor=None,
        negation=False,
        max_tokens=None,
        min_frequency=1,
        add_markers=False,
    ):
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.token_pattern = token_pattern
        self.stop_words = stop_words
        self.preprocessor = preprocessor
        self.negation = negation
        self.max_tokens = max_tokens
        self.min_frequency = min_frequency
        self.add_markers = add_markers

    def _analyze_each(self, docs):
        """Each document's tokens, one document at a time."""
        analyze = self._build_text_analyzer()
        if callable(self.analyzer):
            return (check_tokens(analyze(doc), i) for i, doc in enumerate(docs))
        return (analyze(doc) for doc in docs)

    def fit(self, X, y=None):
        """Learn the vocabulary from raw documents.

        Parameters
        ----------
        X : iterable of str
            Raw text documents.
        y : None
            Ignored.

        Returns
        -------
        self : TextTokenizer
        """
        self._validate_params()
        self._fit(check_raw_documents(X))
        return self

    def _fit(self, docs, *, encode=False):
        """Count tokens and build the vocabulary; the documents' id sequences if ``encode``.

        One pass over the text: each new token gets a provisional id in order of
        first appearance (a ``defaultdict`` numbering itself, the trick of
        scikit-learn's ``CountVectorizer``), the documents are kept as one flat
        buffer of provisional ids (8 bytes a token, not the token strings), and
        the counts, the ranking and the final ids are array operations on it.
        """
        provisional = defaultdict()
        provisional.default_factory = provisional.__len__
        number = provisional.__getitem__
        flat, lengths = self._flat_ids(docs, lambda tokens: map(number, tokens))
        counts = np.bincount(flat, minlength=len(provisional))
        tokens = list(provisional)
        total = int(counts.sum())
        min_count = self.min_frequency
        if isinstance(min_count, Real) and not isinstance(min_count, Integral):
            min_count = min_count * total
        kept = np.flatnonzero(counts >= min_count)
        # Most frequent first, ties in the token's alphabetical order.
        ranked = sorted(kept.tolist(), key=lambda i: (-counts[i], tokens[i]))
        if self.max_tokens is not None:
            ranked = ranked[: self.max_tokens - N_RESERVED]
        if not ranked:
            raise ValueError(
                "Empty vocabulary: the documents hold no tokens that pass "
                "min_frequency (perhaps they are empty or only stop words)."
            )
        self.vocabulary_ = {tokens[i]: n + N_RESERVED for n, i in enumerate(ranked)}
        self.vocabulary_size_ = len(ranked) + N_RESERVED
        token_counts = np.zeros(self.vocabulary_size_, dtype=np.int64)
        token_counts[N_RESERVED:] = counts[ranked]
        token_counts[OOV_ID] = total - token_counts.sum()
        self.token_counts_ = token_counts
        self._tokens = np.array(list(RESERVED_TOKENS) + [tokens[i] for i in ranked], dtype=object)
        if not encode:
            return None
        final = np.full(len(tokens), OOV_ID, dtype=np.int64)
        final[ranked] = np.arange(N_RESERVED, self.vocabulary_size_)
        return self._split(final[flat], lengths)

    def fit_transform(self, X, y=None):
        """Learn the vocabulary and return the id sequences (one pass over the text)."""
        self._validate_params()
        return self._fit(check_raw_documents(X), encode=True)

    def transform(self, X):
        """Map raw documents to sequences of token ids.

        Parameters
        ----------
        X : iterable of str
            Raw text documents.

        Returns
        -------
        sequences : ndarray of object, shape (n_documents,)
            Each item is a 1-D ``int64`` array of ids, in the order of the
            tokens. An empty document gives an empty sequence.
        """
        check_is_fitted(self, "vocabulary_")
        get = self.vocabulary_.get
        flat, lengths = self._flat_ids(
            check_raw_documents(X), lambda tokens: map(get, tokens, repeat(OOV_ID))
        )
        return self._split(flat, lengths)

    def _flat_ids(self, docs, lookup):
        """Analyse one document at a time into one flat int64 buffer of ids.

        ``lookup`` maps a document's token list to its ids. The token strings of
        a large batch are never all in memory together, only the ids.
        """
        flat = array("q")
        lengths = []
        for tokens in self._analyze_each(docs):
            flat.extend(lookup(tokens))
            lengths.append(len(tokens))
        return np.array(flat, dtype=np.int64), np.asarray(lengths, dtype=np.int64)

    def _split(self, flat, lengths):
        """Cut the flat id buffer into one array per document (markers added if asked)."""
        if self.add_markers:
            ends = np.cumsum(lengths)
            # Begin before each document's first id, end after its last, in
            # document order (np.insert keeps that order where they meet).
            at = np.column_stack([ends - lengths, ends]).ravel()
            flat = np.insert(flat, at, np.tile([BOS_ID, EOS_ID], len(lengths)))
            lengths = lengths + 2
        return as_ragged(np.split(flat, np.cumsum(lengths)[:-1]))

    def get_vocabulary(self):
        """Return the list of tokens in id order, reserved tokens first."""
        check_is_fitted(self, "vocabulary_")
        return list(self._tokens)

    def inverse_transform(self, X):
        """Map id sequences back to lists of tokens.

        Padding and begin/end markers are dropped; out-of-vocabulary ids become
        ``'<unk>'``.

        Parameters
        ----------
        X : ragged or padded id sequences

        Returns
        -------
        tokens : list of list of str
        """
        check_is_fitted(self, "vocabulary_")
        sequences = check_id_sequences(X)
        out = []
        for i, seq in enumerate(sequences):
            if len(seq) and seq.max() >= self.vocabulary_size_:
                raise ValueError(
                    f"Sequence {i} holds id {seq.max()}, outside the vocabulary "
                    f"of size {self.vocabulary_size_}."
                )
            seq = seq[(seq != PAD_ID) & (seq != BOS_ID) & (seq != EOS_ID)]
            out.append(self._tokens[seq].tolist())
        return out

    def sequences_to_texts(self, X):
        """Map id sequences back to text, tokens joined by a space (or nothing for characters)."""
        sep = "" if self.analyzer in ("char", "char_wb") else " "
        return [sep.join(tokens) for tokens in self.inverse_transform(X)]
