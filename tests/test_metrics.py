import numpy as np
import pytest
import sacrebleu
from scipy.stats import norm
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import mean_pinball_loss

from sklearn_rnn.metrics import (
    IntervalScorer,
    Seq2SeqScorer,
    bleu_score,
    edit_distance,
    exact_match_score,
    interval_coverage_score,
    neg_coverage_error_scorer,
    neg_pinball_loss_scorer,
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


def test_interval_coverage_score_counts_the_ends_as_inside():
    assert interval_coverage_score([1.0, 2.0, 3.0], [1.0, 2.5, 0.0], [1.0, 3.0, 2.9]) == 1 / 3
    with pytest.raises(ValueError, match="must have one shape"):
        interval_coverage_score([1.0], [0.0, 0.0], [2.0, 2.0])


class _KnownSpread(RegressorMixin, BaseEstimator):
    """Predicts 0 with standard deviation 1 for every sample."""

    def fit(self, X, y):
        return self

    def predict(self, X, return_std=False):
        zeros = np.zeros(len(X))
        return (zeros, np.ones(len(X))) if return_std else zeros


def test_interval_scorers_of_a_calibrated_gaussian():
    y = norm.ppf(np.linspace(0.0005, 0.9995, 1000))  # an exact standard normal sample
    X = np.zeros((len(y), 1))
    model = _KnownSpread()
    assert neg_coverage_error_scorer(model, X, y) == pytest.approx(0.0, abs=2e-3)
    assert IntervalScorer("coverage_error", coverage=0.5)(model, X, y) == pytest.approx(
        0.0, abs=2e-3
    )
    wide = IntervalScorer("coverage_error", coverage=0.99)(model, X, 3 * y)
    assert wide < -0.3  # three times the spread: far from 99% coverage
    expected = -0.5 * (
        mean_pinball_loss(y, np.full_like(y, norm.ppf(0.1)), alpha=0.1)
        + mean_pinball_loss(y, np.full_like(y, norm.ppf(0.9)), alpha=0.9)
    )
    assert neg_pinball_loss_scorer(model, X, y) == pytest.approx(expected)


def test_interval_scorers_need_a_predicted_spread():
    from sklearn.linear_model import Ridge

    X, y = np.arange(10.0)[:, None], np.arange(10.0)
    with pytest.raises(TypeError, match="Ridge.predict does not take return_std"):
        neg_coverage_error_scorer(Ridge().fit(X, y), X, y)
    with pytest.raises(ValueError, match="metric must be 'coverage_error' or 'pinball'"):
        IntervalScorer("mae")
    with pytest.raises(ValueError, match="coverage must be in \\(0, 1\\)"):
        IntervalScorer("pinball", coverage=1.0)


def test_entities_follow_conlleval_chunking():
    from sklearn_rnn.metrics import entities

    assert entities(["B-PER", "I-PER", "O", "B-LOC", "I-ORG"]) == [
        ("PER", 0, 1),
        ("LOC", 3, 3),
        ("ORG", 4, 4),
    ]
    # IOBES: S- is a one-word entity, E- ends one; an I- after O starts one (IOB1).
    assert entities(["S-LOC", "B-PER", "E-PER", "O", "I-MISC"]) == [
        ("LOC", 0, 0),
        ("PER", 1, 2),
        ("MISC", 4, 4),
    ]
    assert entities(["B", "I", "O"]) == [("_", 0, 1)]  # untyped tags
    assert entities([]) == [] and entities(["O", "O"]) == []


def test_entity_scores_match_seqeval_examples():
    from sklearn_rnn.metrics import entity_f1_score, entity_precision_recall_fscore

    # seqeval's README example: one of two entities found in each direction.
    y_true = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    y_pred = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    assert entity_precision_recall_fscore(y_true, y_pred) == (0.5, 0.5, 0.5)
    # Entities are per sequence: an entity cannot run across two sentences.
    assert entity_f1_score([["B-A"], ["I-A"]], [["B-A", "I-A"][:1], ["I-A"]]) == 1.0
    assert entity_precision_recall_fscore([["O"]], [["B-A"]]) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="Sequence 0 has 1 reference tags but 2 predicted"):
        entity_f1_score([["O"]], [["O", "O"]])
