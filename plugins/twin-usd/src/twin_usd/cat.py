"""``python -m twin_usd.cat FILE [--flatten]``: print a USD file as text, as Pixar's
``usdcat`` does (the usd-core wheels ship the ``pxr`` modules but not the usdcat program)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from pxr import Sdf, Usd

    args = list(sys.argv[1:] if argv is None else argv)
    flatten = "--flatten" in args
    paths = [a for a in args if a != "--flatten"]
    if len(paths) != 1:
        print("usage: python -m twin_usd.cat FILE [--flatten]", file=sys.stderr)
        return 2
    if flatten:
        stage = Usd.Stage.Open(paths[0])
        text = stage.ExportToString() if stage else None
    else:
        layer = Sdf.Layer.FindOrOpen(paths[0])
        text = layer.ExportToString() if layer else None
    if text is None:
        print(f"cannot open {paths[0]} as USD", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
