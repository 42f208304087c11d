"""Answer ratings (👍 / 👎): the names the dialogue, the actions and the reports share.

Which answers ask for a rating is decided in `bot.dialogue.answers`; this module only names things, and imports
nothing, so the report command can use it without loading the knowledge base or Rasa.
"""

from __future__ import annotations

RATE_INTENT = "rate_answer"
RATING_ENTITY = "rating"
UP, DOWN = "up", "down"
RATINGS = (UP, DOWN)

HANDOFF_ACTION = "action_human_handoff"

# The actions whose answers come from the knowledge base and end with "Was this answer helpful?"
# (see bot.dialogue.answers.rated). A rating is about the last of these answers before it.
RATED_ACTIONS = (
    "action_answer_procedure",
    "action_find_service_point",
    "action_opening_hours",
    "action_find_school",
    "action_find_hospital",
    "action_answer_faq",
    "action_follow_up",  # issue 13: a follow-up answered from the conversation's context
    "action_more_details",  # issue 13: the full page behind a short answer
    HANDOFF_ACTION,
)
