"""Dataset tools: the generated demo dataset and schema drafts inferred from a CSV sample."""
