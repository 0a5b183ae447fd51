"""The plan of a roster change (model.py) and its formats: text, Markdown, JSON and GitHub."""
