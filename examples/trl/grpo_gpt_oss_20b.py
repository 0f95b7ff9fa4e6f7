"""GRPO on rlla_4k_gpt with TRL 1.16's ``GRPOTrainer``, gpt-oss-20b defaults.

    pip install 'rlla-4k-gpt[trl]'                        # plus your CUDA torch
    rlla-4k-gpt build --out build/rl
    python examples/trl/grpo_gpt_oss_20b.py --data build/rl/data --output-dir out/grpo

What the recipe sets, and why (docs/reward.md, "TRL", has the details):

* the prompt: each row's ``prompt_text``, the harmony prompt with the tool declarations, as a
  plain-text prompt; TRL would render a conversational ``prompt`` with its own ``tools=`` instead
  of the row's tools;
* the reward: ToolRL's three components as three reward functions, so TRL logs each
  (``rewards/toolrl_format/mean``...); their sum is ToolRL's score. They score the
  ``completion_ids`` TRL passes, decoded with special tokens kept;
* lengths: rows whose prompt is over 2,048 tokens are left out, and completions stop at 1,024
  tokens, ToolRL's limits; the fixture builds' longest prompt is 1,714 tokens and longest ground
  truth 918 (``rlla-4k-gpt stats``);
* stop tokens: TRL reads its stop list from ``model.generation_config.eos_token_id`` when the
  trainer is created (plus the tokenizer's EOS), and cuts each completion after the first one.
  gpt-oss's own list holds ``<|call|>``, so a completion would end after its first call. The
  recipe sets ``<|return|>`` and ``<|endoftext|>`` before creating the trainer, so a completion
  can hold every call of a multi-call row. ``GRPOConfig(generation_kwargs={"stop_token_ids": ...})``
  does nothing without vLLM.

tests/test_trl.py runs this module's functions with a tiny random ``GptOssForCausalLM``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rlla_4k_gpt.reward import make_trl_reward_func

MODEL = "openai/gpt-oss-20b"
#: The stop tokens: <|return|> and <|endoftext|>, not <|call|> (200012), so calls can follow calls.
STOP_TOKEN_IDS = (200002, 199999)
#: ToolRL's limits; the fixture builds' longest prompt is 1,714 tokens, longest ground truth 918.
MAX_PROMPT_TOKENS = 2048
MAX_COMPLETION_LENGTH = 1024
#: ToolRL's three components, one reward function each.
COMPONENTS = ("format", "correctness", "length")


def load_train_dataset(data: str | Path, max_prompt_tokens: int = MAX_PROMPT_TOKENS) -> Any:
    """The built parquet files for TRL: ``prompt_text`` (the harmony prompt) becomes ``prompt``.

    Rows whose ``prompt_tokens`` exceed ``max_prompt_tokens`` are left out, and counted. The other
    columns stay: TRL hands them to the reward functions (``reward_model`` holds the ground truth).
    """
    from datasets import load_dataset

    files = sorted(str(p) for p in Path(data).glob("*.parquet")) if Path(data).is_dir() else [str(data)]
    if not files:
        raise FileNotFoundError(f"no parquet files in {data}")
    dataset = load_dataset("parquet", data_files=files, split="train")
    kept = dataset.filter(lambda row: row["prompt_tokens"] <= max_prompt_tokens)
    if len(kept) < len(dataset):
        print(f"left out {len(dataset) - len(kept)} of {len(dataset)} rows over {max_prompt_tokens} prompt tokens")
    return kept.remove_columns("prompt").rename_column("prompt_text", "prompt")


def reward_functions(tokenizer: Any, variant: str | None = None) -> list[Callable[..., list[float]]]:
    """The three component reward functions (TRL logs each); ``variant=None`` reads ToolRL's
    environment variables."""
    return [make_trl_reward_func(component, variant=variant, tokenizer=tokenizer) for component in COMPONENTS]


def set_stop_tokens(model: Any, stop_token_ids: Sequence[int] = STOP_TOKEN_IDS) -> None:
    """Set the model's stop list; call it before creating the trainer, which reads it once."""
    model.generation_config.eos_token_id = list(stop_token_ids)


def grpo_config(output_dir: str, **overrides: Any) -> Any:
    """The recipe's ``GRPOConfig`` (completion length, generations, logging); ``overrides`` win."""
    from trl import GRPOConfig

    settings: dict[str, Any] = {
        "output_dir": output_dir,
        "max_completion_length": MAX_COMPLETION_LENGTH,
        "num_generations": 8,
        "per_device_train_batch_size": 8,
        "learning_rate": 1e-6,
        "temperature": 1.0,
        "logging_steps": 1,
        "bf16": True,
        "gradient_checkpointing": True,
    }
    settings.update(overrides)
    return GRPOConfig(**settings)


def build_trainer(model: Any, tokenizer: Any, dataset: Any, args: Any, variant: str | None = None) -> Any:
    """A ``GRPOTrainer`` with the recipe's stop tokens and reward functions."""
    from trl import GRPOTrainer

    set_stop_tokens(model)
    return GRPOTrainer(
        model=model,
        reward_funcs=reward_functions(tokenizer, variant),
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="a build's data folder (or one parquet file)")
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--output-dir", default="out/grpo-gpt-oss-20b")
    parser.add_argument("--variant", default=None, help="reward variant name (default: ToolRL's environment variables)")
    parser.add_argument("--max-steps", type=int, default=-1)
    parser.add_argument("--num-generations", type=int, default=8)
    options = parser.parse_args(argv)

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(options.model)
    model = AutoModelForCausalLM.from_pretrained(options.model, dtype=torch.bfloat16)
    args = grpo_config(options.output_dir, max_steps=options.max_steps, num_generations=options.num_generations)
    trainer = build_trainer(model, tokenizer, load_train_dataset(options.data), args, options.variant)
    trainer.train()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
