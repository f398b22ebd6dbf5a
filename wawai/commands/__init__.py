"""Command groups of the ``wawai`` CLI, one module each with ``register(subparsers)``."""
