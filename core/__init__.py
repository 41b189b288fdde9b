"""The ground floor: value types, text and date helpers, working days and the domain
vocabulary, shared by every other package. It imports nothing of the project."""

__version__ = "0.1.0"
