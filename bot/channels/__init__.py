"""Rasa input channels of the assistant (each channel in its own module)."""
