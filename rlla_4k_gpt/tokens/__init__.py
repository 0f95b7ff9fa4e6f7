"""Stage 3, tokens: the gpt-oss tokenizer (offline if need be) and the token budget of a build.

:mod:`.tokenizer` loads or builds the gpt-oss tokenizer, with the vendored chat template. The token
budget (``rlla-4k-gpt stats``, :mod:`.cli`) reads a build's splits (:mod:`.splits`), measures them
(:mod:`.measures`) and collects the report (:mod:`.stats`), which :mod:`.report` prints as tables,
:mod:`.figures` draws and :mod:`.card` writes as the card's token section.

Public names: ``load_tokenizer``, ``count_prompt_tokens``, ``build_gpt_oss_tokenizer``,
``save_gpt_oss_tokenizer``, ``collect_stats``, ``format_report``, ``card_section``.
"""

from .._lazy import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "tokenizer": ["build_gpt_oss_tokenizer", "count_prompt_tokens", "load_tokenizer", "save_gpt_oss_tokenizer"],
    "stats": ["card_section", "collect_stats"],
    "report": ["format_report"],
})  # fmt: skip
