"""The clinic kit's ``clinic.yaml``: one typed schema, validated all at once."""

from __future__ import annotations

import difflib
import warnings
from datetime import tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .appointment_settings import AppointmentSettings
from .choices import Paper
from .config_types import (  # other modules import EMAIL and the language helpers from here
    EMAIL,  # noqa: F401
    HexColour,
    OptionalEmail,
    OptionalText,
    TimeZoneName,
    WebAddress,
    check_language,
    is_loopback,
    primary_language,
)
from .config_types import without_blanks as _without_blanks
from .errors import ConfigError, HandoutsWarning
from .kit_files import outside_problem, read_kit_text
from .paths import DEMO_CLINIC_DIR, display_path, resource_roots
from .yamlio import parse_yaml, schema_error_lines

CONFIG_NAME = "clinic.yaml"
BUNDLED_FONTS = (
    "Atkinson Hyperlegible",
    "Noto Sans",
    "Noto Sans Arabic",
    "Noto Sans Hebrew",
    "Noto Sans SC",
)
"""Families in ``styles/fonts/`` (declared in ``styles/fonts.css``) a clinic may choose by name."""
FONT_FILE_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2")
FONT_STYLES = ("regular", "bold", "italic", "bold_italic")
"""The faces of a kit font family, as keys under ``font:``."""
LOGO_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg")
MailSecurity = Literal["starttls", "tls", "none"]
DEFAULT_MAIL_PORTS: dict[str, int] = {"starttls": 587, "tls": 465, "none": 25}


class ConfigWarning(HandoutsWarning):
    """A clinic.yaml problem that does not stop a build (e.g. an unknown key)."""


class Colours(BaseModel):
    """Brand colours, as hex."""

    model_config = ConfigDict(extra="allow")

    primary: HexColour = "#1f6f78"
    """Headings, rules and the header band."""
    accent: HexColour = "#e8a33d"
    """Callout borders and small highlights."""


class MailSettings(BaseModel):
    """Outgoing mail. The password comes only from HANDOUTS_SMTP_PASSWORD."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    host: OptionalText = None
    """SMTP server, e.g. smtp.office365.com."""
    starttls_given: bool | None = Field(default=None, alias="starttls", exclude=True)
    """The older way to choose: true is ``security: starttls``, false is ``security: tls``."""
    security: Annotated[MailSecurity, BeforeValidator(lambda value: str(value).lower())] = Field(
        default=None, validate_default=True
    )
    """``starttls``: plain connection upgraded with STARTTLS (the default). ``tls``: TLS from
    the start. ``none``: no encryption, only for a relay on this computer."""
    port: int = Field(default=None, ge=1, le=65535, validate_default=True)
    """Default: 587 for starttls, 465 for tls, 25 for none."""
    username: OptionalText = None
    """Login name, if the server wants one (default: the from address)."""
    from_address: OptionalEmail = Field(default=None, alias="from")
    reply_to: OptionalEmail = None
    precare_days: int = Field(default=3, ge=0, le=60)
    """With ``email --due``: how many days before the visit the pre-care leaflet goes out."""
    timeout: int = Field(default=600, ge=5, le=3600)
    """Seconds to wait for each answer from the server. RFC 5321 asks clients to wait up
    to 10 minutes for the reply to a whole letter (servers may scan attachments first)."""

    @model_validator(mode="before")
    @classmethod
    def _blank_keys_use_defaults(cls, data: Any) -> Any:
        return _without_blanks(data)

    @field_validator("security", mode="wrap")
    @classmethod
    def _resolve_security(cls, value: Any, handler: Any, info: ValidationInfo) -> str:
        legacy = info.data.get("starttls_given")
        implied = None if legacy is None else ("starttls" if legacy else "tls")
        security = handler(value) if value is not None else implied or "starttls"
        if implied and security != implied:
            raise ValueError(
                f"{security} disagrees with mail.starttls: {str(legacy).lower()}; "
                "keep security and delete the starttls line"
            )
        host = info.data.get("host")
        if security == "none" and host and not is_loopback(host):
            raise ValueError(
                "none sends mail unencrypted; it is allowed only for a relay on this "
                "computer (host localhost or 127.0.0.1)"
            )
        return security

    @field_validator("port", mode="wrap")
    @classmethod
    def _default_port(cls, value: Any, handler: Any, info: ValidationInfo) -> int:
        if value is None:
            return DEFAULT_MAIL_PORTS.get(info.data.get("security"), 587)
        return handler(value)

    @property
    def starttls(self) -> bool:
        """True when ``security`` is ``starttls`` (kept for code written before ``security``)."""
        return self.security == "starttls"


def _font_shorthand(value: Any) -> Any:
    """``font: Noto Sans`` names a bundled family; ``font: fonts/Ours.ttf`` is one kit file."""
    if isinstance(value, str):
        if value.lower().endswith(FONT_FILE_SUFFIXES):
            return {"regular": value, "written": value}
        return {"family": value, "written": value}
    return value


class FontChoice(BaseModel):
    """``font:`` in clinic.yaml: a bundled family by name, or the kit's own font files.

    Three ways to write it: ``font: Noto Sans`` (bundled), ``font: fonts/Ours.ttf`` (one
    file, every weight prints in it), or a mapping of ``family`` (a display name) and the
    files ``regular``, ``bold``, ``italic``, ``bold_italic``, relative to clinic.yaml.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    family: OptionalText = None
    """A bundled family's name; beside kit files, only a name for people to read."""
    regular: Path | None = None
    """The kit's upright, normal weight file: body text."""
    bold: Path | None = None
    """Headings and bold words; without it they print in the regular file."""
    italic: Path | None = None
    bold_italic: Path | None = None
    written: str | None = Field(default=None, exclude=True)
    """The one-line form as written in clinic.yaml, if it was one line."""

    @model_validator(mode="before")
    @classmethod
    def _one_line_form(cls, data: Any) -> Any:
        data = _without_blanks(_font_shorthand(data))
        if isinstance(data, dict) and isinstance(data.get("family"), str):
            bundled = {name.lower(): name for name in BUNDLED_FONTS}
            data["family"] = bundled.get(data["family"].lower(), data["family"])
        return data

    @model_validator(mode="after")
    def _family_or_files(self) -> FontChoice:
        if self.regular is None and self.files:
            given = ", ".join(self.files)
            raise ValueError(f"regular: is required with {given} (the file for body text)")
        if self.regular is None:
            if self.family is None:
                raise ValueError("give a bundled family name or a regular font file")
            if self.family not in BUNDLED_FONTS:
                names = ", ".join(repr(name) for name in BUNDLED_FONTS)
                raise ValueError(f"{self.family!r} is not bundled (use {names} or a font file)")
        for style, path in self.files.items():
            if not str(path).lower().endswith(FONT_FILE_SUFFIXES):
                suffixes = ", ".join(FONT_FILE_SUFFIXES)
                raise ValueError(f"{style}: {str(path)!r} must be a font file ({suffixes})")
        return self

    @property
    def files(self) -> dict[str, Path]:
        """The kit's font files by style (``regular``, ``bold``...), only those given."""
        faces = {style: getattr(self, style) for style in FONT_STYLES}
        return {style: path for style, path in faces.items() if path is not None}

    @property
    def label(self) -> str:
        """The choice as a person names it: the bundled family, or the kit's file as written."""
        if self.regular is None:
            return str(self.family)
        return self.written or self.family or str(self.regular)


class ClinicWords(BaseModel):
    """Clinic text in another language, under ``translations: {es: {...}}``."""

    model_config = ConfigDict(extra="allow")

    address: OptionalText = None
    emergency: OptionalText = None
    disclaimer: OptionalText = None


class Clinic(BaseModel):
    """Everything a leaflet needs to know about the clinic that hands it over."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kit_dir: Path | None = Field(default=None, exclude=True)
    """Folder of clinic.yaml; None only for a clinic built in code."""
    name: Annotated[str, Field(min_length=1, max_length=80)]
    """Clinic name as patients know it; shown in the header and as PDF author."""
    address: OptionalText = None
    """Postal address, one line or several separated by commas."""
    phone: Annotated[str, Field(min_length=1, max_length=40)]
    """The number patients call with questions or worries."""
    email: OptionalEmail = None
    website: WebAddress = None
    booking_url: WebAddress = None
    emergency: OptionalText = None
    """What to do out of hours, e.g. 'call NHS 111, or 999 in an emergency'."""
    minimum_age: Annotated[int, Field(ge=16, le=25)] = 18
    """The youngest age the clinic treats for cosmetic reasons (the law differs by country)."""
    logo: Path | None = None
    """SVG, PNG or JPEG logo, relative to clinic.yaml."""
    colors: Colours = Field(default=Colours(), validation_alias=AliasChoices("colors", "colours"))
    font_choice: FontChoice = Field(default=FontChoice(family=BUNDLED_FONTS[0]), alias="font")
    """A bundled family name, a font file in the kit, or the kit's family of font files."""
    paper: Annotated[Paper, BeforeValidator(lambda value: str(value).lower())] = "a4"
    language: Annotated[str, AfterValidator(check_language)] = "en"
    disclaimer: OptionalText = None
    """Extra small print, once, at the end of every leaflet."""
    approved: dict[str, str] = {}
    """Legacy '<treatment>/<block>': '<version>' approvals, without a text hash: they count
    while the version matches; ``handouts approve`` moves them to approvals.yaml."""
    review_overdue: Literal["mark", "refuse"] = "mark"
    """A section past its review date: ``mark`` prints it with a "Review overdue" tag and
    warns; ``refuse`` makes no leaflet with it."""
    timezone: TimeZoneName = None
    """IANA name of the clinic's time zone (``Europe/London``); default: this computer's.
    Calendar and FHIR times are converted to it, as the appointment store keeps local time."""
    mail: MailSettings = MailSettings()
    appointments: AppointmentSettings = AppointmentSettings()
    """How ``handouts appointments import`` reads the booking system's export."""
    translations: dict[str, ClinicWords] = {}
    """Per language code, the clinic's address, emergency line and disclaimer."""

    @model_validator(mode="before")
    @classmethod
    def _empty_sections_use_defaults(cls, data: Any) -> Any:
        """``approved:`` or ``mail:`` with nothing under it (or ``null``) means "none yet"."""
        return _without_blanks(data)

    @model_validator(mode="after")
    def _check_files(self) -> Clinic:
        if self.kit_dir is None:
            return self
        problems = []
        roots = resource_roots(self.kit_dir)
        if self.logo is not None:
            logo = self.kit_dir / self.logo
            if logo.suffix.lower() not in LOGO_SUFFIXES:
                problems.append(f"logo: {str(self.logo)!r} must be an SVG, PNG or JPEG file")
            elif not logo.is_file():
                problems.append(f"logo: file {str(self.logo)!r} not found next to clinic.yaml")
            elif outside := outside_problem(logo, roots):
                problems.append(f"logo: {str(self.logo)!r} {outside}")
        one_line = self.font_choice.written is not None
        for style, written in self.font_choice.files.items():
            key = "font" if one_line else f"font.{style}"
            font = self.kit_dir / written
            if not font.is_file():
                problems.append(f"{key}: file {str(written)!r} not found next to clinic.yaml")
            elif outside := outside_problem(font, roots):
                problems.append(f"{key}: {str(written)!r} {outside}")
        if problems:
            raise ValueError("\n".join(problems))  # one line each (schema_error_lines)
        return self

    @property
    def logo_path(self) -> Path | None:
        """Absolute path of the logo, if the clinic has one."""
        if self.logo is None or self.kit_dir is None:
            return None
        return (self.kit_dir / self.logo).resolve()

    @property
    def font(self) -> str:
        """``font:`` as a person names it: the bundled family, the file, or the family name."""
        return self.font_choice.label

    @property
    def font_files(self) -> dict[str, Path]:
        """Absolute paths of the kit's own font files by style (``regular``, ``bold``...)."""
        if self.kit_dir is None:
            return {}
        return {
            style: (self.kit_dir / path).resolve() for style, path in self.font_choice.files.items()
        }

    @property
    def zone(self) -> tzinfo | None:
        """The clinic's time zone; None means this computer's (``datetime.astimezone()``)."""
        return ZoneInfo(self.timezone) if self.timezone else None

    @property
    def font_path(self) -> Path | None:
        """Absolute path of the kit font's regular file, if the kit brings its own font."""
        return self.font_files.get("regular")

    @property
    def font_paths(self) -> list[Path]:
        """Every file of the kit's own font (regular first): what a leaflet may read."""
        return list(self.font_files.values())

    @property
    def font_without_bold(self) -> bool:
        """True when the kit brings its own font but no bold file: bold prints as regular."""
        return self.font_path is not None and "bold" not in self.font_files

    def in_language(self, language: str) -> Clinic:
        """This clinic with its text fields in ``language`` where a translation exists."""
        words = self.translations.get(primary_language(language))
        if words is None:
            return self
        return self.model_copy(update=words.model_dump(exclude_none=True))


def _unknown_keys(model: BaseModel, prefix: str = "") -> list[tuple[str, list[str]]]:
    """Keys the schema does not know, with the known keys they may be typos of."""
    fields = type(model).model_fields
    known = [field.alias or name for name, field in fields.items()]
    found = [(prefix + key, known) for key in (model.model_extra or {})]
    for name, value in model:
        if isinstance(value, BaseModel):
            key = fields[name].alias or name if name in fields else name
            found += _unknown_keys(value, f"{prefix}{key}.")
    return found


def clinic_from_text(text: str, kit_dir: Path, source: str) -> Clinic:
    """The clinic that ``text``, as clinic.yaml in ``kit_dir``, describes: ConfigError if not.

    ``load_clinic`` reads the file through this; the manager workspace checks an edit with it
    before saving, so both give the same messages (``source: key: problem``, one per line).
    """
    try:
        raw = parse_yaml(text, source)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected 'key: value' lines at the top level")
    try:
        return Clinic.model_validate({**raw, "kit_dir": kit_dir.resolve()})
    except ValidationError as error:
        raise ConfigError(schema_error_lines(error, source)) from None


def load_clinic(kit_dir: Path | str | None = None) -> Clinic:
    """Load and validate ``clinic.yaml`` from ``kit_dir`` (the demo clinic when None)."""
    kit_dir = Path(kit_dir) if kit_dir is not None else DEMO_CLINIC_DIR
    if kit_dir.is_file() and kit_dir.suffix in (".yaml", ".yml"):
        kit_dir = kit_dir.parent  # the user named clinic.yaml itself: use its folder
    config_file = kit_dir / CONFIG_NAME
    source = display_path(config_file)
    if not kit_dir.is_dir():
        raise ConfigError(
            f"{display_path(kit_dir)}: clinic folder not found (create one with "
            "'handouts init DIR')"
        )
    if not config_file.is_file():
        raise ConfigError(f"{source}: file not found (create a kit with 'handouts init DIR')")
    try:  # KitFileError (a link out of the kit, not UTF-8) is a ValueError too
        text = read_kit_text(config_file, resource_roots(kit_dir.resolve()))
    except ValueError as error:
        raise ConfigError(str(error)) from None
    clinic = clinic_from_text(text, kit_dir, source)
    for key, known in _unknown_keys(clinic):
        leaf = key.rsplit(".", 1)[-1]
        guess = difflib.get_close_matches(leaf, known, n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        if "/" in leaf:
            hint = "; section approvals go under approved:"
        warnings.warn(f"{source}: {key}: unknown key, ignored{hint}", ConfigWarning, stacklevel=2)
    return clinic
