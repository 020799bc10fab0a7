"""From compiler output to coverable items: what each program counter runs, and where.

Pure functions over the solc standard-JSON output (no chain, no ape):

- `decode_source_map` / `instruction_pcs`: the compressed source map (`s:l:f:j:m;...`) and
  the program counter of each instruction (PUSH data skipped), so `pc -> (file, start, length)`.
- `metadata_label`: the CBOR metadata solc appends to every contract. It names a contract's
  code whatever its immutables and constructor arguments, so a traced frame is matched to
  its compiled contract by it.
- `SourceItems`: the statements, functions and branches (if/else, ternary) of one file,
  from its AST. Only items that own at least one instruction count (the rest is not code).
- `Coverage`: given the program counters a run executed, and the JUMPIs it executed with
  the program counter that followed each, which items were hit.

Positions in source maps and ASTs are byte offsets into the UTF-8 file.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

STATEMENT_NODES = frozenset(
    {
        "ExpressionStatement",
        "VariableDeclarationStatement",
        "Return",
        "EmitStatement",
        "RevertStatement",
        "IfStatement",
        "ForStatement",
        "WhileStatement",
        "DoWhileStatement",
        "Break",
        "Continue",
        "InlineAssembly",
        "TryStatement",
    }
)

JUMP, JUMPI, JUMPDEST = 0x56, 0x57, 0x5B
PUSH0, PUSH1, PUSH32 = 0x5F, 0x60, 0x7F
HALTS = frozenset({0x00, 0xF3, 0xFD, 0xFE, 0xFF})  # STOP RETURN REVERT INVALID SELFDESTRUCT

# solc's default metadata: {"ipfs": bytes34, "solc": bytes3}, then its length (0x0033).
_CBOR = re.compile(rb"\xa2\x64ipfs\x58\x22.{34}\x64solc\x43.{3}\x00\x33", re.DOTALL)


def metadata_label(code: bytes, init: bool = False) -> bytes | None:
    """The contract's CBOR metadata block in `code`: the last one in runtime code; in init code
    (plus constructor arguments), the first one, which ends the contract's runtime object. The
    init code of a constructor that creates contracts (`new X` in the constructor) carries their
    creation code after its own runtime object, with their metadata after its own."""
    matches = list(_CBOR.finditer(code))
    if not matches:
        return None
    return matches[0 if init else -1].group(0)


def decode_source_map(source_map: str) -> list[tuple[int, int, int, str]]:
    """`s:l:f:j:m;...` -> one (start, length, file, jump) per instruction; empty fields repeat."""
    entries = []
    start, length, file, jump = -1, -1, -1, "-"
    for item in source_map.split(";"):
        fields = item.split(":")
        if len(fields) > 0 and fields[0] != "":
            start = int(fields[0])
        if len(fields) > 1 and fields[1] != "":
            length = int(fields[1])
        if len(fields) > 2 and fields[2] != "":
            file = int(fields[2])
        if len(fields) > 3 and fields[3] != "":
            jump = fields[3]
        entries.append((start, length, file, jump))
    return entries


def instruction_pcs(code: bytes) -> list[int]:
    """The program counter of each instruction, in order (PUSH1..PUSH32 data skipped)."""
    pcs = []
    pc = 0
    while pc < len(code):
        pcs.append(pc)
        op = code[pc]
        pc += 1 + (op - PUSH0 if PUSH1 <= op <= PUSH32 else 0)
    return pcs


@dataclass(frozen=True)
class Span:
    """A byte range `[start, end)` of one source file (`file` is solc's source index)."""

    file: int
    start: int
    end: int

    def within(self, other: Span | None) -> bool:
        if other is None or self.file != other.file:
            return False
        return other.start <= self.start and self.end <= other.end

    def overlaps(self, other: Span) -> bool:
        return self.file == other.file and self.start < other.end and other.start < self.end

    @staticmethod
    def parse(src: str) -> Span:
        start, length, file = (int(part) for part in src.split(":"))
        return Span(file, start, start + length)


@dataclass
class Program:
    """One bytecode (a contract's runtime or init code) with its source map."""

    key: tuple[str, str]  # (contract id "path:Name", "runtime" | "init")
    code: bytes
    spans: dict[int, Span]  # pc -> source span, for instructions that map to a source
    ops: dict[int, int]  # pc -> opcode
    push_values: dict[int, int]  # pc of a PUSH -> its value (jump targets)
    next_pc: dict[int, int]  # pc -> pc of the following instruction
    jump_kinds: dict[int, str]  # pc -> "i" (into a function), "o" (out of one) or "-"

    @classmethod
    def build(cls, key: tuple[str, str], code: bytes, source_map: str) -> Program:
        pcs = instruction_pcs(code)
        entries = decode_source_map(source_map) if source_map else []
        spans, ops, push_values, next_pc, jump_kinds = {}, {}, {}, {}, {}
        for index, pc in enumerate(pcs):
            op = code[pc]
            ops[pc] = op
            if index + 1 < len(pcs):
                next_pc[pc] = pcs[index + 1]
            if PUSH1 <= op <= PUSH32:
                push_values[pc] = int.from_bytes(code[pc + 1 : pc + 1 + op - PUSH0], "big")
            if index < len(entries):
                start, length, file, jump = entries[index]
                jump_kinds[pc] = jump
                if file >= 0 and start >= 0 and length >= 0:
                    spans[pc] = Span(file, start, start + length)
        return cls(key, code, spans, ops, push_values, next_pc, jump_kinds)

    def previous_push(self, pc: int) -> int | None:
        """The value pushed by the instruction just before `pc`, if it is a PUSH."""
        return self._previous_push.get(pc)

    def __post_init__(self) -> None:
        self._previous_push: dict[int, int] = {}
        previous = None
        for pc in self.ops:
            if previous is not None and previous in self.push_values:
                self._previous_push[pc] = self.push_values[previous]
            previous = pc


@dataclass
class Item:
    kind: str  # "statement" | "function"
    span: Span
    line: int
    name: str = ""


@dataclass
class Branch:
    """An if/else or a ternary: two outcomes, `true` and `false`."""

    span: Span
    line: int
    condition: Span
    true_span: Span | None
    false_span: Span | None  # None: an `if` without `else`
    kind: str  # "if" | "ternary"


@dataclass
class SourceItems:
    """The coverable items of one source file."""

    path: str
    file: int
    statements: list[Item] = field(default_factory=list)
    functions: list[Item] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)

    @classmethod
    def from_ast(cls, path: str, file: int, ast: dict, content: bytes) -> SourceItems:
        items = cls(path, file)
        line_starts = [0] + [index + 1 for index, byte in enumerate(content) if byte == 0x0A]

        def line_of(span: Span) -> int:
            return bisect.bisect_right(line_starts, span.start)

        for node, contract in _walk(ast, None):
            node_type = node.get("nodeType")
            if node_type == "ContractDefinition":
                continue
            if "src" not in node:
                continue
            span = Span.parse(node["src"])
            if node_type in ("FunctionDefinition", "ModifierDefinition") and node.get("body"):
                name = node.get("name") or node.get("kind", "")
                items.functions.append(Item("function", span, line_of(span), f"{contract}.{name}"))
            if node_type in STATEMENT_NODES:
                items.statements.append(Item("statement", span, line_of(span)))
            if node_type == "IfStatement":
                false_body = node.get("falseBody")
                items.branches.append(
                    Branch(
                        span,
                        line_of(span),
                        Span.parse(node["condition"]["src"]),
                        Span.parse(node["trueBody"]["src"]),
                        Span.parse(false_body["src"]) if false_body else None,
                        "if",
                    )
                )
            elif node_type == "Conditional":
                items.branches.append(
                    Branch(
                        span,
                        line_of(span),
                        Span.parse(node["condition"]["src"]),
                        Span.parse(node["trueExpression"]["src"]),
                        Span.parse(node["falseExpression"]["src"]),
                        "ternary",
                    )
                )
        return items


def _walk(node: object, contract: str | None) -> Iterator[tuple[dict, str | None]]:
    if isinstance(node, dict):
        if node.get("nodeType") == "ContractDefinition":
            contract = node.get("name")
        yield node, contract
        for value in node.values():
            if isinstance(value, (dict, list)):
                yield from _walk(value, contract)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, contract)


Location = tuple[tuple[str, str], int]  # (program key, pc)


class SpanIndex:
    """Every instruction (but JUMPDESTs) that maps into a file, searchable by its span."""

    def __init__(self, programs: Iterable[Program]):
        by_file: dict[int, dict[Span, list[Location]]] = {}
        for program in programs:
            for pc, span in program.spans.items():
                if program.ops[pc] == JUMPDEST:
                    continue  # labelled where the jump to it was made, not by what runs after
                by_file.setdefault(span.file, {}).setdefault(span, []).append((program.key, pc))
        self._spans = {
            file: sorted(spans, key=lambda span: (span.start, span.end)) for file, spans in by_file.items()
        }
        self._starts = {file: [span.start for span in spans] for file, spans in self._spans.items()}
        self._locations = by_file

    def inside(self, outer: Span) -> list[Location]:
        """The instructions whose span lies within `outer`."""
        spans = self._spans.get(outer.file, [])
        starts = self._starts.get(outer.file, [])
        found: list[Location] = []
        first, last = bisect.bisect_left(starts, outer.start), bisect.bisect_right(starts, outer.end)
        for index in range(first, last):
            span = spans[index]
            if span.end <= outer.end:
                found.extend(self._locations[outer.file][span])
        return found


TRUE, FALSE = "true", "false"
NEXT_JUMPI = "next-jumpi"  # another JUMPI of the condition decides (`a || b`)
OPAQUE = "opaque"  # code that says nothing about this branch (shared, or another function)


def classify_successor(program: Program, branch: Branch, pc: int, sources: int, limit: int = 256) -> str:
    """Which outcome of `branch` the code from `pc` on belongs to (right after a JUMPI of it).

    Walks straight-line code, and JUMPs to pushed targets, until an instruction maps into the
    true part (`true`), into the false part or outside the branch node (`false`: skipped), or
    the function returns or stops (`false`). JUMPDESTs (their location is where the label was
    made, not what follows), compiler-generated code, and the condition, the branch node or an
    enclosing node are walked over. Another JUMPI first gives `next-jumpi`; a call, a computed
    jump, a revert or code mapped to another file (the optimizer shares identical blocks
    between functions) gives `opaque`. `sources` is the number of real source files (higher
    indices are generated Yul).
    """
    for _ in range(limit):
        op = program.ops.get(pc)
        if op is None:
            return OPAQUE
        span = program.spans.get(pc)
        if op != JUMPDEST and span is not None and span.file < sources:
            if span.file != branch.span.file:
                return OPAQUE
            if span.within(branch.true_span):
                return TRUE
            if span.within(branch.false_span):
                return FALSE
            if not span.overlaps(branch.span):
                return FALSE
        if op == JUMPI:
            return NEXT_JUMPI
        if op in (0x00, 0xF3):  # STOP, RETURN: the function ended without entering
            return FALSE
        if op in HALTS:
            return OPAQUE
        if op == JUMP:
            kind = program.jump_kinds.get(pc, "-")
            if kind == "o":
                return FALSE  # returned from the branch's function without entering
            target = program.previous_push(pc)
            if kind == "i" or target is None:
                return OPAQUE
            pc = target
            continue
        next_pc = program.next_pc.get(pc)
        if next_pc is None:
            return OPAQUE
        pc = next_pc
    return OPAQUE


def successor_outcomes(program: Program, branch: Branch, jumpi_pc: int, sources: int) -> dict[int, str]:
    """The outcome of each successor of a JUMPI of `branch`: {fallthrough pc: .., target pc: ..}.

    When one successor is decided and the other is opaque, the other is the opposite outcome:
    a JUMPI that is not followed by another JUMPI of the condition is where it is decided.
    """
    successors = [program.next_pc.get(jumpi_pc), program.previous_push(jumpi_pc)]
    outcomes = {
        pc: classify_successor(program, branch, pc, sources) for pc in successors if pc is not None
    }
    if len(outcomes) == 2:
        (first, a), (second, b) = outcomes.items()
        opposite = {TRUE: FALSE, FALSE: TRUE}
        if a in opposite and b == OPAQUE:
            outcomes[second] = opposite[a]
        elif b in opposite and a == OPAQUE:
            outcomes[first] = opposite[b]
    return outcomes


def owning_branch(span: Span, branches: list[Branch]) -> Branch | None:
    """The innermost branch whose decision `span` (a JUMPI's) can be: inside the branch node,
    outside its true and false parts."""
    best = None
    for branch in branches:
        if not span.within(branch.span) or span.within(branch.true_span) or span.within(branch.false_span):
            continue
        if best is None or branch.span.end - branch.span.start < best.span.end - best.span.start:
            best = branch
    return best


@dataclass
class FileReport:
    path: str
    statements: tuple[int, int]  # (hit, total)
    lines: tuple[int, int]
    functions: tuple[int, int]
    branches: tuple[int, int]
    missed_lines: list[int]
    missed_functions: list[str]
    missed_branches: list[str]  # "L<line> <if|ternary> <true|false>"
    line_hits: dict[int, bool]
    function_hits: list[tuple[str, int, bool]]  # (name, line, hit)
    branch_hits: list[tuple[int, bool, bool]]  # (line, true hit, false hit)


class Coverage:
    """Coverage of some source files, from the program counters a run executed and the
    JUMPIs it executed (each with the program counter that followed it)."""

    def __init__(self, programs: list[Program], sources: list[SourceItems], source_count: int):
        self.programs = {program.key: program for program in programs}
        self.sources = sources
        self.index = SpanIndex(programs)
        branches_by_file: dict[int, list[Branch]] = {}
        for source in sources:
            branches_by_file.setdefault(source.file, []).extend(source.branches)
        # program key -> JUMPI pc -> (its branch, outcome of each successor pc)
        self.deciders: dict[tuple[str, str], dict[int, tuple[Branch, dict[int, str]]]] = {}
        for program in programs:
            table = {}
            for pc, op in program.ops.items():
                span = program.spans.get(pc)
                if op != JUMPI or span is None or span.file not in branches_by_file:
                    continue
                branch = owning_branch(span, branches_by_file[span.file])
                if branch is not None:
                    table[pc] = (branch, successor_outcomes(program, branch, pc, source_count))
            self.deciders[program.key] = table
        self._static_outcomes: dict[int, set[str]] = {}
        for table in self.deciders.values():
            for branch, successors in table.values():
                self._static_outcomes.setdefault(id(branch), set()).update(successors.values())

    def measurable(self, branch: Branch) -> tuple[bool, bool]:
        """Whether some JUMPI of the bytecode is known to lead to the true / false outcome."""
        seen = self._static_outcomes.get(id(branch), set())
        return TRUE in seen, FALSE in seen

    def report(
        self,
        executed: dict[tuple[str, str], set[int]],
        jumps: dict[tuple[str, str], set[tuple[int, int]]],
    ) -> list[FileReport]:
        def any_hit(locations: list[Location]) -> bool:
            return any(pc in executed.get(key, ()) for key, pc in locations)

        def _ran(span: Span | None) -> bool:
            return span is not None and any_hit(self.index.inside(span))

        outcomes: dict[int, set[str]] = {}  # id(branch) -> outcomes seen
        for key, pairs in jumps.items():
            table = self.deciders.get(key, {})
            for jumpi_pc, next_pc in pairs:
                if jumpi_pc in table:
                    branch, successors = table[jumpi_pc]
                    outcomes.setdefault(id(branch), set()).add(successors.get(next_pc, OPAQUE))

        reports = []
        for source in self.sources:
            statement_hits = []
            line_hits: dict[int, bool] = {}
            for item in source.statements:
                locations = self.index.inside(item.span)
                if not locations:
                    continue  # no instruction of its own: not code
                hit = any_hit(locations)
                statement_hits.append(hit)
                line_hits[item.line] = line_hits.get(item.line, False) or hit
            function_hits = []
            for item in source.functions:
                locations = self.index.inside(item.span)
                if not locations:
                    continue  # inlined everywhere, or never compiled
                # Entered if its first statement with code ran: the function's own span also
                # covers its exit code, which the optimizer shares between functions.
                own = (self.index.inside(s.span) for s in source.statements if s.span.within(item.span))
                first = next((found for found in own if found), locations)
                function_hits.append((item.name, item.line, any_hit(first)))
            branch_hits = []
            missed_branches = []
            for branch in source.branches:
                if not self.index.inside(branch.span):
                    continue
                seen = outcomes.get(id(branch), set())
                # Decided at the branch's own JUMPIs. Only if the bytecode has no JUMPI known to
                # lead to an outcome, by whether that part's code ran (which may be shared).
                measurable = self.measurable(branch)
                true_hit = TRUE in seen if measurable[0] else _ran(branch.true_span)
                false_hit = FALSE in seen if measurable[1] else _ran(branch.false_span)
                branch_hits.append((branch.line, true_hit, false_hit))
                if not true_hit:
                    missed_branches.append(f"L{branch.line} {branch.kind} true")
                if not false_hit:
                    missed_branches.append(f"L{branch.line} {branch.kind} false")
            reports.append(
                FileReport(
                    path=source.path,
                    statements=(sum(statement_hits), len(statement_hits)),
                    lines=(sum(line_hits.values()), len(line_hits)),
                    functions=(sum(hit for _, _, hit in function_hits), len(function_hits)),
                    branches=(sum(t + f for _, t, f in branch_hits), 2 * len(branch_hits)),
                    missed_lines=sorted(line for line, hit in line_hits.items() if not hit),
                    missed_functions=[name for name, _, hit in function_hits if not hit],
                    missed_branches=missed_branches,
                    line_hits=line_hits,
                    function_hits=function_hits,
                    branch_hits=branch_hits,
                )
            )
        return reports
