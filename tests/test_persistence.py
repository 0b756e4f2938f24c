"""Persistence, safe loading, determinism across processes, and fuzzing of the input readers."""

import io
import os
import pickle
import subprocess
import sys
import tarfile
import warnings

import joblib
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.pipeline import make_pipeline

from sklearn_rnn import (
    HashingOneHot,
    LSTMRegressor,
    NGramVectorizer,
    PretrainedEmbedding,
    RNNClassifier,
    RNNTagger,
    Seq2SeqEstimator,
    SequencePadder,
    TextTokenizer,
    load_word_vectors,
)
from sklearn_rnn._text import check_raw_documents
from sklearn_rnn.datasets import load_imdb

DOCS = ["a good film", "a bad film", "good fun", "bad mess", "great good", "awful bad"] * 4
LABELS = [1, 0, 1, 0, 1, 0] * 4
NUMERIC = np.random.default_rng(0).normal(size=(24, 6, 2)).astype(np.float32)
SMALL = dict(max_epochs=2, random_state=0)


def _outputs(model, X):
    if hasattr(model, "predict_proba"):
        out = model.predict_proba(X)
        if out.dtype == object:  # a tagger: one (steps, classes) array per sequence
            return np.concatenate(list(out))
        return np.asarray(out)
    if hasattr(model, "predict"):
        out = model.predict(X)
    else:
        out = model.transform(X)
    if hasattr(out, "toarray"):
        return out.toarray()
    if hasattr(out, "ids"):
        out = out.ids
    if out.dtype == object:  # ragged ids or strings: compare as Python lists
        return [o if isinstance(o, str) else np.asarray(o).tolist() for o in out]
    return out


def _assert_same(a, b):
    if isinstance(a, list):
        assert a == b
    else:
        np.testing.assert_array_equal(a, b)


MODELS = {
    "TextTokenizer": lambda: (TextTokenizer(), DOCS, None),
    "NGramVectorizer": lambda: (NGramVectorizer(), DOCS, None),
    "HashingOneHot": lambda: (HashingOneHot(n_features=64), DOCS, None),
    "SequencePadder": lambda: (SequencePadder(maxlen=4), TextTokenizer().fit_transform(DOCS), None),
    "PretrainedEmbedding": lambda: (
        PretrainedEmbedding(vectors={"good": [1.0, 0.0], "bad": [0.0, 1.0]}, random_state=0),
        DOCS,
        None,
    ),
    "RNNClassifier": lambda: (
        RNNClassifier(hidden_size=8, **SMALL),
        TextTokenizer().fit_transform(DOCS),
        LABELS,
    ),
    "LSTMRegressor": lambda: (
        LSTMRegressor(hidden_size=8, **SMALL),
        NUMERIC,
        NUMERIC[:, -1, 0] * 2.0,
    ),
    "Seq2SeqEstimator": lambda: (
        Seq2SeqEstimator(hidden_size=8, embedding_dim=4, **SMALL),
        DOCS,
        [d[::-1] for d in DOCS],
    ),
    "RNNTagger": lambda: (
        RNNTagger(hidden_size=8, embedding_dim=4, char_size=4, **SMALL),
        [d.split() for d in DOCS],
        [["A" if len(w) < 4 else "B" for w in d.split()] for d in DOCS],
    ),
    "Pipeline": lambda: (
        make_pipeline(
            TextTokenizer(),
            SequencePadder(maxlen=5),
            RNNClassifier(cell="gru", bidirectional=True, hidden_size=8, **SMALL),
        ),
        DOCS,
        LABELS,
    ),
}


@pytest.mark.filterwarnings("ignore:.*outputs reached max_output_length")  # 2-epoch seq2seq
@pytest.mark.parametrize("name", list(MODELS))
def test_pickle_and_joblib_round_trip_give_identical_outputs(name, tmp_path):
    model, X, y = MODELS[name]()
    model.fit(X, y)
    expected = _outputs(model, X)
    from_pickle = pickle.loads(pickle.dumps(model))
    joblib.dump(model, tmp_path / "model.joblib", compress=3)
    from_joblib = joblib.load(tmp_path / "model.joblib")
    for loaded in (from_pickle, from_joblib):
        _assert_same(_outputs(loaded, X), expected)


def test_a_model_trained_on_gpu_loads_on_a_cpu_only_machine(monkeypatch):
    # What a CUDA-trained model pickles: its net says device='cuda'. skorch maps the
    # tensors to the CPU when no GPU is there (map_location), with a warning.
    model = RNNClassifier(hidden_size=8, device="cpu", **SMALL)
    model.fit(TextTokenizer().fit_transform(DOCS), LABELS)
    X = TextTokenizer().fit_transform(DOCS)
    expected = model.predict_proba(X)
    model.net_.device = "cuda"
    blob = pickle.dumps(model)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(Warning, match="no CUDA devices are available"):
        loaded = pickle.loads(blob)
    assert str(loaded.net_.device) == "cpu"
    assert all(p.device.type == "cpu" for p in loaded.net_.module_.parameters())
    np.testing.assert_allclose(loaded.predict_proba(X), expected)


CUDA_MODELS = {
    "RNNClassifier": MODELS["RNNClassifier"],
    "RNNClassifier-bf16": lambda: (
        RNNClassifier(hidden_size=8, mixed_precision="bf16", adversarial_eps=0.5, **SMALL),
        TextTokenizer().fit_transform(DOCS),
        LABELS,
    ),
    "LSTMRegressor": MODELS["LSTMRegressor"],
    "Seq2SeqEstimator": MODELS["Seq2SeqEstimator"],
    "RNNTagger": MODELS["RNNTagger"],
    "RNNTagger-crf": lambda: (
        RNNTagger(hidden_size=8, embedding_dim=4, char_size=4, crf=True, ensemble_size=1, **SMALL),
        [d.split() for d in DOCS],
        [["A" if len(w) < 4 else "B" for w in d.split()] for d in DOCS],
    ),
}


def _scores(model, X, y):
    """Continuous outputs to compare across devices (decoded labels could flip on a tie)."""
    if isinstance(model, Seq2SeqEstimator):
        return model.log_likelihood(X, y)
    if isinstance(model, LSTMRegressor):
        return model.predict(X)
    out = model.predict_proba(X)
    return np.concatenate(list(out)) if out.dtype == object else out


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.filterwarnings("ignore:.*outputs reached max_output_length")  # 2-epoch seq2seq
@pytest.mark.parametrize("name", list(CUDA_MODELS))
def test_a_model_trained_on_cuda_predicts_alike_on_a_cpu_only_machine(name, monkeypatch):
    model, X, y = CUDA_MODELS[name]()
    model.set_params(device="cuda").fit(X, y)
    assert all(p.is_cuda for p in model.net_.module_.parameters())
    on_gpu = _scores(model, X, y)
    assert np.isfinite(on_gpu).all()
    blob = pickle.dumps(model)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(Warning, match="no CUDA devices are available"):
        loaded = pickle.loads(blob)
    assert all(p.device.type == "cpu" for p in loaded.net_.module_.parameters())
    # cuDNN and the CPU kernels round differently; bf16 autocast more so.
    atol = 2e-2 if model.mixed_precision == "bf16" else 1e-4
    np.testing.assert_allclose(_scores(loaded, X, y), on_gpu, rtol=1e-3, atol=atol)


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_loading_weights_never_runs_code_from_the_file(tmp_path):
    model = RNNClassifier(hidden_size=8, **SMALL).fit(TextTokenizer().fit_transform(DOCS), LABELS)
    marker = tmp_path / "pwned"
    evil = tmp_path / "params.pt"
    with open(evil, "wb") as f:
        pickle.dump({"encoder": _Exploit(str(marker))}, f)
    with pytest.raises(pickle.UnpicklingError):
        model.net_.load_params(f_params=str(evil))  # skorch: torch.load(weights_only=True)
    assert not marker.exists()
    # Real weights round-trip through the same safe path.
    good = tmp_path / "good.pt"
    model.net_.save_params(f_params=str(good))
    model.net_.load_params(f_params=str(good))


def test_vector_files_are_parsed_as_data_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "vectors.txt"
    path.write_bytes(pickle.dumps(_Exploit(str(marker))))
    with pytest.raises(ValueError):
        load_word_vectors(str(path))
    assert not marker.exists()


def test_archives_are_read_in_memory_nothing_is_written_outside(tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_RNN_DATA", str(tmp_path / "cache"))
    members = {
        "aclImdb/train/pos/1_9.txt": "fine",
        "aclImdb/test/neg/2_1.txt": "bad",
        "../../escaped.txt": "outside",
        "/tmp/sklearn_rnn_absolute_escape.txt": "outside",
        "aclImdb/train/pos/../../../../escaped2.txt": "outside",
    }
    archive = tmp_path / "work" / "aclImdb_v1.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        for name, text in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text.encode()))
    before = set(tmp_path.rglob("*"))
    bunch = load_imdb(path=str(archive), download_if_missing=False)
    assert sorted(bunch.data) == ["bad", "fine"]
    written = set(tmp_path.rglob("*")) - before
    assert all(str(p).startswith(str(tmp_path / "cache")) for p in written)
    assert not os.path.exists("/tmp/sklearn_rnn_absolute_escape.txt")
    assert not (tmp_path.parent / "escaped.txt").exists()


_DETERMINISM_SCRIPT = """
import hashlib, numpy as np
from sklearn.pipeline import make_pipeline
from sklearn_rnn import HashingOneHot, RNNClassifier, Seq2SeqEstimator, TextTokenizer
docs = ["a good film", "a bad film", "good fun", "bad mess", "great good", "awful bad"] * 4
labels = [1, 0, 1, 0, 1, 0] * 4
h = hashlib.sha256()
pipe = make_pipeline(TextTokenizer(), RNNClassifier(hidden_size=8, max_epochs=2, random_state=7))
h.update(pipe.fit(docs, labels).predict_proba(docs).tobytes())
h.update(np.concatenate(HashingOneHot(n_features=97).fit_transform(docs)).tobytes())
s2s = Seq2SeqEstimator(hidden_size=8, embedding_dim=4, max_epochs=2, random_state=7)
h.update(s2s.fit(docs, [d[::-1] for d in docs]).log_likelihood(docs, docs).tobytes())
print(h.hexdigest())
"""


def test_same_random_state_gives_identical_results_in_separate_processes():
    digests = []
    for hash_seed in ("1", "2"):  # and Python's str hash differs between them
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", _DETERMINISM_SCRIPT],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=300,
        )
        digests.append(out.stdout.strip())
    assert len(digests[0]) == 64
    assert digests[0] == digests[1]


# -- fuzzing -------------------------------------------------------------------

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["v.txt", "v.bin", "v.txt.gz"]))
def test_fuzz_vector_readers_fail_only_with_clear_errors(tmp_path_factory, data, name):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data)
    try:
        words, matrix = load_word_vectors(str(path))
    except ValueError as exc:
        assert str(path) in str(exc)
    else:
        assert len(words) == matrix.shape[0] and matrix.dtype == np.float32


@FUZZ
@given(
    st.dictionaries(
        st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Cc")), min_size=1),
        st.lists(st.floats(-1e6, 1e6, width=32), min_size=3, max_size=3),
        min_size=1,
        max_size=10,
    )
)
def test_fuzz_glove_text_round_trip(tmp_path_factory, vectors):
    vectors = {w: v for w, v in vectors.items() if w.split() == [w]}
    if not vectors:
        return
    path = tmp_path_factory.mktemp("glove") / "v.txt"
    path.write_text(
        "".join(f"{w} {' '.join(repr(x) for x in v)}\n" for w, v in vectors.items()),
        encoding="utf-8",
    )
    words, matrix = load_word_vectors(str(path))
    assert list(words) == list(vectors)
    np.testing.assert_array_equal(matrix, np.array(list(vectors.values()), dtype=np.float32))


@FUZZ
@given(
    st.lists(
        st.one_of(
            st.text(max_size=20),
            st.binary(max_size=20),
            st.none(),
            st.integers(),
            st.floats(allow_nan=True),
            st.lists(st.integers(), max_size=3),
        ),
        max_size=6,
    )
)
def test_fuzz_raw_documents_are_accepted_or_named(docs):
    try:
        out = check_raw_documents(docs)
    except (TypeError, ValueError) as exc:
        assert "Document" in str(exc) or "at least one document" in str(exc)
    else:
        assert all(isinstance(d, str) for d in out) and len(out) == len(docs)


@FUZZ
@given(st.lists(st.text(max_size=60), min_size=1, max_size=6), st.sampled_from(["word", "char"]))
def test_fuzz_tokenizer_ids_follow_the_contract(docs, analyzer):
    tok = TextTokenizer(analyzer=analyzer)
    try:
        seqs = tok.fit_transform(docs)
    except ValueError as exc:
        assert "Empty vocabulary" in str(exc)
        return
    assert len(seqs) == len(docs)
    for seq in seqs:
        assert seq.dtype == np.int64
        assert ((seq >= 4) & (seq < tok.vocabulary_size_)).all()  # all seen in fit: no OOV
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hashed = HashingOneHot(n_features=31, analyzer=analyzer).fit_transform(docs)
    assert [len(h) for h in hashed] == [len(s) for s in seqs]
