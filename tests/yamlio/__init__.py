"""Tests of yamlio."""
