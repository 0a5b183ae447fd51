"""Tests of roster."""
