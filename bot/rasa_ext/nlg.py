"""The utter_* responses, rendered from the locale catalogue (bot/locales/<lang>.yml `responses:`).

domain.yml only names the responses (Rasa checks that the utter_* actions of rules and stories exist);
their texts, buttons included, live in the catalogue with every other text the assistant says. Rasa
creates this class from endpoints.yml (`nlg: type: bot.rasa_ext.nlg.LocaleNLG`, Rasa's documented
hook for a custom NaturalLanguageGenerator, so it is not fenced: it replaces no Rasa code). It picks
the conversation's language from the `language` slot (the registry's default, English, when it is
unset or not one of ours) and lets Rasa's own TemplatedNaturalLanguageGenerator do the rest on that
language's responses: channel-specific variations, a random choice among variations, {slot} filling.

The texts are not in the trained model: a changed reply needs a restart, not a training.
A response missing in the language falls back to English; one missing in the catalogue altogether is
rendered from domain.yml as Rasa would (tests/dialogue/test_responses.py keeps that from happening).
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg import NaturalLanguageGenerator, TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.core import languages
from bot.dialogue import i18n


class LocaleNLG(NaturalLanguageGenerator):
    """Responses in the conversation's language, from bot/locales/<lang>.yml."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        domain: Domain | None = None,
        **_: Any,
    ) -> None:
        self.endpoint_config = endpoint_config
        self.domain_responses = TemplatedNaturalLanguageGenerator(
            (domain or Domain.empty()).responses
        )
        self._by_language: dict[str, TemplatedNaturalLanguageGenerator] = {}

    def for_language(self, lang: str) -> TemplatedNaturalLanguageGenerator:
        """Rasa's response generator over the catalogue's responses in `lang`."""
        if lang not in self._by_language:
            self._by_language[lang] = TemplatedNaturalLanguageGenerator(i18n.responses(lang))
        return self._by_language[lang]

    def generator(self, utter_action: str, lang: str | None) -> TemplatedNaturalLanguageGenerator:
        """The generator that knows `utter_action`: in `lang`, else English, else domain.yml's."""
        for candidate in dict.fromkeys((languages.get(lang).code, languages.DEFAULT)):
            generator = self.for_language(candidate)
            if utter_action in generator.responses:
                return generator
        return self.domain_responses

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        lang = tracker.get_slot("language")
        generator = self.generator(utter_action, lang if isinstance(lang, str) else None)
        return await generator.generate(utter_action, tracker, output_channel, **kwargs)
