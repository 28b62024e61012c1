"""Validate a whole refresh batch in one Great Expectations run per suite.

One run over all rows costs 0.6 s where one run per file costs 80 s (design.md), so
the batch is validated at once and failures go back to their files and cells through
``row_id``.
"""

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import pandas as pd
from great_expectations.core import ExpectationSuiteValidationResult

from expectations import data_docs
from expectations.completeness import empty_problem, removed_problems, removed_task_problems
from expectations.frames import long_frame, rule_frame
from expectations.messages import rule_message, value_message
from expectations.suites import PARSE_RULE, rule_suite, value_suite
from expectations.warning_rules import late_problem, missing_indicator_problems, outlier_problems
from reference import Catalog
from reference.model import ERROR, ParsedWorkbook, Problem, ValueInForce, processing_problem
from reference.periods import parse_period

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
logging.getLogger("great_expectations").setLevel(logging.WARNING)
log = logging.getLogger(__name__)


@dataclass
class SuiteOutcome:
    """One suite run: which expectations failed, and GE's result for mapping rows back."""

    suite: str
    failed: list[str]  # expectation types that failed
    results: ExpectationSuiteValidationResult


@cache
def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from tqdm.std import tqdm

    # GE sets this logger to INFO on import; it announces a temporary folder on every run
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    _skip_batch_fingerprint()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    # Even a disabled bar starts tqdm's monitor thread, for good; with it, a process that
    # has validated once could not fork a validation worker safely (expectations.ahead).
    tqdm.monitor_interval = 0
    source = context.data_sources.add_pandas("chitieu")
    for name in ("values", "rules"):
        source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("batch")
    return context


def _skip_batch_fingerprint() -> None:
    """No MD5 of the whole frame as a batch marker: GE hashes every column of a batch
    under 1 GB (twice a suite run: a fifth of validating 1,000 files) for a marker that
    nothing reads, and already goes without it above that size."""
    from great_expectations.execution_engine import pandas_execution_engine

    if not hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        log.warning("GE has no HASH_THRESHOLD any more: batches are fingerprinted again")
        return
    pandas_execution_engine.HASH_THRESHOLD = 0  # memory_usage() < 0 never holds


_SUITES: dict[tuple[str, int], tuple[Catalog, object]] = {}


def _suite(build, catalog: Catalog):
    """The suite ``build`` makes for ``catalog``, built once per process: building one
    (pydantic models of every expectation) costs a tenth of a second at every run."""
    key = (build.__name__, id(catalog))
    found = _SUITES.get(key)
    if found is None or found[0] is not catalog:  # the catalogue kept: its id stays its own
        if len(_SUITES) > 8:
            _SUITES.clear()
        found = _SUITES[key] = (catalog, build(catalog))
    return found[1]


# suite name -> (suite, what its frame was built from when it last passed with no failure
# at all), so that the safety net does not build the frame and run the value suite again on
# exactly the same rows (a batch where every file was accepted). Compared only when the
# safety net runs, then let go.
_PASSED_WHOLE: dict[str, tuple[object, list]] = {}
_DOCS_LATER: set[Path] | None = None  # Data Docs folders to write once the worker answered


def _frame_inputs(parsed: Sequence[ParsedWorkbook]) -> list:
    """All that ``long_frame`` reads of each file but the catalogue (the suite's own):
    comparing these costs a pass over references, building the frame a tenth of a second
    per thousand files."""
    return [workbook.value_content() for workbook in parsed]


RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": ["row_id"]}


def _docs_site(context, docs_dir: Path) -> str:
    """Register (once) an offline Data Docs site in ``docs_dir``; returns its name."""
    name = data_docs.site_name(docs_dir)
    if name not in (context.variables.data_docs_sites or {}):
        context.add_data_docs_site(site_name=name, site_config=data_docs.site_config(docs_dir))
    return name


def run_suite(asset: str, suite, frame: pd.DataFrame, docs_dir: Path | None = None) -> SuiteOutcome:
    """Validate ``frame`` with ``suite``; unexpected rows are identified by ``row_id``.

    With ``docs_dir``, the run goes through a checkpoint that keeps its result for the
    offline HTML validation report (GE Data Docs) that ``build_docs`` writes there.
    """
    context = _context()
    batch_definition = (
        context.data_sources.get("chitieu").get_asset(asset).get_batch_definition("batch")
    )
    frame = frame[_checked_columns(suite)]
    if docs_dir is None:
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        results = batch.validate(_registered(context, suite), result_format=RESULT_FORMAT)
    else:
        checkpoint = _checkpoint(context, suite, batch_definition, _docs_site(context, docs_dir))
        run = checkpoint.run(batch_parameters={"dataframe": frame})
        results = next(iter(run.run_results.values()))
    failed = [r.expectation_config.type for r in results.results if not r.success]
    return SuiteOutcome(suite.name, failed, results)


_COLUMN_ARGUMENTS = ("column", "column_A", "column_B")


def _checked_columns(suite) -> list[str]:
    """``row_id`` and the columns ``suite`` checks: GE filters whole rows as it computes
    each expectation, so every other column of the frame would be copied again each time."""
    named = [getattr(e, arg, None) for e in suite.expectations for arg in _COLUMN_ARGUMENTS]
    return ["row_id", *dict.fromkeys(c for c in named if c is not None and c != "row_id")]


# What the context holds for a suite object of ``_SUITES``: registering it again at every
# run (serializing and comparing every expectation) cost a third of running it.
_REGISTERED: dict[object, tuple[object, object]] = {}  # suite name or (name, site) -> ...


def _registered(context, suite):
    """``suite`` as added to the context, added once per suite object."""
    found = _REGISTERED.get(suite.name)
    if found is None or found[0] is not suite:
        found = _REGISTERED[suite.name] = (suite, context.suites.add_or_update(suite))
    return found[1]


def _checkpoint(context, suite, batch_definition, site: str):
    """The checkpoint that runs ``suite`` and keeps its result for the site's Data Docs."""
    import great_expectations as gx

    key = (suite.name, site)
    found = _REGISTERED.get(key)
    if found is None or found[0] is not suite:
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(
                name=suite.name, data=batch_definition, suite=_registered(context, suite)
            )
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=f"{suite.name}_{site}",
                validation_definitions=[definition],
                actions=[],  # the site is built once per batch: build_docs
                result_format=RESULT_FORMAT,
            )
        )
        found = _REGISTERED[key] = (suite, checkpoint)
    return found[1]


def build_docs(docs_dir: Path) -> None:
    """Write the Data Docs of the suites run with ``docs_dir``: once for the batch, since
    each build renders every result kept so far (a build per suite rendered one twice)."""
    context = _context()
    try:
        context.build_data_docs(site_names=[_docs_site(context, docs_dir)])
    finally:
        _forget_results(context)


def _forget_results(context) -> None:
    """Let go of the results a build has rendered: a process that validates again (tests,
    a long-lived process) would otherwise render them all again at every build, and
    into another home's site."""
    store = context.validation_results_store
    for key in store.list_keys():
        store.remove_key(key.to_tuple())


def _failures(outcome: SuiteOutcome):
    """Yield (expectation meta, row ids) for each failed expectation."""
    for result in outcome.results.results:
        if result.success:
            continue
        config = result.expectation_config
        assert config is not None  # GE sets it on every result of a suite run
        if result.exception_info and result.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"expectation {config.type} could not run: "
                f"{result.exception_info.get('exception_message')}"
            )
        ids = [int(item["row_id"]) for item in result.result.get("unexpected_index_list") or []]
        yield config.meta or {}, ids


def _value_problems(
    frame: pd.DataFrame,
    outcome: SuiteOutcome,
    code_columns: Sequence[str | None],
    units: Sequence[str],
) -> list[tuple[int, Problem]]:
    by_id = frame.set_index("row_id", drop=False)
    first_row_of_slot = frame.groupby("slot")["row"].min()
    found: dict[tuple, tuple[int, Problem]] = {}
    for meta, ids in _failures(outcome):
        for row in by_id.loc[ids].itertuples(index=False):
            rule = row.parse_rule if meta["rule"] == PARSE_RULE else meta["rule"]
            per_row = rule in ("unknown_indicator", "duplicate_indicator")
            if rule == "duplicate_indicator" and row.row == first_row_of_slot[row.slot]:
                continue  # the first row of a repeated code is the one kept
            key = (row.file_index, rule, row.row if per_row else row.cell)
            if key in found:
                continue
            code_column = code_columns[row.file_index]
            cell = f"{code_column}{row.row}" if per_row and code_column else row.cell
            message = value_message(
                rule,
                cell,
                row.raw,
                row.value,
                row.indicator_code,
                row.total_state,
                row.parts_sum,
                row.text_parts,
                units[row.file_index],
            )
            found[key] = (
                row.file_index,
                Problem(
                    ERROR,
                    rule,
                    message,
                    row.sheet,
                    cell,
                    row.indicator_code,
                    None if row.role == "total" or per_row else row.district_code,
                ),
            )
    return list(found.values())


def _unit_words(parsed: Sequence[ParsedWorkbook], catalog: Catalog) -> list[str]:
    """What each file's units below the province are called: the communes and wards of a
    period after the reform, else the districts."""
    by_period: dict[str | None, str] = {}
    for code in {workbook.period_code for workbook in parsed}:
        units = catalog.districts_for(parse_period(code)) if code else []
        by_period[code] = "xã, phường" if any(u.is_commune for u in units) else "huyện, thành phố"
    return [by_period[workbook.period_code] for workbook in parsed]


def _rule_problems(
    frame: pd.DataFrame, wide: pd.DataFrame, outcome: SuiteOutcome, catalog: Catalog
) -> list[tuple[int, Problem]]:
    rules = {r.rule_id: r for r in catalog.rules}
    names = {d.code: d.label for d in catalog.districts}
    cells = frame.set_index(["file_index", "district_code", "indicator_code"])["cell"]
    cells = cells[~cells.index.duplicated()]
    sheets = frame.groupby("file_index")["sheet"].first()
    problems = []
    for meta, ids in _failures(outcome):
        rule = rules[meta["rule_id"]]
        for _, row in wide.set_index("row_id", drop=False).loc[ids].iterrows():
            file_index, district = int(row["file_index"]), row["district_code"]
            place = names.get(district, district)
            message = rule_message(
                rule.description_vi,
                place,
                rule.left,
                row.get(rule.left),
                rule.right,
                row.get(rule.right),
            )
            cell = cells.get((file_index, district, rule.left))
            problems.append(
                (
                    file_index,
                    Problem(
                        rule.severity,
                        "validation_rule",
                        f"[{rule.rule_id}] {message}",
                        sheets.get(file_index),
                        cell,
                        rule.left,
                        district,
                    ),
                )
            )
    return problems


def validate_batch(
    parsed: Sequence[ParsedWorkbook],
    catalog: Catalog,
    received_at: Sequence[datetime | None] | None = None,
    history: Sequence[ValueInForce] | None = None,
    docs_dir: Path | None = None,
    tasks_in_force: Mapping[tuple[str, str], int] | None = None,
) -> list[list[Problem]]:
    """Every problem of every file: what reading found, what the suites found, then warnings.

    ``received_at`` (per file) enables ``late_submission``; ``history`` (the values in
    force of the batch's agencies, ``warehouse.load.values_in_force``) enables ``outlier``
    and ``values_removed``; ``tasks_in_force`` (count per agency and period)
    ``tasks_removed``; ``docs_dir`` keeps the suites' results for the HTML validation
    report (``write_docs``).
    """
    problems = [list(workbook.problems) for workbook in parsed]
    for workbook, own in zip(parsed, problems, strict=True):
        empty = empty_problem(workbook)
        own += [empty] if empty else []
    frame = long_frame(parsed, catalog)
    if not frame.empty:
        _context()  # suites bind to the current context when they are built
        suite = _suite(value_suite, catalog)
        values = run_suite("values", suite, frame, docs_dir)
        _PASSED_WHOLE.pop("values", None)
        if not values.failed:
            _PASSED_WHOLE["values"] = (suite, _frame_inputs(parsed))
        code_columns = [workbook.code_column for workbook in parsed]
        found = _value_problems(frame, values, code_columns, _unit_words(parsed, catalog))
        wide = rule_frame(frame, catalog)
        if len(wide):
            found += _rule_problems(
                frame,
                wide,
                run_suite("rules", _suite(rule_suite, catalog), wide, docs_dir),
                catalog,
            )
        for file_index, problem in found:
            problems[file_index].append(problem)
    arrivals = received_at or [None] * len(parsed)
    for workbook, arrived, own in zip(parsed, arrivals, problems, strict=True):
        late = late_problem(workbook, arrived, catalog)
        own += [late] if late else []
        own += missing_indicator_problems(workbook, catalog)
    accepted = [not any(p.severity == ERROR for p in found) for found in problems]
    if not frame.empty:
        for file_index, problem in outlier_problems(frame, parsed, accepted, history, catalog):
            problems[file_index].append(problem)
    for file_index, problem in removed_problems(parsed, accepted, history, catalog):
        problems[file_index].append(problem)
    for file_index, problem in removed_task_problems(parsed, accepted, tasks_in_force):
        problems[file_index].append(problem)
    return problems


def verify_accepted(parsed: Sequence[ParsedWorkbook], catalog: Catalog) -> tuple[bool, list[str]]:
    """Re-run the value suite on what is about to be loaded: the blocking safety net."""
    suite = _suite(value_suite, catalog)
    passed = _PASSED_WHOLE.pop("values", None)
    if passed and passed[0] is suite and passed[1] == _frame_inputs(parsed):
        return True, []  # the very rows the suite has just passed: a re-run is the same run
    frame = long_frame(parsed, catalog)
    if frame.empty:
        return True, []
    _context()
    outcome = run_suite("values", suite, frame)
    return not outcome.failed, outcome.failed


def validate_isolated(
    parsed: Sequence[ParsedWorkbook],
    catalog: Catalog,
    received_at: Sequence[datetime | None],
    history: Sequence[ValueInForce] | None = None,
    docs_dir: Path | None = None,
    tasks_in_force: Mapping[tuple[str, str], int] | None = None,
) -> tuple[list[list[Problem]], list[tuple[int, BaseException]]]:
    """``validate_batch``, such that no file can make the batch fail.

    If the batch raises, it is halved until the files that raise alone are found; each
    of them gets ``processing_error``, the others their problems. One file costs about
    2·log2(batch) runs, and only when something went wrong. With ``docs_dir``, the
    report of the whole batch is written at the end. Returns (problems per file,
    (file index, error) of the files refused).
    """
    problems: list[list[Problem]] = [[] for _ in parsed]
    failures: list[tuple[int, BaseException]] = []

    def run(indices: list[int]) -> None:
        try:
            found = validate_batch(
                [parsed[i] for i in indices],
                catalog,
                [received_at[i] for i in indices],
                history,
                docs_dir,
                tasks_in_force,
            )
        except Exception as error:  # noqa: BLE001 - isolated below, reported per file
            if len(indices) == 1:
                index = indices[0]
                problems[index] = [*parsed[index].problems, processing_problem("kiểm tra", error)]
                failures.append((index, error))
                return
            middle = len(indices) // 2
            run(indices[:middle])
            run(indices[middle:])
            return
        for index, file_problems in zip(indices, found, strict=True):
            problems[index] = file_problems

    if parsed:
        run(list(range(len(parsed))))
        if docs_dir is not None:
            write_docs(docs_dir)
    return problems, failures


def write_docs(docs_dir: Path) -> None:
    """``build_docs``, now or, in a worker that answers first, once it has answered.

    The report is a by-product: a build that fails is logged and fails no file.
    """
    if _DOCS_LATER is not None:
        _DOCS_LATER.add(docs_dir)
        return
    try:
        build_docs(docs_dir)
    except Exception:  # noqa: BLE001 - the validation it reports on stands
        log.exception("Data Docs not written to %s", docs_dir)


def defer_docs() -> None:
    """From now on ``write_docs`` only notes its folder, for ``write_deferred_docs``."""
    global _DOCS_LATER
    _DOCS_LATER = set()


def write_deferred_docs() -> None:
    global _DOCS_LATER
    folders, _DOCS_LATER = _DOCS_LATER or set(), None
    for docs_dir in sorted(folders):
        write_docs(docs_dir)


def verify_isolated(
    parsed: Sequence[ParsedWorkbook], catalog: Catalog
) -> tuple[bool, list[str], list[tuple[int, BaseException]]]:
    """``verify_accepted``; if it fails or raises, the files that fail alone are found.

    Returns (whether what remains passes, failed expectations, (index, error) of the
    files to refuse). A failure no single file explains is left failing.
    """
    refused: list[tuple[int, BaseException]] = []

    def check(indices: list[int]) -> tuple[bool, list[str]]:
        try:
            return verify_accepted([parsed[i] for i in indices], catalog)
        except Exception as error:  # noqa: BLE001 - isolated below
            return False, [f"{type(error).__name__}: {error}"]

    def isolate(indices: list[int]) -> None:
        ok, failed = check(indices)
        if ok:
            return
        if len(indices) == 1:
            refused.append((indices[0], RuntimeError("; ".join(failed))))
            return
        middle = len(indices) // 2
        isolate(indices[:middle])
        isolate(indices[middle:])

    everything = list(range(len(parsed)))
    ok, failed = check(everything)
    if ok or not parsed:
        return ok, failed, []
    isolate(everything)
    left = [i for i in everything if i not in {index for index, _ in refused}]
    ok, failed = check(left) if left else (True, [])
    return ok, failed, refused
