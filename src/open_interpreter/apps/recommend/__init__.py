"""A recommender that reads content: baselines, BPR, content and a hybrid two-tower (also with
its encoder fine-tuned, ``hybrid-ft``), measured.

Data come as RecBole atomic files (MovieLens-100K ships inside ``recbole==1.2.1``); the
evaluation ranks every unseen item for every test user (leave-last-out, or a cold-start
split of hidden items) and reports Recall@10, NDCG@10, MRR and coverage with bootstrap
intervals. Uploaded CSV/TSV tables, registered versions, the ``recommender`` job kind and
feedback events (and retraining on them) are in :mod:`.store` and :mod:`.jobs`;
interactions datasets of the datasets service in :mod:`.datasets`; the sentence-pair
re-ranker in :func:`evaluate_reranker`. See ``docs/recommendation.md``.

Example:
    >>> from open_interpreter.apps.recommend import Recommender, load_movielens_100k
    >>> rec = Recommender.fit(load_movielens_100k(), model="itemknn")  # doctest: +SKIP
    >>> [r.title for r in rec.recommend("196", k=3).items]  # doctest: +SKIP
"""

from open_interpreter.apps.recommend._bpr import BPR
from open_interpreter.apps.recommend._content import ContentModel, TwoTower, embed_items
from open_interpreter.apps.recommend._data import (
    Interactions,
    ItemText,
    RecommendationData,
    load_movielens_100k,
    read_atomic_file,
    read_interactions,
)
from open_interpreter.apps.recommend._evaluate import (
    RankingReport,
    bootstrap_interval,
    evaluate_ranking,
)
from open_interpreter.apps.recommend._finetuned import FineTunedTwoTower
from open_interpreter.apps.recommend._models import (
    MODELS,
    ItemKNN,
    MostPopular,
    RecommenderModel,
    load_model,
)
from open_interpreter.apps.recommend._recommender import (
    Recommendation,
    Recommendations,
    Recommender,
)
from open_interpreter.apps.recommend._rerank import RerankReport, evaluate_reranker
from open_interpreter.apps.recommend._splits import (
    Split,
    cold_start_split,
    leave_last_out,
    random_split,
)
from open_interpreter.apps.recommend._tables_io import read_interaction_tables

__all__ = [
    "BPR",
    "MODELS",
    "ContentModel",
    "FineTunedTwoTower",
    "Interactions",
    "ItemKNN",
    "ItemText",
    "MostPopular",
    "RankingReport",
    "Recommendation",
    "RecommendationData",
    "Recommendations",
    "Recommender",
    "RecommenderModel",
    "RerankReport",
    "Split",
    "TwoTower",
    "bootstrap_interval",
    "cold_start_split",
    "embed_items",
    "evaluate_ranking",
    "evaluate_reranker",
    "leave_last_out",
    "load_model",
    "load_movielens_100k",
    "random_split",
    "read_atomic_file",
    "read_interaction_tables",
    "read_interactions",
]
