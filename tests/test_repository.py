"""The repository holds no merge-conflict markers (a merge once left one in a document)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^(<<<<<<< |=======$|>>>>>>> )", re.M)
SUFFIXES = {".py", ".md", ".html", ".po", ".txt", ".toml", ".js", ".css", ".json", ".cfg", ".ini", ".yml", ".yaml"}


def test_no_merge_conflict_markers():
    found = []
    for folder in ("src", "tests", "bench", "docs"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in SUFFIXES and path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                if MARKER.search(text):
                    found.append(str(path.relative_to(ROOT)))
    for name in ("README.md", "Makefile", "pyproject.toml"):
        if MARKER.search((ROOT / name).read_text(encoding="utf-8")):
            found.append(name)
    assert found == []
