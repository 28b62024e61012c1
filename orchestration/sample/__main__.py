"""``python -m orchestration.sample DIR``: write the sample submissions to DIR."""

import argparse
from pathlib import Path

from orchestration.sample.generate import generate_sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.sample",
        description="Write the bundled sample submissions (the files `chitieu demo` loads).",
    )
    parser.add_argument("folder", type=Path, help="where to write the workbooks")
    args = parser.parse_args(argv)
    for path in generate_sample(args.folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
