"""How storage faults are named to people and recognised in old error texts (pure)."""

from __future__ import annotations

# kind -> (pt-BR, English): what the operator reads on the dashboard and in the alert.
FAULT_NAMES = {
    "disk_full": ("disco cheio", "disk full"),
    "read_only": ("banco somente leitura", "read-only database"),
    "locked": ("banco bloqueado (outro processo)", "database locked (another process)"),
    "io_error": ("erro de E/S", "I/O error"),
    "unavailable": ("armazenamento parado", "storage stopped"),
}

# kind -> (pt-BR, English): what the operator does about it.
FAULT_ACTIONS = {
    "disk_full": (
        "libere espaço no disco do diretório de dados (df -h; apague logs ou backups antigos)",
        "free space on the data directory's disk (df -h; remove old logs or backups)",
    ),
    "read_only": (
        "verifique o disco (dmesg) e remonte-o para gravação ou troque-o",
        "check the disk (dmesg) and remount it read-write or replace it",
    ),
    "locked": (
        "encerre o outro processo que abriu o banco (fuser recado.db; um sqlite3 ou uma "
        "cópia manual aberta)",
        "stop the other process that opened the database (fuser recado.db; an open sqlite3 "
        "or a manual copy)",
    ),
    "io_error": (
        "verifique o disco (dmesg, smartctl) e o espaço livre",
        "check the disk (dmesg, smartctl) and its free space",
    ),
    "unavailable": (
        "veja o log do recado (journalctl -u recado)",
        "see recado's log (journalctl -u recado)",
    ),
}

# What the 503 answer says, for a machine or a person reading a client log.
_HTTP_DETAIL = {
    "disk_full": "the disk is full",
    "read_only": "the database is read-only",
    "locked": "the database is locked by another process",
    "io_error": "the disk reported an I/O error",
    "unavailable": "the storage is not running",
}

RETRY_AFTER_S = 30

# Exception names and SQLite messages that a webhook body's error text carried when it was
# set aside because storage failed (before storage faults were told apart from bad data).
_STORAGE_ERROR_PREFIXES = ("CommitFailed:", "StorageUnavailable:", "StorageFault:")
_SQLITE_STORAGE_MESSAGES = (
    "database or disk is full",
    "attempt to write a readonly database",
    "database is locked",
    "database table is locked",
    "disk i/o error",
    "unable to open database file",
    "access permission denied",
)


def plain_words(kind: str) -> str:
    """The fault in a few English words, for logs and machine-facing answers."""
    return _HTTP_DETAIL.get(kind, _HTTP_DETAIL["io_error"])


def http_detail(kind: str) -> str:
    return (
        f"the database cannot take writes now: {plain_words(kind)}; nothing was stored, retry later"
    )


def alert_texts(kind: str) -> tuple[str, str]:
    """(pt-BR, English) text of the alert raised when a fault of ``kind`` starts; the alert's
    own time is when it started."""
    pt, en = FAULT_NAMES.get(kind, FAULT_NAMES["io_error"])
    do_pt, do_en = FAULT_ACTIONS.get(kind, FAULT_ACTIONS["io_error"])
    return (
        f"Falha no armazenamento: {pt}. Gravações recusadas (webhooks respondidos com 503 "
        f"para a Meta reenviar); {do_pt}; tudo é retomado sozinho, sem reiniciar, quando o "
        "banco voltar a gravar.",
        f"Storage failing: {en}. Writes refused (webhooks answered 503 so Meta retries); "
        f"{do_en}; everything resumes by itself, with no restart, once the database takes "
        "writes again.",
    )


def is_storage_error_text(text: str) -> bool:
    """True when a stored error text says the storage failed, not the record."""
    if text.startswith(_STORAGE_ERROR_PREFIXES):
        return True
    lowered = text.lower()
    return any(message in lowered for message in _SQLITE_STORAGE_MESSAGES)
