"""Settings, environments and the production safety checks."""

from botwarden.config.environments import (
    BUILTIN_ENVIRONMENTS,
    TIERS,
    Tier,
    validate_environment_name,
    validate_tier,
)
from botwarden.config.home import ensure_home, write_config_file
from botwarden.config.safety import check_production_safety, is_loopback, production_problems
from botwarden.config.settings import (
    ROOT_KEY_ENV_VAR,
    KeySource,
    Settings,
    load_settings,
)

__all__ = [
    "BUILTIN_ENVIRONMENTS",
    "ROOT_KEY_ENV_VAR",
    "TIERS",
    "KeySource",
    "Settings",
    "Tier",
    "check_production_safety",
    "ensure_home",
    "is_loopback",
    "load_settings",
    "production_problems",
    "validate_environment_name",
    "validate_tier",
    "write_config_file",
]
