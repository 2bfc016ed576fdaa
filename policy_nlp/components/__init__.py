"""The spaCy pipeline parts: normalising tokenizer, report structure, themes, indicators, and the rules they own."""
