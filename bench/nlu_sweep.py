"""Intent-classifier settings without retraining the pipeline: featurize once with a trained model, then fit variants.

    .venv/bin/python bench/nlu_sweep.py [--model models/current.tar.gz] [--folds 5] [--grid default]
    .venv/bin/python bench/nlu_sweep.py --grid default --only base,C2     # a few variants by name

The trained model's tokenizer and featurizers (word counts, character n-gram counts, the sentence
encoder) turn the training examples (data/nlu) and the development sets (bench/data/nlu_dev*.tsv; never
the held-out set) into feature blocks ONCE. Each variant then transforms the blocks (per-block scale,
sublinear or binary term frequencies, per-block L2 normalisation), fits a logistic regression like
SafeLogisticRegressionClassifier's (C, class_weight) on all training examples, and applies the
FallbackClassifier's rule (threshold, ambiguity) to its probabilities. It is judged on every development
set and on stratified k-fold cross-validation over the training examples together: a variant that helps
one set a lot and costs the others is not an improvement (docs/measurements.md, 2026-12-06).

A message counts as right as in bench/nlu_heldout.py (fallback is a miss except for out_of_scope). The
facet rules and the safety layer that run after the classifier in the real pipeline are not applied, so
the figures are a little lower than bench/nlu_heldout.py's; the variant "base" (the settings in
config.yml) is the reference. Cross-validation reuses the full model's vocabulary and standardisation
(cheap, slightly optimistic, the same for every variant). Writes results/nlu_sweep.json.

Time: featurizing takes about a minute, but one fit of the regression (24 intents, ~52,000 features) takes
4-9 minutes on the shared 2-core machine even when started from the model's weights, and k-fold adds k fits:
screen with `--folds 0` and a few `--variant`s, then cross-validate the close ones.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import nlu_crossval  # noqa: E402
import nlu_heldout  # noqa: E402

DEV_SETS = ("nlu_dev.tsv", "nlu_dev2.tsv", "nlu_dev3.tsv", "nlu_dev4.tsv")
FALLBACK = "nlu_fallback"


@dataclass(frozen=True)
class Variant:
    """One classifier setting. Defaults are config.yml's (2026-12-06): raw counts, scale 1, C 1, balanced."""

    name: str
    C: float = 1.0
    class_weight: str | None = "balanced"
    word_scale: float = 1.0
    char_scale: float = 1.0
    dense_scale: float = 1.0
    tf: str = "raw"  # raw | log (1 + log tf) | binary, for both count blocks
    l2: bool = False  # L2-normalise each count block per message
    threshold: float = 0.40
    ambiguity: float = 0.05
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Blocks:
    """Per-message feature blocks: word counts, character n-gram counts (sparse), sentence embedding."""

    word: scipy.sparse.csr_matrix
    char: scipy.sparse.csr_matrix
    dense: np.ndarray

    def take(self, idx: np.ndarray) -> Blocks:
        return Blocks(self.word[idx], self.char[idx], self.dense[idx])


def _tf(block: scipy.sparse.csr_matrix, mode: str, l2: bool) -> scipy.sparse.csr_matrix:
    out = block.astype(np.float64, copy=True)
    if mode == "log":
        out.data = 1.0 + np.log(out.data)
    elif mode == "binary":
        out.data = np.ones_like(out.data)
    elif mode != "raw":
        raise ValueError(f"unknown tf mode {mode}")
    if l2:
        norms = np.sqrt(np.asarray(out.multiply(out).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        out = scipy.sparse.diags(1.0 / norms) @ out
    return out.tocsr()


def design(blocks: Blocks, v: Variant) -> scipy.sparse.csr_matrix:
    """The classifier's input for a variant, in the pipeline's order (word, char, dense)."""
    return scipy.sparse.hstack(
        [
            _tf(blocks.word, v.tf, v.l2) * v.word_scale,
            _tf(blocks.char, v.tf, v.l2) * v.char_scale,
            scipy.sparse.csr_matrix(blocks.dense * v.dense_scale),
        ],
        format="csr",
    )


def decide(proba: np.ndarray, classes: np.ndarray, threshold: float, ambiguity: float) -> list[str]:
    """The FallbackClassifier's rule: below the threshold, or top two closer than the ambiguity -> fallback."""
    order = np.argsort(-proba, axis=1)
    top = proba[np.arange(len(proba)), order[:, 0]]
    second = proba[np.arange(len(proba)), order[:, 1]]
    out = []
    for i in range(len(proba)):
        if top[i] < threshold or top[i] - second[i] < ambiguity:
            out.append(FALLBACK)
        else:
            out.append(str(classes[order[i, 0]]))
    return out


def fit(X: scipy.sparse.csr_matrix, y: np.ndarray, v: Variant, init: Any | None = None) -> Any:
    """Logistic regression as SafeLogisticRegressionClassifier fits it; `init` (a fitted classifier or
    (coef, intercept)) is only a starting point for lbfgs, which saves most of the iterations."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(
        C=v.C,
        class_weight=v.class_weight,
        solver="lbfgs",
        max_iter=1000,
        tol=1e-4,
        random_state=42,
        warm_start=init is not None,
    )
    if init is not None:
        coef, intercept = init if isinstance(init, tuple) else (init.coef_, init.intercept_)
        clf.coef_, clf.intercept_ = coef.copy(), intercept.copy()
    clf.fit(X, y)
    return clf


def start_from(
    reference: Any, v: Variant, widths: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The trained model's weights, divided by each block's scale: the same scores for raw counts."""
    coef = reference.coef_.copy()
    word, char = widths
    coef[:, :word] /= v.word_scale
    coef[:, word : word + char] /= v.char_scale
    coef[:, word + char :] /= v.dense_scale
    return coef, reference.intercept_.copy()


def accuracy(golds: list[str], preds: list[str]) -> float:
    return sum(nlu_heldout.correct(g, p) for g, p in zip(golds, preds, strict=True)) / len(golds)


# ---------------------------------------------------------------------------------------------------
# Featurizing with the trained model


def _featurizers(model: Path) -> tuple[list[Any], Any]:
    """The trained tokenizer and featurizers of the model in pipeline order, and its fitted classifier."""
    import re

    from rasa.core.agent import Agent
    from rasa.nlu.featurizers.featurizer import Featurizer
    from rasa.nlu.tokenizers.tokenizer import Tokenizer
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    nodes = agent.processor.graph_runner._instantiated_nodes  # type: ignore[union-attr]
    found = []
    reference = None
    for name, node in nodes.items():
        component = node._component
        if name.startswith("run_") and hasattr(component, "clf"):
            reference = component.clf
        if isinstance(component, (Tokenizer, Featurizer)) and name.startswith("run_"):
            index = int(re.search(r"(\d+)$", name).group(1))  # type: ignore[union-attr]
            found.append((index, name, component))
    return [c for _, _, c in sorted(found, key=lambda t: t[0])], reference


def featurize(components: list[Any], texts: list[str]) -> Blocks:
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    messages = [Message(data={TEXT: t}) for t in texts]
    for component in components:
        messages = component.process(messages)
    origins: list[str] = []
    rows: dict[str, list[Any]] = defaultdict(list)
    for m in messages:
        for f in m.features:
            if f.attribute != TEXT or f.type != "sentence":
                continue
            if f.origin not in origins:
                origins.append(f.origin)
            rows[f.origin].append(f.features)
    sparse = [o for o in origins if scipy.sparse.issparse(rows[o][0])]
    dense = [o for o in origins if not scipy.sparse.issparse(rows[o][0])]
    if len(sparse) != 2 or len(dense) != 1 or any(len(rows[o]) != len(texts) for o in origins):
        raise SystemExit(f"expected 2 sparse and 1 dense sentence features, got {origins}")
    return Blocks(
        word=scipy.sparse.vstack(rows[sparse[0]], format="csr"),
        char=scipy.sparse.vstack(rows[sparse[1]], format="csr"),
        dense=np.vstack(rows[dense[0]]).astype(np.float64),
    )


def stratified_folds(labels: list[tuple[str, str]], k: int, seed: int = 42) -> list[np.ndarray]:
    """Fold indices stratified by (language, intent), as bench/nlu_crossval.py builds them."""
    by: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, key in enumerate(labels):
        by[key].append(i)
    folds: list[list[int]] = [[] for _ in range(k)]
    rng = random.Random(seed)
    for key in sorted(by):
        items = by[key]
        rng.shuffle(items)
        for j, i in enumerate(items):
            folds[j % k].append(i)
    return [np.array(sorted(f)) for f in folds]


# ---------------------------------------------------------------------------------------------------
# Variants


def grid(name: str) -> list[Variant]:
    base = Variant("base")
    if name == "default":
        out = [base]
        out += [Variant(f"C{c:g}", C=c) for c in (0.3, 0.5, 2.0, 4.0, 8.0)]
        out += [Variant("unweighted", class_weight=None)]
        out += [Variant(f"dense{s:g}", dense_scale=s) for s in (0.5, 0.75, 1.5, 2.0)]
        out += [Variant(f"char{s:g}", char_scale=s) for s in (0.5, 0.75)]
        out += [Variant(f"word{s:g}", word_scale=s) for s in (0.5, 1.5)]
        out += [Variant("log-tf", tf="log"), Variant("binary-tf", tf="binary")]
        out += [Variant("l2", l2=True), Variant("l2-C4", l2=True, C=4.0)]
        out += [Variant("l2-log-C4", l2=True, tf="log", C=4.0)]
        return out
    raise SystemExit(f"unknown grid {name}")


def grid_variants(spec: str) -> list[Variant]:
    """`--variant 'name:C=2,tf=log;name2:dense_scale=1.5'`: variants written on the command line."""
    out = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        name, _, kv = part.partition(":")
        kwargs: dict[str, Any] = {}
        for item in filter(None, kv.split(",")):
            key, _, value = item.partition("=")
            current = getattr(Variant("x"), key)
            if key == "class_weight":
                kwargs[key] = None if value in ("none", "None") else value
            elif isinstance(current, bool):
                kwargs[key] = value.lower() in ("1", "true", "yes")
            elif isinstance(current, float):
                kwargs[key] = float(value)
            else:
                kwargs[key] = value
        out.append(Variant(name, **kwargs))
    return out


def evaluate(
    v: Variant,
    train: Blocks,
    y: np.ndarray,
    folds: list[np.ndarray],
    dev: dict[str, tuple[Blocks, list[str], list[str]]],
    thresholds: list[tuple[float, float]],
    reference: Any | None = None,
) -> dict[str, Any]:
    """Per-set accuracy (and per language on the union of the development sets) for one variant.

    `reference` is the trained model's classifier: the variant with config.yml's settings IS it (no fit),
    and every other variant starts from its weights."""
    t0 = time.monotonic()
    X = design(train, v)
    if reference is not None and replace(v, name="base", threshold=0.4, ambiguity=0.05) == Variant(
        "base"
    ):
        clf = reference
    else:
        init = (
            start_from(reference, v, (train.word.shape[1], train.char.shape[1]))
            if reference is not None
            else None
        )
        clf = fit(X, y, v, init)
    probas = {name: clf.predict_proba(design(b, v)) for name, (b, _, _) in dev.items()}
    cv_proba = np.zeros((len(y), len(clf.classes_)))
    for test in folds:
        mask = np.ones(len(y), bool)
        mask[test] = False
        fold_clf = fit(X[mask], y[mask], v, clf)
        p = fold_clf.predict_proba(X[test])
        cols = [list(clf.classes_).index(c) for c in fold_clf.classes_]
        cv_proba[np.ix_(test, cols)] = p
    out: dict[str, Any] = {"variant": v.name, "settings": v.__dict__.copy(), "by_threshold": {}}
    for threshold, ambiguity in thresholds:
        key = f"{threshold:.2f}/{ambiguity:.2f}"
        sets: dict[str, float] = {}
        union_g: list[str] = []
        union_p: list[str] = []
        union_l: list[str] = []
        for name, (_, golds, langs) in dev.items():
            preds = decide(probas[name], clf.classes_, threshold, ambiguity)
            sets[name] = accuracy(golds, preds)
            union_g += golds
            union_p += preds
            union_l += langs
        if folds:
            cv_preds = decide(cv_proba, clf.classes_, threshold, ambiguity)
            sets["crossval"] = accuracy(list(y), cv_preds)
        by_lang = {}
        for lang in nlu_heldout.LANGS:
            idx = [i for i, x in enumerate(union_l) if x == lang]
            by_lang[lang] = accuracy([union_g[i] for i in idx], [union_p[i] for i in idx])
        out["by_threshold"][key] = {
            "sets": sets,
            "dev_union": accuracy(union_g, union_p),
            "dev_union_fallback": sum(p == FALLBACK for p in union_p) / len(union_p),
            "min_lang": min(by_lang.values()),
            "by_lang": by_lang,
            "mean_of_sets": float(np.mean(list(sets.values()))),
            "fit_iterations": int(np.max(getattr(clf, "n_iter_", [0]))),
        }
    out["seconds"] = round(time.monotonic() - t0, 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=str(ROOT / "models" / "current.tar.gz"))
    parser.add_argument(
        "--folds", type=int, default=5, help="0: no cross-validation (quick screen)"
    )
    parser.add_argument("--grid", default="default")
    parser.add_argument("--only", help="comma-separated variant names of the grid")
    parser.add_argument("--variant", help="variants on the command line: 'name:C=2,tf=log;...'")
    parser.add_argument(
        "--thresholds",
        default="0.40/0.05",
        help="fallback threshold/ambiguity pairs to judge every variant at, e.g. 0.40/0.05,0.35/0.03",
    )
    parser.add_argument("--out", default=str(ROOT / "results" / "nlu_sweep.json"))
    args = parser.parse_args()

    variants = grid_variants(args.variant) if args.variant else grid(args.grid)
    if args.only:
        keep = set(args.only.split(","))
        variants = [v for v in variants if v.name in keep]
    thresholds = [
        (float(a), float(b)) for a, b in (p.split("/") for p in args.thresholds.split(","))
    ]

    t0 = time.monotonic()
    components, reference = _featurizers(Path(args.model))
    examples = nlu_crossval.load_examples()
    texts = [ex.get("text") for _, ex in examples]
    y = np.array([ex.get("intent") for _, ex in examples])
    train = featurize(components, texts)
    folds = (
        stratified_folds([(lang, ex.get("intent")) for lang, ex in examples], args.folds)
        if args.folds > 1
        else []
    )
    dev = {}
    for name in DEV_SETS:
        rows = nlu_heldout.load_heldout(ROOT / "bench" / "data" / name)
        dev[name] = (
            featurize(components, [t for _, _, t in rows]),
            [g for _, g, _ in rows],
            [lang for lang, _, _ in rows],
        )
    print(
        f"featurized {len(texts)} training examples and {sum(len(d[1]) for d in dev.values())} "
        f"development messages in {time.monotonic() - t0:.0f} s "
        f"(word {train.word.shape[1]}, char {train.char.shape[1]}, dense {train.dense.shape[1]})",
        flush=True,
    )

    results = []
    short = {name: name.replace("nlu_", "").replace(".tsv", "") for name in DEV_SETS}
    header = "  ".join(f"{short[n]:>6}" for n in DEV_SETS)
    print(
        f"{'variant':<18} {'thr/amb':<9} {header}  {'cv':>6}  {'union':>6}  {'minlang':>7}  {'fb':>5}"
    )
    for v in variants:
        r = evaluate(v, train, y, folds, dev, thresholds, reference)
        results.append(r)
        for key, m in r["by_threshold"].items():
            cells = "  ".join(f"{m['sets'][n]:>6.3f}" for n in DEV_SETS)
            print(
                f"{v.name:<18} {key:<9} {cells}  {m['sets'].get('crossval', float('nan')):>6.3f}  "
                f"{m['dev_union']:>6.3f}  {m['min_lang']:>7.3f}  {m['dev_union_fallback']:>5.3f}"
                f"   ({r['seconds']} s, {m['fit_iterations']} it)",
                flush=True,
            )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
