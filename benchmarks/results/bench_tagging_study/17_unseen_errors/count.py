import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from sklearn_rnn.datasets import load_ud_english_ewt

D = "/work/shared/data/ud_english_ewt"
Xtr, ytr = load_ud_english_ewt("train", path=D)
Xte, yte = load_ud_english_ewt("test", path=D)
Xdv, ydv = load_ud_english_ewt("dev", path=D)
allw = {w.lower() for s in Xtr for w in s}
for rs in (0, 1):
    seed = check_random_state(rs).randint(np.iinfo(np.int32).max)
    tr, va = train_test_split(np.arange(len(Xtr)), test_size=0.1, random_state=seed)
    trw = {w.lower() for i in tr for w in Xtr[i]}
    only = allw - trw
    n = sum(w.lower() in only for s in Xte for w in s)
    print(
        rs,
        "validation-only word types",
        len(only),
        "test tokens reading them",
        n,
        "of",
        sum(map(len, Xte)),
    )
dvonly = {w.lower() for s in Xdv for w in s} - allw
print(
    "dev-only types", len(dvonly), "test tokens", sum(w.lower() in dvonly for s in Xte for w in s)
)
