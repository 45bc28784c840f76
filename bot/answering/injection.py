"""Sentences that speak to an AI model rather than to a human reader: an indirect prompt
injection planted in a source. Such a sentence is never quoted and never shown to a model.

A planted sentence is disguised to slip past a filter: zero-width characters inside words,
Cyrillic or Greek letters that look Latin, odd spacing and line breaks, accents, other
languages. So the text is normalised first (NFKC, invisible characters out, look-alike letters
folded to Latin, accents dropped, white space collapsed, lower case) and then matched against
phrasings in English, French, German, Spanish, Italian, Portuguese, Dutch, Polish and Welsh.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# What such sentences say, in normalised text (no accents, lower case, single spaces).
_EN = (
    r"\b(ignore|disregard|forget|override|bypass|skip)\b.{0,40}"
    r"\b(instructions?|rules|prompts?|guidelines|directions|directives|guardrails)\b",
    r"\bnote (to|for) (the |any )?(ai|assistant|model|llm|bot|chatbot)s?\b",
    r"\b(ai|llm|language model|chatbot|assistant|bot|gpt|copilot)s?\b.{0,60}"
    r"\b(must|should|shall|are to|need to|have to)\b",
    r"\b(ai|llms?|language models?|chatbots?|assistants?|bots?|agents?|crawlers?)\b"
    r" (reading|processing|summari[sz]ing|parsing|seeing) (this|these)\b",
    r"\bif you are an? (ai|llm|language model|chatbot|assistant|bot)\b",
    r"\b(you are|you're) now\b|\bnew instructions?\b|\bfrom now on,? (you|always|only)\b",
    r"\b(reply|respond|answer|output|print|repeat|include|append|write|say)\b.{0,40}"
    r"\b(exactly|verbatim|only with|the (code|word|string|phrase|token|password|secret))\b",
    r"\b(system prompt|developer mode|jailbreak|do anything now)\b",
    r"^(system|assistant|user|human) ?:",
    r"<\|[a-z_]+\|>|\[/?inst\]|#{2,} ?(system|instruction)",
)
_OTHER = (
    # French
    r"\b(ignorez?|oubliez?|ignore|oublie)\b.{0,40}\b(instructions?|consignes?|regles?)\b",
    r"\b(ia|intelligence artificielle|assistants?|chatbots?|modeles? de langage)\b.{0,60}"
    r"\b(doi[st]|doivent|devez|devra)\b",
    r"\bsi (tu es|vous etes) une? (ia|intelligence artificielle|assistant|chatbot)\b",
    r"\breponds? (uniquement|seulement|exactement)\b",
    # German
    r"\b(ignoriere|ignorieren sie|vergiss|vergessen sie|missachte)\b.{0,40}"
    r"\b(anweisungen|anleitungen|regeln|vorgaben|instruktionen)\b",
    r"\b(ki|ki-assistent|assistent|sprachmodell|chatbot)s?\b.{0,60}\b(muss|mussen|soll|sollen)\b",
    r"\bantworte (nur|ausschliesslich|genau)\b",
    # Spanish, Italian, Portuguese
    r"\b(ignora|ignore|olvida|olvide|dimentica|esqueca|esquece)\b.{0,40}"
    r"\b(instrucciones|instruzioni|instrucoes|reglas|regole|regras)\b",
    r"\b(ia|asistente|assistente|modelo de lenguaje|modello linguistico|chatbot)\b.{0,60}"
    r"\b(debe|deben|deve|devono|devem)\b",
    r"\b(responde|rispondi|responda) (solo|solamente|exactamente|esattamente|apenas)\b",
    # Dutch, Polish, Welsh
    r"\b(negeer|vergeet)\b.{0,40}\b(instructies|regels|aanwijzingen)\b",
    r"\b(zignoruj|zapomnij)\b.{0,40}\b(instrukcje|polecenia|zasady)\b",
    r"\b(anwybyddwch|anghofiwch)\b.{0,40}\b(cyfarwyddiadau|rheolau)\b",
)
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in (*_EN, *_OTHER)))
_SPACES = re.compile(r"\s+")


def looks_like_instruction(sentence: str) -> bool:
    """Whether a sentence speaks to an AI model (it is never quoted or shown to a model)."""
    return bool(_INSTRUCTION.search(normalised(sentence)))


def normalised(text: str) -> str:
    """`text` as the filter reads it: compatibility forms unified (NFKC: full-width and
    mathematical letters), invisible and control characters removed, letters that look Latin
    folded to it, accents dropped, white space (line breaks included) one space, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_fold(c) for c in text if not _invisible(c))
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip().lower()


def _invisible(c: str) -> bool:
    """Zero-width and other format characters, and control characters (white space kept)."""
    return unicodedata.category(c) in ("Cf", "Cc", "Co", "Cn") and not c.isspace()


@functools.lru_cache(maxsize=4096)
def _fold(c: str) -> str:
    """A Latin letter `c` looks like (Cyrillic "о", Greek "ο" → "o"), else `c` itself."""
    if c.isascii() or not c.isalpha():
        return c
    from confusable_homoglyphs import confusables

    found = confusables.is_confusable(c, greedy=True, preferred_aliases=["latin"]) or []
    for entry in found:
        for glyph in entry.get("homoglyphs", ()):
            if glyph["c"].isascii() and glyph["c"].isalpha():
                return glyph["c"]
    return c
