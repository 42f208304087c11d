"""Configuration, the language registry and the shared vocabulary: what every layer reads."""
