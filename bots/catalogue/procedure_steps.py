"""The 手順書's steps chapter: each block of the flow, its steps grouped by the screen they touch.

A successor follows the bot screen by screen, so consecutive steps on one screen form a group
headed 「申請入力画面」. A step that names no screen (a key press, a variable, a sub-flow call)
belongs to the screen the steps around it are on: the one before it, or — at the start of a
block — the next one named. Sub-flow steps are inlined under their call, phrased against this
flow's records (「Excel の『氏名』列」 in the Excel flow, 「帳票の『氏名』欄」 in the OCR flow).
"""

from __future__ import annotations

from bots.catalogue.procedure_model import Block, ScreenSteps, SubHeading
from bots.flow.loader import LoadedFlow
from bots.governance.phrase_values import ScreenRef, Wording, screen_name
from bots.governance.phrasing import SECTIONS, StepLine, section_steps, section_title, step_lines
from bots.i18n import tr


def block_lines(loaded: LoadedFlow) -> list[tuple[str, list[StepLine]]]:
    """Each non-empty block of the flow with its lines, sub-flows inlined."""
    wording = Wording.of(loaded)
    found = []
    for block in SECTIONS:
        steps = section_steps(loaded, block)
        if steps:
            found.append((block, step_lines(steps, wording, inline_calls=True)))
    return found


def steps_blocks(loaded: LoadedFlow) -> list[Block]:
    """The chapter's blocks: a sub-heading per flow block, then its screen groups."""
    blocks: list[Block] = []
    systems = _systems_used(loaded)
    for block, lines in block_lines(loaded):
        blocks.append(SubHeading(section_title(block)))
        for screen, group in group_by_screen(lines):
            blocks.append(ScreenSteps(_screen_heading(screen, loaded, len(systems) > 1), tuple(group)))
    return blocks


def group_by_screen(lines: list[StepLine]) -> list[tuple[ScreenRef | None, list[StepLine]]]:
    """Consecutive lines on one screen, in order (see the module docstring for lines with none)."""
    screens: list[ScreenRef | None] = []
    current: ScreenRef | None = None
    for line in lines:
        current = line.screen or current
        screens.append(current)
    upcoming = next((s for s in screens if s is not None), None)
    groups: list[tuple[ScreenRef | None, list[StepLine]]] = []
    for line, screen in zip(lines, screens, strict=True):
        screen = screen or upcoming
        if groups and groups[-1][0] == screen:
            groups[-1][1].append(line)
        else:
            groups.append((screen, [line]))
    return groups


def _screen_heading(screen: ScreenRef | None, loaded: LoadedFlow, with_system: bool) -> str:
    if screen is None:
        return tr("画面を使わない手順", "steps without a screen")
    system, name = screen
    if not with_system:
        return screen_name(name)
    title = _system_title(loaded, system)
    return tr("{t} — {s}", "{s} — {t}", t=title, s=screen_name(name))


def _system_title(loaded: LoadedFlow, system: str) -> str:
    pending = [loaded]
    while pending:
        current = pending.pop()
        for selector_map in current.selector_maps.values():
            if selector_map.system == system and selector_map.title:
                return selector_map.title
        pending.extend(current.subflows.values())
    return system


def _systems_used(loaded: LoadedFlow) -> set[str]:
    found: set[str] = set()
    pending = [loaded]
    while pending:
        current = pending.pop()
        found |= {m.system for m in current.selector_maps.values()}
        pending.extend(current.subflows.values())
    return found
