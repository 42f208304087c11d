"""A number the English writes in words is written in digits in the translations ("seven working days" ->
"7 рабочих дней", "7 jours ouvrables"): people scan an answer for the figure, and ja/ko already wrote it so."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("lang", ["ru", "fr", "de", "es", "ar", "ja", "ko"])
def test_the_processing_time_entry_gives_the_days_in_digits(lang: str) -> None:
    data = yaml.safe_load(
        (ROOT / "knowledge" / "translations" / lang / "faq.yml").read_text("utf-8")
    )
    entry = next(e for e in data["faq"] if e["id"] == "exit_entry_processing_time")
    assert "7" in entry["fields"]["answer"]["text"]
