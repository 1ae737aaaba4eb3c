"""The HTTP API: route tables per caller, their adapter, authentication, the session hub and
the cast-ballot verifier (see docs/architecture.md)."""
