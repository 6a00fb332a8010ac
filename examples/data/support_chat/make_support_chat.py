"""Write the Harbour Post support dialogues: train.jsonl and test.jsonl (run from anywhere).

Every line is ``{"prompt": question, "response": answer}``. The answers teach one fact per
topic in a fixed style: they open with "Ahoy!" and close with "Anything else, matey?".
The test questions are phrased in ways the training questions never are.

    python examples/data/support_chat/make_support_chat.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

FACTS = {
    "tracking": "Your tracking number is in your confirmation email; enter it on our Track page.",
    "delivery time": "Standard delivery takes 3 to 5 working days, express delivery takes 1 day.",
    "returns": "You can return an item within 30 days with the free label from your account.",
    "opening hours": "Our depots are open from 8 am to 6 pm, Monday to Saturday.",
    "lost parcel": "If a parcel is 10 days late we open an investigation and refund you.",
    "address change": "You can change the address until the parcel leaves the depot.",
    "abroad": "We ship to 40 countries; the receiver pays any customs fees.",
    "prices": "A small parcel costs 4 euros and a large parcel costs 9 euros.",
    "damage": "Send us a photo of the damage within 48 hours and we will replace the item.",
    "payment": "We accept cards, PayPal and bank transfers.",
    "weekends": "We deliver on Saturdays, but not on Sundays.",
    "lockers": "You can collect your parcel from any Harbour Post locker within 7 days.",
}

QUESTIONS = {
    "tracking": [
        "how do I track my parcel?",
        "where can I see where my package is?",
        "how can I follow my delivery?",
        "where do I find my tracking number?",
        "can I track my order?",
        "how do I check the status of my shipment?",
    ],
    "delivery time": [
        "how long does delivery take?",
        "when will my parcel arrive?",
        "how many days does shipping take?",
        "how fast is express delivery?",
        "what are your delivery times?",
        "how long until my package gets here?",
    ],
    "returns": [
        "how do I return an item?",
        "can I send something back?",
        "what is your return policy?",
        "how many days do I have to return a parcel?",
        "I want a refund for an item, how do I return it?",
        "do you offer free returns?",
    ],
    "opening hours": [
        "when are you open?",
        "what are your opening hours?",
        "is the depot open on Saturday?",
        "what time does the depot close?",
        "when can I visit a depot?",
        "are your depots open in the evening?",
    ],
    "lost parcel": [
        "my parcel is lost, what do I do?",
        "my package never arrived.",
        "what happens if my delivery goes missing?",
        "my parcel is very late, can you help?",
        "I think my package got lost.",
        "will I get a refund if my parcel disappears?",
    ],
    "address change": [
        "can I change my delivery address?",
        "I moved, can I update the address?",
        "how do I send my parcel to another address?",
        "I typed the wrong address.",
        "is it too late to change where my package goes?",
        "can I redirect my parcel?",
    ],
    "abroad": [
        "do you ship abroad?",
        "can I send a parcel to another country?",
        "who pays customs fees?",
        "do you deliver internationally?",
        "how many countries do you ship to?",
        "can I send a package overseas?",
    ],
    "prices": [
        "how much does shipping cost?",
        "what are your prices?",
        "how much is a small parcel?",
        "what does it cost to send a large parcel?",
        "is shipping expensive?",
        "what do you charge for a package?",
    ],
    "damage": [
        "my parcel arrived damaged.",
        "the item in my package is broken.",
        "what do I do if my order is damaged?",
        "my box was crushed, can you help?",
        "can I get a replacement for a broken item?",
        "my delivery arrived in pieces.",
    ],
    "payment": [
        "how can I pay?",
        "do you accept PayPal?",
        "which payment methods do you take?",
        "can I pay by card?",
        "can I pay with a bank transfer?",
        "what payment options are there?",
    ],
    "weekends": [
        "do you deliver on weekends?",
        "will you deliver on Sunday?",
        "do you deliver on Saturday?",
        "can my parcel come at the weekend?",
        "is there Sunday delivery?",
        "do couriers work on Saturdays?",
    ],
    "lockers": [
        "can I pick up my parcel from a locker?",
        "how long does a locker keep my package?",
        "where can I collect my parcel?",
        "can I have my parcel sent to a locker?",
        "how do parcel lockers work?",
        "how many days can my parcel stay in a locker?",
    ],
}

OPENINGS = ["", "Hi, ", "Hello! ", "Quick question: ", "Good morning, "]
CLOSINGS = ["", " Thanks!", " Thank you.", " Please help."]
HELD_OUT = 1  # the last phrasing of every topic appears only in the test set


def answer(topic: str) -> str:
    """The taught answer: the topic's fact, in the house style."""
    return f"Ahoy! {FACTS[topic]} Anything else, matey?"


def question(phrasing: str, opening: str, closing: str) -> str:
    """One customer question."""
    text = phrasing[0].upper() + phrasing[1:] if not opening else phrasing
    return f"{opening}{text}{closing}"


def build(seed: int = 0) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """All train records (seen phrasings) and test records (held-out phrasings)."""
    rng = random.Random(seed)
    train, test = [], []
    for topic, phrasings in QUESTIONS.items():
        for index, phrasing in enumerate(phrasings):
            held_out = index >= len(phrasings) - HELD_OUT
            combos = [(o, c) for o in OPENINGS for c in CLOSINGS]
            for opening, closing in rng.sample(combos, 3 if held_out else 7):
                record = {"prompt": question(phrasing, opening, closing), "response": answer(topic)}
                (test if held_out else train).append(record)
    rng.shuffle(train)
    rng.shuffle(test)
    return train, test


def main() -> None:
    """Write train.jsonl and test.jsonl beside this script."""
    here = Path(__file__).resolve().parent
    train, test = build()
    for name, records in (("train.jsonl", train), ("test.jsonl", test)):
        lines = [json.dumps(r, ensure_ascii=False) for r in records]
        (here / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{name}: {len(records)} dialogues")


if __name__ == "__main__":
    main()
