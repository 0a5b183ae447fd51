"""The plan of a roster change (model.py) and its renderers: text, Markdown and JSON."""
