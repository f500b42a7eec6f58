"""``python -m plugrad``: ``packs`` lists the loaded packs, ``gradcheck`` checks their primitives,
``manifest`` writes a pack's manifest."""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = """usage: python -m plugrad COMMAND [options]

commands:
  packs       list installed packs and the primitives they contribute (--json for machines)
  gradcheck   check every registered primitive's derivatives (--pack, --primitive, --json)
  manifest    write a pack's manifest of names, so its modules load on demand (--check)
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "packs":
        from plugrad.cli_packs import main as packs_main

        return packs_main(rest)
    if command == "gradcheck":
        from plugrad.gradcheck.cli import main as gradcheck_main

        return gradcheck_main(rest)
    if command == "manifest":
        from plugrad.manifest import main as manifest_main

        return manifest_main(rest)
    print(f"plugrad: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
