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

from collections.abc import Mapping, Sequence
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


CODES = (
    "template_missing",
    "template_language",
    "template_not_approved",
    "template_parameter_format",
    "template_body_params",
    "template_param_names",
    "template_header",
    "template_buttons",
    "template_button_kind",
)


@dataclass(frozen=True)
class Problem:
    """A difference, as a code with plain JSON parameters: what a skipped message stores as
    its reason, and what its sentence is read from again (``sentence``)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def pt_br(self) -> str:
        return sentence(self.code, self.params)[0]

    @property
    def en(self) -> str:
        return sentence(self.code, self.params)[1]

    def text(self, locale: str) -> str:
        return pick(locale, *sentence(self.code, self.params))


def problems(wanted: Wanted, known: Sequence[Definition] | None) -> list[Problem]:
    """Every difference between ``wanted`` and Meta's definitions of its name (all
    languages); ``known`` None means nothing is known (no check). Empty: it can be sent."""
    if known is None:
        return []
    found = [d for d in known if d.name == wanted.name]
    base = {"template": wanted.name, "language": wanted.language, "key": wanted.key}
    if not found:
        return [Problem("template_missing", base)]
    definition = next((d for d in found if d.language == wanted.language), None)
    if definition is None:
        languages = sorted(d.language for d in found)
        return [Problem("template_language", base | {"languages": languages})]
    out: list[Problem] = []
    if definition.status != APPROVED:
        out.append(Problem("template_not_approved", base | {"status": definition.status}))
    if definition.structure_known:
        out.extend(_body(wanted, definition, base))
        out.extend(_header(definition, base))
        out.extend(_buttons(wanted, definition, base))
    return out


def check(wanted: Wanted, known: Sequence[Definition] | None) -> Problem | None:
    """The first problem (the one a skipped send names), or None."""
    found = problems(wanted, known)
    return found[0] if found else None


def _body(w: Wanted, d: Definition, base: dict[str, Any]) -> list[Problem]:
    assert d.body_params is not None and d.named is not None
    out = []
    if d.named != w.named:
        formats = {"meta": _format(d.named), "configured": _format(w.named)}
        out.append(Problem("template_parameter_format", base | formats))
    if len(d.body_params) != len(w.params):
        counts = {"meta": len(d.body_params), "configured": len(w.params)}
        out.append(Problem("template_body_params", base | counts))
    if d.named and w.named:
        missing = [p for p in d.body_params if p not in w.params]
        extra = [p for p in w.params if p not in d.body_params]
        if missing or extra:
            out.append(Problem("template_param_names", base | {"missing": missing, "extra": extra}))
    return out


def _header(d: Definition, base: dict[str, Any]) -> list[Problem]:
    if d.header_format in MEDIA_HEADERS:
        return [Problem("template_header", base | {"header": d.header_format})]
    if d.header_params:
        return [Problem("template_header", base | {"header": "TEXT", "meta": d.header_params})]
    return []


def _buttons(w: Wanted, d: Definition, base: dict[str, Any]) -> list[Problem]:
    buttons = d.buttons or ()
    quick = sum(1 for b in buttons if b == QUICK_REPLY)
    out = []
    if quick != w.buttons:
        out.append(Problem("template_buttons", base | {"meta": quick, "configured": w.buttons}))
    # A send fills button i with a quick-reply payload: the button there must be one.
    for index, kind in enumerate(buttons[: w.buttons]):
        if kind != QUICK_REPLY:
            out.append(Problem("template_button_kind", base | {"index": index, "meta": kind}))
            break
    return out


def _format(named: bool) -> str:
    return "named" if named else "positional"


def sentence(code: str, p: Mapping[str, Any]) -> tuple[str, str]:
    """The problem's sentence (pt-BR, English) from its code and parameters; parameters a
    stored reason lacks read as blanks, never as an error on a page."""
    name, language = _s(p.get("template")), _s(p.get("language"))
    label = f"{name} ({language})"
    meta, ours = p.get("meta"), p.get("configured")
    if code == "template_missing":
        return (
            f"O modelo {name} não existe na conta do WhatsApp segundo a Meta.",
            f"The template {name} does not exist in the WhatsApp account according to Meta.",
        )
    if code == "template_language":
        languages = ", ".join(_strs(p.get("languages")))
        return (
            f"O modelo {name} não existe em {language} na Meta (idiomas na Meta: {languages}).",
            f"The template {name} does not exist in {language} at Meta "
            f"(languages at Meta: {languages}).",
        )
    if code == "template_not_approved":
        status = _s(p.get("status"))
        pt, en = STATUS_WORDS.get(status, (status, status))
        return (
            f"O modelo {label} está {pt} na Meta; só modelos aprovados podem ser enviados.",
            f"The template {label} is {en} at Meta; only approved templates can be sent.",
        )
    if code == "template_parameter_format":
        meta_pt, meta_en = _FORMAT_WORDS.get(_s(meta), ("", ""))
        ours_pt, ours_en = _FORMAT_WORDS.get(_s(ours), ("", ""))
        return (
            f"O modelo {label} usa parâmetros {meta_pt} na Meta, mas a configuração envia "
            f"parâmetros {ours_pt}.",
            f"The template {label} takes {meta_en} parameters at Meta, but the configuration "
            f"sends {ours_en} ones.",
        )
    if code == "template_body_params":
        return (
            f"O modelo {label} tem {_n(meta, 'parâmetro', 'parâmetros')} no corpo na Meta, mas "
            f"a configuração envia {_s(ours)}.",
            f"The template {label} has {_n(meta, 'body parameter', 'body parameters')} at "
            f"Meta, but the configuration sends {_s(ours)}.",
        )
    if code == "template_param_names":
        missing, extra = _strs(p.get("missing")), _strs(p.get("extra"))
        parts_pt, parts_en = [], []
        if missing:
            parts_pt.append(f"espera {_names(missing)}, que a configuração não envia")
            parts_en.append(f"expects {_names(missing)}, which the configuration does not send")
        if extra:
            parts_pt.append(f"não tem {_names(extra)}, que a configuração envia")
            parts_en.append(f"has no {_names(extra)}, which the configuration sends")
        return (
            f"O modelo {label} " + "; e ".join(parts_pt) + ".",
            f"The template {label} " + "; and ".join(parts_en) + ".",
        )
    if code == "template_header":
        header = _s(p.get("header"))
        if header in HEADER_WORDS:
            pt, en = HEADER_WORDS[header]
            return (
                f"O modelo {label} tem um cabeçalho {pt} na Meta, mas a configuração não "
                "envia cabeçalho.",
                f"The template {label} has {en} header at Meta, but the configuration sends "
                "no header.",
            )
        return (
            f"O modelo {label} tem {_n(meta, 'parâmetro', 'parâmetros')} no cabeçalho na "
            "Meta, mas a configuração não envia cabeçalho.",
            f"The template {label} has {_n(meta, 'header parameter', 'header parameters')} "
            "at Meta, but the configuration sends no header.",
        )
    if code == "template_buttons":
        return (
            f"O modelo {label} tem {_n(meta, 'botão', 'botões')} de resposta rápida na Meta, "
            f"mas a configuração envia {_s(ours)}.",
            f"The template {label} has {_n(meta, 'quick-reply button', 'quick-reply buttons')}"
            f" at Meta, but the configuration sends {_s(ours)}.",
        )
    if code == "template_button_kind":
        index = p.get("index")
        position = index + 1 if isinstance(index, int) and not isinstance(index, bool) else ""
        pt, en = BUTTON_WORDS.get(_s(meta), (_s(meta), _s(meta)))
        return (
            f"O botão {position} do modelo {label} é do tipo {pt} na Meta, mas a configuração "
            "envia uma resposta rápida nele.",
            f"Button {position} of the template {label} is a {en} button at Meta, but the "
            "configuration sends a quick reply in it.",
        )
    return code, code


_FORMAT_WORDS = {"named": ("nomeados", "named"), "positional": ("posicionais", "positional")}


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _strs(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _n(count: Any, singular: str, plural: str) -> str:
    return f"{_s(count)} {singular if count == 1 else plural}"


def _names(names: list[str]) -> str:
    return ", ".join(f"{{{{{n}}}}}" for n in names)
