"""BPR matrix factorisation: a short PyTorch module (Rendle et al., 2009).

Users and items get ``dim``-wide vectors; a user's score for an item is their dot
product. Training samples (user, item they interacted with, item drawn uniformly from
the rest) and pushes the first score above the second with ``-log σ(s⁺ - s⁻)`` plus L2
on the vectors used — RecBole's ``BPR`` (its defaults: 64 dimensions, Adam, lr 1e-3).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from open_interpreter.apps.recommend._data import Interactions, ItemText
from open_interpreter.apps.recommend._models import RecommenderModel
from open_interpreter.errors import ConfigError


class BPR(RecommenderModel):
    """Matrix factorisation trained with the Bayesian personalised ranking loss.

    Args:
        dim: Vector width.
        epochs: Passes over the training interactions.
        batch_size: Triples per step.
        learning_rate: Adam's step size.
        weight_decay: L2 weight on the vectors in each batch.
    """

    kind = "bpr"

    def __init__(
        self,
        dim: int = 64,
        epochs: int = 40,
        batch_size: int = 4096,
        learning_rate: float = 5e-3,
        weight_decay: float = 1e-4,
    ) -> None:
        super().__init__()
        if dim < 1 or epochs < 1 or batch_size < 1 or learning_rate <= 0 or weight_decay < 0:
            raise ConfigError(
                f"BPR needs positive sizes and rate, got {dim=}, {epochs=}, {batch_size=}, "
                f"{learning_rate=}, {weight_decay=}"
            )
        self.dim, self.epochs, self.batch_size = dim, epochs, batch_size
        self.learning_rate, self.weight_decay = learning_rate, weight_decay

    def _fit(self, train: Interactions, item_text: ItemText | None, seed: int) -> None:
        import torch

        generator = torch.Generator().manual_seed(seed)
        users = torch.nn.Embedding(train.n_users, self.dim)
        items = torch.nn.Embedding(train.n_items, self.dim)
        for table in (users, items):
            torch.nn.init.normal_(table.weight, std=0.1, generator=generator)
        optimizer = torch.optim.Adam([users.weight, items.weight], lr=self.learning_rate)
        user_index = torch.from_numpy(train.user_index)
        item_index = torch.from_numpy(train.item_index)
        seen = torch.from_numpy(self._fitted_history().toarray() > 0)
        for _ in range(self.epochs):
            for batch in torch.randperm(len(train), generator=generator).split(self.batch_size):
                u, positive = user_index[batch], item_index[batch]
                negative = _negatives(seen, u, generator)
                user_vectors = users(u)
                pos_vectors, neg_vectors = items(positive), items(negative)
                margin = (user_vectors * (pos_vectors - neg_vectors)).sum(-1)
                penalty = sum(v.pow(2).sum() for v in (user_vectors, pos_vectors, neg_vectors))
                loss = -torch.nn.functional.logsigmoid(margin).mean()
                loss = loss + self.weight_decay * penalty / len(batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        self.user_vectors = users.weight.detach().numpy().copy()
        self.item_vectors_ = items.weight.detach().numpy().copy()

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.user_vectors[users] @ self.item_vectors_.T

    def item_vectors(self) -> np.ndarray:
        return self.item_vectors_

    def _config(self) -> dict[str, Any]:
        return {
            "dim": self.dim,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "weight_decay": self.weight_decay,
        }

    def _state(self) -> dict[str, np.ndarray]:
        return {"user_vectors": self.user_vectors, "item_vectors": self.item_vectors_}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.user_vectors = state["user_vectors"]
        self.item_vectors_ = state["item_vectors"]


def _negatives(seen: Any, users: Any, generator: Any) -> Any:
    """One item per user drawn uniformly from those the user has not interacted with.

    Draws are redrawn (up to 10 times) where they hit a seen item; the few left after that
    are kept, as RecBole's sampler does within its retry budget.
    """
    import torch

    n_items = seen.shape[1]
    negative = torch.randint(0, n_items, (len(users),), generator=generator)
    for _ in range(10):
        clash = seen[users, negative]
        if not clash.any():
            break
        negative[clash] = torch.randint(0, n_items, (int(clash.sum()),), generator=generator)
    return negative
