"""Rules that protect the values in force from a file that holds too little.

A blank template sent as a correction would otherwise replace an agency's figures with
nothing: ``empty_submission`` rejects a workbook with no value at all, and
``values_removed`` and ``tasks_removed`` warn when an accepted correction drops most of
the values, or of the tasks, in force.
"""

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence

from reference import Catalog
from reference.model import ERROR, WARNING, ParsedWorkbook, Problem, ValueCell, ValueInForce

MAX_REMOVED_SHARE = 0.5  # a correction removing more than this share of values warns
MAX_NAMED = 10  # indicators named in the message; the rest are counted


def is_filled(row: ValueCell) -> bool:
    """A cell the clerk typed: any part cell with content, or a total that is not a formula."""
    raw = row.raw
    if raw is None:
        return False
    return row.role != "total" or not (isinstance(raw, str) and raw.startswith("="))


def is_empty(workbook: ParsedWorkbook) -> bool:
    return not workbook.tasks and not any(is_filled(row) for row in workbook.values)


def empty_problem(workbook: ParsedWorkbook) -> Problem | None:
    """``empty_submission`` for a readable workbook without a single value or task."""
    if workbook.has_errors or not is_empty(workbook):
        return None
    return Problem(
        ERROR,
        "empty_submission",
        "Tệp báo cáo chưa có số liệu nào: mọi ô số liệu và bảng nhiệm vụ đều để trống. "
        "Nếu đây là biểu mẫu trống gửi nhầm, hãy nhập số liệu rồi gửi lại; báo cáo đang có "
        "hiệu lực của đơn vị được giữ nguyên.",
    )


def _cells(workbook: ParsedWorkbook) -> set[tuple[str | None, str]]:
    """(district, indicator) of every value the file would put in force."""
    return {
        (row.district_code, row.indicator_code)
        for row in workbook.values
        if row.role != "total" and row.value is not None
    }


def removed_problems(
    parsed: Sequence[ParsedWorkbook],
    accepted: Sequence[bool],
    history: Sequence[ValueInForce] | None,
    catalog: Catalog,
) -> list[tuple[int, Problem]]:
    """``values_removed`` for an accepted file that drops over half of the values in force.

    What is in force for an (agency, period) is the warehouse's, replaced by accepted
    files earlier in the batch, so one batch and several refreshes warn alike.
    """
    in_force: dict[tuple, set] = defaultdict(set)
    for agency, district, code, period, _ in history or ():
        in_force[(agency, period)].add((district, code))
    problems = []
    for index, workbook, identity in _accepted_identities(parsed, accepted):
        new = _cells(workbook)
        removed = in_force[identity] - new
        if in_force[identity] and len(removed) > MAX_REMOVED_SHARE * len(in_force[identity]):
            problems.append((index, _removed_problem(removed, len(in_force[identity]), catalog)))
        in_force[identity] = new
    return problems


def _accepted_identities(
    parsed: Sequence[ParsedWorkbook], accepted: Sequence[bool]
) -> Iterator[tuple[int, ParsedWorkbook, tuple[str, str]]]:
    """(index, workbook, (agency, period)) of each accepted file that names both, in
    batch order: the files that replace what is in force."""
    for index, (workbook, ok) in enumerate(zip(parsed, accepted, strict=True)):
        if ok and workbook.agency_code and workbook.period_code:
            yield index, workbook, (workbook.agency_code, workbook.period_code)


def _removed_problem(removed: set, before: int, catalog: Catalog) -> Problem:
    per_code: dict[str, int] = defaultdict(int)
    for _, code in removed:
        per_code[code] += 1
    order = {code: i for i, code in enumerate(catalog.indicators)}
    codes = sorted(per_code, key=lambda c: (order.get(c, len(order)), c))
    named = [f"{c} ({per_code[c]} ô)" for c in codes[:MAX_NAMED]]
    if len(codes) > MAX_NAMED:
        named.append(f"và {len(codes) - MAX_NAMED} chỉ tiêu khác")
    return Problem(
        WARNING,
        "values_removed",
        f"Báo cáo này thay thế báo cáo đang có hiệu lực và bỏ trống {len(removed)}/{before} "
        f"số liệu đã có: {', '.join(named)}. Nếu bỏ trống là nhầm, hãy nhập lại các số liệu "
        "đó và gửi lại báo cáo.",
    )


def removed_task_problems(
    parsed: Sequence[ParsedWorkbook],
    accepted: Sequence[bool],
    in_force: Mapping[tuple[str, str], int] | None,
) -> list[tuple[int, Problem]]:
    """``tasks_removed`` for an accepted file that drops over half of the tasks in force
    (a correction sent without its task sheet drops them all).

    Counted, not matched by name: clerks reword a task between versions. What is in force
    is replaced by accepted files earlier in the batch, as for ``values_removed``.
    """
    counts = dict(in_force or {})
    problems = []
    for index, workbook, identity in _accepted_identities(parsed, accepted):
        before, now = counts.get(identity, 0), len(workbook.tasks)
        if before and before - now > MAX_REMOVED_SHARE * before:
            problems.append((index, _removed_tasks_problem(before, now)))
        counts[identity] = now
    return problems


def _removed_tasks_problem(before: int, now: int) -> Problem:
    if now == 0:
        what = (
            f"không có nhiệm vụ nào, nên {before} nhiệm vụ đã báo cáo sẽ không còn được tính. "
            "Nếu thiếu trang nhiệm vụ là nhầm, hãy thêm lại trang nhiệm vụ"
        )
    else:
        what = (
            f"chỉ còn {now}/{before} nhiệm vụ đã báo cáo. Nếu bỏ bớt nhiệm vụ là nhầm, hãy "
            "nhập lại các nhiệm vụ đó"
        )
    return Problem(
        WARNING,
        "tasks_removed",
        f"Báo cáo này thay thế báo cáo đang có hiệu lực nhưng {what} và gửi lại báo cáo.",
    )
