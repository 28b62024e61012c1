"""The names of the refresh's asset checks, and the Markdown their metadata shows problems in."""

from collections.abc import Sequence

from reference.model import Submission

ACCEPTED_VALUES_PASS = "accepted_values_pass_suites"
NO_REJECTED_SUBMISSIONS = "no_rejected_submissions"
NO_WARNINGS = "no_warnings"
MAX_PROBLEMS_SHOWN = 20


def problems_markdown(submissions: Sequence[Submission], severity: str) -> str:
    """A Markdown table of the first problems of a severity."""
    lines = ["| file | rule | sheet | cell | message |", "|---|---|---|---|---|"]
    shown = 0
    for submission in submissions:
        for problem in submission.problems:
            if problem.severity != severity or shown >= MAX_PROBLEMS_SHOWN:
                continue
            message = problem.message.replace("|", "\\|")
            lines.append(
                f"| {submission.arrival.file_name} | {problem.rule} | "
                f"{problem.sheet or ''} | {problem.cell or ''} | {message} |"
            )
            shown += 1
    return "\n".join(lines) if shown else "(none)"
