import sys, time, numpy as np, pandas as pd, torch, importlib.util, json
sys.path.insert(0, "benchmarks")
import bench_train as bt
from sklearn_rnn import TextTokenizer, SequencePadder, modules
spec = importlib.util.spec_from_file_location("sklearn_rnn.modules_old", "/tmp/exp/modules_old.py")
old = importlib.util.module_from_spec(spec); spec.loader.exec_module(old)
NEW = (modules._MaskedMax.forward, modules._MaskedMax.backward)
OLD = (old._MaskedMax.forward, old._MaskedMax.backward)
def use(fb):
    modules._MaskedMax.forward = staticmethod(fb[0]); modules._MaskedMax.backward = staticmethod(fb[1])
frame = pd.read_csv(bt.DEFAULT_DATA)
train = frame[frame.split=="train"]
tok = TextTokenizer(preprocessor=bt.strip_tags, max_tokens=bt.VOCAB).fit(train.text)
pad = SequencePadder(maxlen=bt.MAXLEN)
rng = np.random.default_rng(0)
pick = rng.choice(len(train), int(sys.argv[1]), replace=False)
X = pad.fit_transform(tok.transform(train.text.iloc[pick])).astype(np.int64); y = train.label.to_numpy()[pick]
res = {}
for cell, H, bi in [("rnn",128,True),("rnn",32,False),("rnn",256,True),("gru",128,True),("lstm",128,True)]:
    r = {"old": [], "new": []}
    for rnd in range(3):
        for name, fb in (("old", OLD), ("new", NEW)) if rnd % 2 == 0 else (("new", NEW), ("old", OLD)):
            use(fb)
            clf = bt._classifier(cell, H, bi, 3).fit(X, y)
            r[name].append(float(np.median(clf.history_[1:, "dur"])))
            if name == "old": p_old = clf.predict_proba(X[:64])
            else: p_new = clf.predict_proba(X[:64])
        same = np.array_equal(p_old, p_new)
    key = f"{'Bi' if bi else ''}{cell.upper()} {H}"
    res[key] = r
    print(f"{key}: old {np.median(r['old']):.3f}s new {np.median(r['new']):.3f}s epoch; new speed {np.median(r['old'])/np.median(r['new']):.2f}x; per round {[round(a/b,2) for a,b in zip(r['old'], r['new'])]}; same probabilities: {same}", flush=True)
json.dump(res, open("/tmp/exp/pair_pool.json","w"))
