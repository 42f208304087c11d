"""Custom Rasa 3.6 NLU components: a tokenizer for mixed-script text and a gazetteer entity extractor.

Rasa's WhitespaceTokenizer refuses Chinese and its JiebaTokenizer mishandles mixed text (it lets jieba
cut Latin words too), so one tokenizer here handles every script of the nine languages at once:
Latin, Cyrillic, Arabic and Hangul words split on spaces and punctuation; Han runs are segmented by
jieba (or per character, configurable); Kana runs are split per character.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import gazetteer

logger = logging.getLogger(__name__)

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KANA = r"\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
# Order matters: Han run, Kana char, then a "word" of letters/digits of any other script.
_TOKEN_RE = re.compile(
    rf"[{_HAN}]+|[{_KANA}]|[^\W_{_HAN}{_KANA}]+(?:['’.-][^\W_{_HAN}{_KANA}]+)*", re.UNICODE
)


def split_tokens(text: str, cjk_mode: str = "jieba") -> list[tuple[str, int]]:
    """(token, start offset) pairs for `text`, mixed scripts allowed."""
    out: list[tuple[str, int]] = []
    for m in _TOKEN_RE.finditer(text):
        word, start = m.group(0), m.start()
        if re.match(rf"[{_HAN}]", word):
            if cjk_mode == "char" or len(word) == 1:
                out.extend((ch, start + i) for i, ch in enumerate(word))
            else:
                pos = start
                for piece in _jieba().cut(word, HMM=False):
                    out.append((piece, pos))
                    pos += len(piece)
        else:
            out.append((word, start))
    return out


_JIEBA: Any = None


def _jieba() -> Any:
    global _JIEBA
    if _JIEBA is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        # Place names must stay whole so that district entities align with tokens.
        for forms in gazetteer.ENTITY_FORMS["district"].values():
            for form in forms:
                if re.search(rf"[{_HAN}]", form):
                    tokenizer.add_word(form, freq=100000)
                    tokenizer.add_word(form + "区", freq=100000)
        _JIEBA = tokenizer
    return _JIEBA


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MultilingualTokenizer(Tokenizer):
    """Tokenizes text in any of the assistant's languages, including mixed Chinese/English."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            # "jieba": segment Han runs into words; "char": one token per Han character.
            "cjk_mode": "jieba",
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MultilingualTokenizer:
        if config.get("cjk_mode", "jieba") == "jieba":
            _jieba()  # load jieba's dictionary while the model loads, not during the first Chinese message
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        pieces = split_tokens(text, self._config.get("cjk_mode", "jieba"))
        if not pieces:
            # Emoji-only or punctuation-only text: keep one token so featurizers have input.
            return [Token(text, 0)] if text else []
        return self._apply_token_pattern([Token(word, start) for word, start in pieces])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class GazetteerEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts entities with canonical values from the gazetteer in `bot.nlu.gazetteer`.

    `entity_intents` limits an entity to the intents where it means something ("Japanese" is a
    curriculum in a school question and a reply language in a change_language request).
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"entity_intents": {}}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GazetteerEntityExtractor:
        return cls(config)

    def __init__(self, config: dict[str, Any]) -> None:
        self._entity_intents: dict[str, list[str]] = config.get("entity_intents") or {}
        gazetteer.warm_up()  # compile the surface forms while the model loads, not on the first message

    def _allowed(self, intent: str | None) -> set[str]:
        entities = set(gazetteer.ENTITY_FORMS) | {"age"}
        if intent is None:
            return entities
        return {
            e
            for e in entities
            if e not in self._entity_intents or intent in self._entity_intents[e]
        }

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            intent = (message.get(INTENT) or {}).get("name")
            matches = gazetteer.find_entities(text, self._allowed(intent))
            entities = [
                {
                    ENTITY_ATTRIBUTE_TYPE: m.entity,
                    ENTITY_ATTRIBUTE_VALUE: m.value,
                    ENTITY_ATTRIBUTE_START: m.start,
                    ENTITY_ATTRIBUTE_END: m.end,
                    "confidence_entity": 0.8 if m.fuzzy else 1.0,
                }
                for m in matches
            ]
            entities = self.add_extractor_name(entities)
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages
