"""Editable word lists (user dictionary, stopwords, boilerplate patterns) and their builder."""
