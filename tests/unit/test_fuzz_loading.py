"""Fuzzing every YAML loader with mutations of the shipped files: only diagnostics come back.

Hypothesis mutates the sample flows, selector maps, form template and schedule (byte flips, lines
deleted, duplicated or re-indented, anchors/aliases/tags inserted, deep nesting, huge scalars,
impossible dates and numbers) and loads each through the real loaders. Asserted for every example:

- no exception escapes (a broken file is diagnostics, never a traceback),
- each diagnostic points inside the file and none is pydantic's English,
- each load returns within a bound (a hang is caught by the test's timeout),
- the process's peak memory grows by less than a bound over the whole run.

Derandomized (a fixed seed per test) and without an example database, so CI is reproducible and
nothing is written into the repository. ``KZ_FUZZ=long`` runs many more examples (``make soak``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import DataObject

from bots.api import validate
from bots.project import Project
from bots.schedule.loader import load_schedule
from bots.selectors.form_template import load_form_template
from bots.selectors.loader import load_selector_map
from bots.spec.diagnostics import Diagnostics

REPO = Path(__file__).resolve().parents[2]
LONG = os.environ.get("KZ_FUZZ") == "long"
#: Per kind of file: about 20 s in all on a quiet 2-CPU machine (most mutations fail fast in the parser).
EXAMPLES = {"flow": 600, "selectors": 400, "form": 400, "schedule": 150}
#: A single load may take this long at most (the largest legal file validates in ~10 s; these are small).
PER_LOAD_S = 10.0
#: How much the peak RSS of the worker may grow over one fuzz run (the alias bomb used to take 2.5 GB).
RSS_GROWTH_MB = 300

SNIPPETS = [
    "x: &a [1, 2, 3]", "y: *a", "- &s {log: hi}", "- *s", "z: !!python/object/apply:os.system [ls]", "w: !foo bar",
    "v: !!str 12", "u: 2027-02-30", "t: " + "9" * 5000, "s: .inf", "r: .nan", "q: 1e999", "p: 'a\x00b'", "---",
    "? [a]\n: b", "{a: 1, a: 2}", "o: " + "x" * 200_000, "n: \t1", "m:", "- ", "l: [", "k: '", "j: {{", "i: |",
    "h: " + "[" * 3000 + "]" * 3000, "g: " + "{a: " * 200 + "1" + "}" * 200, "f: -1", "e: 0", "d: true", "c: null",
    "b: 12:30", "a: 0o777", "steps: []", "id: Ｘ", "title: " + "長" * 10_000,
]
CHARS = list(":-[]{}&*!|>'\"#%@`,?\t\n\x00\x07 ") + ["\u3000", "ー", "\ufeff", "\U0001f600"]


def _mutate(data: DataObject, text: str) -> str:
    """One to four mutations of ``text``, each drawn by Hypothesis (so failures shrink)."""
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        lines = text.splitlines(keepends=True) or [""]
        op = data.draw(st.sampled_from(["flip", "delete", "duplicate", "indent", "insert", "replace_value",
                                        "truncate", "nest"]), label="op")
        at = data.draw(st.integers(0, len(lines) - 1), label="line")
        if op == "flip" and text:
            index = data.draw(st.integers(0, len(text) - 1), label="index")
            char = data.draw(st.sampled_from(CHARS) | st.characters(codec="utf-8"), label="char")
            text = text[:index] + char + text[index + 1:]
            continue
        if op == "delete":
            del lines[at]
        elif op == "duplicate":
            lines.insert(at, lines[at] * data.draw(st.integers(1, 50), label="copies"))
        elif op == "indent":
            shift = data.draw(st.integers(-4, 4), label="shift")
            lines[at] = (" " * shift + lines[at]) if shift >= 0 else lines[at][min(-shift, len(lines[at]) - len(
                lines[at].lstrip(" "))):]
        elif op == "insert":
            indent = lines[at][: len(lines[at]) - len(lines[at].lstrip(" "))]
            lines.insert(at, indent + data.draw(st.sampled_from(SNIPPETS), label="snippet") + "\n")
        elif op == "replace_value" and ": " in lines[at]:
            key = lines[at].split(": ", 1)[0]
            lines[at] = key + ": " + data.draw(st.sampled_from(SNIPPETS), label="value").split(": ", 1)[-1] + "\n"
        elif op == "truncate":
            lines = lines[:at]
        elif op == "nest":
            depth = data.draw(st.integers(1, 400), label="depth")
            lines = [" " * depth * 2 + line if line.strip() else line for line in lines[at:]]
            lines = ["a:\n" + "".join(" " * (2 * i) + f"k{i}:\n" for i in range(1, depth))] + lines
        text = "".join(lines)
    return text


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("fuzz") / "project"
    for part in ("flows", "selectors", "schedules"):
        shutil.copytree(REPO / part, root / part)
    return Project(root)


def _seeds(pattern: str) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(REPO.glob(pattern))]


_COUNTER = itertools.count()
Loader = Callable[[Path, Project], tuple[object, Diagnostics]]
KINDS: dict[str, tuple[list[str], str, Loader]] = {
    "flow": (_seeds("flows/*.yaml") + _seeds("flows/common/*.yaml"), "flows",
             lambda path, project: validate(path, project)),
    "selectors": (_seeds("selectors/*.yaml"), "selectors", lambda path, project: load_selector_map(path)),
    "form": (_seeds("selectors/forms/*.yaml"), "selectors/forms", lambda path, project: load_form_template(path)),
    "schedule": (_seeds("schedules/*.yaml"), "schedules",
                 lambda path, project: load_schedule(path, project, dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC))),
}


def _peak_rss_mb() -> float:
    if sys.platform == "win32":
        import psutil

        return float(psutil.Process().memory_info().peak_wset) / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture
def rss_bound() -> Iterator[None]:
    before = _peak_rss_mb()
    yield
    grown = _peak_rss_mb() - before
    assert grown < RSS_GROWTH_MB, f"peak memory grew by {grown:.0f} MB while fuzzing"


def _check_one(kind: str, project: Project, text: str) -> None:
    _, folder, load = KINDS[kind]
    path = project.root / folder / f"_fuzz_{next(_COUNTER)}.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    lines = text.count("\n") + 1
    start = time.perf_counter()
    try:
        _, found = load(path, project)
    finally:
        path.unlink()
    elapsed = time.perf_counter() - start
    assert elapsed < PER_LOAD_S, f"{kind} load took {elapsed:.1f} s"
    for diagnostic in found:
        assert isinstance(diagnostic.message, str) and diagnostic.message
        assert "Input should" not in diagnostic.message and "Field required" not in diagnostic.message, diagnostic
        if diagnostic.path == path and diagnostic.pos is not None:
            assert 1 <= diagnostic.pos.line <= lines + 1 and diagnostic.pos.col >= 1, diagnostic.render()


def _fuzz(kind: str) -> Callable[..., None]:
    seeds = KINDS[kind][0]
    examples = EXAMPLES[kind] * (50 if LONG else 1)

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                                     HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def run(project: Project, rss_bound: None, data: DataObject) -> None:
        seed = data.draw(st.sampled_from(seeds), label="seed")
        _check_one(kind, project, _mutate(data, seed))

    return run


@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind", list(KINDS))
def test_seeds_load_clean(kind: str, project: Project) -> None:
    """The unmutated seeds are valid: a mutation's diagnostics come from the mutation."""
    seeds, _, load = KINDS[kind]
    assert seeds
    for text in seeds:
        path = project.root / KINDS[kind][1] / f"_seed_{next(_COUNTER)}.yaml"
        path.write_text(text, encoding="utf-8")
        _, found = load(path, project)
        path.unlink()
        assert not found.errors, [d.render() for d in found]


test_fuzz_flows = pytest.mark.timeout(600)(_fuzz("flow"))
test_fuzz_selector_maps = pytest.mark.timeout(600)(_fuzz("selectors"))
test_fuzz_form_templates = pytest.mark.timeout(600)(_fuzz("form"))
test_fuzz_schedules = pytest.mark.timeout(600)(_fuzz("schedule"))
