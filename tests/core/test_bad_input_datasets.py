"""Bad dataset files: each is a DatasetFormatError naming the file and line (or the row's id) and
what was expected; through `evalscope eval` it is one line, exit 1, no traceback."""

from __future__ import annotations

import csv
import gzip
import json

import pytest
from click.testing import CliRunner

from evalscope.benchmarks import get_benchmark
from evalscope.cli.main import main
from evalscope.config import DatasetArgs
from evalscope.core.datasets import DatasetFormatError, read_records
from evalscope.core.tasks import DatasetLoader, build_task, load_samples
from evalscope.core.types import RequestKind


def format_error(path) -> str:
    with pytest.raises(DatasetFormatError) as info:
        read_records(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 400, message
    return message


# -- file level: read_records ------------------------------------------------------------------


def test_malformed_jsonl_line_is_named(tmp_path):
    path = tmp_path / "default_val.jsonl"
    path.write_text('{"question": "q1", "answer": "A"}\n\n{"question": "q2", "answer": \n{"question": "q3"}\n')
    assert format_error(path) == f"{path}:3: invalid JSON (Expecting value at column 31)"


def test_jsonl_line_that_is_not_an_object(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"question": "q1"}\n["q2", "A"]\n')
    assert format_error(path) == f"{path}:2: expected a JSON object per line, got list"


def test_not_utf8_names_line_and_column(tmp_path):
    path = tmp_path / "default_val.csv"
    path.write_bytes(b"id,question,A,B,answer\nq1,ok,x,y,A\nq2,caf\xe9,x,y,B\n")
    assert format_error(path) == f"{path}:3: not UTF-8 text (byte 0xe9 at column 7); save the file as UTF-8"


def test_not_utf8_in_a_gzipped_file(tmp_path):
    path = tmp_path / "data.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"q": "fine"}\n{"q": "\xff"}\n'))
    assert format_error(path).startswith(f"{path}:2: not UTF-8 text (byte 0xff")


def test_broken_gzip_names_the_file(tmp_path):
    path = tmp_path / "data.jsonl.gz"
    path.write_bytes(b"this is not gzip")
    assert format_error(path).startswith(f"{path}: not a readable gzip file")


@pytest.mark.parametrize("name, text", [("e.jsonl", ""), ("e.jsonl", "\n\n  \n"), ("e.csv", ""), ("e.json", "[]")])
def test_empty_file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    assert format_error(path) == f"{path}: holds no records (the file is empty)"


def test_header_only_csv(tmp_path):
    path = tmp_path / "default_val.csv"
    path.write_text("id,question,A,B,answer\n")
    assert format_error(path) == f"{path}: holds only a header row (id, question, A, B, answer), no records"


def test_csv_row_with_wrong_field_count_names_the_line(tmp_path):
    path = tmp_path / "default_val.csv"
    path.write_text('id,question,A,B,answer\nq1,"multi\nline",x,y,A\nq2,1+1, is it 2?,x,y,A\n')
    assert format_error(path) == (
        f"{path}:4: 6 fields, but the header has 5 (id, question, A, B, answer); quote fields that hold a comma"
    )


def test_oversized_csv_field_names_the_file(tmp_path):
    path = tmp_path / "default_val.csv"
    path.write_text('id,question,A,B,answer\nq1,"unclosed,x,y,A\n' + "z" * (csv.field_size_limit() + 10) + "\n")
    started_message = format_error(path)
    assert started_message == (
        f"{path}:2: a field is longer than the CSV limit of {csv.field_size_limit()} characters (an unclosed quote?)"
    )


def test_csv_duplicate_column(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("question,A,A,answer\nq,x,y,A\n")
    assert format_error(path) == f"{path}:1: column 'A' appears twice in the header"


def test_unsupported_file_type(tmp_path):
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1")
    assert "unsupported file type" in format_error(path)


def test_byte_order_mark_does_not_rename_the_first_column(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("id,question\nq1,ok\n".encode("utf-8-sig"))
    assert read_records(path) == [{"id": "q1", "question": "ok"}]


# -- row level: a record the benchmark cannot use ---------------------------------------------


def samples_of(benchmark: str, local_path, **args):
    spec = get_benchmark(benchmark)
    dargs = DatasetArgs(local_path=str(local_path), **args)
    task = build_task(spec, args=dargs, capabilities=frozenset(RequestKind), generation_config=None, seed=42)
    return load_samples(task, DatasetLoader(None, "local"), dargs, None)


def row_error(benchmark: str, local_path, **args) -> str:
    with pytest.raises(DatasetFormatError) as info:
        samples_of(benchmark, local_path, **args)
    return str(info.value)


def test_mcq_answer_not_among_the_options_names_the_row_id(tmp_path):
    (tmp_path / "default_val.csv").write_text("id,question,A,B,C,answer\nq1,1+1?,2,3,4,A\n\nq2,2+2?,4,5,6,D\n")
    assert row_error("general_mcq", tmp_path) == (
        f"general_mcq: {tmp_path / 'default_val.csv'}:4 (row id 'q2'): answer 'D' is not one of its options A, B, C"
    )


def test_mcq_missing_column_names_the_row_and_the_columns_it_has(tmp_path):
    rows = [{"id": "a1", "question": "q", "A": "x", "B": "y", "answer": "B"}, {"id": "a2", "question": "q", "A": "x", "B": "y"}]
    (tmp_path / "default_val.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert row_error("general_mcq", tmp_path) == (
        f"general_mcq: {tmp_path / 'default_val.jsonl'}:2 (row id 'a2'): missing column answer "
        "(general_mcq needs question, A, B[, C..J], answer; the row has id, question, A, B)"
    )


def test_mcq_row_without_an_id_is_named_by_number(tmp_path):
    (tmp_path / "default_val.csv").write_text("question,A,answer\nq,x,A\n")
    assert row_error("general_mcq", tmp_path) == (
        f"general_mcq: {tmp_path / 'default_val.csv'}:2 (row 1): needs at least two options, in columns A and B"
    )


def test_mcq_answer_index_out_of_range(tmp_path):
    (tmp_path / "default_val.csv").write_text("id,question,A,B,answer\nq1,q,x,y,1\nq2,q,x,y,7\n")
    assert row_error("general_mcq", tmp_path).endswith("(row id 'q2'): answer '7' is not one of its options A, B")


def test_mcq_few_shot_file_errors_are_not_skipped(tmp_path):
    """A malformed dev file is an error, never silently 'no few-shot examples'."""
    (tmp_path / "default_val.csv").write_text("id,question,A,B,answer\nq1,q,x,y,A\n")
    (tmp_path / "default_dev.csv").write_text("id,question,A,B,answer\n")
    assert "default_dev.csv: holds only a header row" in row_error("general_mcq", tmp_path, few_shot_num=1)


def test_qa_row_without_a_reference_names_the_row_id(tmp_path):
    (tmp_path / "default.jsonl").write_text('{"id": "r1", "query": "hi", "response": "yo"}\n{"id": "r2", "question": "hi"}\n')
    assert row_error("general_qa", tmp_path) == (
        f"general_qa: {tmp_path / 'default.jsonl'}:2 (row id 'r2'): missing response (or answer); a general_qa row "
        "needs query/question and response/answer, or messages (the row has id, question)"
    )


def test_qa_malformed_messages(tmp_path):
    (tmp_path / "default.jsonl").write_text('{"id": "m1", "messages": [{"role": "user"}]}\n')
    assert "(row id 'm1'): messages must be a list of" in row_error("general_qa", tmp_path)


def test_limit_keeps_the_file_and_line_of_later_rows(tmp_path):
    (tmp_path / "default_val.csv").write_text("id,question,A,B,answer\nq1,q,x,y,Z\nq2,q,x,y,A\n")
    assert ":2 (row id 'q1')" in row_error("general_mcq", tmp_path)


# -- through the command line: one line, exit 1, no traceback --------------------------------


@pytest.mark.parametrize(
    "files, fragments",
    [
        ({"default_val.csv": "id,question,A,B,answer\nq1,q,x,y,E\n"}, ["default_val.csv:2 (row id 'q1')", "answer 'E'"]),
        ({"default_val.csv": "id,question,A,B,answer\n"}, ["default_val.csv: holds only a header row"]),
        ({"default_val.jsonl": '{"question": "q", \n'}, ["default_val.jsonl:1: invalid JSON"]),
        ({"default_val.csv": b"id,question,A,B,answer\nq1,\xff,x,y,A\n"}, ["default_val.csv:2: not UTF-8 text"]),
        ({"default_val.csv": 'id,question,A,B,answer\nq1,"' + "x" * 200_000 + "\n"}, ["default_val.csv:2: a field is longer than the CSV limit"]),
    ],
    ids=["answer-not-an-option", "header-only", "malformed-line", "not-utf8", "oversized-field"],
)
def test_cli_reports_dataset_errors_in_one_line(tmp_path, files, fragments):
    data = tmp_path / "data"
    data.mkdir()
    for name, content in files.items():
        (data / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    result = CliRunner().invoke(
        main,
        ["eval", "--model", "mock", "--eval-type", "mock", "--datasets", "general_mcq",
         "--dataset-args", json.dumps({"general_mcq": {"local_path": str(data)}}), "--work-dir", str(tmp_path / "out")],
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (line,) = [x for x in result.output.splitlines() if x.strip()]
    assert line.startswith("Error: ") and len(line) < 400
    for fragment in fragments:
        assert fragment in line
    assert not (tmp_path / "out").exists()  # nothing was run
