"""Stage one: load users.yaml, check it against the schema, the models and the rules."""
