"""The alerts of the daemon's own faults (pure): what each says, in pt-BR and English, and
which must be open now.

Each alert names what happened and what the operator does; each resolves on its own once the
condition is over, so none of them needs a restart:

- ``crash_loop`` (one per actor): five failures within a minute; resolved once the actor has
  stayed up for a minute.
- ``config_reload_refused``: the last reload (SIGHUP, the page, ``recado reload``) was
  refused and the running config kept; resolved by the next reload that applies.
- ``sync_failed`` (one per job): the job's last run failed with its cursor kept; resolved by
  the next run that completes.
- ``breaker_open`` (one per service): the texts only; the breaker's own write raises and
  resolves it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CRASH_LOOP = "crash_loop"
RELOAD_REFUSED = "config_reload_refused"
RELOAD_SUBJECT = "config"
SYNC_FAILED = "sync_failed"
# The alerts the runtime watcher raises and resolves (the others have their own writers).
RUNTIME_CODES = (CRASH_LOOP, RELOAD_REFUSED)

# A config problem reads "<key>: <what is wrong>"; the key is a dotted path, maybe indexed.
_KEY = re.compile(r"[a-z_][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z0-9_]+(?:\[\d+\])?)*")
MAX_DETAIL_CHARS = 300


@dataclass(frozen=True)
class WantedAlert:
    code: str
    subject: str
    severity: str
    pt_br: str
    en: str


def crash_loop_texts(actor: str) -> tuple[str, str]:
    return (
        f"O processo interno {actor} está reiniciando em loop (5 falhas em 1 minuto); o resto "
        f"do recado segue funcionando. Veja no log do recado (journalctl -u recado) o erro de "
        f"{actor} e abra um incidente; o alerta se resolve sozinho quando ele ficar 1 minuto "
        "sem falhar.",
        f"The actor {actor} is restarting in a loop (5 failures within a minute); the rest of "
        f"recado keeps working. Look up {actor}'s error in recado's log (journalctl -u "
        "recado) and open an incident; the alert resolves itself once it stays up for a "
        "minute.",
    )


def field_names(problems: Iterable[str]) -> list[str]:
    """The config keys the problems name, in order, each once."""
    names: list[str] = []
    for problem in problems:
        head = problem.split(":", 1)[0].strip()
        if ":" in problem and _KEY.fullmatch(head) and head not in names:
            names.append(head)
    return names


def reload_refused_texts(config_path: str, problems: Sequence[str]) -> tuple[str, str]:
    names = field_names(problems)
    first = (problems[0] if problems else "")[:MAX_DETAIL_CHARS]
    if names:
        shown = ", ".join(names)
        what_pt = f"o campo {shown} está inválido" if len(names) == 1 else f"os campos {shown}"
        what_pt += " e impede" if len(names) == 1 else " estão inválidos e impedem"
        what_en = f"{'the key' if len(names) == 1 else 'the keys'} {shown} "
        what_en += "is invalid and prevents" if len(names) == 1 else "are invalid and prevent"
    else:
        what_pt, what_en = "o arquivo tem um erro que impede", "the file has an error preventing"
    return (
        f"A configuração recarregada foi recusada: {what_pt} a recarga ({first}). Nada foi "
        f"aplicado e o recado segue com a configuração anterior. Corrija {config_path} e "
        "recarregue de novo (systemctl reload recado); o alerta se resolve na próxima recarga "
        "aceita.",
        f"The reloaded config was refused: {what_en} the reload ({first}). Nothing was applied "
        f"and recado keeps the previous config. Fix {config_path} and reload again "
        "(systemctl reload recado); the alert resolves on the next reload that applies.",
    )


def sync_failed_texts(job: str, error: str) -> tuple[str, str]:
    detail = error[:MAX_DETAIL_CHARS]
    return (
        f"A última execução da sincronização {job} falhou ({detail}). O cursor ficou onde "
        "estava: nada se perde e a próxima execução lê de novo do mesmo ponto. Verifique se os "
        "serviços de origem e destino estão no ar; a próxima execução agendada (ou Executar "
        "agora, na página Sincronizações) retoma e resolve o alerta.",
        f"The last run of the sync job {job} failed ({detail}). The cursor stayed where it was: "
        "nothing is lost and the next run reads again from the same place. Check that the "
        "source and target services are up; the next scheduled run (or Run now, on the Sync "
        "page) resumes and resolves the alert.",
    )


def breaker_open_texts(service: str, failures: int) -> tuple[str, str]:
    # One failure opens a breaker whose threshold is 1: "1 vez", never "1 vezes".
    times_pt = "1 vez" if failures == 1 else f"{failures} vezes seguidas"
    times_en = "once" if failures == 1 else f"{failures} times in a row"
    return (
        f'O serviço "{service}" falhou {times_pt} (erro ou sem resposta no '
        "prazo): as entregas para ele estão em espera (disjuntor aberto) e nada se perde. "
        "Verifique se o serviço está no ar e respondendo a tempo; o recado o testa de novo "
        "sozinho e as entregas retomam quando ele responder.",
        f'The service "{service}" failed {times_en} (an error or no answer in '
        "time): its deliveries are waiting (breaker open) and nothing is lost. Check that the "
        "service is up and answers in time; recado probes it again by itself and the "
        "deliveries resume once it answers.",
    )


def runtime_alerts(
    crash_looping: Iterable[str], reload_problems: Sequence[str] | None, config_path: str
) -> list[WantedAlert]:
    """The alerts of ``RUNTIME_CODES`` that must be open now."""
    wanted = [
        WantedAlert(CRASH_LOOP, actor, "critical", *crash_loop_texts(actor))
        for actor in sorted(crash_looping)
    ]
    if reload_problems is not None:
        pt, en = reload_refused_texts(config_path, reload_problems)
        wanted.append(WantedAlert(RELOAD_REFUSED, RELOAD_SUBJECT, "warning", pt, en))
    return wanted
