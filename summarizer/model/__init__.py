"""The language model behind summaries and stance lines, behind one small interface."""

from summarizer.model.base import ChatMessage, TextGenerator

__all__ = ["ChatMessage", "TextGenerator"]
