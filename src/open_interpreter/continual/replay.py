"""The rehearsal buffer: a bounded, class-balanced reservoir sample of all training data
seen so far, stored with the model and mixed into the next version's training data."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from open_interpreter.continual.examples import example_at, examples_from_items
from open_interpreter.data.examples import Examples, TokenExamples

NO_ENTITY = "O"


@dataclass
class ReplayBuffer:
    """At most ``size`` examples, split evenly between the classes seen so far; within a
    class, a uniform sample of all its examples seen (reservoir sampling, Vitter's
    algorithm R), so old classes keep their share however much new data comes.

    A sentence of tagged words counts for its rarest entity type (``O`` when it has none),
    so rare types are not crowded out by common ones.

    Attributes:
        size: The most examples kept.
        seed: Seeds the sampling; the generator's state is saved with the buffer.
        slots: Per class, the examples kept (as plain dicts, see
            :func:`~open_interpreter.continual.examples.example_at`).
        seen: Per class, how many examples were offered.
    """

    size: int
    seed: int = 0
    slots: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def __len__(self) -> int:
        return sum(len(kept) for kept in self.slots.values())

    def add(self, examples: Examples) -> None:
        """Offer every example of ``examples`` to the buffer (in a seeded random order)."""
        classes = _classes(examples, self.seen)
        for name in set(classes):
            self.slots.setdefault(name, [])
            self.seen.setdefault(name, 0)
        self._shrink()
        order = list(range(len(examples)))
        self._rng.shuffle(order)
        for i in order:
            self._offer(classes[i], example_at(examples, i))

    def examples(self, like: Examples) -> Examples | None:
        """The kept examples in the shape of ``like`` (None when the buffer is empty)."""
        items = [item for name in sorted(self.slots) for item in self.slots[name]]
        return examples_from_items(items, like, source="replay buffer") if items else None

    def to_dict(self) -> dict[str, Any]:
        """The buffer as JSON-ready data (with the sampler's state)."""
        state = self._rng.getstate()
        return {
            "size": self.size,
            "seed": self.seed,
            "rng": [state[0], list(state[1]), state[2]],
            "seen": self.seen,
            "slots": self.slots,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], size: int | None = None) -> ReplayBuffer:
        """The buffer :meth:`to_dict` wrote; ``size`` resizes it (shrinking evenly)."""
        buffer = cls(size=data["size"], seed=data["seed"], slots=data["slots"], seen=data["seen"])
        version, internal, gauss = data["rng"]
        buffer._rng.setstate((version, tuple(internal), gauss))
        if size is not None and size != buffer.size:
            buffer.size = size
            buffer._shrink()
        return buffer

    def _capacity(self) -> int:
        return self.size // max(1, len(self.slots))

    def _offer(self, name: str, item: dict[str, Any]) -> None:
        self.seen[name] += 1
        kept, capacity = self.slots[name], self._capacity()
        if len(kept) < capacity:
            kept.append(item)
            return
        j = self._rng.randrange(self.seen[name])
        if j < capacity:
            kept[j] = item

    def _shrink(self) -> None:
        """Cut every class to the (new) per-class capacity, keeping a uniform sample."""
        capacity = self._capacity()
        for name, kept in self.slots.items():
            if len(kept) > capacity:
                self.slots[name] = self._rng.sample(kept, capacity)


def _classes(examples: Examples, seen: dict[str, int]) -> list[str]:
    """The class each example counts for in the buffer."""
    if not isinstance(examples, TokenExamples):
        return [str(label) for label in examples.labels or []]
    counts = Counter(seen)
    per_sentence = []
    for tags in examples.tags or []:
        kinds = {t.split("-", 1)[1] for t in tags if "-" in t}
        per_sentence.append(kinds)
        counts.update(kinds)
    return [
        min(kinds, key=lambda k: (counts[k], k)) if kinds else NO_ENTITY for kinds in per_sentence
    ]
