"""Specification of tools/coverage/sourcemap.py: from bytecode and source maps to coverage."""

from __future__ import annotations

import pytest

from tools.coverage.sourcemap import (
    FALSE,
    NEXT_JUMPI,
    TRUE,
    Branch,
    Coverage,
    Item,
    Program,
    SourceItems,
    Span,
    decode_source_map,
    instruction_pcs,
    metadata_label,
    successor_outcomes,
)

CBOR = b"\xa2\x64ipfs\x58\x22" + bytes(range(34)) + b"\x64solc\x43\x00\x08\x1c\x00\x33"


def test_decode_source_map__empty_fields__repeat_the_previous_entry():
    assert decode_source_map("1:2:0:-:0;;3:4;:5:1:i;-1:-1:-1:o") == [
        (1, 2, 0, "-"),
        (1, 2, 0, "-"),
        (3, 4, 0, "-"),
        (3, 5, 1, "i"),
        (-1, -1, -1, "o"),
    ]


def test_instruction_pcs__push_data__is_skipped():
    # PUSH1 aa, PUSH0, PUSH2 0102, STOP
    assert instruction_pcs(bytes.fromhex("60aa5f61010200")) == [0, 2, 3, 6]


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(b"\x60\x80" + CBOR, id="runtime code"),
        pytest.param(b"\x60\x80\x39" + b"\x60\x80" + CBOR + bytes(64), id="init code with constructor arguments"),
    ],
)
def test_metadata_label__solc_code__is_its_cbor_metadata(code):
    assert metadata_label(code) == CBOR


def test_metadata_label__init_code_that_creates_contracts__is_its_own_runtime_metadata():
    other = b"\xa2\x64ipfs\x58\x22" + bytes(range(1, 35)) + b"\x64solc\x43\x00\x08\x1c\x00\x33"  # a created contract's
    init = b"\x60\x80\x39" + b"\x60\x80" + CBOR + b"\x60\x80" + other + bytes(64)
    assert metadata_label(init, init=True) == CBOR
    assert metadata_label(init) == other


def test_metadata_label__code_without_metadata__is_none():
    assert metadata_label(bytes.fromhex("6080604052")) is None


def test_source_items__non_ascii_before_a_node__lines_count_bytes():
    content = "// é\nif (c) revert E();\n".encode()  # é is two bytes: the `if` starts at byte 6
    condition = {"nodeType": "Identifier", "src": "10:1:0"}
    revert = {"nodeType": "RevertStatement", "src": "13:10:0"}
    ast = {"nodeType": "IfStatement", "src": "6:17:0", "condition": condition, "trueBody": revert}

    items = SourceItems.from_ast("x.sol", 0, ast, content)

    assert [(item.span, item.line) for item in items.statements] == [(Span(0, 6, 23), 2), (Span(0, 13, 23), 2)]
    assert items.branches == [Branch(Span(0, 6, 23), 2, Span(0, 10, 11), Span(0, 13, 23), None, "if")]


# A function F [0, 100) holding `if (c) <T>` at [10, 30) (condition [14, 15), true part
# [17, 30)), then a statement S at [40, 50); a second file (1) stands for shared code.
F, IF, COND, TRUE_PART, S = (0, 0, 100), (0, 10, 30), (0, 14, 15), (0, 17, 30), (0, 40, 50)
BRANCH = Branch(Span(*IF), 2, Span(*COND), Span(*TRUE_PART), None, "if")


def program(instructions: list[tuple[str, tuple[int, int, int], str]]) -> Program:
    """Bytecode from (hex of one instruction, (file, start, end), jump kind) triples."""
    code = bytes.fromhex("".join(hex_ for hex_, _, _ in instructions))
    source_map = ";".join(f"{start}:{end - start}:{file}:{jump}" for _, (file, start, end), jump in instructions)
    return Program.build(("x.sol:C", "runtime"), code, source_map)


def guard(false_path: list[tuple[str, tuple[int, int, int], str]]) -> Program:
    """`if (c) revert` whose JUMPI (pc 5) falls through into the revert (pc 6) or jumps to pc 9."""
    return program(
        [
            ("5b", F, "-"),  # 0 JUMPDEST
            ("6001", COND, "-"),  # 1 PUSH1 1 (c)
            ("6009", IF, "-"),  # 3 PUSH1 9
            ("57", IF, "-"),  # 5 JUMPI
            ("5f", TRUE_PART, "-"),  # 6 PUSH0
            ("5f", TRUE_PART, "-"),  # 7 PUSH0
            ("fd", TRUE_PART, "-"),  # 8 REVERT
            ("5b", TRUE_PART, "-"),  # 9 JUMPDEST, labelled where the tag was made: says nothing
        ]
        + false_path
    )


@pytest.mark.parametrize(
    "false_path",
    [
        pytest.param([("5f", S, "-"), ("00", S, "-")], id="next statement"),
        pytest.param([("90", F, "-"), ("56", F, "o")], id="return from the function"),
        pytest.param([("5f", (1, 0, 5), "-"), ("00", (1, 0, 5), "-")], id="shared code: the opposite of true"),
    ],
)
def test_successor_outcomes__guard__fallthrough_true_and_target_false(false_path):
    assert successor_outcomes(guard(false_path), BRANCH, 5, sources=2) == {6: TRUE, 9: FALSE}


def test_successor_outcomes__first_jumpi_of_an_or__leaves_the_fallthrough_to_the_next_jumpi():
    code = program(
        [
            ("6001", COND, "-"),  # 0 PUSH1 1 (a)
            ("6008", IF, "-"),  # 2 PUSH1 8
            ("57", IF, "-"),  # 4 JUMPI: a is true -> the true part
            ("6001", COND, "-"),  # 5 PUSH1 1 (b)
            ("57", IF, "-"),  # 7 JUMPI: decides on b
            ("5b", TRUE_PART, "-"),  # 8 JUMPDEST
            ("5f", TRUE_PART, "-"),  # 9 PUSH0
        ]
    )
    assert successor_outcomes(code, BRANCH, 4, sources=1) == {5: NEXT_JUMPI, 8: TRUE}


def test_coverage__guard_never_taken__false_outcome_and_statements_after_it_only():
    code = guard([("5f", S, "-"), ("00", S, "-")])
    source = SourceItems(
        "x.sol",
        0,
        statements=[
            Item("statement", Span(*IF), 2),
            Item("statement", Span(*TRUE_PART), 2),
            Item("statement", Span(*S), 3),
        ],
        functions=[Item("function", Span(*F), 1, "C.f")],
        branches=[BRANCH],
    )
    coverage = Coverage([code], [source], source_count=1)

    (report,) = coverage.report({code.key: {0, 1, 3, 5, 9, 10, 11}}, {code.key: {(5, 9)}})

    assert report.statements == (2, 3)
    assert report.lines == (2, 2)
    assert report.functions == (1, 1)
    assert report.branches == (1, 2)
    assert report.missed_branches == ["L2 if true"]
