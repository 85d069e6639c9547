"""Fuzzers of every parser that reads outside data."""
