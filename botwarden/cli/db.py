"""`botwarden db`: the schema version of the database and its migrations."""

from __future__ import annotations

import click

from botwarden.cli.output import emit_json, json_option


@click.group()
def db() -> None:
    """The database schema: its revision and pending migrations."""


@db.command()
@json_option
def status(as_json: bool) -> None:
    """Show the schema revision of the database and the one this botwarden needs."""

    from botwarden.cli.context import settings
    from botwarden.store import HEAD_REVISION, create_engine, current_revision

    revision = current_revision(create_engine(settings().database_url))
    report = {
        "revision": revision,
        "required": HEAD_REVISION,
        "up_to_date": revision == HEAD_REVISION,
    }
    if as_json:
        emit_json(report)
        return
    click.echo(f"schema revision {revision or 'none'}, required {HEAD_REVISION}")


@db.command()
def upgrade() -> None:
    """Apply pending migrations to the database."""

    from botwarden.cli.context import settings
    from botwarden.store import create_engine, current_revision
    from botwarden.store import upgrade as apply

    engine = create_engine(settings().database_url)
    apply(engine)
    click.echo(f"schema at revision {current_revision(engine)}")
