"""Voice of the customer: offline text analytics in Italian and English."""

from esperia.text.analyzer import EMOTIONS, LexiconAnalyzer, get_analyzer, polarity
from esperia.text.files import analyze_file
from esperia.text.lexicon import Taxonomy, available_languages, load_taxonomy
from esperia.text.model import Analyzer, AspectMention, TextAnalysis
from esperia.text.redact import redact

__all__ = [
    "EMOTIONS",
    "Analyzer",
    "AspectMention",
    "LexiconAnalyzer",
    "Taxonomy",
    "TextAnalysis",
    "analyze_file",
    "available_languages",
    "get_analyzer",
    "load_taxonomy",
    "polarity",
    "redact",
]
