"""What validating and moving a batch between processes costs, without changing results.

Great Expectations is given only the columns each suite checks and computes no
fingerprint of the frame; a parsed workbook crosses processes as plain tuples and comes
back as the same cells and tasks (issue 12).
"""

import copy
import pickle
from datetime import date

from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine

import expectations.validate
from reference.model import ParsedWorkbook, TaskItem, ValueCell
from tests.factories import indicator_row, make_submission
from workbooks.reading.reader import read_workbook
from workbooks.writing.writer import TaskRow

TODAY = date(2026, 11, 27)


def test_suites_run_on_their_own_columns_without_a_fingerprint(tmp_path, catalog, monkeypatch):
    rows = [
        indicator_row("TT_HOI_NGHI", {"373": -2}),
        indicator_row("TT_LUOT_NGUOI", {"373": 5}),
    ]
    bad = read_workbook(make_submission(tmp_path / "bad.xlsx", rows=rows), catalog, TODAY)
    seen: list[list[str]] = []
    real = PandasExecutionEngine.get_batch_data_and_markers

    def recorded(self, batch_spec):
        data, markers = real(self, batch_spec)
        seen.append(list(data.dataframe.columns))
        assert "pandas_data_fingerprint" not in markers  # no MD5 of every column
        return data, markers

    monkeypatch.setattr(PandasExecutionEngine, "get_batch_data_and_markers", recorded)
    problems = expectations.validate.validate_batch([bad], catalog)[0]

    negative = [p for p in problems if p.rule == "negative_value"]
    part = next(v for v in bad.values if v.role == "district" and v.value == -2)
    assert (part.cell, "TT_HOI_NGHI", "373") in [
        (p.cell, p.indicator_code, p.district_code) for p in negative
    ]  # mapped back to its cell through row_id
    values_columns = seen[0]
    assert values_columns[0] == "row_id"
    assert {"indicator_code", "value", "slot", "total_state"} <= set(values_columns)
    assert not {"raw", "note", "indicator_name", "sheet", "cell"} & set(values_columns)
    assert all(column.startswith("VR") or column == "row_id" for column in seen[-1])


def test_a_parsed_workbook_crosses_processes_unchanged(tmp_path, catalog):
    tasks = [TaskRow("Tuyên truyền", "Đăng ký", "Hoàn thành")]
    path = make_submission(tmp_path / "ca.xlsx", agency="CA", tasks=tasks)
    parsed = read_workbook(path, catalog, TODAY)
    parsed.unread_value_rows.add(12)
    assert parsed.values and parsed.tasks

    for back in (pickle.loads(pickle.dumps(parsed)), copy.deepcopy(parsed)):
        assert isinstance(back, ParsedWorkbook) and back == parsed
        assert all(type(cell) is ValueCell for cell in back.values)
        assert all(type(task) is TaskItem for task in back.tasks)
        assert back.value_content() == parsed.value_content()
        assert back.values[0].indicator_code == parsed.values[0].indicator_code
    assert parsed.values and type(parsed.values[0]) is ValueCell  # the original is untouched
