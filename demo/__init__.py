"""Demo data for trying the panel: a separate package because it is neither model nor view code."""
