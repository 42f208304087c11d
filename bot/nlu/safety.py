"""The safety layer: acute danger in nine languages, decided by rules the intent classifier cannot out-vote.

The rules are data, one YAML file per language in `bot/nlu/safety_rules/` (README.md there explains the
keys and how text is folded before matching). Every language's rules are applied to every message, so a
missed language detection or a mixed-language message cannot hide an emergency.

`SafetyLayer` is the last component of the NLU pipeline (after the FallbackClassifier):

- acute danger found (and not a past event, an insurance question, a drill or a figure of speech):
  the intent becomes `emergency` with confidence 1.0 and an `emergency_type` entity (traffic, fire,
  medical, police or general), whatever the classifier or the fallback said;
- the classifier said `emergency` but the rules found no acute danger and the message is a complaint, a
  follow-up ("and in Chaoyang?"), routine care (vaccinations, pharmacies, appointments) or a `not_now`
  case: the prediction is vetoed (complaints go to
  `human_handoff`, the others to the next most likely intent);
- someone asks for a person, or complains where the classifier found no topic: `human_handoff`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

RULES_DIR = Path(__file__).with_name("safety_rules")
EMERGENCY_INTENT = "emergency"
HANDOFF_INTENT = "human_handoff"
FALLBACK_INTENT = "nlu_fallback"
ENTITY = "emergency_type"
# When several kinds of danger match, the first here decides which number comes first.
ACUTE_KINDS = ("traffic", "fire", "medical", "police", "general")
# Kinds that `not_now` (a past event, insurance, a drill, a figure of speech) does not cancel.
ALWAYS_ACUTE = ("medical", "general")
KEYS = (*ACUTE_KINDS, "not_now", "complaint", "person", "bot_question", "followup", "routine")
# Intents that name no topic: a complaint there is a request for help from a person.
NO_TOPIC = {
    FALLBACK_INTENT,
    "bot_challenge",
    "out_of_scope",
    "help",
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    EMERGENCY_INTENT,
}

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ё": "е"})
_ARABIC = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "ـ": None})
_MARKS = re.compile(r"[\u0300-\u036f\u064b-\u0652\u0670]")


def fold(text: str, *, lower: bool = True) -> str:
    """Lower case, no accents (ä -> ae), Arabic letter variants unified, full-width forms normal.

    Patterns are folded with `lower=False` so that escapes such as \\W keep their meaning.
    """
    text = unicodedata.normalize("NFKC", text)
    if lower:
        text = text.lower()
    text = unicodedata.normalize("NFD", text.translate(_GERMAN).translate(_ARABIC))
    return unicodedata.normalize("NFC", _MARKS.sub("", text))


@dataclass(frozen=True)
class Verdict:
    """What the rules found in one message."""

    acute: str | None  # the kind of acute danger (ACUTE_KINDS), None when there is none
    not_now: bool
    complaint: bool
    person: bool
    followup: bool
    routine: bool = False

    @property
    def veto(self) -> bool:
        """A classifier's `emergency` is not trusted for this message."""
        return self.acute is None and (
            self.complaint or self.followup or self.not_now or self.routine
        )


class RuleError(ValueError):
    """A rule file that cannot be used: names the file, the key and the pattern."""


@lru_cache(maxsize=4)
def load_rules(directory: Path = RULES_DIR) -> dict[str, re.Pattern[str]]:
    """One compiled alternation per key, over every language's file."""
    parts: dict[str, list[str]] = {k: [] for k in KEYS}
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise RuleError(f"{directory}: no rule files")
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise RuleError(f"{path}: expected a mapping of keys to lists of patterns")
        for key, patterns in data.items():
            if key not in parts:
                raise RuleError(f"{path}: unknown key {key!r} (allowed: {', '.join(KEYS)})")
            if not isinstance(patterns, list):
                raise RuleError(f"{path}: {key}: expected a list of patterns")
            for pattern in patterns:
                try:
                    re.compile(str(pattern))
                except re.error as exc:
                    raise RuleError(f"{path}: {key}: {pattern!r}: {exc}") from exc
                parts[key].append(f"(?:{fold(str(pattern), lower=False)})")
    return {k: re.compile("|".join(v) or r"(?!x)x") for k, v in parts.items()}


def check(text: str) -> Verdict:
    """The rules' verdict on a message."""
    rules = load_rules()
    folded = fold(text or "")
    not_now = bool(rules["not_now"].search(folded))
    kinds = [k for k in ACUTE_KINDS if rules[k].search(folded)]
    if not_now:
        # A past accident, robbery or fire is told after the fact; a body in danger is not, so
        # "he had a stroke last year and now he is not breathing" stays an emergency.
        kinds = [k for k in kinds if k in ALWAYS_ACUTE]
    acute = kinds[0] if kinds else None
    return Verdict(
        acute=acute,
        not_now=not_now,
        complaint=bool(rules["complaint"].search(folded)),
        person=bool(rules["person"].search(folded)) and not rules["bot_question"].search(folded),
        followup=bool(rules["followup"].search(folded)),
        routine=bool(rules["routine"].search(folded)),
    )


def decide(
    text: str,
    intent: str | None,
    ranking: list[dict[str, Any]],
    fallback_threshold: float = 0.40,
) -> tuple[str | None, str | None]:
    """(new intent or None to keep the classifier's, emergency type or None) for a message.

    A vetoed emergency gives way to the classifier's next guess, or to `nlu_fallback` ("did you
    mean") when that guess is below `fallback_threshold` (the FallbackClassifier's threshold).
    """
    verdict = check(text)
    if verdict.acute:
        return EMERGENCY_INTENT, verdict.acute
    if verdict.person:
        return HANDOFF_INTENT, None
    if verdict.complaint and intent in NO_TOPIC:
        return HANDOFF_INTENT, None
    if intent == EMERGENCY_INTENT and verdict.veto:
        following = next(
            (
                r
                for r in ranking
                if r.get(INTENT_NAME_KEY) not in (EMERGENCY_INTENT, FALLBACK_INTENT)
            ),
            None,
        )
        if following is None or following.get(PREDICTED_CONFIDENCE_KEY, 0.0) < fallback_threshold:
            return FALLBACK_INTENT, None
        return str(following[INTENT_NAME_KEY]), None
    return None, None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyLayer(GraphComponent):
    """Sets `emergency` when the rules find acute danger and vetoes an `emergency` they contradict.

    Put it last in the pipeline so that nothing after it can change its decision.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyLayer:
        return cls(config)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"fallback_threshold": 0.40}

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self._threshold = float((config or {}).get("fallback_threshold", 0.40))
        load_rules()  # compile while the model loads; a broken rule file fails here, not on a message

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            current = message.get(INTENT) or {}
            ranking = message.get(INTENT_RANKING_KEY) or []
            intent, kind = decide(text, current.get(INTENT_NAME_KEY), ranking, self._threshold)
            if intent is None or intent == current.get(INTENT_NAME_KEY) and kind is None:
                continue
            # A rule's decision is certain; a vetoed emergency gives way to the classifier's next
            # guess with the classifier's own confidence.
            certain = kind is not None or intent == HANDOFF_INTENT
            _set_intent(message, intent, ranking, certain)
            if kind:
                entity = {
                    ENTITY_ATTRIBUTE_TYPE: ENTITY,
                    ENTITY_ATTRIBUTE_VALUE: kind,
                    ENTITY_ATTRIBUTE_START: 0,
                    ENTITY_ATTRIBUTE_END: len(text),
                    EXTRACTOR: type(self).__name__,
                }
                message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages


def _set_intent(
    message: Message, name: str, ranking: list[dict[str, Any]], certain: bool = True
) -> None:
    """Make `name` the top intent (confidence 1.0 when `certain`, else the classifier's own); the
    classifier's ranking follows it."""
    confidence = 1.0
    if not certain:
        confidence = next(
            (
                float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
                for r in ranking
                if r.get(INTENT_NAME_KEY) == name
            ),
            0.0,
        )
    top = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
    message.set(INTENT, top, add_to_output=True)
    rest = [r for r in ranking if r.get(INTENT_NAME_KEY) != name]
    message.set(INTENT_RANKING_KEY, [top, *rest], add_to_output=True)
