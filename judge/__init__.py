"""judge: a bilingual (Russian/English) LLM-as-judge for comparing local models."""

__version__ = "0.1.0"
