"""Everything that subclasses or patches Rasa internals: speed-ups, the tracker store, the server
entry point."""
