"""NLU cross-validation: intent accuracy and macro-F1 per language, for one or more pipeline variants.

    .venv/bin/python bench/nlu_crossval.py                 # the pipeline in config.yml, 5 folds
    .venv/bin/python bench/nlu_crossval.py --variants config,char,logreg --folds 3

Variants: "config" (config.yml as is), "char" (Han split per character instead of jieba), "logreg"
(LogisticRegressionClassifier instead of DIET). Prints a table and writes results/nlu_crossval.json.
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

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def language_of(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


def variant_config(name: str) -> dict:
    from ruamel.yaml import YAML

    cfg = YAML(typ="safe").load((ROOT / "config.yml").read_text(encoding="utf-8"))
    cfg = copy.deepcopy(cfg)
    cfg.pop("policies", None)
    pipeline = cfg["pipeline"]
    if name == "char":
        pipeline[0]["cjk_mode"] = "char"
    elif name == "logreg":
        cfg["pipeline"] = [c for c in pipeline if c["name"] != "DIETClassifier"]
        idx = next(i for i, c in enumerate(cfg["pipeline"]) if c["name"].endswith("GazetteerEntityExtractor"))
        cfg["pipeline"].insert(idx, {"name": "LogisticRegressionClassifier", "max_iter": 200})
    elif name != "config":
        raise SystemExit(f"unknown variant {name}")
    return cfg


def folds_of(examples: list, k: int, seed: int = 42) -> list[list]:
    by_intent: dict[str, list] = defaultdict(list)
    for ex in examples:
        by_intent[ex.get("intent")].append(ex)
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


async def run_variant(name: str, k: int, work: Path) -> dict:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from ruamel.yaml import YAML

    data = load_data(str(ROOT / "data" / "nlu"))
    examples = [ex for ex in data.intent_examples]
    folds = folds_of(examples, k)
    cfg_path = work / f"{name}.yml"
    YAML().dump(variant_config(name), cfg_path.open("w", encoding="utf-8"))
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    train_seconds = []
    for i in range(k):
        train = [ex for j, f in enumerate(folds) if j != i for ex in f]
        train_file = work / f"{name}_train_{i}.yml"
        train_file.write_text(RasaYAMLWriter().dumps(TrainingData(train)), encoding="utf-8")
        started = time.perf_counter()
        model = train_nlu(str(cfg_path), str(train_file), str(work / "models"), fixed_model_name=f"{name}_{i}")
        train_seconds.append(time.perf_counter() - started)
        agent = Agent.load(model)
        for ex in folds[i]:
            text = ex.get("text")
            parsed = await agent.parse_message(text)
            pairs[language_of(text)].append((ex.get("intent"), parsed["intent"]["name"]))
        print(f"  {name}: fold {i + 1}/{k} done in {train_seconds[-1]:.0f} s", file=sys.stderr, flush=True)
    result: dict = {"variant": name, "folds": k, "train_seconds_per_fold": sum(train_seconds) / k, "languages": {}}
    for lang, ps in sorted(pairs.items()):
        acc = sum(g == p for g, p in ps) / len(ps)
        result["languages"][lang] = {"n": len(ps), "accuracy": acc, "macro_f1": macro_f1(ps)}
    every = [p for ps in pairs.values() for p in ps]
    result["all"] = {"n": len(every), "accuracy": sum(g == p for g, p in every) / len(every), "macro_f1": macro_f1(every)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--variants", default="config")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.variants.split(","):
            results.append(asyncio.run(run_variant(name.strip(), args.folds, Path(tmp))))
    print(f"\nNLU {args.folds}-fold cross-validation (intent classification)")
    print(f"{'variant':<10} {'lang':<5} {'n':>5} {'accuracy':>9} {'macro-F1':>9} {'train s/fold':>13}")
    for r in results:
        for lang, m in [*r["languages"].items(), ("all", r["all"])]:
            print(f"{r['variant']:<10} {lang:<5} {m['n']:>5} {m['accuracy']:>9.3f} {m['macro_f1']:>9.3f} {r['train_seconds_per_fold']:>13.0f}")
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    (out / "nlu_crossval.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
