"""wfchain: render chained Argo Workflows (cron -> workflow 1 -> webhook -> workflow 2)."""

__version__ = "0.1.0"
