"""Analysis of one article: plain functions over its text, no I/O and no Telegram.

`positions` (quotes, speakers, attribution) and `loaded` need no language model;
`summary`, `stance` and `digest` ask a `TextGenerator` and check what it wrote.

Words used one way only:
- *analysis*: all that is found and written about one article (`types.Analysis`);
- *the model's pass*: the one batch that writes an article's summary and stance lines
  (`writing.write_summary_and_stances`); the daily *briefing* is the bot's, not the model's;
- *draft*: a model's answer before its checks; what passed them is *checked*;
- *loaded*: loaded language, the author's slanted words; a model is *read in*.
"""
