"""Command-line interface: one module per command group, all thin shells over the library."""
