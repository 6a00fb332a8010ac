"""Name patterns shared by the services and the API's schemas (which import them from here)."""

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
"""A registry, dataset or prompt name: a letter or digit, then up to 99 of ``A-Za-z0-9._-``."""

MODEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99})?$"
"""A registered or pretrained model's name (``smollm2-135m-instruct``, ``org/repo``)."""


def looks_like_a_path(name: str) -> bool:
    """True for names that would be read as a server path rather than a model name."""
    return (
        name.startswith(("/", "~", "."))
        or "\\" in name
        or ".." in name.split("/")
        or name.count("/") > 1
    )
