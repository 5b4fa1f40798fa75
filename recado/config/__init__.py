"""The config file: its schema, loading, and the checks of what it means.

``load_config`` reads and checks a file (raising ``ConfigError`` with every problem);
``Config`` and its sections are the schema; ``summarize`` and ``reload_diff`` say what a config
holds and what a reload would change.
"""

from recado.config.loading import ConfigError, default_config_path, load_config
from recado.config.schema import (
    RELOADABLE,
    BreakerSettings,
    Config,
    DaemonSection,
    DelayedAction,
    Flow,
    HttpSection,
    IncidentsSection,
    SecuritySection,
    Service,
    SlaPriority,
    StudioSection,
    SyncJob,
    Template,
    UiSection,
    WhatsAppSection,
)
from recado.config.summary import ReloadDiff, flatten, reload_diff, summarize

__all__ = [
    "RELOADABLE",
    "BreakerSettings",
    "Config",
    "ConfigError",
    "DaemonSection",
    "DelayedAction",
    "Flow",
    "HttpSection",
    "IncidentsSection",
    "ReloadDiff",
    "SecuritySection",
    "Service",
    "SlaPriority",
    "StudioSection",
    "SyncJob",
    "Template",
    "UiSection",
    "WhatsAppSection",
    "default_config_path",
    "flatten",
    "load_config",
    "reload_diff",
    "summarize",
]
