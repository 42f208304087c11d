"""Public path of `bot.language.detect_language(text, current)` (code: bot/dialogue/language.py)."""

from bot.dialogue.language import answer_language, detect_language, script_language

__all__ = ["answer_language", "detect_language", "script_language"]
