"""Each configured template checked against Meta's definition as stored: what a send of it
meets before it leaves (the sender), and what the dashboard and the templates page show.

The templates are read with the token and the WABA the sender's credentials name: the active
Embedded Signup connection's, else the configuration's (``access_token_file``,
``whatsapp.waba_id``). ``listing_access`` is the one place that says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recado.config.schema import Template
from recado.rules.template_check import Problem, Wanted, problems
from recado.runtime.context import Daemon
from recado.runtime.whatsapp_credentials import Credentials
from recado.storage.templates import definitions_for


@dataclass(frozen=True)
class ListingAccess:
    token: str = field(repr=False)
    waba_id: str
    # The connection the token belongs to (a 190 on the read tells it), or None: the config's.
    connection: Credentials | None = None


def waba_id(daemon: Daemon) -> str:
    """The WABA whose templates the checks use: the active connection's, else the config's."""
    creds = daemon.connection_credentials
    if creds is not None and creds.waba_id:
        return creds.waba_id
    return daemon.config.whatsapp.waba_id


def listing_access(daemon: Daemon) -> ListingAccess | None:
    """The token and WABA the templates are read with, or None (they cannot be read)."""
    creds = daemon.connection_credentials
    if creds is not None and creds.waba_id:
        return ListingAccess(creds.token, creds.waba_id, creds)
    wa = daemon.config.whatsapp
    if wa.access_token and wa.waba_id:
        return ListingAccess(wa.access_token, wa.waba_id)
    return None


def wanted(key: str, template: Template) -> Wanted:
    return Wanted(
        key=key,
        name=template.name,
        language=template.language,
        named=template.named,
        params=tuple(template.sent_names if template.named else template.body_params),
        buttons=len(template.buttons),
    )


@dataclass(frozen=True)
class ConfiguredCheck:
    key: str
    template: Template
    known: bool  # False: nothing is known of it at Meta yet (no check made)
    problems: list[Problem]


async def check_configured(daemon: Daemon, key: str) -> ConfiguredCheck | None:
    """The check of ``whatsapp.templates.<key>``; None when no such template is configured."""
    template = daemon.config.whatsapp.templates.get(key)
    if template is None:
        return None
    known = await daemon.storage.read(definitions_for, template.name, waba_id(daemon))
    return ConfiguredCheck(key, template, known is not None, problems(wanted(key, template), known))


async def template_problem(daemon: Daemon, key: str) -> Problem | None:
    """Why a send of ``whatsapp.templates.<key>`` must not leave now, or None."""
    found = await check_configured(daemon, key)
    return found.problems[0] if found is not None and found.problems else None


async def all_checks(daemon: Daemon) -> list[ConfiguredCheck]:
    checks = []
    for key in sorted(daemon.config.whatsapp.templates):
        found = await check_configured(daemon, key)
        if found is not None:
            checks.append(found)
    return checks
