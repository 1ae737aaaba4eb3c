"""Write (or with ``--check`` compare) ``docs/schemas/*.json`` from the event models."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ballot.domain.schemas import all_schemas

ROOT = Path(__file__).resolve().parents[1]


def render(schema: dict[str, object]) -> str:
    """The file's text: sorted keys would reorder properties, so insertion order is kept."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the schemas; with ``--check``, exit 1 if any file differs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    folder = ROOT / "docs" / "schemas"
    folder.mkdir(exist_ok=True)
    stale = []
    for name, schema in all_schemas().items():
        path = folder / name
        if args.check:
            if not path.exists() or path.read_text("utf-8") != render(schema):
                stale.append(name)
        else:
            path.write_text(render(schema), encoding="utf-8")
    if stale:
        print(f"stale: {', '.join(stale)} (run scripts/make_schemas.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
