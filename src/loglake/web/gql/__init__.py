"""GraphQL over the question registry: the schema (`schema.py`) and its types."""
