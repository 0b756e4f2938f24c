"""Layer 1: raw-document validation and the text analysis shared by the transformers.

The analysis itself is scikit-learn's (``CountVectorizer.build_analyzer``):
this module only validates documents and composes a user preprocessor with
lowercasing and accent stripping, which scikit-learn would otherwise drop.
"""

import re
import warnings
from functools import partial
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils._param_validation import StrOptions

DEFAULT_TOKEN_PATTERN = r"(?u)\b\w+\b"

TEXT_PARAMETER_CONSTRAINTS = {
    "analyzer": [StrOptions({"word", "char", "char_wb"}), callable],
    "lowercase": ["boolean"],
    "strip_accents": [StrOptions({"ascii", "unicode"}), callable, None],
    "token_pattern": [str],
    "stop_words": [StrOptions({"english"}), list, None],
    "preprocessor": [callable, None],
    "negation": ["boolean"],
}

#: What ``negation=True`` puts before each word in the scope of a negation.
NEGATION_PREFIX = "not_"
# A negation: the words below, or any word ending in n't ("wasn't", "don't").
_NEGATION = re.compile(
    r"not|no|never|nothing|nobody|none|nowhere|neither|nor|cannot|\w+n['\u2019]t",
    re.IGNORECASE,
)
# A word (apostrophes inside it kept: "wasn't", "it's") or a mark that ends a scope.
_WORD_OR_MARK = re.compile(r"(\w+(?:['\u2019]\w+)*)|([.,:;!?()\[\]\"])")


def mark_negation(doc):
    """Prefix ``'not_'`` to each word after a negation, up to the next punctuation mark.

    "It was not good, but fun." becomes "It was not not_good, but fun.", so
    that a bag of words (or a network's vocabulary) tells "not good" from
    "good" (Das & Chen 2001; Pang, Lee & Vaithyanathan 2002). A negation is
    not, no, never, nothing, nobody, none, nowhere, neither, nor, cannot or a
    word ending in n't; its scope ends at . , : ; ! ? ( ) [ ] or a double
    quote. Everything else in the document is kept as it is.
    """
    negated = False

    def mark(match):
        nonlocal negated
        word = match.group(1)
        if word is None:  # a punctuation mark: the scope ends
            negated = False
            return match.group(0)
        if _NEGATION.fullmatch(word):
            negated = True
            return word
        return NEGATION_PREFIX + word if negated else word

    return _WORD_OR_MARK.sub(mark, doc)


def check_raw_documents(X):
    """Validate a collection of raw text documents and return them as a list of str.

    Accepts a list, a 1-D array, a pandas Series (its values, not its index) or
    a one-column DataFrame. ``bytes`` are decoded as UTF-8.

    Raises
    ------
    TypeError
        For a single string, or a document that is not text.
    ValueError
        For a missing document (None, NaN), undecodable bytes, several columns
        or an empty collection.
    """
    if isinstance(X, (str, bytes)):
        raise TypeError("Iterable over raw text documents expected, string object received.")
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                f"Expected one text column; got a DataFrame with {X.shape[1]} columns "
                f"({list(X.columns)[:5]}). Select the text column, e.g. df['text']."
            )
        X = X.iloc[:, 0]
    if isinstance(X, pd.Series):
        X = X.to_numpy()
    if isinstance(X, np.ndarray) and X.ndim != 1:
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        else:
            raise ValueError(
                f"Expected a 1-D collection of documents; got an array of shape {X.shape}."
            )
    try:
        items = iter(X)
    except TypeError:
        raise TypeError(
            f"Iterable over raw text documents expected, {type(X).__name__} object received."
        ) from None
    docs = []
    for i, doc in enumerate(items):
        if isinstance(doc, str):
            docs.append(doc)
        elif isinstance(doc, bytes):
            try:
                docs.append(doc.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"Document {i} is bytes that are not valid UTF-8 ({exc.reason} at "
                    f"byte {exc.start}); decode it with the right encoding first."
                ) from None
        elif doc is None or (np.ndim(doc) == 0 and pd.isna(doc)):
            raise ValueError(
                f"Document {i} is missing ({doc!r}); fill or drop missing texts "
                "first, e.g. with X.fillna('')."
            )
        elif isinstance(doc, (Integral, float)) or np.ndim(doc) == 0:
            raise TypeError(
                f"Document {i} is {type(doc).__name__} {doc!r}, not a string; "
                "raw text documents must be str."
            )
        else:
            raise TypeError(
                f"Document {i} is a {type(doc).__name__}, not a string; raw text "
                "documents must be str (token-id sequences are not raw text)."
            )
    if not docs:
        raise ValueError("Expected at least one document; got an empty collection.")
    return docs


def _chain(doc, first, then):
    return then(first(doc))


def check_ngram_range(ngram_range):
    """Raise a ValueError unless ``ngram_range`` is ``(min_n, max_n)``, 1 <= min_n <= max_n."""
    valid = (
        len(ngram_range) == 2
        and all(isinstance(n, Integral) for n in ngram_range)
        and 1 <= ngram_range[0] <= ngram_range[1]
    )
    if not valid:
        raise ValueError(
            f"ngram_range must be (min_n, max_n) with 1 <= min_n <= max_n; got {ngram_range!r}."
        )


class _TextAnalyzerMixin:
    """Builds scikit-learn's analyzer from the text parameters; tags the input as raw text."""

    def _unused_text_params(self, ngram_range):
        """Text parameters set to values the analyzer will not use (scikit-learn warns too)."""
        unused = []
        if self.analyzer != "word" or callable(self.analyzer):
            if self.negation:
                unused.append("negation")
            if self.stop_words is not None:
                unused.append("stop_words")
            if self.token_pattern != DEFAULT_TOKEN_PATTERN:
                unused.append("token_pattern")
        if callable(self.analyzer):
            if self.preprocessor is not None:
                unused.append("preprocessor")
            if self.strip_accents is not None:
                unused.append("strip_accents")
            if not self.lowercase:
                unused.append("lowercase")
            if tuple(ngram_range) != (1, 1):
                unused.append("ngram_range")
        return unused

    def _build_text_analyzer(self, ngram_range=(1, 1)):
        check_ngram_range(ngram_range)
        unused = self._unused_text_params(ngram_range)
        if unused:
            kind = (
                "callable (it receives each raw document as it is)"
                if callable(self.analyzer)
                else repr(self.analyzer)
            )
            warnings.warn(
                f"{type(self).__name__}: {', '.join(unused)} will not be used since "
                f"analyzer is {kind}.",
                UserWarning,
                stacklevel=3,
            )
        vectorizer = CountVectorizer(
            analyzer=self.analyzer,
            lowercase=self.lowercase,
            strip_accents=self.strip_accents,
            token_pattern=self.token_pattern,
            stop_words=self.stop_words,
            ngram_range=ngram_range,
        )
        if self.preprocessor is not None and not callable(self.analyzer):
            # scikit-learn replaces lowercasing and accent stripping with a custom
            # preprocessor; a user who asks for both gets both, preprocessor first.
            vectorizer.preprocessor = partial(
                _chain, first=self.preprocessor, then=vectorizer.build_preprocessor()
            )
        if self.negation and self.analyzer == "word":
            marked = NEGATION_PREFIX + "good"
            tokens = re.findall(self.token_pattern, marked)
            if tokens != [marked]:
                raise ValueError(
                    f"negation=True needs a token_pattern that keeps a marked word such as "
                    f"{marked!r} as one token; {self.token_pattern!r} gives {tokens}."
                )
            # After the other preprocessing, before the token pattern splits
            # the text (it drops the punctuation that ends a negation's scope).
            vectorizer.preprocessor = partial(
                _chain, first=vectorizer.build_preprocessor(), then=mark_negation
            )
        return vectorizer.build_analyzer()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


def check_tokens(tokens, index):
    """Check that an analyzer returned a sequence of str tokens for document ``index``."""
    if isinstance(tokens, str) or not hasattr(tokens, "__iter__"):
        raise TypeError(
            f"The analyzer returned {type(tokens).__name__} for document {index}; "
            "it must return a list of str tokens."
        )
    tokens = list(tokens)
    for token in tokens:
        if not isinstance(token, str):
            raise TypeError(
                f"The analyzer returned a {type(token).__name__} token for document "
                f"{index}; tokens must be str."
            )
    return tokens
