"""Tools for working on the project itself, run from a checkout (never shipped in the wheel)."""
