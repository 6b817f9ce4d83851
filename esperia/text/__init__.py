"""Voice of the customer: offline text analytics in Italian and English."""

from esperia.text.model import Analyzer, AspectMention, TextAnalysis

__all__ = ["Analyzer", "AspectMention", "TextAnalysis"]
