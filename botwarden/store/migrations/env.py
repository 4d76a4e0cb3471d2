"""Alembic's entry point: runs migrations on the connection botwarden hands it."""

from __future__ import annotations

from alembic import context

from botwarden.schema import full_metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=full_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
