"""The reward wiring, the prompt path and the GRPO recipe inside verl 0.9.1's own code.

Runs in ``.venv-verl`` (``make test-verl``; ``tests/ci/verl.txt``) and skips elsewhere. verl's
classes are used as the trainer uses them: the recipe's overrides are composed with Hydra against
verl's ``ppo_trainer`` config, the reward function comes from ``get_custom_reward_fn``, rewards from
verl's reward managers and ``RewardLoopWorker``, prompts from ``RLHFDataset`` and
``AgentLoopWorker``. The only stand-in is the LLM server (no GPU here): it returns each row's
ground truth as the generated tokens, with the ``global_steps`` a rollout server reports.
"""

from __future__ import annotations

import asyncio
import copy
import importlib.util
import pickle
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import read_build
from tests.integration import require

verl = require("verl", "verl")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from hydra import compose, initialize_config_dir  # noqa: E402
from hydra.errors import ConfigCompositionException  # noqa: E402
from verl import DataProto  # noqa: E402
from verl.trainer.ppo.reward import get_custom_reward_fn  # noqa: E402

from rlla_4k_gpt import reward  # noqa: E402
from rlla_4k_gpt.reward.toolrl_reward_core import Variant, bounds  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VERL_CONFIG = Path(verl.__file__).parent / "trainer" / "config"
RECIPE = ROOT / "examples" / "verl" / "grpo_gpt_oss_20b.py"
REWARD_LOOP_MANAGERS = ("naive", "dapo", "gdpo", "rate_limited")


def _load_recipe() -> Any:
    spec = importlib.util.spec_from_file_location("grpo_gpt_oss_20b", RECIPE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


recipe = _load_recipe()


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, offline_vocab: Path) -> Path:
    """The offline gpt-oss tokenizer plus a tiny gpt_oss config.json: what verl loads as a model path."""
    from transformers import GptOssConfig

    from rlla_4k_gpt.tokens.tokenizer import save_gpt_oss_tokenizer

    folder = save_gpt_oss_tokenizer(tmp_path_factory.mktemp("gpt-oss-tiny"))
    GptOssConfig(num_hidden_layers=1, hidden_size=32, intermediate_size=32, num_attention_heads=2,
                 num_key_value_heads=1, head_dim=16, num_local_experts=2, vocab_size=201088,
                 architectures=["GptOssForCausalLM"]).save_pretrained(folder)
    return Path(folder)


@pytest.fixture(scope="module")
def tokenizer(model_dir: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir)


@pytest.fixture(scope="module")
def rows(build_dirs: dict[str, Path]) -> list[dict[str, Any]]:
    """Every row of both fixture builds (the 80-row RL split and the SFT fixture, minus skips)."""
    return read_build(build_dirs["rl"]) + read_build(build_dirs["sft"])


def recipe_config(build_dirs: dict[str, Path], model_dir: Path, *extra: str) -> Any:
    """The recipe composed against verl's own ppo_trainer config, as main_ppo's @hydra.main does."""
    data = build_dirs["rl"] / "data" / "test-00000-of-00001.parquet"
    overrides = [*recipe.recipe_overrides(str(data), str(data), str(model_dir)), "reward.num_workers=1", *extra]
    with initialize_config_dir(config_dir=str(VERL_CONFIG), version_base=None):
        return compose(config_name="ppo_trainer", overrides=overrides)


def max_score(row: dict[str, Any]) -> float:
    return 4.0 if row["answer"]["calls"] else 1.0


def corrupt(ground_truth: str) -> str:
    """The ground truth without its analysis message and with its first call renamed."""
    start = ground_truth.index("<|end|>") + len("<|end|>")
    return ground_truth[start:].replace("to=functions.", "to=functions.wrong_", 1)


def reward_batch(tokenizer: Any, rows: Sequence[dict[str, Any]], responses: Sequence[str],
                 tool_extra: Sequence[dict[str, Any]] | None = None) -> DataProto:
    """A DataProto laid out as verl's rollout hands it to the reward: left-padded prompts,
    right-padded responses (token ids of ``responses``), the rows' non-tensor columns."""
    prompt_ids = [tokenizer.encode(r["prompt_text"], add_special_tokens=False) for r in rows]
    response_ids = [tokenizer.encode(text, add_special_tokens=False) for text in responses]
    width_p, width_r = max(map(len, prompt_ids)), max(map(len, response_ids))
    prompts = torch.zeros(len(rows), width_p, dtype=torch.long)
    responses_t = torch.zeros(len(rows), width_r, dtype=torch.long)
    mask = torch.zeros(len(rows), width_p + width_r, dtype=torch.long)
    for i, (p, r) in enumerate(zip(prompt_ids, response_ids)):
        prompts[i, width_p - len(p):] = torch.tensor(p)
        responses_t[i, : len(r)] = torch.tensor(r)
        mask[i, width_p - len(p): width_p + len(r)] = 1
    non_tensors: dict[str, Any] = {
        "data_source": np.array([r["data_source"] for r in rows], dtype=object),
        "reward_model": np.array([r["reward_model"] for r in rows], dtype=object),
        "extra_info": np.array([copy.deepcopy(r["extra_info"]) for r in rows], dtype=object),
    }
    if tool_extra is not None:
        non_tensors["tool_extra_fields"] = np.array(list(tool_extra), dtype=object)
    tensors = {"prompts": prompts, "responses": responses_t, "attention_mask": mask,
               "input_ids": torch.cat([prompts, responses_t], dim=1)}
    return DataProto.from_dict(tensors=tensors, non_tensors=non_tensors)


def reward_loop_scores(config: Any, *batches: DataProto) -> list[list[dict[str, Any]]]:
    """Scores from verl's RewardLoopWorker (what its Ray actors run), in this process: one worker
    and one event loop (rate_limited binds a class-wide semaphore to the first loop it meets)."""
    from verl.experimental.reward_loop import RewardLoopWorker

    async def run() -> list[list[dict[str, Any]]]:
        worker = RewardLoopWorker(config)
        return [await worker.compute_score_batch(data) for data in batches]

    return asyncio.run(run())


# ------------------------------------------------------------------------------ recipe and keys


def test_recipe_composes_against_verls_config(build_dirs: dict[str, Path], model_dir: Path) -> None:
    cfg = recipe_config(build_dirs, model_dir)
    rollout = cfg.actor_rollout_ref.rollout
    assert (rollout.prompt_length, rollout.response_length) == (2048, 1024)
    assert rollout.agent.default_agent_loop == "rlla_prompt_text"
    assert Path(rollout.agent.agent_loop_config_path) == recipe.AGENT_LOOP_CONFIG
    assert rollout.engine_kwargs.vllm.generation_config == "vllm"
    assert cfg.reward.reward_manager.name == "naive"
    fn = get_custom_reward_fn(cfg)
    row = read_build(build_dirs["rl"])[0]
    gt = row["reward_model"]["ground_truth"]
    assert fn(data_source=row["data_source"], solution_str=gt, ground_truth=gt, extra_info={})["score"] == 4.0
    command = recipe.command(Path("rlla_4k_gpt/rl"), ["trainer.total_epochs=3"])
    assert command[1:3] == ["-m", "verl.trainer.main_ppo"] and command[-1] == "trainer.total_epochs=3"
    assert "data.train_files=rlla_4k_gpt/rl/train-00000-of-00001.parquet" in command
    assert "data.val_files=rlla_4k_gpt/rl/test-00000-of-00001.parquet" in command


def test_agent_loop_config_file_is_the_modules(build_dirs: dict[str, Path], model_dir: Path) -> None:
    from omegaconf import OmegaConf

    from rlla_4k_gpt.trainers import verl_agent_loop

    assert recipe.AGENT_LOOP_CONFIG == verl_agent_loop.CONFIG_PATH
    (entry,) = OmegaConf.load(verl_agent_loop.CONFIG_PATH)
    assert entry.name == verl_agent_loop.AGENT_NAME
    assert entry._target_ == "rlla_4k_gpt.trainers.verl_agent_loop.PromptTextAgentLoop"
    printed = subprocess.run([sys.executable, "-m", "rlla_4k_gpt.trainers.verl_agent_loop"], capture_output=True,
                             text=True, check=True).stdout  # the docs' $(python -m rlla_4k_gpt.trainers.verl_agent_loop)
    assert printed == f"{verl_agent_loop.CONFIG_PATH}\n"


@pytest.mark.parametrize("override", [
    "reward.custom_reward_functions.path=pkg://rlla_4k_gpt.reward",  # a renamed key
    "reward.custom_reward_function.reward_kwargs.with_length=true",  # a new key needs "+"
    "actor_rollout_ref.rollout.agent.agent_loop_config=x.yaml",
])
def test_a_wrong_key_fails_composition(build_dirs: dict[str, Path], model_dir: Path, override: str) -> None:
    with pytest.raises(ConfigCompositionException):
        recipe_config(build_dirs, model_dir, override)


def test_top_level_reward_key_is_ignored_by_main_ppo(build_dirs: dict[str, Path], model_dir: Path) -> None:
    """The legacy top-level key composes, but main_ppo's loader reads only reward.custom_reward_function."""
    cfg = recipe_config(build_dirs, model_dir, "reward.custom_reward_function.path=null",
                        "custom_reward_function.path=pkg://rlla_4k_gpt.reward")
    assert cfg.custom_reward_function.path == "pkg://rlla_4k_gpt.reward"
    assert get_custom_reward_fn(cfg) is None


def test_pkg_form_pickles_and_file_form_needs_cloudpickle(build_dirs: dict[str, Path], model_dir: Path) -> None:
    import cloudpickle

    by_pkg = get_custom_reward_fn(recipe_config(build_dirs, model_dir))
    assert pickle.loads(pickle.dumps(by_pkg)).args[0] is reward.compute_score
    by_file = get_custom_reward_fn(recipe_config(
        build_dirs, model_dir, f"reward.custom_reward_function.path={ROOT / 'rlla_4k_gpt' / 'reward' / 'verl_reward.py'}"))
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps(by_file)
    gt = read_build(build_dirs["rl"])[0]["reward_model"]["ground_truth"]
    assert cloudpickle.loads(cloudpickle.dumps(by_file))("rlla_gpt", gt, gt, {})["score"] == 4.0


def test_variant_name_through_reward_kwargs(build_dirs: dict[str, Path], model_dir: Path) -> None:
    cfg = recipe_config(build_dirs, model_dir, "+reward.custom_reward_function.reward_kwargs.variant=withlength+schedulereward")
    gt = read_build(build_dirs["rl"])[0]["reward_model"]["ground_truth"]
    got = get_custom_reward_fn(cfg)(data_source="rlla_gpt", solution_str=gt, ground_truth=gt, extra_info={"global_steps": 9})
    assert got == reward.compute_score("rlla_gpt", gt, gt, step=10, with_length=True, schedule_reward=True)
    assert got != reward.compute_score("rlla_gpt", gt, gt, step=10, variant="default")


def test_misspelt_variant_option_raises(build_dirs: dict[str, Path], model_dir: Path) -> None:
    fn = get_custom_reward_fn(recipe_config(build_dirs, model_dir, "+reward.custom_reward_function.reward_kwargs.with_lenght=true"))
    with pytest.raises(TypeError, match="with_lenght"):
        fn(data_source="rlla_gpt", solution_str="x", ground_truth="<|channel|>final<|message|>Hi<|return|>", extra_info={})


# ------------------------------------------------------------------------------ reward managers


@pytest.mark.parametrize("manager", REWARD_LOOP_MANAGERS)
def test_reward_loop_managers_on_both_builds(build_dirs: dict[str, Path], model_dir: Path, tokenizer: Any,
                                             rows: list[dict[str, Any]], manager: str) -> None:
    cfg = recipe_config(build_dirs, model_dir, f"reward.reward_manager.name={manager}")
    truths = [r["reward_model"]["ground_truth"] for r in rows]
    good, bad = reward_loop_scores(cfg, reward_batch(tokenizer, rows, truths),
                                   reward_batch(tokenizer, rows, [corrupt(t) for t in truths]))
    assert [g["reward_score"] for g in good] == [max_score(r) for r in rows]
    info = good[0]["reward_extra_info"]
    assert {"score", "format", "correctness", "length"} <= info.keys()
    assert all(b["reward_score"] < max_score(r) for b, r in zip(bad, rows))


def test_naive_manager_with_a_reward_model_passes_router_keywords(build_dirs: dict[str, Path], model_dir: Path,
                                                                  tokenizer: Any, rows: list[dict[str, Any]]) -> None:
    """With a reward model configured verl adds reward_router_address= and reward_model_tokenizer=."""
    from verl.experimental.reward_loop.reward_manager import get_reward_manager_cls

    cfg = recipe_config(build_dirs, model_dir)
    seen: list[set[str]] = []

    def spy(**kwargs: Any) -> dict[str, float]:
        seen.append(set(kwargs))
        return reward.compute_score(**kwargs)

    data = reward_batch(tokenizer, rows[:3], [r["reward_model"]["ground_truth"] for r in rows[:3]])

    async def run() -> list[dict[str, Any]]:
        manager = get_reward_manager_cls("naive")(cfg, tokenizer, spy, reward_router_address="127.0.0.1:1",
                                                  reward_model_tokenizer=tokenizer)
        return [await manager.run_single(data[i: i + 1]) for i in range(3)]

    results = asyncio.run(run())
    assert [r["reward_score"] for r in results] == [max_score(r) for r in rows[:3]]
    assert {"reward_router_address", "reward_model_tokenizer"} <= seen[0]
    assert set(reward.VERL_MANAGER_KWARGS) == seen[0] - {"data_source", "solution_str", "ground_truth", "extra_info"}


def test_scheduled_variant_follows_global_steps(build_dirs: dict[str, Path], model_dir: Path, tokenizer: Any,
                                                rows: list[dict[str, Any]]) -> None:
    """The rollout's global_steps (trainer step - 1) reach compute_score through tool_extra_fields."""
    cfg = recipe_config(build_dirs, model_dir, "+reward.custom_reward_function.reward_kwargs.schedule_reward=true")
    subset = rows[:6]
    truths = [r["reward_model"]["ground_truth"] for r in subset]
    steps = (0, 40, 149)
    batches = [reward_batch(tokenizer, subset, truths, [{"global_steps": g}] * len(subset)) for g in steps]
    for global_steps, scores in zip(steps, reward_loop_scores(cfg, *batches)):
        formats = [s["reward_extra_info"]["format"] for s in scores]
        assert formats == [bounds(Variant(schedule_reward=True), global_steps + 1).format_max] * len(subset)


@pytest.mark.parametrize("manager", ["dapo", "gdpo"])
def test_dapo_and_gdpo_do_not_pass_global_steps(build_dirs: dict[str, Path], model_dir: Path, tokenizer: Any,
                                                rows: list[dict[str, Any]], manager: str) -> None:
    """Why the docs name naive for scheduled variants: dapo and gdpo drop tool_extra_fields (step 1)."""
    cfg = recipe_config(build_dirs, model_dir, f"reward.reward_manager.name={manager}",
                        "+reward.custom_reward_function.reward_kwargs.schedule_reward=true")
    data = reward_batch(tokenizer, rows[:2], [r["reward_model"]["ground_truth"] for r in rows[:2]], [{"global_steps": 149}] * 2)
    formats = [s["reward_extra_info"]["format"] for s in reward_loop_scores(cfg, data)[0]]
    assert formats == [bounds(Variant(schedule_reward=True), 1).format_max] * 2


def test_reward_loop_manager_on_ray(build_dirs: dict[str, Path], model_dir: Path, tokenizer: Any,
                                    rows: list[dict[str, Any]]) -> None:
    """verl's RewardLoopManager: Ray actors that load the function themselves (the only Ray start)."""
    import ray
    from verl.experimental.reward_loop import RewardLoopManager

    cfg = recipe_config(build_dirs, model_dir)
    truths = [r["reward_model"]["ground_truth"] for r in rows]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        out = RewardLoopManager(cfg).compute_rm_score(reward_batch(tokenizer, rows, truths))
    finally:
        ray.shutdown()
    assert out.batch["rm_scores"].sum(dim=1).tolist() == [max_score(r) for r in rows]
    assert {"score", "format", "correctness", "length"} <= set(out.meta_info["reward_extra_keys"])
    assert out.non_tensor_batch["correctness"].tolist() == [3.0 if r["answer"]["calls"] else 0.0 for r in rows]


@pytest.mark.parametrize("path", ["pkg://rlla_4k_gpt.reward", str(ROOT / "rlla_4k_gpt" / "reward" / "verl_reward.py"),
                                  str(ROOT / "rlla_4k_gpt" / "verl_reward.py")])  # the last: 0.2's path
def test_batch_manager_with_compute_score_batch(build_dirs: dict[str, Path], model_dir: Path, tokenizer: Any,
                                                rows: list[dict[str, Any]], path: str) -> None:
    from verl.workers.reward_manager import BatchRewardManager

    cfg = recipe_config(build_dirs, model_dir, f"reward.custom_reward_function.path={path}",
                        "reward.custom_reward_function.name=compute_score_batch")
    manager = BatchRewardManager(tokenizer, num_examine=0, compute_score=get_custom_reward_fn(cfg))
    truths = [r["reward_model"]["ground_truth"] for r in rows]
    out = manager(reward_batch(tokenizer, rows, truths), return_dict=True)
    assert out["reward_tensor"].sum(dim=1).tolist() == [max_score(r) for r in rows]
    assert out["reward_extra_info"]["correctness"] == [3.0 if r["answer"]["calls"] else 0.0 for r in rows]
    bad = manager(reward_batch(tokenizer, rows, [corrupt(t) for t in truths]), return_dict=True)
    assert all(s < max_score(r) for s, r in zip(bad["reward_tensor"].sum(dim=1).tolist(), rows))


@pytest.mark.parametrize("name", ["batch", "prime"])
def test_batch_and_prime_are_not_main_ppo_managers(name: str) -> None:
    """main_ppo resolves reward.reward_manager.name in the reward-loop registry, which has neither."""
    from verl.experimental.reward_loop.reward_manager import get_reward_manager_cls

    with pytest.raises(ValueError, match=name):
        get_reward_manager_cls(name)


# --------------------------------------------------------------------------------- prompt path


class GroundTruthServer:
    """Stands in for verl's LLM server client: replies to each prompt with that row's ground truth."""

    def __init__(self, replies: dict[tuple[int, ...], list[int]], global_steps: int) -> None:
        self.replies, self.global_steps, self.prompts = replies, global_steps, []

    async def generate(self, *, request_id: str, prompt_ids: list[int], sampling_params: dict[str, Any], **_: Any):
        from verl.workers.rollout.replica import TokenOutput

        self.prompts.append(list(prompt_ids))
        return TokenOutput(token_ids=self.replies[tuple(prompt_ids)], extra_fields={"global_steps": self.global_steps})


class LocalRewardHandle:
    """A RewardLoopWorker called in process the way the agent loop calls its Ray actor handle."""

    def __init__(self, worker: Any) -> None:
        self.compute_score = type("Method", (), {"remote": staticmethod(worker.compute_score)})


def test_agent_loop_prompts_are_prompt_text_and_rewards_are_maximal(
    build_dirs: dict[str, Path], model_dir: Path, tokenizer: Any, harmony: Any
) -> None:
    """Every fixture row through RLHFDataset and AgentLoopWorker with the recipe's agent loop:
    the prompt ids are openai-harmony's encoding of prompt_text (the prompt_tokens column counts
    them), and the ground truth generated after it scores the maximum at the reported step."""
    from verl.experimental.agent_loop.agent_loop import AgentLoopWorker
    from verl.experimental.reward_loop import RewardLoopWorker
    from verl.utils.dataset.rl_dataset import RLHFDataset, collate_fn

    files = [str(path) for b in ("rl", "sft") for path in sorted((build_dirs[b] / "data").glob("*.parquet"))]
    cfg = recipe_config(build_dirs, model_dir, "+reward.custom_reward_function.reward_kwargs.schedule_reward=true")
    rows = read_build(build_dirs["rl"]) + read_build(build_dirs["sft"])
    expected = [harmony.encode(r["prompt_text"], allowed_special="all") for r in rows]
    replies = {tuple(ids): harmony.encode(r["reward_model"]["ground_truth"], allowed_special="all")
               for ids, r in zip(expected, rows)}
    server = GroundTruthServer(replies, global_steps=40)
    dataset = RLHFDataset(files, tokenizer, cfg.data)
    assert len(dataset) == len(rows)
    batch = DataProto.from_single_dict(collate_fn([dataset[i] for i in range(len(dataset))]))
    batch.meta_info["global_steps"] = 41

    async def run() -> DataProto:
        handles = [LocalRewardHandle(RewardLoopWorker(cfg))]
        return await AgentLoopWorker(cfg, server, reward_loop_worker_handles=handles).generate_sequences(batch)

    out = asyncio.run(run())

    prompt_width = out.batch["prompts"].shape[1]
    mask = out.batch["attention_mask"][:, :prompt_width].bool()
    produced = [out.batch["prompts"][i][mask[i]].tolist() for i in range(len(rows))]
    assert produced == expected
    assert [len(ids) for ids in produced] == [r["prompt_tokens"] for r in rows]
    # the recipe's docstring quotes these: every fixture row fits its 2,048/1,024 limits
    assert (max(map(len, expected)), max(map(len, replies.values()))) == (1714, 918)  # rl row 45 (repaired), the longest prompt
    scores = [max_score(r) for r in rows]
    step_bounds = bounds(Variant(schedule_reward=True), 41)
    assert out.batch["rm_scores"].sum(dim=1).tolist() == pytest.approx(
        [step_bounds.format_max + (step_bounds.correctness_max if s == 4.0 else 0.0) for s in scores])
    step_format = step_bounds.format_max
    assert out.non_tensor_batch["format"].tolist() == [step_format] * len(rows)
    assert out.non_tensor_batch["correctness"].tolist() == [
        bounds(Variant(schedule_reward=True), 41).correctness_max if r["answer"]["calls"] else 0.0 for r in rows]


def test_agent_loop_refuses_a_prompt_longer_than_the_limit(tokenizer: Any) -> None:
    from rlla_4k_gpt.trainers.verl_agent_loop import prompt_token_ids

    with pytest.raises(ValueError, match="row 7: prompt_text has 3 tokens, more than rollout.prompt_length=2"):
        prompt_token_ids(tokenizer, "<|start|>user<|message|>", 2, row=7)
    with pytest.raises(ValueError, match="row 1: prompt_text must be a non-empty string"):
        prompt_token_ids(tokenizer, None, 2, row=1)
