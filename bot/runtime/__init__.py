"""Process supervision: the launcher behind `make run` and the nginx cluster."""
