"""Knowledge base: YAML schema, loader (sync) and queries."""
