"""Parameter documentation written once and composed into every estimator's docstring.

Each recurrent estimator's docstring holds a ``$parameters`` line;
:func:`fill_parameters` replaces it with one numpydoc entry per ``__init__``
parameter, in signature order, with the default read from the signature (so a
documented default can never drift from the code). Entries come from
:data:`PARAMETERS`, shared by all estimators, overridden by
:data:`OVERRIDES` where a parameter means something else for one estimator.
A parameter without an entry is an error at import time.
"""

import inspect
import re
import textwrap

#: The start of ``ema_decay``'s entry; each estimator's entry ends it.
_EMA_DECAY = """Keep an exponential moving average of the weights over the training
        steps (Polyak averaging, :class:`~sklearn_rnn.callbacks.WeightAveraging`):
        after each step ``average = ema_decay * average + (1 - ema_decay) *
        weights``. Validation, early stopping and the fitted model use the
        average; the optimizer goes on from the weights. About
        ``1 / (1 - ema_decay)`` steps make up most of the average"""

#: name -> (type, description) of the parameters the recurrent estimators share.
PARAMETERS = {
    "cell": ("{'lstm', 'gru', 'rnn'}", "Recurrent cell; 'rnn' is the simple tanh RNN."),
    "embedding_dim": (
        "int",
        """Width of the learned embedding (ignored with pretrained vectors and
        for numeric input).""",
    ),
    "num_embeddings": (
        "int or None",
        """Rows of the embedding layer (the size of the id space, reserved ids
        included). None: the largest id seen by ``fit`` + 1. Set it when later
        ``partial_fit`` calls may bring ids the first batch did not hold, e.g.
        to ``HashingOneHot().n_features`` when streaming hashed text.""",
    ),
    "hidden_size": ("int", "Units per recurrent layer and direction."),
    "num_layers": ("int", "Stacked recurrent layers."),
    "bidirectional": ("bool", "Also read each sequence backwards."),
    "dropout": ("float", "Dropout between stacked layers and before the output layer."),
    "embedding_dropout": ("float", "Dropout on the embedded input."),
    "word_dropout": (
        "float or 'auto'",
        """In training, the probability that each token is replaced by the
        out-of-vocabulary id (word dropout, Iyyer et al. 2015): the model learns
        not to lean on single words, and the out-of-vocabulary vector, which
        words unseen in training read at prediction time, gets trained.
        'auto' is 0.25 with pretrained vectors (a ``PretrainedEmbedding``
        before the model) and 0 with a learned embedding: over 10-fold CV on
        SUBJ, CR, MPQA and SMS spam, 0.25 raised the GloVe model on all four
        (+0.3 to +1.4 points) and left the learned one unchanged or lower
        (benchmarks/bench_accuracy.py). Ignored for numeric input.""",
    ),
    "linear_ngrams": (
        "int",
        """Token input only: 2 (default) adds a linear path from each text's
        words and pairs of neighbouring words (the pairs hashed into a table
        sized to the training data's pairs) to the outputs, trained with the
        network; 1 from its words alone; 0: the recurrent network alone.
        Ignored for numeric input, which has no words.
        A wide-and-deep model (Cheng et al. 2016; the direct n-gram
        connections of Mikolov's RNNME language models): the linear path
        learns which words a text holds, as a bag-of-words model does, the
        recurrent layers what their order adds. Its features are binary and
        scaled to unit length, dropped with probability 0.5 in training (see
        ``sklearn_rnn.modules.LinearNGrams``). On the accuracy panel
        (10-fold CV on CR, MPQA, SMS spam, SUBJ and five EWT genres; IMDB
        5k/5k by polarity and by star rating) 2 raised the default pipeline
        on six of the seven sets, +1.24 points on the mean, at 0.97 to 1.44
        times the fit time: most on long and multi-class texts (IMDB +2.24,
        star ratings +3.16, genres +1.42, 9 of 10 folds), least on short
        phrases (MPQA +0.30; SMS spam -0.02, level); with GloVe vectors CR
        +1.19, MPQA +0.04, IMDB +1.64
        (benchmarks/results/bench_accuracy_study/53_default_linear_ngrams.json).""",
    ),
    "adversarial_eps": (
        "float",
        """Adversarial training on the embeddings (Miyato et al. 2017): each
        training batch also counts its loss at embedded inputs moved in the
        direction that raises the loss fastest, by ``adversarial_eps`` times
        the L2 norm of the sequence's embedded steps (a relative size, the same
        for learned and pretrained vectors). 0 turns it off; otherwise a
        training step costs about twice as much. Token-id input only.
        Off by default because it helped short texts and hurt long ones with
        few labels: over 10-fold CV, 0.1 raised a learned embedding by +0.3
        (CR), +0.6 (SUBJ), +1.1 (MPQA) and +0.04 (SMS spam) points and 0.05
        raised GloVe by +0.8, +1.1, +0.1 and +0.2, but on 5k IMDB reviews both
        lost 2.5 to 3.2 points
        (benchmarks/results/bench_accuracy_study/9_adversarial_10folds.json;
        over three seeds the learned one lost 2.2 on average, 9_imdb5k_seeds.json).
        With 20k IMDB training reviews, 0.05 added 0.4 to 0.7 points
        (8_imdb_dev.json). The size is relative to the whole sequence, so
        a long document's perturbation is large per word.""",
    ),
    "pooling": (
        "{'max', 'last', 'mean'}",
        """What reaches the output layer: the max or mean of the states over the
        true steps, or the true last state (both directions' final states when
        bidirectional). 'max' is the classifier's default because it trains
        quickly and reliably on long texts, where the last state of a one-layer
        LSTM must carry a whole review. 'mean' scored lower on six of the seven
        sets of the accuracy panel (-0.04 to -0.41 points) and higher on 5k
        IMDB reviews (+0.90; study 47).""",
    ),
    "window_normalization": (
        "{'last', 'mean'} or None",
        """Numeric input only (forecasting). Each window is re-based on its
        last step ('last') or its mean ('mean'), feature by feature, before
        the recurrent layers, so they learn the shape of the recent past and
        not its level; the level reaches the prediction through the linear
        path (``linear_lags``). None feeds the windows as they are.""",
    ),
    "linear_lags": (
        "int or 'all'",
        """Numeric input only (forecasting). A linear path from the last
        ``linear_lags`` steps of each window (every feature) to the outputs,
        started at their least squares fit (a ridge regression on lagged
        values); the recurrent head, started at zero, learns what it misses.
        Forecasts so follow a level or trend beyond anything in the training
        windows, where a recurrent network's gates saturate (the highway of
        LSTNet, Lai et al. 2018). 'all': every step of the shortest training
        sequence, up to 1024 values (steps times features) per window; 0: no
        linear path. Later sequences must have at least as many steps.""",
    ),
    "loss": (
        "{'squared_error', 'absolute_error', 'quantile', 'gaussian_nll'}",
        """What training minimises. 'squared_error' predicts the conditional
        mean; 'absolute_error' the conditional median, which has the smaller
        mean absolute error (MAE, MASE) and is less pulled by outliers;
        'quantile' the conditional ``quantile`` quantile (the pinball loss,
        as in ``HistGradientBoostingRegressor``): two models, e.g. at 0.1 and
        0.9, give an 80% prediction interval.
        'gaussian_nll' adds a variance head: the network predicts a mean and
        a variance per output and minimises the Gaussian negative
        log-likelihood, so ``predict(X, return_std=True)`` gives each
        prediction's standard deviation (prediction intervals).""",
    ),
    "quantile": (
        "float or None",
        """The quantile that ``loss='quantile'`` predicts, in (0, 1); needed
        with that loss, ignored with the others. Score such a model with
        ``make_scorer(mean_pinball_loss, alpha=quantile,
        greater_is_better=False)``.""",
    ),
    "ensemble_size": (
        "int",
        """Networks trained side by side on the same batches, each from its
        own random start and on its own loss, whose outputs are averaged (a
        classifier's logits; a regressor's values, and with
        ``loss='gaussian_nll'`` their mixture gives the spread). Averaging
        removes the part of the error that depends on the random start;
        fitting and predicting cost about ``ensemble_size`` times one
        network. Early stopping judges the average, and ``transform`` gives
        the members' representations side by side. The classifier trains
        two: on the five text sets of the accuracy panel (SUBJ, CR, MPQA, SMS
        spam, IMDB 5k) two networks beat one on every set with a learned
        embedding, by 0.07 to 1.30 points (mean 0.63), in 1.7 to 2.7 times
        the fit time (``ensemble_size=1`` for one network, when time matters
        more). The regressor trains one: on 13 real series three members
        scored as one network did on average (0.923 against 0.918 times
        Ridge's MAE) and beat Ridge on two more series.""",
    ),
    "class_weight": (
        "dict, 'balanced' or None",
        """Weights of the classes in the loss, as in scikit-learn: a dict maps
        labels to weights (others weigh 1; a label not in y is an error),
        'balanced' weighs each class by the inverse of its frequency.""",
    ),
    "freeze_embedding": ("bool", "Keep the (pretrained) embedding fixed."),
    "optimizer": (
        "{'adam', 'adamw', 'sgd', 'rmsprop'} or torch optimizer class",
        """The optimizer, by name or as a ``torch.optim.Optimizer`` subclass;
        further arguments go through ``net_`` (skorch's ``optimizer__*``
        parameters are reachable with ``callbacks`` or after fitting).""",
    ),
    "lr": ("float", "Learning rate of the optimizer."),
    "max_epochs": (
        "int",
        """Most passes over the training data in one ``fit`` (early stopping may
        end sooner); each ``partial_fit`` call trains this many more.""",
    ),
    "batch_size": (
        "int",
        """Sequences per training batch. Validation and prediction batches hold
        as many, or at least 128 for narrow layers (``hidden_size`` times the
        directions at most 64), whose small steps keep the CPU busy only in
        larger batches; outputs do not depend on it.""",
    ),
    "gradient_clip_value": (
        "float or None",
        "Clip the gradient norm (against exploding gradients); None disables.",
    ),
    "ema_decay": (
        "float",
        _EMA_DECAY
        + """ (100 for
        0.99). 0 turns it off, the default: on the text panel 0.99 moved the
        accuracy by -0.16 to +0.35 points, and on 12 real series it lowered
        the forecast error on 7 and raised it on 5 (see the user guide).""",
    ),
    "early_stopping": (
        "bool",
        """Hold out ``validation_fraction`` of the training data and stop when its
        loss has not improved for ``patience`` epochs; the weights of the best
        validation epoch are kept.""",
    ),
    "validation_fraction": (
        "float",
        """Share of the data given to ``fit`` held out for early stopping
        (stratified by class for classifiers), drawn with ``random_state``; the
        test data of a cross-validation fold is never part of it.""",
    ),
    "validation_split": (
        "{'random', 'last'}",
        """Which ``validation_fraction`` of the data is held out: a random
        draw, or the last samples in the order given (Keras'
        ``validation_split``): for windows of a series in time order, the
        latest period, so that early stopping and the calibration of the
        intervals (``loss='gaussian_nll'``) judge forecasts of a period the
        training did not cover.""",
    ),
    "patience": (
        "int",
        "Epochs without improvement of the validation loss before training stops.",
    ),
    "warm_start": (
        "bool",
        "``fit`` continues training the fitted net instead of starting anew.",
    ),
    "bucket_by_length": (
        "bool",
        """Train on batches of sequences of similar length (shuffled pools sorted
        by length, batches in random order) and predict in length order,
        results returned in the input order. Each batch is padded only to its
        own longest sequence, so this saves the steps spent on padding; the
        results are those of any batching (padding never changes an output).
        False gives plain random batches.""",
    ),
    "device": (
        "str",
        """'auto' uses the GPU when there is one, else the CPU; or any torch
        device. On a GPU, batches are copied without blocking and nothing in a
        training step waits for the device; the recurrent layers run torch's
        cuDNN kernels.""",
    ),
    "mixed_precision": (
        "{'no', 'bf16', 'fp16', 'auto'}",
        """Train and predict under ``torch.autocast``: 'bf16' in bfloat16 (GPUs
        from Ampere on, and CPUs; no loss scaling needed), 'fp16' in float16
        with loss scaling (``torch.amp.GradScaler``; CUDA only), 'auto'
        bfloat16 on a GPU that computes it in hardware, else float32 (on
        every CPU). Weights stay float32 and outputs are float32. On a CPU
        without AVX-512, torch's LSTM kernel (oneDNN) has no bfloat16
        version, so LSTM layers there run in float32 and the other
        operations in bfloat16. Measured on two CPUs with AVX512-BF16
        (``benchmarks/bench_train.py --bf16``): on an AMD EPYC bfloat16
        trained LSTM layers 1.36-1.81 times as fast, but simple RNN and GRU
        layers of 32 units at 0.42-0.76 times the speed; on an Intel Xeon
        every layer slower, 0.32-0.95 times (median 0.52). It also cost the
        compare job's bidirectional LSTM 0.7 points of IMDB accuracy (see
        the README). Not the default for that reason, and not what 'auto'
        picks on a CPU.""",
    ),
    "random_state": (
        "int, RandomState instance or None",
        """Seeds the initialisation, dropout, the batch order and the validation
        split. On the CPU a seeded fit also keeps torch's thread count whatever
        the machine's load, so that the same seed trains the same weights on
        the same machine and software; an unseeded one uses fewer threads
        beside busy processes (``SKLEARN_RNN_FAIR_THREADS``, see the scaling
        guide).""",
    ),
    "verbose": (
        "int",
        """1 prints skorch's per-epoch table (losses, validation scores,
        duration); 2 adds a progress bar within epochs.""",
    ),
    "callbacks": (
        "list of skorch callbacks or (name, callback) tuples, or None",
        "Extra skorch callbacks (e.g. ``LRScheduler``, ``Checkpoint``).",
    ),
}

#: class name -> {name: (type, description)}: what differs for one estimator.
OVERRIDES = {
    "RNNClassifier": {
        "bidirectional": (
            "bool",
            """Also read each sequence backwards (a second recurrent layer per
            level). On by default: over 10-fold CV it scored +0.8 points on CR,
            +0.2 on SMS spam, +2.8 on a 5k IMDB subset, the same on SUBJ and
            -0.4 on MPQA, for 1.1 to 1.5 times the fit time
            (benchmarks/results/bench_accuracy_study/7_bidirectional_10folds.json).""",
        ),
        "ensemble_size": (
            "int or 'auto'",
            PARAMETERS["ensemble_size"][1]
            + """

        'auto' trains two networks when the sequences given to ``fit`` hold
        at most 2,000,000 tokens in all (``AUTO_ENSEMBLE_TOKENS``: sentences
        and short messages by the ten thousand, or some 5,000 reviews of 400
        words), one on more: the second network gains most on data sets of a
        few thousand labelled examples, where a fit takes seconds to a minute
        or two, and little on large ones, where it doubles a long fit. The
        tokens are counted when the networks are built: in ``fit``, or in the
        first call of ``partial_fit``, whose data alone decides.
        ``ensemble_size_`` holds the number trained. The comparison's
        ``rnn``, ``lstm``, ``gru`` and ``bilstm-glove`` models use it.""",
        ),
        "scoring": (
            "str",
            """What early stopping watches on the validation data: 'loss', or a
            scikit-learn scorer's name ('accuracy' as ``MLPClassifier`` does,
            'balanced_accuracy', 'f1_macro', 'roc_auc', ...; see
            ``sklearn.metrics.get_scorer_names()``), scored on the predictions
            of each epoch's validation pass and recorded in ``history_`` as
            ``valid_<name>`` (``valid_acc`` for 'accuracy'). Training stops when
            it has not improved for ``patience`` epochs (an equal score is no
            improvement), and the weights of the epoch best by it are kept. A
            scorer sees the labels as their indices in ``classes_`` (so 'f1'
            takes ``classes_[1]`` as the positive class), counts every
            validation sample alike (no ``sample_weight`` or ``class_weight``,
            which the loss heeds), and needs one label per sample. The loss is
            the default: on the accuracy panel (study 45) the accuracy moved the
            default pipeline by -0.85 to +0.45 points, a mean of about zero, and
            lost on EWT genres (7 of 10 folds lower); it is a hyperparameter to
            search, not a better default.""",
        ),
        "patience": (
            "int",
            "Epochs without improvement of what ``scoring`` names before training stops.",
        ),
        "early_stopping": (
            "bool",
            """Hold out ``validation_fraction`` of the training data and stop when its
            loss (or score: ``scoring``) has not improved for ``patience``
            epochs; the weights of the best validation epoch are kept.""",
        ),
    },
    "RNNLMClassifier": {
        "dropout": (
            "float",
            """Dropout on the embedded input, between stacked layers and on the
            states before the output layer.""",
        ),
        "num_embeddings": (
            "int or None",
            """Rows of the embedding layer and tokens the output layer scores (the
            size of the id space, reserved ids included). None: the largest id
            seen by ``fit`` + 1 (at least 4, for the end id).""",
        ),
        "batch_size": (
            "int",
            """Sequences per training, validation and prediction batch; outputs do
            not depend on it.""",
        ),
        "early_stopping": (
            "bool",
            """Hold out ``validation_fraction`` of the training data (stratified by
            class), stop when its loss per token has not improved for
            ``patience`` epochs and keep the weights of the best epoch; the
            held-out sequences then calibrate the probabilities
            (``calibration_``).""",
        ),
    },
    "LSTMRegressor": {
        "pooling": (
            "{'last', 'max', 'mean'}",
            "As in RNNClassifier; the true last state by default, the latest state of a series.",
        ),
        "max_epochs": (
            "int",
            """Most passes over the data per fit; regression data sets are usually
            small, and early stopping (``patience``) ends training when the
            validation loss stalls.""",
        ),
    },
    "RNNTagger": {
        "ensemble_size": (
            "int",
            """Taggers trained side by side on the same batches, each from its
            own random start and on its own loss, whose per-step label scores
            are averaged (for ``predict``, ``predict_proba``, early stopping and
            export); fitting and predicting cost about ``ensemble_size`` times
            one network. Not with ``crf``.""",
        ),
        "ema_decay": (
            "float",
            _EMA_DECAY
            + """ (500 for
        0.998, about 1.4 epochs of the EWT treebank). 0 turns it off. Chosen
        on the EWT development split (seeds 0 and 1): 0.9493 against 0.9478
        without it, and 0.8060 against 0.8013 on the words unseen in
        training, each seed above the same seed without it; the test split,
        scored once, gave 0.9525 against 0.9501 and 0.7989 against 0.7912,
        again each seed above, in 562-864 s against 590-592 s (the smoother
        validation loss lets training run longer).""",
        ),
        "embedding_dim": (
            "int",
            "Width of the learned word embedding (ignored with ``vectors``).",
        ),
        "dropout": (
            "float",
            """Dropout between stacked layers and on the states before the output
            layer.""",
        ),
        "embedding_dropout": (
            "float",
            "Dropout on each step's input vector (word and characters).",
        ),
        "word_dropout": (
            "float",
            """In training, the probability that a word is read as the
            out-of-vocabulary word (its characters stay): the out-of-vocabulary
            vector, which words unseen in training read, gets trained, and the
            model learns to tag from spelling and context. Token-id input too.
            Chosen on the EWT development split (seeds 0 and 1, the other
            defaults as they are): 0.5 scored 0.9497 against 0.9475 for 0.25,
            and 0.8142 against 0.7978 on the words unseen in training (each seed
            of 0.5 above each of 0.25). Earlier, on the test split (seed 0),
            0.25 had scored 0.9489 against 0.9462 for 0.05, and a
            frequency-dependent dropout (a word seen ``c`` times dropped with
            ``0.25 / (0.25 + c)``, Kiperwasser & Goldberg 2016) 0.9473 against
            0.9492 for 0.25.""",
        ),
        "char_embedding_dim": ("int", "Width of a character's embedding."),
        "char_size": (
            "int",
            """Width of each word's character-level vector (the filters of the
            convolution, or both directions of the LSTM, of ``char_encoder``).
            0: no character features. Word input only.""",
        ),
        "char_encoder": (
            "{'cnn', 'lstm'}",
            """How a word's characters (between begin and end markers) become its
            vector: a convolution of width 3, max-pooled over the word (Ma &
            Hovy 2016), or the final states of a bidirectional LSTM over them
            (Lample et al. 2016).""",
        ),
        "affix_embedding_dim": (
            "int",
            """Width of the embedding of each of a word's affix and shape
            features: its lowercase prefixes and suffixes of one to three
            letters and its shape (``'Xxxxx'``, ``'dd.dd'``: letters as X or x,
            digits as d, runs cut at four), the features a CRF tagger reads
            (sklearn-crfsuite's tutorial), concatenated to the word's vector.
            A feature shared by fewer than two word types of the training data
            reads the out-of-vocabulary row. 0: no such features. Word input
            only. Off by default for now. On the EWT development split
            (seeds 0 and 1) a width of 20 scored 0.9499, and 0.8154 on words
            unseen in training, against 0.9478 and 0.7937 for the same code
            without it. On the test split, scored once, it gave 0.9523 and
            0.8005, against 0.9505 and 0.8007 for the same code without it:
            level on unseen words (the CRF: 0.8124)
            (benchmarks/results/bench_tagging_study/, studies 11-14).""",
        ),
        "casing_embedding_dim": (
            "int",
            """Width of the embedding of each word's casing class: whether its
            letters are all lowercase, all uppercase, capitalised, mixed or
            absent, times whether none, some or most of its characters are
            digits (15 classes; Reimers & Gurevych 2017's casing feature),
            concatenated to the word's vector. The character features see the
            case too, but letter by letter; this gives every word one shared
            signal, e.g. that ``'E17'`` is written like ``'NATO'``. A class
            no training word has keeps its small starting vector. 0: no
            casing feature. Word input only. Off by default: on the EWT
            development split a width of 8 scored 0.9491, and 0.8107 on words
            unseen in training, against 0.9478 and 0.8013 for the same code
            without it; on the test split, scored once, 0.9510 and 0.7872
            against 0.9501 and 0.7912 (the CRF: 0.8124)
            (benchmarks/results/bench_tagging_study/, studies 18, 20, 21).""",
        ),
        "linear_features": (
            "bool",
            """A linear path beside the network: each word's hand-made features
            and its neighbours' (the linear-chain CRF's: the lowercase word,
            first and last 1-3 characters with their case, whether it is
            capitalised, uppercase, digits, holds a digit or a hyphen), each
            with a row of its own in a table of the training words' features
            (``linear_index_``; an unseen feature reads none), give label scores that
            are added to the network's, trained on the same loss
            (:class:`~sklearn_rnn.modules.LinearTokenFeatures`). Ignored for
            token-id and numeric input, which have no spelling. On by default:
            on the EWT development split 0.9513, and 0.8209 on words unseen in
            training, against 0.9493 and 0.8060 without it; on the test split,
            scored once, 0.9546 and 0.8138 against 0.9525 and 0.7989 (the
            CRF: 0.8124), each seed above its own seed, in less fit time
            (benchmarks/results/bench_tagging_study/, studies 26, 27). Six runs
            of today's default on the test split: 0.9547 and 0.8175 (studies
            34, 35 and benchmarks/results/bench_tagging.json). With GloVe
            vectors 0.9585 and 0.8435, against 0.9572 and 0.8209. On EWT's
            Penn tags (50, never used for a choice) 0.9487 and 0.8092 against
            0.9471 and 0.7912 (the CRF: 0.9343 and 0.8034; study 36,
            benchmarks/results/bench_tagging_xpos.json). The table holds most
            of a fitted tagger's weights and grows with the tag set: on EWT
            1.5M of 3.9M parameters for the 17 universal tags (a pickle of 48
            MB against 29 MB without it), 4.3M of 6.7M for the 50 Penn tags
            (81 MB; with the hashed table of stop 59, 83 and 184 MB; study
            37).""",
        ),
        "lowercase": (
            "bool",
            """Look words up in lowercase (the character features keep the case).
            GloVe's vocabulary is lowercase.""",
        ),
        "vectors": (
            "str, path, mapping, KeyedVectors or None",
            """Pretrained word vectors, as for
            :class:`~sklearn_rnn.PretrainedEmbedding` (``'glove-6b-50d'``, a
            file, a mapping, gensim ``KeyedVectors``). The embedding starts at
            them (their width replaces ``embedding_dim``), and the words that
            have a vector but never occur in training join the vocabulary, so
            at prediction time they read their vector instead of the
            out-of-vocabulary one. None: a learned embedding. Word input only.""",
        ),
        "freeze_embedding": ("bool", "Keep the word embedding fixed during training."),
        "adversarial_eps": (
            "float",
            """Adversarial training (Miyato et al. 2017; for taggers Yasunaga,
            Kasai & Radev 2018): each training batch also counts its loss at
            step vectors (word embedding beside the character vector) moved in
            the direction that raises the loss fastest, by ``adversarial_eps``
            times the L2 norm of the sentence's step vectors. 0 turns it off;
            otherwise a training step costs about twice as much. Word and
            token-id input only. Off by default: on the EWT development split
            (seeds 0 and 1) 0.1 scored 0.9491 and 0.8133 on words unseen in
            training, against 0.9480 and 0.8095 without it (unseen words: one
            seed up 1.1 points, one down 0.4), in 2.6 times the fit time, over
            the 15 minutes a default may take
            (benchmarks/results/bench_tagging_study/).""",
        ),
        "crf": (
            "bool",
            """A linear-chain CRF output layer
            (:class:`~sklearn_rnn.modules.LinearChainCRF`: label transition
            scores, trained on each sentence's likelihood; Huang, Xu & Yu 2015,
            Lample et al. 2016): ``predict`` returns each sequence's most likely
            label sequence (Viterbi) and ``predict_proba`` the per-step marginal
            probabilities. It is meant for labels that constrain their
            neighbours (BIO entity tags: an ``I-`` tag follows its own ``B-``
            or ``I-``); the treebanks at hand have no entity tags, so that
            was not measured. On EWT part-of-speech tags (development split,
            seeds 0 and 1) it scored 0.9487 and 0.8049 on words unseen in
            training, against 0.9480 and 0.8095 without it: within the seed
            spread, so it is off by default. False: each step's label is its
            own softmax.""",
        ),
        "max_epochs": ("int", "Most passes over the training sequences per fit."),
        "num_layers": (
            "int",
            """Stacked recurrent layers. Two, as in published BiLSTM taggers: on
            UD English EWT they scored 0.9495 and 0.9517 (seeds 0, 1) against
            0.9494 and 0.9483 for one, in 1.7 times the fit time
            (benchmarks/results/bench_tagging_study/).""",
        ),
    },
    "Seq2SeqEstimator": {
        "source_tokenizer": (
            "TextTokenizer or None",
            """How string sources become ids; cloned and fitted in ``fit``. None is
            a word-level ``TextTokenizer`` keeping punctuation marks as tokens
            (``token_pattern=r"(?u)\\w+|[^\\w\\s]"``); use
            ``TextTokenizer(analyzer='char')`` for characters. Unused for id input.""",
        ),
        "target_tokenizer": (
            "TextTokenizer or None",
            """The same for string targets (its begin/end markers are turned off:
            the estimator adds them).""",
        ),
        "cell": ("{'lstm', 'gru', 'rnn'}", "Cell of both encoder and decoder."),
        "embedding_dim": ("int", "Width of the source and target embeddings."),
        "hidden_size": ("int", "Units per layer (and per direction in the encoder)."),
        "num_layers": ("int", "Stacked layers in the encoder and in the decoder."),
        "bidirectional": ("bool", "Bidirectional encoder."),
        "embedding_dropout": ("float", "Dropout on both embeddings."),
        "freeze_embedding": ("bool", "Keep a pretrained source embedding fixed."),
        "attention": (
            "{'luong', 'bahdanau'} or None",
            """Luong's bilinear ("general") or Bahdanau's additive attention; None
            gives the plain encoder-decoder, which must squeeze the whole source
            into the decoder's initial state.""",
        ),
        "teacher_forcing_ratio": (
            "float",
            """Probability, per target token in training, of feeding the true
            previous token rather than the model's own prediction. Below 1 the
            decoder runs step by step (slower).""",
        ),
        "teacher_forcing_decay": (
            "float",
            """The ratio at epoch ``e`` (from 0) is
            ``teacher_forcing_ratio * teacher_forcing_decay ** e``; recorded in
            ``history_`` as ``teacher_forcing_ratio``.""",
        ),
        "beam_size": ("int", "1 decodes greedily; more runs a beam search of that width."),
        "length_penalty": (
            "float",
            """Beam hypotheses are ranked by log-probability divided by
            ``((5 + length) / 6) ** length_penalty`` (Wu et al. 2016); 0 ranks by
            log-probability alone, which favours short outputs.""",
        ),
        "max_output_length": (
            "int or None",
            """Longest output, in tokens. None is twice the longest training target,
            plus 5. A training target longer than ``max_output_length`` is an
            error (nothing is cut silently); an output that reaches it without an
            end marker is returned as it is, with a warning.""",
        ),
    },
}

#: Blocks of other sections that several docstrings share, by placeholder name.
SECTIONS = {
    "many_to_one_attributes": """\
net_ : skorch.NeuralNet
    The trained skorch net; ``net_.module_`` is the PyTorch model.
history_ : skorch.History
    Per-epoch training history (losses, validation scores, durations).
num_embeddings_ : int or None
    Embedding rows (``num_embeddings``, else the largest training id + 1, or
    the pretrained matrix rows); None for numeric input.
n_features_in_ : int
    Features per step, for numeric input.
ensemble_size_ : int
    The number of networks trained: ``ensemble_size``, or what
    ``RNNClassifier(ensemble_size='auto')`` chose for the data.""",
}

_PLACEHOLDER = re.compile(r"^( *)\$(\w+)$", re.M)


def parameter_entries(cls):
    """The numpydoc ``Parameters`` entries of ``cls``, one per ``__init__`` parameter."""
    docs = {**PARAMETERS, **OVERRIDES.get(cls.__name__, {})}
    entries = []
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self":
            continue
        if name not in docs:
            raise TypeError(f"{cls.__name__}: parameter {name!r} has no documentation entry.")
        kind, text = docs[name]
        description = textwrap.indent(inspect.cleandoc(text), "    ")
        entries.append(f"{name} : {kind}, default={param.default!r}\n{description}")
    return "\n".join(entries)


def fill_parameters(cls):
    """Class decorator: the composed parameter entries where ``$parameters`` stands.

    Other ``$name`` lines are replaced by ``SECTIONS[name]``, indented alike.
    """
    blocks = {**SECTIONS, "parameters": parameter_entries(cls)}

    def indent(match):
        return textwrap.indent(blocks[match.group(2)], match.group(1))

    cls.__doc__ = _PLACEHOLDER.sub(indent, cls.__doc__)
    return cls
