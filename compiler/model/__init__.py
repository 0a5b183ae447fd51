"""The roster's data model: models, resolution, object keys and names, units, quantities."""
