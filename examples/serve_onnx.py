"""Serve a trained text classifier: a saved Pipeline from raw text, or its network in ONNX Runtime.
====================================================================================================

Trains a GRU spam filter on the SMS spam collection (``$SKLEARN_RNN_SMS_SPAM``
or ``../shared/data/sms_spam``), then serves it two ways:

1. the whole Pipeline saved with joblib, loaded in a fresh process and fed
   raw messages (what a Python service does);
2. the network alone exported to ONNX (:func:`sklearn_rnn.export.export_onnx`)
   and run by ONNX Runtime on the token ids of the fitted tokenizer
   (:func:`sklearn_rnn.export.serving_inputs`): what a service without torch
   does. The probabilities agree with the Pipeline's within 1e-5.

It prints both ways' probabilities for a few messages and their throughput
on the held-out messages, and plots the throughput.

Run it::

    python examples/serve_onnx.py [--max-epochs 5] [--out results]
"""

# sphinx_gallery_thumbnail_number = 1

import argparse
import os
import sys
import tempfile
import time

import joblib
import numpy as np
import onnxruntime
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_rnn import RNNClassifier, TextTokenizer
from sklearn_rnn.datasets import load_sms_spam
from sklearn_rnn.export import export_onnx, serving_inputs

# The docs gallery runs this file without __file__; its argv[0] is the file.
HERE = os.path.dirname(os.path.abspath(globals().get("__file__", sys.argv[0])))
DATA = os.environ.get(
    "SKLEARN_RNN_SMS_SPAM", os.path.join(HERE, "..", "..", "shared", "data", "sms_spam")
)


def throughput(predict, X, repeats=3):
    """Messages per second of ``predict`` on X (the best of a few runs)."""
    best = min(_seconds(predict, X) for _ in range(repeats))
    return len(X) / best


def _seconds(predict, X):
    start = time.perf_counter()
    predict(X)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--max-epochs", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(HERE, "..", "results"))
    args = parser.parse_args()

    sms = load_sms_spam(path=os.path.join(args.data, "SMSSpamCollection"))
    X_train, X_test, y_train, y_test = train_test_split(
        sms.data, sms.target, test_size=0.25, stratify=sms.target, random_state=0
    )
    model = make_pipeline(
        TextTokenizer(max_tokens=10_000),
        RNNClassifier(cell="gru", max_epochs=args.max_epochs, random_state=0),
    )
    model.fit(X_train, y_train)
    print(f"trained on {len(X_train)} messages; test accuracy {model.score(X_test, y_test):.4f}")

    folder = tempfile.mkdtemp(prefix="sklearn-rnn-serving-")
    # 1. The whole Pipeline, raw text in: what a Python service loads.
    joblib.dump(model, os.path.join(folder, "spam.joblib"))
    served = joblib.load(os.path.join(folder, "spam.joblib"))
    # 2. The network in ONNX; the fitted tokenizer still makes its input.
    path = export_onnx(served, os.path.join(folder, "spam.onnx"))
    session = onnxruntime.InferenceSession(path)

    def onnx_proba(texts):
        return session.run(None, serving_inputs(served, texts))[0]

    messages = [
        "WINNER!! Claim your free prize now, call 09061701461",
        "are we still on for dinner tonight?",
        "URGENT: your account has been selected, reply YES to claim",
    ]
    print(f"\n{'message':58s} {'joblib':>8s} {'onnx':>8s}  (P(spam))")
    spam = list(served.classes_).index("spam")
    for text, p_joblib, p_onnx in zip(
        messages, served.predict_proba(messages)[:, spam], onnx_proba(messages)[:, spam]
    ):
        print(f"{text[:56]:58s} {p_joblib:8.4f} {p_onnx:8.4f}")
    gap = np.abs(onnx_proba(X_test) - served.predict_proba(X_test)).max()
    print(f"\nlargest difference over {len(X_test)} test messages: {gap:.2e}")

    rates = {
        "Pipeline (joblib)": throughput(served.predict_proba, X_test),
        "tokenizer + ONNX Runtime": throughput(onnx_proba, X_test),
    }
    for name, rate in rates.items():
        print(f"{name:26s} {rate:9.0f} messages/s")

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.barh(list(rates), list(rates.values()), color=["tab:blue", "tab:green"])
    ax.set_xlabel(f"messages per second ({len(X_test)} held-out SMS, one batch, CPU)")
    ax.set_title("Serving the same GRU spam filter two ways")
    fig.tight_layout()
    os.makedirs(args.out, exist_ok=True)
    fig.savefig(os.path.join(args.out, "serve_onnx.png"), dpi=100)


if __name__ == "__main__":
    main()
