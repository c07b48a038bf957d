"""Custom resolver strategies: which artifacts a component gets beyond its direct inputs (the
baseline model, the span window to train on, the previous span's statistics)."""
