import numpy as np
import onnxruntime
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MultiLabelBinarizer

from sklearn_rnn import LSTMRegressor, NGramVectorizer, RNNClassifier, TextTokenizer
from sklearn_rnn.export import export_onnx, serving_inputs

TEXTS = ["a good film", "great fun", "a dull film", "awful mess", "good fun", "dull mess"] * 8
LABELS = [1, 1, 0, 0, 1, 0] * 8
QUERIES = ["a good mess film film film film", "words never seen", "fun", ":)", "great"]


def _run(model, path, X):
    session = onnxruntime.InferenceSession(export_onnx(model, path))
    (out,) = session.run(None, serving_inputs(model, X))
    return out


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_onnx_runtime_gives_the_classifiers_probabilities(tmp_path, cell, bidirectional):
    network = RNNClassifier(
        cell=cell, bidirectional=bidirectional, num_layers=2, max_epochs=2, random_state=0
    )
    model = make_pipeline(TextTokenizer(), network).fit(TEXTS, LABELS)
    out = _run(model, tmp_path / "model.onnx", QUERIES)  # unseen words, an empty document
    np.testing.assert_allclose(out, model.predict_proba(QUERIES), atol=1e-5)


def test_onnx_runtime_gives_multilabel_and_multiclass_probabilities(tmp_path):
    Y = MultiLabelBinarizer().fit_transform([{"a"}, {"b"}, {"a", "b"}, set(), {"a"}, {"b"}] * 8)
    multilabel = make_pipeline(TextTokenizer(), RNNClassifier(max_epochs=2, random_state=0))
    multilabel.fit(TEXTS, Y)
    out = _run(multilabel, tmp_path / "multilabel.onnx", QUERIES)
    np.testing.assert_allclose(out, multilabel.predict_proba(QUERIES), atol=1e-5)
    multiclass = make_pipeline(TextTokenizer(), RNNClassifier(max_epochs=2, random_state=0))
    multiclass.fit(TEXTS, ["x", "y", "z"] * 16)
    out = _run(multiclass, tmp_path / "multiclass.onnx", QUERIES)
    np.testing.assert_allclose(out, multiclass.predict_proba(QUERIES), atol=1e-5)


@pytest.mark.parametrize("loss", ["squared_error", "gaussian_nll"])
def test_onnx_runtime_gives_the_regressors_predictions_in_target_units(tmp_path, loss):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 8, 2)).astype(np.float32)
    y = np.c_[100 + 5 * X[:, -1, 0], X[:, -2, 1] - 3]
    model = LSTMRegressor(max_epochs=3, random_state=0, loss=loss).fit(X, y)
    out = _run(model, tmp_path / "regressor.onnx", X[:7])
    np.testing.assert_allclose(out, model.predict(X[:7]), rtol=1e-5, atol=1e-4)


def test_onnx_runtime_on_numeric_sequences_of_other_lengths(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 6, 3)).astype(np.float32)
    model = RNNClassifier(max_epochs=2, random_state=0).fit(X, (X[:, :, 0].sum(1) > 0))
    longer = rng.normal(size=(5, 11, 3)).astype(np.float32)
    out = _run(model, tmp_path / "numeric.onnx", longer)
    np.testing.assert_allclose(out, model.predict_proba(longer), atol=1e-5)


def test_export_refuses_what_it_cannot_export(tmp_path):
    with pytest.raises(TypeError, match="exports an RNNClassifier or an LSTMRegressor"):
        export_onnx(make_pipeline(NGramVectorizer()), tmp_path / "x.onnx")
    with pytest.raises(Exception, match="not fitted"):
        export_onnx(RNNClassifier(), tmp_path / "x.onnx")
