"""``python -m sample DIR``: write the sample submissions to DIR."""

import sys
from pathlib import Path

from sample.generate import generate_sample


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m sample DIR", file=sys.stderr)
        return 2
    for path in generate_sample(Path(argv[0])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
