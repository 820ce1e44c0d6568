from scraper.mentions import count_mentions


def test_counts_each_framework_by_word():
    text = "We use PyTorch (py-torch) and TensorFlow; JAX and Keras. Not jaxpr or kerasify."
    assert count_mentions(text) == {"pytorch": 2, "tensorflow": 1, "jax": 1, "keras": 1}


def test_no_mentions_gives_an_empty_dict():
    assert count_mentions("A purely theoretical paper about Torch7 in Lua.") == {}
