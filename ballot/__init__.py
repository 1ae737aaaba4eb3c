"""ballot: event-sourced, end-to-end verifiable ballot counting for councils and assemblies."""

__version__ = "0.1.0"
