"""Former path of the tracker store (a package, so that git follows the move), kept for endpoints
files that name `bot.tracker_store.UrlSQLTrackerStore`; the code is in
bot/rasa_ext/tracker_store.py."""

from bot.rasa_ext.tracker_store import UrlSQLTrackerStore

__all__ = ["UrlSQLTrackerStore"]
