import pytest

from open_interpreter.apps.assistant.intents import IntentData
from open_interpreter.apps.assistant.understanding import FAQ_INTENT, Understanding

UTTERANCES = [
    ("hello", "greet"),
    ("hi there", "greet"),
    ("good morning", "greet"),
    ("When does {Elm Street|store_name} close ?", "get_store_hours"),
    ("Is {Main Street|store_name} open ?", "get_store_hours"),
    ("hours of {Central Plaza|store_name} please", "get_store_hours"),
]
FAQ_QUESTIONS = ["How long does a building permit take?", "What does a permit cost?"]


@pytest.fixture
def intent_data() -> IntentData:
    data = IntentData()
    for line, intent in UTTERANCES * 2:
        data.add(line, intent)
    return data


def test_train_fine_tunes_both_models_through_the_recipe(intent_data, tiny_bert_dir, tmp_path):
    settings = {"learning_rate": 5e-3, "epochs": 2, "batch_size": 8, "warmup_ratio": 0.0,
                "validation_split": 0.0}  # fmt: skip
    understanding, results = Understanding.train(
        intent_data, faq_questions=FAQ_QUESTIONS * 2, model=str(tiny_bert_dir),
        output_dir=tmp_path / "understanding", **settings,
    )  # fmt: skip
    assert sorted(understanding.intents.labels) == [FAQ_INTENT, "get_store_hours", "greet"]
    assert "B-store_name" in understanding.slots.labels
    assert results["intents"].task == "sequence-classification"
    assert results["slots"].task == "token-classification"
    questions = ["hello", "When does Elm Street close ?"]
    parses = understanding.parse_many(questions)
    assert all(p.intent in understanding.intents.labels for p in parses)
    assert all(0 < p.confidence <= 1 for p in parses)
    assert all(set(p.slots) <= {"store_name"} for p in parses)
    scores = understanding.evaluate(intent_data)
    assert scores["intents"].num_examples == len(intent_data)
    assert scores["slots"].entities is not None
    loaded = Understanding.load(tmp_path / "understanding")
    assert loaded.parse_many(questions) == parses
