"""What happened in real conversations: reports for staff and managers, and deleting old conversations.

Reads Rasa's SQL tracker store (table `events`) directly with SQLAlchemy Core and never imports Rasa, so
the `beijing-assistant report` and `purge` commands start in a moment.

    store.py      the `events` table and an engine for any SQLAlchemy URL
    period.py     report periods in Beijing days
    turns.py      events -> conversations and turns (channel, language, intent, actions, topic)
    redact.py     personal data out of user texts before anything is shown
    aggregate.py  the report's tables: unanswered questions, intents, channels, languages, ratings, handoffs
    text.py, csvfiles.py, html.py, charts.py   the three outputs
    purge.py      deleting conversations past the retention period, or everything about one user
"""
