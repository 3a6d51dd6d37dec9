"""Coding-scheme YAML files (see nlp.scheme.load_scheme)."""
