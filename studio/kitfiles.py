"""Brand kits as files: a folder or ZIP holding ``kit.toml`` plus the fonts and logos it names.

:func:`load_kit_archive` is all-or-nothing: it validates the archive itself (zip-slip,
symlinks, file count, sizes, compression ratio), the TOML, every field of the kit, and every
referenced asset (fonts parsed with fontTools, logos decoded with Pillow), collects *every*
problem, and either returns a complete :class:`LoadedKit` or raises :class:`KitImportError`.
It never writes anything, so there is nothing half-imported to clean up.
:func:`export_kit_archive` writes the same layout back as a ZIP that imports cleanly.
"""

from __future__ import annotations

import io
import os
import re
import stat
import tomllib
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import tomli_w

from studio.brandkit import Kit, KitValidationError, kit_from_dict, kit_to_dict
from studio.fontfiles import FontInfo, FontRejected, inspect_font
from studio.imaging import ImageRejected, open_verified

KIT_FILE = "kit.toml"
FORMAT_VERSION = 1
LOGO_FORMATS: tuple[str, ...] = ("PNG", "JPEG", "WEBP")
_IGNORED_PREFIXES = ("__MACOSX/",)  # resource forks that macOS's "Compress" adds


@dataclass(frozen=True)
class ArchiveLimits:
    """Guards against hostile archives; the defaults fit any real brand kit many times."""

    max_files: int = 200
    max_file_bytes: int = 20 * 1024 * 1024
    max_total_bytes: int = 60 * 1024 * 1024
    max_toml_bytes: int = 256 * 1024
    # Deflate manages about 1000:1 at best; real fonts and PNGs compress 1-3:1 and TOML
    # about 5:1. Anything past this is a zip bomb, checked for entries over 64 KiB.
    max_ratio: float = 100.0


@dataclass(frozen=True)
class ImportProblem:
    """One reason an import failed: the kit field or archive entry, and the TOML line."""

    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.field} (line {self.line})" if self.line else self.field
        return f"{where}: {self.message}"


class KitImportError(ValueError):
    """An archive that cannot be imported; ``problems`` lists every reason found."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class LoadedKit:
    """A validated kit and the bytes of every asset it references, keyed by relative path."""

    kit: Kit
    assets: dict[str, bytes]
    fonts: dict[str, FontInfo] = field(default_factory=dict)


# --- TOML ---------------------------------------------------------------------------------

_KEY = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_DOTTED_KEY = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_KEY_LINE = re.compile(rf"^({_DOTTED_KEY})\s*=\s*(.*)$")
_ARRAY_TABLE = re.compile(rf"^\[\[\s*({_DOTTED_KEY})\s*\]\]")
_TABLE = re.compile(rf"^\[\s*({_DOTTED_KEY})\s*\]")
_INLINE_KEY = re.compile(rf"({_KEY})\s*=")


def _norm_key(key: str) -> str:
    parts = re.findall(_KEY, key)
    return ".".join(p.strip("\"'") for p in parts)


def _join(table: str, key: str) -> str:
    return f"{table}.{key}" if table else key


def toml_lines(text: str) -> dict[str, int]:
    """Map the field paths of a kit.toml to line numbers, as well as a light scan can.

    Covers tables, arrays of tables, ``key = value`` lines, and inline tables inside
    multi-line arrays; paths it cannot place fall back to their nearest parent.
    """
    lines: dict[str, int] = {}
    table = ""
    counts: dict[str, int] = {}
    closing: str | None = None  # inside a multi-line string until this delimiter
    array: str | None = None  # inside a multi-line array of this path
    index = -1
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if closing is not None:
            if closing in line:
                closing = None
            continue
        if not line or line.startswith("#"):
            continue
        if array is not None:
            if line.startswith("]"):
                array = None
                continue
            index += 1
            lines.setdefault(f"{array}[{index}]", number)
            for key in _INLINE_KEY.findall(line):
                lines.setdefault(f"{array}[{index}].{_norm_key(key)}", number)
            continue
        if m := _ARRAY_TABLE.match(line):
            name = _norm_key(m.group(1))
            counts[name] = counts.get(name, -1) + 1
            table = f"{name}[{counts[name]}]"
            lines.setdefault(name, number)
            lines[table] = number
            continue
        if m := _TABLE.match(line):
            table = _norm_key(m.group(1))
            lines[table] = number
            continue
        if m := _KEY_LINE.match(line):
            path = _join(table, _norm_key(m.group(1)))
            value = m.group(2).strip()
            lines[path] = number
            for quote in ('"""', "'''"):
                if value.startswith(quote) and value.count(quote) == 1:
                    closing = quote
            if value.startswith("{"):
                for key in _INLINE_KEY.findall(value):
                    lines.setdefault(f"{path}.{_norm_key(key)}", number)
            elif value.startswith("[") and value.count("[") > value.count("]"):
                array, index = path, -1
    return lines


def line_for(path: str, lines: dict[str, int]) -> int | None:
    """Return the line of ``path`` or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            break
        path = path[:cut]
    return lines.get(path)


_DECODE_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def kit_from_toml(text: str) -> Kit:
    """Parse and validate kit.toml text, or raise :class:`KitImportError` with lines."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's error has no lineno attribute; the message carries it.
        found = _DECODE_LINE.search(str(exc))
        message = _DECODE_LINE.sub("", str(exc)).strip()
        line = int(found.group(1)) if found else None
        raise KitImportError([ImportProblem(KIT_FILE, f"not valid TOML: {message}", line)]) from exc
    lines = toml_lines(text)
    problems = []
    version = data.pop("format", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        problems.append(
            ImportProblem(
                "format",
                f"kit format {version!r} is not one this version of Plume reads "
                f"(it reads format {FORMAT_VERSION})",
                lines.get("format"),
            )
        )
    try:
        kit = kit_from_dict(data)
    except KitValidationError as exc:
        problems += [ImportProblem(p or "(kit)", m, line_for(p, lines)) for p, m in exc.problems]
    if problems:
        raise KitImportError(problems)
    return kit


def kit_to_toml(kit: Kit) -> str:
    """Return ``kit`` as kit.toml text that :func:`kit_from_toml` reads back identically."""
    return tomli_w.dumps({"format": FORMAT_VERSION, **kit_to_dict(kit)}, multiline_strings=True)


# --- reading archives ---------------------------------------------------------------------


def _entry_problem(name: str, info: zipfile.ZipInfo, limits: ArchiveLimits) -> str | None:
    """Return why a ZIP entry is unsafe to extract, or None."""
    if "\x00" in name:
        return "has a NUL character in its name"
    if "\\" in name:
        return "uses backslashes in its path; zip it again with a standard tool"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "has an absolute path"
    if ".." in PurePosixPath(name).parts:
        return "points outside the kit folder ('..' in its path)"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "is a symbolic link; include the real file instead"
    if info.flag_bits & 0x1:
        return "is encrypted; Plume cannot read password-protected archives"
    if info.file_size > limits.max_file_bytes:
        return (
            f"is {info.file_size / 1e6:,.1f} MB; files may be at most {_mb(limits.max_file_bytes)}"
        )
    if info.file_size > 64 * 1024 and info.file_size > limits.max_ratio * max(
        info.compress_size, 1
    ):
        return "is compressed suspiciously well (a zip bomb?)"
    return None


def _mb(size: int) -> str:
    return f"{size / 1e6:,.0f} MB"


class _ZipSource:
    """Read a kit from ZIP bytes, refusing anything unsafe before reading any content."""

    def __init__(self, data: bytes, limits: ArchiveLimits) -> None:
        self.limits = limits
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
            raise KitImportError(
                [ImportProblem("(archive)", "this is not a readable ZIP archive")]
            ) from exc
        if len(infos) > limits.max_files:
            raise KitImportError(
                [
                    ImportProblem(
                        "(archive)",
                        f"the archive holds {len(infos):,} entries; a kit may hold at most "
                        f"{limits.max_files:,}",
                    )
                ]
            )
        problems = []
        self.entries: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = info.filename
            why = _entry_problem(name, info, limits)
            if why:
                problems.append(ImportProblem(name, why))
                continue
            if info.is_dir() or name.startswith(_IGNORED_PREFIXES):
                continue
            if name in self.entries:
                problems.append(ImportProblem(name, "appears twice in the archive"))
            self.entries[name] = info
            total += info.file_size
        if total > limits.max_total_bytes:
            problems.append(
                ImportProblem(
                    "(archive)",
                    f"the files unpack to {total / 1e6:,.1f} MB; a kit may unpack to at most "
                    f"{_mb(limits.max_total_bytes)}",
                )
            )
        if problems:
            raise KitImportError(problems)
        # A kit zipped as its folder ("ember/kit.toml") is as good as one zipped flat.
        self.prefix = ""
        if KIT_FILE not in self.entries:
            roots = {name.split("/", 1)[0] for name in self.entries}
            if len(roots) == 1 and f"{next(iter(roots))}/{KIT_FILE}" in self.entries:
                self.prefix = next(iter(roots)) + "/"

    def names(self) -> list[str]:
        n = len(self.prefix)
        return [name[n:] for name in self.entries if name.startswith(self.prefix)]

    def read(self, path: str, cap: int) -> bytes | None:
        info = self.entries.get(self.prefix + path)
        if info is None:
            return None
        try:
            with self.zip.open(info) as handle:
                data = handle.read(cap + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
            raise _ReadError("is damaged inside the archive and cannot be read") from exc
        if len(data) > cap:
            raise _ReadError(f"is larger than {_mb(cap)}")
        return data


class _ReadError(Exception):
    """An entry that exists but cannot be read safely."""


class _FolderSource:
    """Read a kit from a folder, refusing symlinks and anything outside the folder."""

    def __init__(self, root: Path, limits: ArchiveLimits) -> None:
        self.root = root
        self.real_root = root.resolve()
        self.limits = limits

    def names(self) -> list[str]:
        found = []
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                found.append((Path(dirpath) / name).relative_to(self.root).as_posix())
                if len(found) > 10_000:  # only used for "did you mean"; stop early
                    return found
        return found

    def read(self, path: str, cap: int) -> bytes | None:
        target = self.root
        for part in PurePosixPath(path).parts:
            target = target / part
            if target.is_symlink():
                raise _ReadError("is a symbolic link; use the real file instead")
        if not target.exists():
            return None
        if not target.resolve().is_relative_to(self.real_root) or not target.is_file():
            raise _ReadError("is not a regular file inside the kit folder")
        if target.stat().st_size > cap:
            raise _ReadError(f"is larger than {_mb(cap)}")
        return target.read_bytes()


def _did_you_mean(path: str, names: list[str]) -> str:
    lowered = {name.lower(): name for name in names}
    if path.lower() in lowered:
        return f" (the archive has {lowered[path.lower()]!r}: names are case-sensitive)"
    same_name = [n for n in names if PurePosixPath(n).name == PurePosixPath(path).name]
    return f" (did you mean {same_name[0]!r}?)" if same_name else ""


def _validate_asset(field_path: str, path: str, data: bytes) -> FontInfo | str | None:
    """Return a FontInfo for a good font, None for a good logo, or a problem message."""
    if field_path.startswith("fonts."):
        try:
            return inspect_font(data, path)
        except FontRejected as exc:
            return exc.message
    try:
        image = open_verified(data, LOGO_FORMATS)
    except ImageRejected as exc:
        return exc.message
    image.close()
    return None


def load_kit_archive(source: bytes | Path, limits: ArchiveLimits | None = None) -> LoadedKit:
    """Load and validate a kit from ZIP bytes, a .zip file or a folder; all or nothing."""
    limits = limits or ArchiveLimits()
    reader: _ZipSource | _FolderSource
    if isinstance(source, bytes | bytearray | memoryview):
        reader = _ZipSource(bytes(source), limits)
    else:
        path = Path(source)
        if path.is_dir():
            reader = _FolderSource(path, limits)
        elif path.is_file():
            if path.stat().st_size > limits.max_total_bytes:
                raise KitImportError(
                    [
                        ImportProblem(
                            "(archive)", f"the archive is larger than {_mb(limits.max_total_bytes)}"
                        )
                    ]
                )
            reader = _ZipSource(path.read_bytes(), limits)
        else:
            raise KitImportError([ImportProblem("(archive)", f"{path} does not exist")])

    try:
        raw = reader.read(KIT_FILE, limits.max_toml_bytes)
    except _ReadError as exc:
        raise KitImportError([ImportProblem(KIT_FILE, str(exc))]) from exc
    if raw is None:
        hint = _did_you_mean(KIT_FILE, reader.names())
        raise KitImportError([ImportProblem(KIT_FILE, f"the kit has no {KIT_FILE}{hint}")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KitImportError([ImportProblem(KIT_FILE, "is not UTF-8 text")]) from exc
    kit = kit_from_toml(text)

    lines = toml_lines(text)
    problems: list[ImportProblem] = []
    assets: dict[str, bytes] = {}
    fonts: dict[str, FontInfo] = {}
    total = 0
    for field_path, path in kit.asset_paths().items():
        line = line_for(field_path, lines)
        if path in assets:  # the same file used twice (e.g. one logo as primary and mark)
            continue
        try:
            data = reader.read(path, limits.max_file_bytes)
        except _ReadError as exc:
            problems.append(ImportProblem(field_path, f"{path!r} {exc}", line))
            continue
        if data is None:
            hint = _did_you_mean(path, reader.names())
            problems.append(ImportProblem(field_path, f"{path!r} is not in the kit{hint}", line))
            continue
        total += len(data)
        if total > limits.max_total_bytes:
            problems.append(ImportProblem("(archive)", "the kit's files are too large in total"))
            break
        result = _validate_asset(field_path, path, data)
        if isinstance(result, str):
            problems.append(ImportProblem(field_path, f"{path!r}: {result}", line))
            continue
        if isinstance(result, FontInfo):
            fonts[path] = result
        assets[path] = data
    if problems:
        raise KitImportError(problems)
    return LoadedKit(kit=kit, assets=assets, fonts=fonts)


# --- writing archives -----------------------------------------------------------------------

_ALREADY_COMPRESSED = (".png", ".jpg", ".jpeg", ".webp", ".woff2")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same kit exports to the same bytes


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    stored = name.lower().endswith(_ALREADY_COMPRESSED)
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    return info


def export_kit_archive(kit: Kit, assets: dict[str, bytes]) -> bytes:
    """Return a ZIP of kit.toml and every asset the kit references (others are left out)."""
    wanted = sorted(set(kit.asset_paths().values()))
    missing = [path for path in wanted if path not in assets]
    if missing:
        raise ValueError(f"cannot export the kit: no data for {', '.join(missing)}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_zip_info(KIT_FILE), kit_to_toml(kit).encode("utf-8"))
        for path in wanted:
            archive.writestr(_zip_info(path), assets[path])
    return buffer.getvalue()
