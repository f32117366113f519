"""script/gen_catalog: the committed data.json is what the appendix generates, and the parser's
rules (columns from each header, rows centred on their number line) hold on small samples."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
from pathlib import Path
import shutil
import sys
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "script" / "gen_catalog"
DATA = REPO / "custom_components" / "studer_innotec" / "xcom" / "catalog" / "data.json"


def load_generator() -> ModuleType:
    """Import script/gen_catalog (a file without .py suffix) as a module."""
    loader = importlib.machinery.SourceFileLoader("gen_catalog", str(SCRIPT))
    spec = importlib.util.spec_from_loader("gen_catalog", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_catalog"] = module  # dataclasses look their module up
    loader.exec_module(module)
    return module


gen = load_generator()


@pytest.fixture(scope="module")
def appendix() -> Path:
    """The appendix; missing it is a failure in CI and a skip elsewhere."""
    path: Path = gen.DEFAULT_APPENDIX
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"the appendix {path} is missing in CI")
        pytest.skip(f"the appendix {path} is not available here")
    return path


@pytest.fixture(scope="module")
def generated(appendix: Path) -> str:
    text: str = gen.generate(appendix)
    return text


def test_committed_data_is_up_to_date(appendix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gen.main([str(appendix), "--check"]) == 0
    assert "is up to date" in capsys.readouterr().out


def test_check_fails_on_a_modified_copy(
    appendix: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "data.json"
    shutil.copy(DATA, copy)
    copy.write_text(copy.read_text(encoding="utf-8").replace("Fan error", "Fan eror"), "utf-8")
    assert gen.main([str(appendix), "--check", "--output", str(copy)]) == 1
    assert "differs from what" in capsys.readouterr().err
    missing = tmp_path / "missing.json"
    assert gen.main([str(appendix), "--check", "--output", str(missing)]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_generation_is_deterministic(appendix: Path, generated: str, tmp_path: Path) -> None:
    output = tmp_path / "out" / "data.json"
    assert gen.main([str(appendix), "--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == generated
    assert generated == DATA.read_text(encoding="utf-8")


def test_output_is_one_row_per_line(generated: str) -> None:
    lines = generated.splitlines()
    assert lines[0] == "{"
    assert lines[1].startswith('"header": {"schema":1,"appendix":"V1.6.42 (R704)"')
    rows = [line for line in lines if line.startswith("[")]
    assert len(rows) == 1262 + 138 + 189
    assert '["xt","param",1138,"Battery charge current",' in generated


def test_unreadable_appendix_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "appendix.txt"
    broken.write_text("     Version : V1.6.42 (R704)\nV1.6.42   1\n", encoding="utf-8")
    assert gen.main([str(broken), "--output", str(tmp_path / "x.json")]) == 2
    assert "sections not found" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


# ------------------------------------------------------------------------------------------------
# Parser rules on small samples
# ------------------------------------------------------------------------------------------------

PARAM_HEADER = (
    "      Level     Nr    Xtender parameter description                    Unit   Default"
    "       Min           Max           Scom format   Increment"
)


def section(kind: str, lines: list[str], header: str = PARAM_HEADER) -> object:
    spec = gen.SectionSpec("xt", kind)
    segment = gen.Segment(gen.header_columns(header, kind), [gen.Line(1, ln) for ln in lines])
    return gen.Section("test", spec, [segment])


def place(*cells: tuple[str, str]) -> str:
    """A layout line with each text starting at its column's header."""
    columns: dict[str, int] = gen.header_columns(PARAM_HEADER, "param")
    line = ""
    for name, text in cells:
        line = line.ljust(columns[name]) + text
    return line


def test_header_columns() -> None:
    columns = gen.header_columns(PARAM_HEADER, "param")
    assert list(columns) == list(gen.PARAM_COLUMNS)
    assert columns["name"] == PARAM_HEADER.index("Xtender")
    assert columns["format"] == PARAM_HEADER.index("Scom format")
    info = (
        "          Nr     Xtender information description  Short desc.   the RCC   Unit      "
        "Format Related parameter or description"
    )
    info_columns = gen.header_columns(info, "info")
    assert info_columns["description"] == info.index("Related")
    assert gen.header_columns("not a header", "info") is None
    assert gen.header_columns("      Level   Nr   Messages", "message") is not None


def test_rows_are_centred_on_their_number_line() -> None:
    """An enum row and a row with a wrapped name, printed back to back without blank lines."""
    lines = [
        place(("increment", "Only 1 bit")),
        place(
            ("level", "Expert"),
            ("number", "1532"),
            ("name", "  Kind of dynamic compensation"),
            ("default", "1:Auto"),
            ("min", "0:Manual"),
            ("max", "1:Auto"),
            ("format", "LONG ENUM"),
            ("increment", "0:Manual"),
        ),
        place(("increment", "1:Auto")),
        place(("name", "  Decrease of the max. current")),
        place(
            ("level", "Expert"),
            ("number", "1554"),
            ("default", "0:No"),
            ("min", "0:No"),
            ("max", "1:Yes"),
            ("format", "BOOL"),
            ("increment", "1"),
        ),
        place(("name", "  by remote entry")),
    ]
    blocks = gen.split_blocks(section("param", lines))
    assert [(len(b.above), len(b.below)) for b in blocks] == [(1, 1), (1, 1)]
    assert gen.asymmetric_blocks(blocks) == []
    enum = gen.param_record(gen.parse_param_block(blocks[0], "xt"))
    assert (enum["format"], enum["flag_enum"], enum["default"], enum["increment"]) == (
        "LONG_ENUM",
        True,
        1,
        None,
    )
    assert enum["options"] == [[0, "Manual"], [1, "Auto"]]
    wrapped = gen.parse_param_block(blocks[1], "xt")
    assert (wrapped.name, wrapped.depth, wrapped.format) == (
        "Decrease of the max. current by remote entry",
        1,
        "BOOL",
    )
    assert gen.param_record(wrapped)["options"] == [[0, "No"], [1, "Yes"]]


def test_unknown_format_is_an_error() -> None:
    lines = [
        place(
            ("level", "Expert"),
            ("number", "1999"),
            ("name", "Odd"),
            ("default", "1"),
            ("min", "0"),
            ("max", "2"),
            ("format", "DOUBLE"),
            ("increment", "1"),
        )
    ]
    (block,) = gen.split_blocks(section("param", lines))
    with pytest.raises(gen.AppendixError, match="format"):
        gen.param_record(gen.parse_param_block(block, "xt"))


def test_a_row_cut_by_a_page_break_is_an_error() -> None:
    """The lower half of a row at the top of the next page would make both rows lopsided."""
    lines = [
        place(("increment", "Only 1 bit")),
        place(("increment", "1:Slow")),
        place(
            ("level", "Basic"),
            ("number", "1552"),
            ("name", "Grid loss"),
            ("default", "2:Tolerant"),
            ("min", "1:Slow"),
            ("max", "4:Fast"),
            ("format", "LONG ENUM"),
        ),
    ]
    blocks = gen.split_blocks(section("param", lines))
    assert [b.row.text.split()[1] for b in gen.asymmetric_blocks(blocks)] == ["1552"]


def test_lines_outside_rows_are_an_error() -> None:
    with pytest.raises(gen.AppendixError, match="belonging to no row"):
        gen.split_blocks(section("param", [place(("increment", "Only 1 bit"))]))


@pytest.mark.parametrize(
    ("text", "number", "label", "signal"),
    [
        ("46.3", 46.3, None, False),
        ("32", 32, None, False),
        ("1:Yes", 1, "Yes", False),
        ("420=07:00", 420, "07:00", False),
        ("-0.1: Inductive 0.90", -0.1, "Inductive 0.90", False),
        ("+0.1: Capacitive 0.90", 0.1, "Capacitive 0.90", False),
        ("0: Cos phi 1", 0, "Cos phi 1", False),
        ("None", 0, "None", False),
        ("S", None, None, True),
        ("", None, None, False),
    ],
)
def test_parse_value(text: str, number: float | None, label: str | None, signal: bool) -> None:
    value = gen.parse_value(text)
    assert (value.number, value.label, value.signal) == (number, label, signal)


def test_parse_value_rejects_text() -> None:
    with pytest.raises(gen.AppendixError, match="not a number"):
        gen.parse_value("about 3")


def test_parse_options() -> None:
    assert gen.parse_options(["1:Slow", "2:Tolerant"]) == [[1, "Slow"], [2, "Tolerant"]]
    with pytest.raises(gen.AppendixError, match="duplicate"):
        gen.parse_options(["1:A", "1:B"])
    with pytest.raises(gen.AppendixError, match="not an option"):
        gen.parse_options(["Only 1 bit"])


def test_menu_depth() -> None:
    assert [gen.menu_depth(i) for i in (0, 2, 3, 5, 6, 8)] == [0, 1, 1, 2, 2, 3]


def test_layout_fixes_must_still_apply() -> None:
    fix = gen.LAYOUT_FIXES[0]
    row = gen.ParamRow(
        family=fix.family,
        number=fix.number,
        level="INSTALLER",
        name="Something else",
        depth=1,
        page=1,
        unit=None,
        format="FLOAT",
        default=gen.Value(10),
        min=gen.Value(8),
        max=gen.Value(1440),
        increment=["1"],
    )
    with pytest.raises(gen.AppendixError, match="no longer applies"):
        gen.apply_layout_fixes([row])
    with pytest.raises(gen.AppendixError, match="row not found"):
        gen.apply_layout_fixes([])


def test_version_is_read_from_the_title_page() -> None:
    assert gen.appendix_version("     Version : V1.6.42 (R704)\n") == "V1.6.42 (R704)"
    with pytest.raises(gen.AppendixError):
        gen.appendix_version("no version")


def test_unknown_unit_is_an_error() -> None:
    gen.check_unit("Vdc", "here")
    gen.check_unit(None, "here")
    with pytest.raises(gen.AppendixError, match="unknown unit 'parsecs'"):
        gen.check_unit("parsecs", "here")
