"""The phone numbers the assistant gives by itself: when the knowledge base is unreachable, in an
emergency, and when handing over to a person. Locale texts name them by placeholder ({immigration},
{ambulance}, ...) and i18n fills them in, so each number is written here only.

The knowledge base lists the same hotlines with sources (knowledge/hotlines.yml);
tests/test_hotlines.py checks that every number here is one of them.
"""

from __future__ import annotations

IMMIGRATION = (
    "12367"  # National Immigration Administration service hotline, 24/7, Chinese and English
)
CITY = "12345"  # Beijing citizen service hotline (English service)
AMBULANCE = "120"
POLICE = "110"
FIRE = "119"
TRAFFIC = "122"
RED_CROSS_AMBULANCE = "999"  # Beijing Red Cross ambulance

# Placeholder name -> number, for locale texts.
NUMBERS: dict[str, str] = {
    "immigration": IMMIGRATION,
    "city": CITY,
    "ambulance": AMBULANCE,
    "police": POLICE,
    "fire": FIRE,
    "traffic": TRAFFIC,
    "red_cross_ambulance": RED_CROSS_AMBULANCE,
}
