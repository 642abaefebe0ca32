"""Analysis of one article: plain functions over its text, no I/O and no Telegram.

`positions` (quotes, speakers, attribution) and `loaded` need no language model;
`summary`, `stance` and `digest` ask a `TextGenerator` and check what it wrote.
"""
