"""Trainer code: the named-input functional model, the dict-keyed reader, the custom loop, export."""
