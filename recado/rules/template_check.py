"""Whether a configured template can be sent as Meta defines it (docs/whatsapp-notes.md §4).

Meta answers a send whose template is not approved, does not exist in that language, or gets
another number or kind of parameters with an error *after* the request (132000, 132001,
132012, 132015, 132016). The definitions fetched from the WABA say it before: each configured
template (``[whatsapp.templates.*]``) is compared with Meta's, in this order:

1. a template of that name exists (``template_missing``), in that language
   (``template_language``);
2. it is approved (``template_not_approved``: paused, disabled, rejected, deleted, pending…);
3. the body takes the same kind of parameters (``template_parameter_format``: named or
   positional), as many (``template_body_params``) and, when named, the same names
   (``template_param_names``);
4. no header needs a parameter the configuration never sends (``template_header``);
5. it has as many quick-reply buttons as the configuration fills (``template_buttons``), at
   the positions the send gives them (``template_button_kind``).

Structure is compared only when it is known: a template that only a webhook told about (no
sync has read its components yet) is checked for existence, language and status alone.
Nothing known at all (never synced, e.g. ``dry_run`` without a token) means no check: a send
is never blocked for lack of a sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from recado.rules.locale import pick

APPROVED = "APPROVED"
QUICK_REPLY = "QUICK_REPLY"
MEDIA_HEADERS = ("IMAGE", "VIDEO", "DOCUMENT", "LOCATION")

# How each status reads in a sentence ("o modelo … está pausado na Meta").
STATUS_WORDS: dict[str, tuple[str, str]] = {
    "PAUSED": ("pausado", "paused"),
    "DISABLED": ("desativado", "disabled"),
    "REJECTED": ("rejeitado", "rejected"),
    "DELETED": ("excluído", "deleted"),
    "PENDING_DELETION": ("em exclusão", "being deleted"),
    "PENDING": ("em análise", "pending review"),
    "IN_APPEAL": ("em recurso", "in appeal"),
    "ARCHIVED": ("arquivado", "archived"),
    "LIMIT_EXCEEDED": ("acima do limite de modelos", "over the template limit"),
    "LOCKED": ("bloqueado", "locked"),
}
HEADER_WORDS: dict[str, tuple[str, str]] = {
    "IMAGE": ("de imagem", "an image"),
    "VIDEO": ("de vídeo", "a video"),
    "DOCUMENT": ("de documento", "a document"),
    "LOCATION": ("de localização", "a location"),
}
BUTTON_WORDS: dict[str, tuple[str, str]] = {
    "URL": ("link", "link"),
    "PHONE_NUMBER": ("telefone", "phone number"),
    "COPY_CODE": ("copiar código", "copy code"),
    "OTP": ("código de acesso", "one-time password"),
    "FLOW": ("flow", "flow"),
    "CATALOG": ("catálogo", "catalog"),
}


@dataclass(frozen=True)
class Wanted:
    """A configured template: what recado puts in each send of it."""

    key: str  # whatsapp.templates.<key>
    name: str
    language: str
    named: bool
    # Positional: one entry per value sent, in order. Named: the parameter names sent.
    params: tuple[str, ...]
    buttons: int  # quick replies, at indices 0..buttons-1


@dataclass(frozen=True)
class Definition:
    """Meta's template in one language, as last synced (or changed by a webhook)."""

    name: str
    language: str
    status: str
    # The structure, None when unknown (only a webhook told about the template).
    named: bool | None = None
    body_params: tuple[str, ...] | None = None  # placeholder names; "1", "2" when positional
    header_format: str | None = None  # TEXT | IMAGE | VIDEO | DOCUMENT | LOCATION
    header_params: int = 0
    buttons: tuple[str, ...] | None = None  # button types, in order

    @property
    def structure_known(self) -> bool:
        return self.named is not None and self.body_params is not None


@dataclass(frozen=True)
class Problem:
    code: str
    pt_br: str
    en: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, locale: str) -> str:
        return pick(locale, self.pt_br, self.en)


def problems(wanted: Wanted, known: Sequence[Definition] | None) -> list[Problem]:
    """Every difference between ``wanted`` and Meta's definitions of its name (all
    languages); ``known`` None means nothing is known (no check). Empty: it can be sent."""
    if known is None:
        return []
    found = [d for d in known if d.name == wanted.name]
    label = f"{wanted.name} ({wanted.language})"
    base = {"template": wanted.name, "language": wanted.language, "key": wanted.key}
    if not found:
        return [
            Problem(
                "template_missing",
                f"O modelo {wanted.name} não existe na conta do WhatsApp segundo a Meta.",
                f"The template {wanted.name} does not exist in the WhatsApp account "
                "according to Meta.",
                base,
            )
        ]
    definition = next((d for d in found if d.language == wanted.language), None)
    if definition is None:
        languages = ", ".join(sorted(d.language for d in found))
        return [
            Problem(
                "template_language",
                f"O modelo {wanted.name} não existe em {wanted.language} na Meta "
                f"(idiomas na Meta: {languages}).",
                f"The template {wanted.name} does not exist in {wanted.language} at Meta "
                f"(languages at Meta: {languages}).",
                base | {"languages": sorted(d.language for d in found)},
            )
        ]
    out: list[Problem] = []
    if definition.status != APPROVED:
        pt, en = STATUS_WORDS.get(definition.status, (definition.status, definition.status))
        out.append(
            Problem(
                "template_not_approved",
                f"O modelo {label} está {pt} na Meta; só modelos aprovados podem ser enviados.",
                f"The template {label} is {en} at Meta; only approved templates can be sent.",
                base | {"status": definition.status},
            )
        )
    if definition.structure_known:
        out.extend(_body(wanted, definition, label, base))
        out.extend(_header(definition, label, base))
        out.extend(_buttons(wanted, definition, label, base))
    return out


def check(wanted: Wanted, known: Sequence[Definition] | None) -> Problem | None:
    """The first problem (the one a skipped send names), or None."""
    found = problems(wanted, known)
    return found[0] if found else None


def _body(w: Wanted, d: Definition, label: str, base: dict[str, Any]) -> list[Problem]:
    assert d.body_params is not None and d.named is not None
    out = []
    if d.named != w.named:
        kind_pt, kind_en = ("nomeados", "named") if d.named else ("posicionais", "positional")
        ours_pt, ours_en = ("nomeados", "named") if w.named else ("posicionais", "positional")
        out.append(
            Problem(
                "template_parameter_format",
                f"O modelo {label} usa parâmetros {kind_pt} na Meta, mas a configuração envia "
                f"parâmetros {ours_pt}.",
                f"The template {label} takes {kind_en} parameters at Meta, but the "
                f"configuration sends {ours_en} ones.",
                base | {"meta": "named" if d.named else "positional"},
            )
        )
    meta_n, ours_n = len(d.body_params), len(w.params)
    if meta_n != ours_n:
        out.append(
            Problem(
                "template_body_params",
                f"O modelo {label} tem {_n(meta_n, 'parâmetro', 'parâmetros')} no corpo na "
                f"Meta, mas a configuração envia {ours_n}.",
                f"The template {label} has {_n(meta_n, 'body parameter', 'body parameters')} "
                f"at Meta, but the configuration sends {ours_n}.",
                base | {"meta": meta_n, "configured": ours_n},
            )
        )
    if d.named and w.named:
        missing = [p for p in d.body_params if p not in w.params]
        extra = [p for p in w.params if p not in d.body_params]
        if missing or extra:
            pt, en = [], []
            if missing:
                pt.append(f"espera {_names(missing)}, que a configuração não envia")
                en.append(f"expects {_names(missing)}, which the configuration does not send")
            if extra:
                pt.append(f"não tem {_names(extra)}, que a configuração envia")
                en.append(f"has no {_names(extra)}, which the configuration sends")
            out.append(
                Problem(
                    "template_param_names",
                    f"O modelo {label} " + "; e ".join(pt) + ".",
                    f"The template {label} " + "; and ".join(en) + ".",
                    base | {"missing": missing, "extra": extra},
                )
            )
    return out


def _header(d: Definition, label: str, base: dict[str, Any]) -> list[Problem]:
    if d.header_format in MEDIA_HEADERS:
        pt, en = HEADER_WORDS[d.header_format]
        return [
            Problem(
                "template_header",
                f"O modelo {label} tem um cabeçalho {pt} na Meta, mas a configuração não "
                "envia cabeçalho.",
                f"The template {label} has {en} header at Meta, but the configuration sends "
                "no header.",
                base | {"header": d.header_format},
            )
        ]
    if d.header_params:
        n = d.header_params
        return [
            Problem(
                "template_header",
                f"O modelo {label} tem {_n(n, 'parâmetro', 'parâmetros')} no cabeçalho na "
                "Meta, mas a configuração não envia cabeçalho.",
                f"The template {label} has {_n(n, 'header parameter', 'header parameters')} "
                "at Meta, but the configuration sends no header.",
                base | {"header": "TEXT", "meta": n},
            )
        ]
    return []


def _buttons(w: Wanted, d: Definition, label: str, base: dict[str, Any]) -> list[Problem]:
    buttons = d.buttons or ()
    quick = sum(1 for b in buttons if b == QUICK_REPLY)
    out = []
    if quick != w.buttons:
        out.append(
            Problem(
                "template_buttons",
                f"O modelo {label} tem {_n(quick, 'botão', 'botões')} de resposta rápida na "
                f"Meta, mas a configuração envia {w.buttons}.",
                f"The template {label} has {_n(quick, 'quick-reply button', 'quick-reply buttons')}"
                f" at Meta, but the configuration sends {w.buttons}.",
                base | {"meta": quick, "configured": w.buttons},
            )
        )
    # A send fills button i with a quick-reply payload: the button there must be one.
    for index, kind in enumerate(buttons[: w.buttons]):
        if kind != QUICK_REPLY:
            pt, en = BUTTON_WORDS.get(kind, (kind, kind))
            out.append(
                Problem(
                    "template_button_kind",
                    f"O botão {index + 1} do modelo {label} é do tipo {pt} na Meta, mas a "
                    "configuração envia uma resposta rápida nele.",
                    f"Button {index + 1} of the template {label} is a {en} button at Meta, but "
                    "the configuration sends a quick reply in it.",
                    base | {"index": index, "meta": kind},
                )
            )
            break
    return out


def _n(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _names(names: list[str]) -> str:
    return ", ".join(f"{{{{{n}}}}}" for n in names)
