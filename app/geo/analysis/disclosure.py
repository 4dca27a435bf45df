"""Statistical disclosure control: which published cells are withheld, decided in one place.

The rule, for anonymous callers:
- a count of people, places or settlements from 1 up to the threshold (default 5, never below
  3) is withheld (primary suppression); zeros and counts of comuni are published;
- cells tied to a withheld one are withheld with it: its rates, and its min/max/mid partners;
- secondary suppression: no withheld cell may be recovered from published totals. The levels
  nest (comune < province < region < ripartizione < Italy) and each total is the sum of its
  children, so what is published pins down, for every published total N, only the sum of the
  withheld comuni that reach N through withheld units. Each such group must hold at least two
  comuni and at least `threshold` in every field it protects; each withheld unit below N must
  hold some of the group but not all of it. Then every withheld cell can still be anything
  from 0 up to at least the threshold.

`suppression_pattern` is the one function every public door calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.cache import CACHE
from app.geo.analysis.indicators import INDICATORS, LEVELS, LINKED, RATES, IndicatorTables, Level

Cell = tuple[Level, str]  # (level, unit code)


@dataclass
class Pattern:
    """The withheld fields of every unit, at every level."""

    threshold: int
    withheld: dict[Cell, set[str]] = field(default_factory=dict)

    def fields(self, level: Level, code: str) -> set[str]:
        return self.withheld.get((level, code), set())


def field_groups() -> list[tuple[str, ...]]:
    """Groups of sensitive counts that are withheld together."""
    linked = {name for group in LINKED for name in group}
    singles = [(i.name,) for i in INDICATORS.values() if i.sensitive and i.name not in linked]
    return [*LINKED, *singles]


@dataclass
class Tree:
    """The nesting of units, as integer node ids (comuni first, Italy last)."""

    cells: list[Cell]
    parent: np.ndarray  # -1 for the root
    children: list[list[int]]
    is_leaf: np.ndarray
    depth: list[int]  # 0 for Italy, 4 for a comune

    @classmethod
    def of(cls, tables: IndicatorTables) -> Tree:
        """Build the tree of a state's units; it depends only on the comuni, so it is cached."""
        return CACHE.get(("tree", tables.vintage_key), lambda: cls._build(tables))

    @classmethod
    def _build(cls, tables: IndicatorTables) -> Tree:
        cells: list[Cell] = []
        offsets = {}
        for level in LEVELS:
            offsets[level] = len(cells)
            cells.extend((level, str(code)) for code in tables.rows(level).index)
        parent = np.full(len(cells), -1)
        for depth, level in enumerate(LEVELS[:-1]):
            up = tables.rows(LEVELS[depth + 1]).index
            df = tables.rows(level)
            start = offsets[level]
            parent[start : start + len(df)] = offsets[LEVELS[depth + 1]] + up.get_indexer(
                df["parent"]
            )
        children: list[list[int]] = [[] for _ in cells]
        for node, p in enumerate(parent):
            if p >= 0:
                children[p].append(int(node))
        is_leaf = np.zeros(len(cells), dtype=bool)
        is_leaf[: offsets[LEVELS[1]]] = True
        depths = [len(LEVELS) - 1 - LEVELS.index(level) for level, _ in cells]
        return cls(cells, parent, children, is_leaf, depths)

    def ancestors(self, node: int):
        p = self.parent[node]
        while p >= 0:
            yield int(p)
            p = self.parent[p]

    def under(self, node: int, top: int) -> bool:
        return node == top or top in self.ancestors(node)


class Protector:
    """Secondary suppression of one group of fields on the tree."""

    def __init__(self, tree: Tree, values: np.ndarray, threshold: int) -> None:
        self.tree, self.values, self.t = tree, values, threshold
        self.known = ~np.isnan(values).any(axis=1)  # units with figures to publish
        sensitive = (values > 0) & (values <= threshold)
        self.suppressed: set[int] = set()
        # The withheld children of each node, so that a group is walked without scanning the
        # hundreds of published comuni of a province.
        self.withheld_children: dict[int, set[int]] = {}
        for node in np.flatnonzero(sensitive.any(axis=1) & self.known):
            self.withhold(int(node))

    def withhold(self, node: int) -> None:
        self.suppressed.add(node)
        parent = int(self.tree.parent[node])
        if parent >= 0:
            self.withheld_children.setdefault(parent, set()).add(node)

    def group(self, top: int) -> tuple[list[int], list[int]]:
        """From a total: the withheld comuni reaching it through withheld units, and those units."""
        free, passed = [], []
        stack = sorted(self.withheld_children.get(top, ()))
        while stack:
            node = stack.pop()
            if self.tree.is_leaf[node]:
                free.append(node)
            else:
                passed.append(node)
                stack.extend(sorted(self.withheld_children.get(node, ())))
        return free, passed

    def reach(self, top: int) -> tuple[list[int], list[int], list[int], list[int]]:
        """From a published total: free withheld comuni, withheld units passed, and candidates.

        Candidates are what could join the free group: published comuni, and published units
        (which would bring their own subtree), reachable through withheld units only.
        """
        free, passed, leaf_candidates, unit_candidates = [], [], [], []
        stack = list(self.tree.children[top])
        while stack:
            node = stack.pop()
            withheld = node in self.suppressed
            if self.tree.is_leaf[node]:
                if withheld:
                    free.append(node)
                elif self.known[node]:
                    leaf_candidates.append(node)
            elif withheld:
                passed.append(node)
                stack.extend(self.tree.children[node])
            elif self.known[node]:
                unit_candidates.append(node)
        return free, passed, leaf_candidates, unit_candidates

    def problem(self, top: int, published: bool) -> tuple[str, int | None] | None:
        """Say what is wrong with the group under `top`: (need, inside/outside unit)."""
        free, passed = self.group(top)
        if not published and not free:
            return "inside", top  # a withheld root would equal the sum of its published parts
        for q in passed:
            inside = [leaf for leaf in free if self.tree.under(leaf, q)]
            if not inside:
                return "inside", q  # q would equal the sum of its published parts
            if published and len(inside) == len(free):
                return "outside", q  # q would equal the whole group's known sum
        if not published or not free:
            return None
        mass = self.values[free].sum(axis=0)
        if len(free) < 2 or (mass < self.t).any():
            return "more", None
        return None

    def grow(self, top: int, need: str, unit: int | None) -> None:
        """Withhold one more cell to mend the group under `top` (or `top` itself)."""
        free, _, leaves, units = self.reach(top)
        if unit is None:
            pass
        elif need == "inside":
            leaves = [c for c in leaves if self.tree.under(c, unit)]
            units = [c for c in units if self.tree.under(c, unit)]
        elif need == "outside":
            leaves = [c for c in leaves if not self.tree.under(c, unit)]
            units = [c for c in units if not self.tree.under(c, unit)]
        mass = self.values[free].sum(axis=0) if free else np.zeros(self.values.shape[1])
        shortfall = self.t - mass if need == "more" else np.zeros_like(mass)
        if (shortfall > 0).any():
            # Only cells that bring some of what is missing can help.
            short = shortfall > 0
            leaves = [c for c in leaves if bool(np.any(self.values[c, short] > 0))]
            units = [c for c in units if bool(np.any(self.values[c, short] > 0))]
        if leaves:
            self.withhold(self._cheapest(leaves, shortfall))
        elif units:
            # The smallest unit that covers the shortfall, else the largest; its own withheld
            # comuni then join this group.
            self.withhold(self._cheapest(units, shortfall))
        elif top not in self.suppressed:
            self.withhold(top)  # nothing left below: withhold the total itself
        else:
            raise AssertionError("no cell left to withhold")  # pragma: no cover

    def _cheapest(self, candidates: list[int], shortfall: np.ndarray) -> int:
        """The smallest cell that covers the shortfall, else the largest; ties by node id."""
        vals = self.values[candidates]
        covers: np.ndarray = np.all(vals >= shortfall, axis=1)
        order = np.lexsort((candidates, vals.sum(axis=1)))
        if covers.any():
            return next(candidates[i] for i in order if covers[i])
        return candidates[order[-1]]

    def run(self) -> set[int]:
        """Withhold cells until no group under any total can give one back."""
        root = len(self.tree.cells) - 1
        # Only totals above a withheld cell can give one back, and withholding a cell only
        # changes the groups of its ancestors: check those, deepest first, until none is left.
        pending = {a for node in self.suppressed for a in self.tree.ancestors(node)}
        while pending:
            top = max(pending, key=lambda n: (self.tree.depth[n], -n))
            pending.discard(top)
            published = top not in self.suppressed
            if not published and top != root:
                continue  # a withheld unit is checked from its nearest published total
            while (found := self.problem(top, published)) is not None:
                before = set(self.suppressed)
                self.grow(top, *found)
                for node in self.suppressed - before:
                    pending.update(self.tree.ancestors(node))
                    if not self.tree.is_leaf[node]:
                        pending.add(node)
                if top in self.suppressed and top != root:
                    break
        return self.suppressed


def suppression_pattern(tables: IndicatorTables, threshold: int) -> Pattern:
    """Decide which cells of every level are withheld from public output."""
    if threshold < 3:
        raise ValueError("the suppression threshold is never below 3")
    tree = Tree.of(tables)
    pattern = Pattern(threshold)
    groups = field_groups()
    names = sorted({name for group in groups for name in group})
    column = {name: j for j, name in enumerate(names)}
    # One matrix of every sensitive count, one row per node in the tree's order.
    matrix = np.concatenate([tables.rows(level)[names].to_numpy(dtype=float) for level in LEVELS])
    for group in groups:
        values = matrix[:, [column[name] for name in group]]
        withheld = Protector(tree, values, threshold).run()
        rates = [r.name for r in RATES if r.base in group]
        for node in withheld:
            pattern.withheld.setdefault(tree.cells[node], set()).update(group, rates)
    return pattern
