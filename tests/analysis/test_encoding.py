"""How the analyses map a text's sub-word tokens back to its words and their offsets."""

from __future__ import annotations

from open_interpreter.analysis.encoding import encode_text, encode_tokens


def test_encodings_map_sub_words_to_words(sentiment):
    tokenizer = sentiment.tokenizer
    encoding = encode_text(tokenizer, "cats sat.", 32)
    assert encoding.words == ["cats", "sat", "."]
    assert encoding.word_positions() == [[1, 2], [3], [4]]  # cat ##s | sat | .
    assert encoding.word_ids[0] is None and encoding.word_ids[-1] is None
    tokens = encode_tokens(tokenizer, ["john", "visited", "paris"], 32)
    assert tokens.text == "john visited paris"
    assert tokens.spans == [(0, 4), (5, 12), (13, 18)]
    assert tokens.first_positions() == {0: 1, 1: 2, 2: 3}
