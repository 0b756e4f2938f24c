import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.feature_extraction.text import strip_tags

from sklearn_rnn import BOS_ID, EOS_ID, N_RESERVED, OOV_ID, TextTokenizer

CORPUS = [
    "The movie was good, really good.",
    "The film was bad.<br />Not good at all!",
    "A good film, a good cast.",
]


def test_tokenizer_keeps_word_order():
    tok = TextTokenizer().fit(CORPUS)
    seq = tok.transform(["good film was"])[0]
    vocab = tok.vocabulary_
    assert seq.tolist() == [vocab["good"], vocab["film"], vocab["was"]]
    assert seq.dtype == np.int64


def test_tokenizer_ids_by_frequency_with_alphabetical_ties():
    tok = TextTokenizer().fit(["b a c a b a", "d"])
    # a: 3, b: 2, then c and d tie at 1 and go alphabetically.
    assert tok.vocabulary_ == {"a": 4, "b": 5, "c": 6, "d": 7}
    assert tok.get_vocabulary()[:N_RESERVED] == ["<pad>", "<unk>", "<bos>", "<eos>"]


def test_tokenizer_numbering_does_not_depend_on_document_order():
    a = TextTokenizer().fit(CORPUS).vocabulary_
    b = TextTokenizer().fit(CORPUS[::-1]).vocabulary_
    assert a == b


def test_tokenizer_unknown_tokens_map_to_oov():
    tok = TextTokenizer().fit(CORPUS)
    assert tok.transform(["zebra good"])[0].tolist() == [OOV_ID, tok.vocabulary_["good"]]


def test_tokenizer_max_tokens_counts_reserved_ids():
    tok = TextTokenizer(max_tokens=N_RESERVED + 2).fit(CORPUS)
    assert tok.vocabulary_size_ == N_RESERVED + 2
    # good (5) then the first of the words seen twice, alphabetically: a.
    assert set(tok.vocabulary_) == {"good", "a"}
    assert max(s.max() for s in tok.transform(CORPUS)) < tok.vocabulary_size_


def test_tokenizer_min_frequency_int_and_share():
    tok = TextTokenizer(min_frequency=3).fit(CORPUS)
    assert set(tok.vocabulary_) == {"good"}  # 5 times; every other word 2 times or fewer
    total = TextTokenizer().fit(CORPUS).token_counts_.sum()
    share = TextTokenizer(min_frequency=3 / total).fit(CORPUS)
    assert share.vocabulary_ == tok.vocabulary_


def test_tokenizer_token_counts_sum_to_corpus_tokens():
    tok = TextTokenizer(max_tokens=8).fit(CORPUS)
    n_tokens = sum(len(s) for s in tok.transform(CORPUS))
    assert tok.token_counts_.sum() == n_tokens
    assert tok.token_counts_[OOV_ID] == sum((s == OOV_ID).sum() for s in tok.transform(CORPUS))


def test_tokenizer_char_level_round_trip():
    tok = TextTokenizer(analyzer="char", lowercase=False).fit(["abc cab"])
    assert tok.sequences_to_texts(tok.transform(["cab abc"])) == ["cab abc"]


def test_tokenizer_callable_analyzer():
    tok = TextTokenizer(analyzer=str.split).fit(["x y", "y z"])
    assert tok.vocabulary_ == {"y": 4, "x": 5, "z": 6}


def test_tokenizer_callable_analyzer_must_return_str_tokens():
    with pytest.raises(TypeError, match="tokens must be str"):
        TextTokenizer(analyzer=lambda d: [len(d)]).fit(["abc"])


def test_tokenizer_preprocessor_composes_with_lowercase():
    tok = TextTokenizer(preprocessor=strip_tags).fit(CORPUS)
    assert "br" not in tok.vocabulary_
    assert "the" in tok.vocabulary_ and "The" not in tok.vocabulary_
    assert "br" in TextTokenizer().fit(CORPUS).vocabulary_


def test_tokenizer_strip_accents_and_stop_words():
    tok = TextTokenizer(strip_accents="unicode", stop_words="english").fit(["Café the naïve"])
    assert set(tok.vocabulary_) == {"cafe", "naive"}


def test_tokenizer_keeps_one_letter_words():
    assert "a" in TextTokenizer().fit(CORPUS).vocabulary_


def test_tokenizer_add_markers():
    tok = TextTokenizer(add_markers=True).fit(CORPUS)
    seq = tok.transform(["good"])[0]
    assert seq.tolist() == [BOS_ID, tok.vocabulary_["good"], EOS_ID]
    assert tok.inverse_transform([seq]) == [["good"]]


def test_tokenizer_inverse_transform_round_trip_and_padding():
    tok = TextTokenizer().fit(CORPUS)
    padded = np.array([[0, 0, tok.vocabulary_["good"], OOV_ID]])
    assert tok.inverse_transform(padded) == [["good", "<unk>"]]
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.inverse_transform(np.array([[tok.vocabulary_size_]]))


def test_tokenizer_fit_transform_equals_fit_then_transform():
    a = TextTokenizer().fit_transform(CORPUS)
    b = TextTokenizer().fit(CORPUS).transform(CORPUS)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_tokenizer_empty_document_gives_empty_sequence():
    out = TextTokenizer().fit(CORPUS).transform(["", "!!!"])
    assert [len(s) for s in out] == [0, 0]


def test_tokenizer_accepts_series_with_index_and_one_column_frame():
    series = pd.Series(CORPUS, index=[10, 20, 30])
    tok = TextTokenizer().fit(series)
    frame = pd.DataFrame({"text": CORPUS})
    assert tok.transform(frame)[2].tolist() == tok.transform(CORPUS)[2].tolist()


@pytest.mark.parametrize(
    "X, error, match",
    [
        ("a single string", TypeError, "Iterable over raw text documents expected, string"),
        (["ok", None], ValueError, "Document 1 is missing"),
        (["ok", float("nan")], ValueError, "Document 1 is missing"),
        (["ok", 3], TypeError, "Document 1 is int 3, not a string"),
        (["ok", b"\xff\xfe"], ValueError, "Document 1 is bytes that are not valid UTF-8"),
        ([np.array([4, 5])], TypeError, "Document 0 is a ndarray"),
        ([], ValueError, "at least one document"),
        (pd.DataFrame({"a": ["x"], "b": ["y"]}), ValueError, "one text column"),
    ],
)
def test_tokenizer_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        TextTokenizer().fit(X)


def test_tokenizer_decodes_utf8_bytes():
    tok = TextTokenizer().fit([b"caf\xc3\xa9 ok"])
    assert "café" in tok.vocabulary_


def test_tokenizer_empty_vocabulary_error():
    with pytest.raises(ValueError, match="Empty vocabulary"):
        TextTokenizer(stop_words="english").fit(["the and of", ""])


def test_tokenizer_invalid_parameter_is_named():
    with pytest.raises(ValueError, match="max_tokens"):
        TextTokenizer(max_tokens=2).fit(CORPUS)


def test_tokenizer_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TextTokenizer().transform(CORPUS)


def test_tokenizer_pickle_and_clone():
    tok = TextTokenizer(max_tokens=10, preprocessor=strip_tags).fit(CORPUS)
    again = pickle.loads(pickle.dumps(tok))
    assert all(np.array_equal(a, b) for a, b in zip(tok.transform(CORPUS), again.transform(CORPUS)))
    assert clone(tok).get_params() == tok.get_params()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ab cdé\n.!", max_size=30), min_size=1, max_size=8))
def test_tokenizer_property_round_trip(docs):
    """Every in-vocabulary document maps back to its own token list."""
    tok = TextTokenizer()
    analyze = tok._build_text_analyzer()
    if not any(analyze(d) for d in docs):
        with pytest.raises(ValueError, match="Empty vocabulary"):
            tok.fit(docs)
        return
    seqs = tok.fit_transform(docs)
    assert tok.inverse_transform(seqs) == [analyze(d) for d in docs]
    assert all(s.min() >= N_RESERVED for s in seqs if len(s))


def _reference_ids(docs, analyze, max_tokens, min_count, add_markers):
    """The numbering spelled out with a Counter: by count, then alphabetically."""
    from collections import Counter

    counts = Counter(tok for doc in docs for tok in analyze(doc))
    ranked = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
    if max_tokens is not None:
        ranked = ranked[: max_tokens - N_RESERVED]
    vocab = {t: i + N_RESERVED for i, t in enumerate(ranked)}
    out = []
    for doc in docs:
        ids = [vocab.get(t, OOV_ID) for t in analyze(doc)]
        out.append([BOS_ID, *ids, EOS_ID] if add_markers else ids)
    return vocab, out


@settings(max_examples=80, deadline=None)
@given(
    docs=st.lists(st.text(alphabet="abc d\n.", max_size=25), min_size=1, max_size=10),
    max_tokens=st.one_of(st.none(), st.integers(N_RESERVED + 1, N_RESERVED + 4)),
    min_count=st.integers(1, 3),
    add_markers=st.booleans(),
)
def test_tokenizer_matches_counter_reference(docs, max_tokens, min_count, add_markers):
    """fit_transform, and fit then transform, give the reference numbering and ids."""
    tok = TextTokenizer(max_tokens=max_tokens, min_frequency=min_count, add_markers=add_markers)
    vocab, expected = _reference_ids(
        docs, tok._build_text_analyzer(), max_tokens, min_count, add_markers
    )
    if not vocab:
        with pytest.raises(ValueError, match="Empty vocabulary"):
            tok.fit_transform(docs)
        return
    seqs = tok.fit_transform(docs)
    assert tok.vocabulary_ == vocab
    assert [s.tolist() for s in seqs] == expected
    assert all(s.dtype == np.int64 for s in seqs)
    assert [s.tolist() for s in clone(tok).fit(docs).transform(docs)] == expected
    assert tok.token_counts_.sum() == sum(len(e) - 2 * add_markers for e in expected)


@pytest.mark.parametrize(
    "params, unused",
    [
        (dict(stop_words="english"), "stop_words"),
        (dict(preprocessor=str.upper), "preprocessor"),
        (dict(token_pattern=r"\w+"), "token_pattern"),
        (dict(strip_accents="unicode"), "strip_accents"),
        (dict(lowercase=False, stop_words="english"), "stop_words, lowercase"),
    ],
)
def test_callable_analyzer_warns_about_the_text_parameters_it_ignores(params, unused):
    tok = TextTokenizer(analyzer=str.split, **params)
    with pytest.warns(UserWarning, match=f"{unused} will not be used since analyzer is callable"):
        ids = tok.fit_transform(["A b", "c"])
    assert len(ids) == 2


def test_char_analyzer_warns_about_word_parameters(recwarn):
    with pytest.warns(UserWarning, match="stop_words will not be used since analyzer is 'char'"):
        TextTokenizer(analyzer="char", stop_words="english").fit(["ab"])
    TextTokenizer(analyzer=str.split).fit(["a b"])  # defaults only: nothing to warn about
    assert not [w for w in recwarn if "will not be used" in str(w.message)]


@pytest.mark.parametrize(
    "doc, expected",
    [
        ("It was not good, but fun.", "it was not not_good but fun"),
        ("I didn't like the end! Great cast", "i didn t not_like not_the not_end great cast"),
        ("Never (again) worse", "never again worse"),
        ("No plot\nno point", "no not_plot no not_point"),  # a newline ends nothing
        ("Don\u2019t go", "don t not_go"),  # the typographic apostrophe
        ("NOTHING WORKS.", "nothing not_works"),
        ("nothingness is not_good", "nothingness is not_good"),  # whole words only
    ],
)
def test_negation_marks_the_words_up_to_the_next_punctuation(doc, expected):
    tok = TextTokenizer(negation=True).fit([doc])
    assert tok.sequences_to_texts(tok.transform([doc])) == [expected]


def test_negation_is_off_by_default_and_composes_with_the_other_text_parameters():
    doc = "Not <b>good</b>, GOOD."
    assert "not_good" not in TextTokenizer().fit([doc]).vocabulary_
    tok = TextTokenizer(negation=True, preprocessor=strip_tags, stop_words=["good"]).fit([doc])
    # The preprocessor and lowercasing run first; stop words are removed after marking.
    assert set(tok.vocabulary_) == {"not", "not_good"}
    # A pickled tokenizer marks the same way (the marking is not a lambda).
    again = pickle.loads(pickle.dumps(tok))
    assert again.transform([doc])[0].tolist() == tok.transform([doc])[0].tolist()


def test_negation_with_a_character_analyzer_warns_that_it_is_unused():
    with pytest.warns(UserWarning, match="negation will not be used since analyzer is 'char'"):
        TextTokenizer(analyzer="char", negation=True).fit(["not ab"])
    with pytest.raises(ValueError, match="negation"):
        TextTokenizer(negation="yes").fit(["a"])


def test_negation_refuses_a_token_pattern_that_would_split_the_marked_words():
    # [a-z]+ would read "not_good" as "not" and "good": the marking silently lost.
    with pytest.raises(ValueError, match=r"negation=True needs a token_pattern.*\['not', 'good'\]"):
        TextTokenizer(negation=True, token_pattern=r"[a-z]+").fit(["not good"])
    TextTokenizer(negation=True, token_pattern=r"(?u)\b\w\w+\b").fit(["not good"])  # scikit-learn's
