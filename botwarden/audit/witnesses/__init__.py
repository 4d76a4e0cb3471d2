"""Witnesses: copies of the audit log's checkpoints kept outside its store, and their publisher."""

from botwarden.audit.witnesses.config import (
    witness_from_spec,
    witness_publisher_for,
    witnesses_from_config,
)
from botwarden.audit.witnesses.database import DatabaseWitness
from botwarden.audit.witnesses.file import FileWitness
from botwarden.audit.witnesses.interface import Witness, WitnessError
from botwarden.audit.witnesses.publisher import WitnessPublisher
from botwarden.audit.witnesses.syslog import SyslogWitness

__all__ = [
    "DatabaseWitness",
    "FileWitness",
    "SyslogWitness",
    "Witness",
    "WitnessError",
    "WitnessPublisher",
    "witness_from_spec",
    "witness_publisher_for",
    "witnesses_from_config",
]
