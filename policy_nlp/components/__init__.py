"""The spaCy pipeline parts: normalising tokenizer, report structure, themes and indicators (each saves the rules or vocabulary it uses)."""
