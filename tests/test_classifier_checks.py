"""scikit-learn's estimator checks for RNNClassifier, on numeric-sequence input.

A 2-D float array (n_samples, n_steps) is read as n univariate sequences, so
scikit-learn's generated data is valid input.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_rnn import RNNClassifier

EXPECTED_FAILURES = {
    "check_n_features_in": "for sequences n_features_in_ is the features per step",
    "check_n_features_in_after_fitting": "another number of steps is valid input",
    "check_estimators_partial_fit_n_features": "another number of steps is valid input",
    "check_transformer_general": "another number of steps is valid input",
    "check_classifiers_train": "tiny nets trained 3 epochs do not reach sklearn's accuracy bar",
    "check_class_weight_classifiers": "tiny nets trained 3 epochs do not reach its accuracy bar",
    "check_dtype_object": "object arrays are ragged batches by the data contract",
    "check_transformer_preserve_dtypes": "representations are float32, torch's default",
    "check_estimators_empty_data_messages": "zero-step sequences have their own message",
    "check_sample_weight_equivalence_on_dense_data": (
        "float32 training sums the weighted and the repeated losses in different orders: "
        "predictions agree to ~1e-7 relative, the check's own tolerance; "
        "test_integer_sample_weight_equals_repetition checks it at 1e-5"
    ),
}


@parametrize_with_checks(
    [RNNClassifier(max_epochs=3, hidden_size=8, random_state=0, early_stopping=False)],
    expected_failed_checks=lambda est: EXPECTED_FAILURES,
)
def test_rnn_classifier_passes_sklearn_checks(estimator, check):
    check(estimator)
