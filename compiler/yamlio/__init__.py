"""YAML in and out: events to located data, scalars, the one emitter."""
