"""Placeholder replaced below."""
def summarize_latest_run(config):
    class S:
        def render(self, elapsed_seconds): return f"done in {elapsed_seconds:.0f}s"
    return S()
