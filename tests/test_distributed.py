"""Grid search on a real Dask cluster (joblib's Dask backend) matches the sequential search."""

import numpy as np
import pytest
import torch
from joblib import parallel_backend
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback

from sklearn_rnn import NGramVectorizer, RNNClassifier, TextTokenizer

distributed = pytest.importorskip("distributed")

POS = ["a good film", "good acting, good story", "loved it, good", "great good fun"]
NEG = ["a bad film", "bad acting, bad story", "hated it, bad", "awful bad mess"]
TEXTS = np.array((POS + NEG) * 4, dtype=object)
LABELS = ([1] * 4 + [0] * 4) * 4


def _searches():
    bow = GridSearchCV(
        make_pipeline(TextTokenizer(), NGramVectorizer(), LogisticRegression()),
        {
            "logisticregression__C": [0.01, 1.0, 100.0],
            "ngramvectorizer__ngram_range": [(1, 1), (1, 2)],
        },
        cv=3,
        n_jobs=-1,
    )
    rnn = GridSearchCV(
        make_pipeline(
            TextTokenizer(),
            RNNClassifier(max_epochs=3, hidden_size=8, early_stopping=False, random_state=0),
        ),
        {"rnnclassifier__cell": ["gru", "rnn"], "rnnclassifier__lr": [1e-3, 1e-2]},
        cv=2,
        n_jobs=-1,
    )
    return bow, rnn


class _TorchThreads(Callback):
    """Records the torch intra-op thread count the fit ran with, and where it ran."""

    def on_epoch_end(self, net, **kwargs):
        import os

        net.history.record("torch_threads", torch.get_num_threads())
        net.history.record("pid", os.getpid())


def _local_cluster():
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )


def test_dask_local_cluster_grid_search_matches_sequential():
    sequential = [s.set_params(n_jobs=1).fit(TEXTS, LABELS) for s in _searches()]
    with _local_cluster() as cluster, distributed.Client(cluster) as client:
        with parallel_backend("dask"), distributed.get_task_stream(client) as stream:
            on_cluster = [s.fit(TEXTS, LABELS) for s in _searches()]
        # The fits ran as tasks on the cluster's worker processes, not in this process.
        workers = {task["worker"] for task in stream.data}
        assert len(stream.data) >= 2 and workers
        assert workers <= set(client.scheduler_info()["workers"])
    for seq, dist in zip(sequential, on_cluster):
        assert dist.best_params_ == seq.best_params_
        np.testing.assert_allclose(
            dist.cv_results_["mean_test_score"], seq.cv_results_["mean_test_score"]
        )
        np.testing.assert_allclose(
            dist.cv_results_["split0_test_score"], seq.cv_results_["split0_test_score"]
        )


def test_fits_on_dask_workers_use_one_torch_thread_each():
    """Two single-threaded workers on the cluster's cores: no oversubscription.

    distributed's nanny starts each worker with OMP_NUM_THREADS=1 (its
    ``pre-spawn-environ``); torch reads it at import, so every fit on a worker
    runs on one intra-op thread, and the parallelism is the workers'.
    """
    import os

    model = make_pipeline(
        TextTokenizer(),
        RNNClassifier(
            max_epochs=1, hidden_size=8, early_stopping=False, callbacks=[_TorchThreads()]
        ),
    )
    with _local_cluster() as cluster, distributed.Client(cluster):
        with parallel_backend("dask"):
            fitted = cross_validate(model, TEXTS, LABELS, cv=4, return_estimator=True)
    histories = [est[-1].history_ for est in fitted["estimator"]]
    assert [h[-1, "torch_threads"] for h in histories] == [1, 1, 1, 1]
    assert os.getpid() not in {h[-1, "pid"] for h in histories}
