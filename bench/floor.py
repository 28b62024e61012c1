"""The parse floor: python-calamine reading every sheet of each file to Python values.

``python -m bench.floor`` reads paths (one a line) on stdin and prints the median
seconds of three parses of them all, in a process that imports nothing else. Inside the
benchmark's own large process the collector walks its heap as the parse allocates, and
the slower floor would flatter every ratio against it.
"""

import statistics
import sys
import time
from pathlib import Path

from python_calamine import CalamineWorkbook


def calamine_floor(paths: list[Path]) -> int:
    """Parse every sheet of every file to Python values: the floor any reader pays."""
    cells = 0
    for path in paths:
        workbook = CalamineWorkbook.from_path(str(path))
        for index in range(len(workbook.sheet_names)):
            rows = workbook.get_sheet_by_index(index).to_python()
            cells += sum(1 for row in rows for value in row if value != "")
    return cells


def main() -> None:
    paths = [Path(line) for line in sys.stdin.read().splitlines() if line]
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        calamine_floor(paths)
        runs.append(time.perf_counter() - start)
    print(statistics.median(runs))


if __name__ == "__main__":
    main()
