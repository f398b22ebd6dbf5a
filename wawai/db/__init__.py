"""Database models, one module per concept; ``base`` holds the declarative base and engine setup."""
