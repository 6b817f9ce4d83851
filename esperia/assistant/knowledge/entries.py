"""Knowledge-base entries and the importers that cut documents into them.

An entry is one answerable piece of knowledge: a question-and-answer pair from a
CSV row, or a section under a Markdown or HTML heading. Its id is what answers
cite; a heading may set it explicitly with ``{#id}``, otherwise it is derived
from the file name and the heading so re-importing the same file keeps the ids.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from esperia.assistant.language import SUPPORTED, detect_language
from esperia.errors import InvalidInput

__all__ = ["Entry", "load_entries", "parse_csv", "parse_html", "parse_markdown"]

_SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
}
_HEADING = re.compile(r"^(#{1,4})\s+(.*?)\s*(?:\{#([\w.-]+)\})?\s*$")
#: A body line listing alternative phrasings: ``questions: a | b | c``.
_QUESTIONS = re.compile(r"^\s*(?:questions|domande)\s*:\s*(.+)$", re.IGNORECASE)
_LANG_LINE = re.compile(r"^<!--\s*lang(?:uage)?:\s*(\w+)\s*-->\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    """One answer the assistant can give, with where it came from."""

    entry_id: str
    title: str  #: the question or heading
    answer: str
    language: str
    source: str  #: file (and heading) it was imported from
    #: Other ways customers ask the same thing (searched like the title).
    questions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "entry_id": self.entry_id,
            "title": self.title,
            "answer": self.answer,
            "language": self.language,
            "source": self.source,
            "questions": list(self.questions),
        }


def _slug(text: str) -> str:
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    )
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60] or "entry"


def _language(declared: str | None, text: str) -> str:
    if declared:
        lang = declared.strip().lower()[:2]
        if lang not in SUPPORTED:
            raise InvalidInput(
                f"language {declared!r} is not one the assistant speaks "
                f"({', '.join(SUPPORTED)})"
            )
        return lang
    return detect_language(text)


def _split_questions(text: str) -> list[str]:
    return [q.strip() for q in text.split("|") if q.strip()]


def _entry(
    stem: str,
    title: str,
    body: str,
    explicit: str | None,
    lang: str | None,
    src: str,
    questions: tuple[str, ...] = (),
) -> Entry:
    """An entry; ``questions:`` lines in the body become its alternative phrasings."""
    kept: list[str] = []
    found = list(questions)
    for line in body.splitlines():
        listed = _QUESTIONS.match(line)
        if listed:
            found += _split_questions(listed.group(1))
        else:
            kept.append(line)
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    entry_id = explicit or f"{_slug(stem)}-{_slug(title)}"
    language = _language(lang, f"{title} {body}")
    return Entry(entry_id, title.strip(), body, language, src, tuple(found))


def parse_markdown(text: str, name: str, language: str | None = None) -> list[Entry]:
    """One entry per heading with text under it (a ``<!-- lang: it -->`` line
    sets the language of what follows)."""
    entries: list[Entry] = []
    stem = Path(name).stem
    title: str | None = None
    explicit: str | None = None
    lang = language
    body: list[str] = []

    def close() -> None:
        if title is not None and "".join(body).strip():
            entries.append(
                _entry(stem, title, "\n".join(body), explicit, lang, f"{name}#{title}")
            )

    for line in text.splitlines():
        declared = _LANG_LINE.match(line)
        if declared:
            close()
            title, body, lang = None, [], declared.group(1)
            continue
        heading = _HEADING.match(line)
        if heading:
            close()
            title, explicit, body = heading.group(2), heading.group(3), []
        elif title is not None:
            body.append(line)
    close()
    return entries


class _Sections(HTMLParser):
    """Collects (heading, text) pairs from h1-h4 and the text that follows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[tuple[str, str | None, list[str]]] = []
        self._in_heading = False
        self._skip = 0
        self._heading: list[str] = []
        self._heading_id: str | None = None
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in {"script", "style", "nav", "footer"}:
            self._skip += 1
        elif tag in {"h1", "h2", "h3", "h4"}:
            self._in_heading, self._heading = True, []
            self._heading_id = dict(attrs).get("id")
        elif tag in {"p", "li", "br", "tr", "div"} and self.sections:
            self.sections[-1][2].append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "nav", "footer"}:
            self._skip = max(0, self._skip - 1)
        elif tag in {"h1", "h2", "h3", "h4"} and self._in_heading:
            self._in_heading = False
            heading = " ".join("".join(self._heading).split())
            self.sections.append((heading, self._heading_id, []))

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_heading:
            self._heading.append(data)
        elif self.sections:
            self.sections[-1][2].append(data)


def parse_html(text: str, name: str, language: str | None = None) -> list[Entry]:
    """One entry per heading (h1-h4) with the text up to the next heading."""
    parser = _Sections()
    parser.feed(text)
    stem = Path(name).stem
    lang = language or parser.lang
    entries = []
    for heading, anchor, parts in parser.sections:
        body = "\n".join(" ".join(p.split()) for p in "".join(parts).split("\n"))
        if heading and body.strip():
            entries.append(
                _entry(stem, heading, body, anchor, lang, f"{name}#{heading}")
            )
    return entries


def parse_csv(text: str, name: str, language: str | None = None) -> list[Entry]:
    """Rows with ``question`` and ``answer`` (optional ``id``, ``language``, and
    ``questions``: other phrasings separated by ``|``)."""
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "question" not in header or "answer" not in header:
        raise InvalidInput(
            f"{name}: a knowledge CSV needs the columns question and answer; "
            f"the header has {', '.join(header) or 'nothing'}"
        )
    entries = []
    stem = Path(name).stem
    for line, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if not row["question"] or not row["answer"]:
            raise InvalidInput(f"{name}, line {line}: empty question or answer")
        lang = row.get("language") or language
        explicit = row.get("id") or None
        entries.append(
            _entry(
                stem,
                row["question"],
                row["answer"],
                explicit,
                lang,
                f"{name}:{line}",
                tuple(_split_questions(row.get("questions", ""))),
            )
        )
    return entries


def load_entries(path: Path | str, language: str | None = None) -> list[Entry]:
    """Entries from a Markdown, HTML or CSV file, or every such file in a folder."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in _SUFFIXES)
        if not files:
            raise InvalidInput(f"{path}: no .md, .html or .csv files in the folder")
        entries = [e for f in files for e in load_entries(f, language)]
    elif path.is_file():
        kind = _SUFFIXES.get(path.suffix.lower())
        if kind is None:
            raise InvalidInput(
                f"{path}: unknown kind of file; use .md, .html or .csv (or a folder)"
            )
        text = path.read_text(encoding="utf-8-sig")
        parse = {"markdown": parse_markdown, "html": parse_html, "csv": parse_csv}
        entries = parse[kind](text, path.name, language)
    else:
        raise InvalidInput(f"{path}: no such file or folder")
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.entry_id in seen:
            raise InvalidInput(
                f"entry id {entry.entry_id!r} appears twice ({seen[entry.entry_id]} "
                f"and {entry.source}); give one of them an explicit {{#id}}"
            )
        seen[entry.entry_id] = entry.source
    return entries
