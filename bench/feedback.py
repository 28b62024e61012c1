"""Time ``write_feedback`` per workbook over the bundled sample, fast path and openpyxl.

``python -m bench.feedback [--copies N]``: each sample workbook gets a few warnings on
real cells and a late-submission warning, as an accepted file with warnings does.
On 2 cores (December 2026): openpyxl 19.4-19.9 ms, fast path 7.3-7.4 ms CPU per
workbook; of the fast path ~4.5 ms is openpyxl filling and writing the result sheet and
the comments, ~2 ms grafting them into the source. On a slower machine later that month:
fast path 8.6 ms before and 8.0-8.3 ms after the rows were written as one string. On a
third, slower machine: 13.2-17.0 ms before and 6.5-8.7 ms after the small workbook was
written from its layout (result_parts) instead of by openpyxl.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def main() -> None:
    from orchestration.sample import generate_sample
    from reference.model import WARNING, Problem
    from workbooks.writing import feedback

    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=200, help="workbooks written per path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = [p for p in generate_sample(Path(tmp) / "in") if p.suffix == ".xlsx"]
        import openpyxl

        jobs = []
        for path in files:
            ws = openpyxl.load_workbook(path).worksheets[0]
            cells = [c.coordinate for row in ws.iter_rows() for c in row if c.value][-3:]
            problems = [Problem(WARNING, "outlier", "Khác thường.", ws.title, c) for c in cells]
            problems.append(Problem(WARNING, "late_submission", "Gửi muộn."))
            jobs.append((path, problems))
        out = Path(tmp) / "out.xlsx"
        for fast in (False, True):
            feedback._FAST = fast
            feedback.PATHS.update(fast=0, openpyxl=0)
            start = time.process_time()
            for i in range(args.copies):
                path, problems = jobs[i % len(jobs)]
                feedback.write_feedback(path, out, path.name, "accepted", problems, None, None)
            ms = (time.process_time() - start) * 1000 / args.copies
            name = "fast path" if fast else "openpyxl"
            print(f"{name}: {ms:.1f} ms CPU per workbook over {args.copies} ({feedback.PATHS})")
        feedback._FAST = True


if __name__ == "__main__":
    main()
