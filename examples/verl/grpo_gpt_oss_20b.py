"""GRPO on rlla_4k_gpt with verl 0.9's ``verl.trainer.main_ppo``, gpt-oss-20b defaults.

    pip install 'rlla-4k-gpt[verl]' vllm                  # plus your CUDA torch
    rlla-4k-gpt build --out build/rl --max-prompt-tokens 2048 --over-limit drop
    python examples/verl/grpo_gpt_oss_20b.py --data build/rl/data trainer.n_gpus_per_node=8
    python examples/verl/grpo_gpt_oss_20b.py --data build/rl/data --print   # the command only

Arguments after the options are further Hydra overrides, appended last (they win). What the
recipe sets, and why (docs/reward.md, "verl", has the details):

* the prompt: the agent loop ``rlla_prompt_text`` tokenises each row's ``prompt_text``, the
  harmony prompt with the tool declarations, instead of rendering ``prompt`` without tools;
* the reward: ``reward.custom_reward_function`` with ``pkg://rlla_4k_gpt.reward`` and the naive
  reward-loop manager, which hands the rollout's ``global_steps`` to the scheduled variants;
* lengths: 2,048 prompt and 1,024 response tokens, ToolRL's; in the fixture builds (ToolRL's
  80-row test split and 300 SFT rows) the longest prompt has 1,714 tokens and the longest ground
  truth 918 (``rlla-4k-gpt stats``);
* stop tokens: vLLM is started with ``generation_config=vllm``, so it stops only at the
  tokenizer's EOS ``<|return|>`` and not at ``<|call|>`` from gpt-oss's generation config: a
  rollout can then hold every call of a multi-call ground truth.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

import rlla_4k_gpt

MODEL = "openai/gpt-oss-20b"
#: The agent-loop registration file shipped in the package (see rlla_4k_gpt/trainers/verl_agent_loop.py).
AGENT_LOOP_CONFIG = Path(rlla_4k_gpt.__file__).resolve().parent / "data" / "verl_agent_loop.yaml"


def recipe_overrides(train_files: str, val_files: str, model: str = MODEL) -> list[str]:
    """The recipe's Hydra overrides for ``verl.trainer.main_ppo``; CI composes them against
    verl's own ``ppo_trainer`` config, so a renamed key fails there."""
    return [
        "algorithm.adv_estimator=grpo",
        f"data.train_files={train_files}",
        f"data.val_files={val_files}",
        "data.prompt_key=prompt",
        "data.max_prompt_length=2048",
        "data.max_response_length=1024",
        "data.filter_overlong_prompts=false",
        "data.truncation=error",
        "data.train_batch_size=64",
        f"actor_rollout_ref.model.path={model}",
        "actor_rollout_ref.actor.ppo_mini_batch_size=16",
        "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=1",
        "actor_rollout_ref.actor.use_kl_loss=true",
        "actor_rollout_ref.actor.kl_loss_coef=0.001",
        "actor_rollout_ref.actor.optim.lr=1e-6",
        "actor_rollout_ref.rollout.name=vllm",
        "actor_rollout_ref.rollout.n=8",
        "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=1",
        "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=1",
        f"actor_rollout_ref.rollout.agent.agent_loop_config_path={AGENT_LOOP_CONFIG}",
        "actor_rollout_ref.rollout.agent.default_agent_loop=rlla_prompt_text",
        "+actor_rollout_ref.rollout.engine_kwargs.vllm.generation_config=vllm",
        "reward.custom_reward_function.path=pkg://rlla_4k_gpt.reward",
        "reward.custom_reward_function.name=compute_score",
        "reward.reward_manager.name=naive",
        "trainer.project_name=rlla_4k_gpt",
        "trainer.experiment_name=grpo-gpt-oss-20b",
        "trainer.n_gpus_per_node=8",
        "trainer.nnodes=1",
        "trainer.total_epochs=1",
        "trainer.logger=[console]",
    ]


def command(data: Path, extra: Sequence[str], model: str = MODEL) -> list[str]:
    """``python -m verl.trainer.main_ppo`` with the recipe for the build folder ``data``."""
    train, val = data / "train-00000-of-00001.parquet", data / "test-00000-of-00001.parquet"
    return [sys.executable, "-m", "verl.trainer.main_ppo", *recipe_overrides(str(train), str(val), model), *extra]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("build/rl/data"),
                        help="folder with train-00000-of-00001.parquet and test-00000-of-00001.parquet")
    parser.add_argument("--model", default=MODEL, help="Hub id or local folder of the policy")
    parser.add_argument("--print", action="store_true", help="print the command instead of running it")
    args, extra = parser.parse_known_args(argv)
    cmd = command(args.data, extra, args.model)
    if args.print:
        print(shlex.join(cmd))
        return 0
    os.execv(cmd[0], cmd)
    return 1  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main())
