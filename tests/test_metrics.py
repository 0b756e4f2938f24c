import numpy as np
import pytest
import sacrebleu

from sklearn_rnn.metrics import (
    Seq2SeqScorer,
    bleu_score,
    edit_distance,
    exact_match_score,
    neg_token_error_rate_scorer,
    token_accuracy_score,
    token_error_rate,
)

REFS = ["the cat sat on the mat", "a dog barked", "it rained all day long"]
HYPS = ["the cat sat on a mat", "a dog barked", "it rained all day"]


def test_exact_match_and_token_accuracy():
    assert exact_match_score(REFS, HYPS) == pytest.approx(1 / 3)
    # 5/6 + 3/3 + 4/5 positions match, over 6 + 3 + 5 positions.
    assert token_accuracy_score(REFS, HYPS) == pytest.approx(12 / 14)
    ids_true = [np.array([4, 5, 6]), np.array([7])]
    assert token_accuracy_score(ids_true, [[4, 5], [7, 8]]) == pytest.approx(3 / 5)
    assert exact_match_score(ids_true, [[4, 5, 6], [7]]) == 1.0


def test_edit_distance_and_error_rate():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance([], [1, 2]) == 2
    assert edit_distance(["K", "AE1", "T"], ["K", "AE1", "T"]) == 0
    # 1 substitution in 6 tokens, 0, 1 deletion in 5: 2 / 14.
    assert token_error_rate(REFS, HYPS) == pytest.approx(2 / 14)


def test_bleu_is_sacrebleus_corpus_bleu():
    expected = sacrebleu.corpus_bleu(HYPS, [REFS], tokenize="none").score
    assert bleu_score(REFS, HYPS) == pytest.approx(expected)
    assert bleu_score(REFS, REFS) == pytest.approx(100.0)
    assert 0 < bleu_score(REFS, HYPS) < 100
    # Token lists and id arrays work too.
    assert bleu_score([[4, 5, 6, 7]], [np.array([4, 5, 6, 7])]) == pytest.approx(100.0)


def test_metric_errors_are_named():
    with pytest.raises(ValueError, match="y_true holds 3 sequences but y_pred holds 2"):
        exact_match_score(REFS, HYPS[:2])
    with pytest.raises(TypeError, match="y_true must be a collection of sequences"):
        token_accuracy_score("abc", ["abc"])
    with pytest.raises(TypeError, match=r"y_pred\[1\] is a int"):
        bleu_score(REFS[:2], ["a", 5])
    with pytest.raises(ValueError, match="at least one sequence"):
        exact_match_score([], [])
    with pytest.raises(ValueError, match="references hold no tokens"):
        token_error_rate([""], ["a"])


def test_scorer_rejects_estimators_without_tokens():
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="LogisticRegression does not predict token sequences"):
        neg_token_error_rate_scorer(LogisticRegression(), [[1.0]], [0])
    assert repr(neg_token_error_rate_scorer) == (
        "Seq2SeqScorer(token_error_rate, greater_is_better=False)"
    )
    assert repr(Seq2SeqScorer(bleu_score)) == "Seq2SeqScorer(bleu_score)"
