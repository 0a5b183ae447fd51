"""Run the command line as `python -m compiler`."""

from compiler.cli import app

app(prog_name="kfroster")
