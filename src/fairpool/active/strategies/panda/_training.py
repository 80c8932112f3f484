"""Meta-training PANDA's policy: meta-tasks, forward-backward splitting.

The outer problem (Sharaf, Daumé III and Ni, FAccT 2022) is

    min_theta  E_task[ L_V(h_theta) ]   s.t.   Delta_V(h_theta) < rho,

where ``h_theta`` is the classifier obtained by training on the examples the policy
``theta`` selects, ``L_V`` its loss on a validation set and ``Delta_V`` its disparity
there. Each meta-task reshuffles the labelled meta-train rows into a labelled seed
D0, a simulated pool and a validation set (:func:`sample_meta_task`).
:func:`active_learn_sim` (ACTIVELEARNSIM) selects a relaxed ``B``-hot batch with
Gumbel-top-``B``, unrolls a few gradient steps of a logistic classifier started at
h0 (fitted on D0) on D0 plus the softly weighted batch, and returns the validation
loss and a differentiable disparity. :func:`forward_backward_step` takes a gradient
(forward) step on the loss and then an approximate proximal (backward) step on the
constraint. :func:`meta_train` runs the whole procedure with §3.3's pretraining and
early stopping on held-out meta-tasks evaluated with hard selections and fully
trained classifiers.
"""


from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.preprocessing import StandardScaler

from fairpool._progress import TerminalProgress
from fairpool.active.strategies.panda._config import PandaConfig
from fairpool.active.strategies.panda._policy import (
    PandaPolicy,
    attention_context,
    policy_input_width,
    sample_gumbel,
)
from fairpool.active.strategies.panda._simulator import (
    active_learn_sim,
    hard_disparity,
    smoothed_constraint,
)
from fairpool.active.strategies.panda._tasks import MetaTask, sample_meta_task
from fairpool.errors import SingleGroupError
from fairpool.metrics import check_binary_labels

__all__ = [
    "adam_metric",
    "proximal_step",
    "forward_backward_step",
    "evaluate_selection",
    "pretrain_encoder",
    "TrainingLog",
    "meta_train",
]

def _trainable(policy: PandaPolicy) -> list[torch.nn.Parameter]:
    return [p for p in policy.parameters() if p.requires_grad]


def adam_metric(optimizer: torch.optim.Adam, params: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Adam's diagonal metric ``sqrt(v_hat) + eps`` for each parameter (ones before any step)."""
    beta2 = optimizer.param_groups[0]["betas"][1]
    eps = optimizer.param_groups[0]["eps"]
    metric = []
    for p in params:
        state = optimizer.state.get(p, {})
        if "exp_avg_sq" in state:
            v_hat = state["exp_avg_sq"] / (1 - beta2 ** float(state["step"]))
            metric.append(v_hat.sqrt() + eps)
        else:
            metric.append(torch.ones_like(p))
    return metric


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _mean_constraint(
    policy: PandaPolicy, tasks: Sequence[MetaTask], noises: Sequence[torch.Tensor],
    config: PandaConfig,
) -> torch.Tensor:
    """Mean over ``tasks`` of :func:`smoothed_constraint` of ACTIVELEARNSIM's disparity."""
    values = [
        smoothed_constraint(active_learn_sim(policy, task, config, noise=noise).disparity,
                            config.rho)
        for task, noise in zip(tasks, noises, strict=True)
    ]
    return torch.stack(values).mean()


def proximal_step(
    policy: PandaPolicy,
    task: MetaTask | Sequence[MetaTask],
    config: PandaConfig,
    *,
    noise: torch.Tensor | Sequence[torch.Tensor],
    gamma: float,
    metric: Sequence[torch.Tensor] | None = None,
) -> float:
    """Approximate ``prox_{gamma c}(theta_hat)`` in place, from ``theta_hat`` = current weights.

    Takes ``config.prox_steps`` preconditioned gradient steps on
    ``gamma * c(theta) + ||theta - theta_hat||_D^2 / 2``, where ``c`` is
    :func:`smoothed_constraint` of ACTIVELEARNSIM's disparity on ``task`` with the
    fixed Gumbel ``noise`` (averaged over the tasks when ``task`` is a list, with one
    noise vector each) and ``D = diag(metric)``: each step is
    ``theta -= 0.5 * (gamma * grad c / D + (theta - theta_hat))``. It stops at once
    when ``c = 0`` at ``theta_hat`` (the constraint holds; the proximal point is
    ``theta_hat`` itself).

    Returns
    -------
    float
        The constraint value ``c`` at the last point evaluated.
    """
    tasks, noises = _as_list(task), _as_list(noise)
    params = _trainable(policy)
    anchor = [p.detach().clone() for p in params]
    if metric is None:
        metric = [torch.ones_like(p) for p in params]
    value = float("nan")
    for step in range(config.prox_steps):
        c = _mean_constraint(policy, tasks, noises, config)
        value = c.item()
        if value == 0.0 and step == 0:
            break
        grads = torch.autograd.grad(c, params, allow_unused=True)
        scaled = [gamma * g / d if g is not None else torch.zeros_like(a)
                  for g, a, d in zip(grads, anchor, metric, strict=True)]
        norm = torch.sqrt(sum((g * g).sum() for g in scaled))
        if not torch.isfinite(norm):
            break  # a degenerate simulation: keep the current point
        # The relaxation's gradients grow like 1 / temperature: bound the step's length.
        shrink = min(1.0, config.prox_clip / max(float(norm), 1e-12))
        with torch.no_grad():
            for p, g, a in zip(params, scaled, anchor, strict=True):
                p -= 0.5 * ((p - a) + shrink * g)
    return value


def forward_backward_step(
    policy: PandaPolicy,
    optimizer: torch.optim.Adam,
    task: MetaTask | Sequence[MetaTask],
    config: PandaConfig,
    *,
    generator: torch.Generator,
) -> dict[str, float]:
    """One outer iteration of forward-backward splitting on one meta-task (or a mini-batch).

    1. Forward step: an Adam step on the validation loss ``L_V`` of ACTIVELEARNSIM
       (averaged over the tasks when ``task`` is a list).
    2. Backward step: :func:`proximal_step` on the constraint with
       ``gamma = prox_weight`` in the Euclidean metric (or, with
       ``prox_metric="adam"``, ``outer_lr * prox_weight`` in Adam's metric); the same
       Gumbel noise is used throughout, so both half-steps see the same batches.

    Returns
    -------
    dict with the mean loss and disparity before the step and the constraint after it.
    """
    tasks = _as_list(task)
    noises = [sample_gumbel((t.features.shape[0],), generator=generator,
                            device=t.features.device) for t in tasks]
    optimizer.zero_grad(set_to_none=True)
    outcomes = [active_learn_sim(policy, t, config, noise=n)
                for t, n in zip(tasks, noises, strict=True)]
    torch.stack([o.loss for o in outcomes]).mean().backward()
    params = _trainable(policy)
    if all(p.grad is None or bool(torch.isfinite(p.grad).all()) for p in params):
        optimizer.step()  # a non-finite gradient (degenerate simulation) skips the step
    record = {"loss": float(np.mean([o.loss.item() for o in outcomes])),
              "disparity": float(np.mean([o.disparity.item() for o in outcomes])),
              "temperature": policy.temperature.item()}
    if config.prox_steps and config.prox_weight:
        record["constraint_after"] = proximal_step(
            policy, tasks, config, noise=noises,
            gamma=config.prox_weight * (config.outer_lr if config.prox_metric == "adam" else 1.0),
            metric=adam_metric(optimizer, params) if config.prox_metric == "adam" else None,
        )
    return record


# ---------------------------------------------------------------------------
# evaluation with hard selections and a fully trained classifier
# ---------------------------------------------------------------------------
def evaluate_selection(
    task: MetaTask, selected: np.ndarray, config: PandaConfig
) -> dict[str, float]:
    """Train ``LogisticRegression(C)`` on D0 + the selected pool rows and score it on validation.

    This is the real inner problem (a converged classifier, hard selection), as the
    loop will solve it: features re-standardised on the labelled set.

    Returns
    -------
    dict with ``loss`` (validation log-loss), ``disparity`` (hard predictions),
    ``f1`` and ``accuracy``.
    """
    X0 = task.X0.cpu().numpy()
    Xp = task.Xp.cpu().numpy()[selected]
    X = np.vstack([X0, Xp])
    y = np.concatenate([task.y0.cpu().numpy(), task.yp.cpu().numpy()[selected]]).astype(int)
    Xv = task.Xv.cpu().numpy()
    yv = task.yv.cpu().numpy().astype(int)
    scaler = StandardScaler().fit(X)
    if np.unique(y).size < 2:
        p = np.full(Xv.shape[0], float(y[0]))
    else:
        model = LogisticRegression(C=config.C, max_iter=1000).fit(scaler.transform(X), y)
        p = model.predict_proba(scaler.transform(Xv))[:, 1]
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    y_pred = (p >= 0.5).astype(int)
    return {
        "loss": float(-np.mean(yv * np.log(pc) + (1 - yv) * np.log(1 - pc))),
        "disparity": hard_disparity(y_pred, yv, task.gv.cpu().numpy(), n_groups=task.n_groups,
                                    constraint=config.constraint,
                                    method=config.disparity_method),
        "f1": float(f1_score(yv, y_pred, zero_division=0.0)),
        "accuracy": float(np.mean(yv == y_pred)),
    }


def _evaluate_policy(
    policy: PandaPolicy,
    tasks: Sequence[MetaTask],
    config: PandaConfig,
    *,
    rng: np.random.Generator | None = None,
):
    """Mean :func:`evaluate_selection` of the policy's batches: Gumbel-top-B samples drawn
    from ``rng`` (the policy as trained), or the top-B logits when ``rng`` is None."""
    results = []
    context_rng = np.random.default_rng(0x0C7)  # the same contexts at every evaluation
    with torch.no_grad():
        for task in tasks:
            n = task.features.shape[0]
            context = attention_context(n, config.context_size, context_rng,
                                        device=task.features.device)
            logits = policy(task.features, context).double().cpu().numpy()
            if rng is not None:
                logits = logits + rng.gumbel(size=logits.shape[0])
            chosen = np.argsort(-logits, kind="stable")[: config.budget]
            results.append(evaluate_selection(task, chosen, config))
    return {key: float(np.mean([r[key] for r in results])) for key in results[0]}


def _evaluate_random(tasks: Sequence[MetaTask], config: PandaConfig, rng: np.random.Generator):
    results = [
        evaluate_selection(task, rng.choice(task.Xp.shape[0], config.budget, replace=False),
                           config)
        for task in tasks
    ]
    return {key: float(np.mean([r[key] for r in results])) for key in results[0]}


# ---------------------------------------------------------------------------
# §3.3 pretraining
# ---------------------------------------------------------------------------
def pretrain_encoder(
    policy: PandaPolicy,
    X: np.ndarray,
    y: np.ndarray,
    *,
    config: PandaConfig,
    rng: np.random.Generator,
    generator: torch.Generator,
    device: torch.device,
) -> float:
    """Pretrain the policy's row encoder, with a throw-away linear head, to predict labels.

    Each epoch standardises the rows with the statistics of a fresh random D0-sized
    draw (the space the encoder will see inside meta-tasks and at test time) and runs
    mini-batch Adam on the log-loss. Returns the last epoch's mean training loss.
    """
    encoder = policy.encoder
    width = encoder.net[-1].out_features
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(rng.integers(2**62)))
        head = torch.nn.Linear(width, 1).to(device)
    optimizer = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=3e-3)
    y_t = torch.as_tensor(y, dtype=torch.float32, device=device)
    last = float("nan")
    n0 = min(config.initial_size, X.shape[0])
    for _ in range(config.pretrain_epochs):
        d0 = rng.choice(X.shape[0], n0, replace=False)
        X_t = torch.as_tensor(
            StandardScaler().fit(X[d0]).transform(X), dtype=torch.float32, device=device
        ).clamp(-5.0, 5.0)  # the same bound as policy_features
        order = torch.randperm(X.shape[0], generator=generator).to(device)
        losses = []
        for batch in order.split(256):
            optimizer.zero_grad(set_to_none=True)
            out = head(encoder(X_t[batch])).squeeze(-1)
            loss = F.binary_cross_entropy_with_logits(out, y_t[batch])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        last = float(np.mean(losses))
    return last


# ---------------------------------------------------------------------------
# the whole meta-training run
# ---------------------------------------------------------------------------
@dataclass
class TrainingLog:
    """What meta-training did: per-episode records, evaluations, timings and the outcome."""

    episodes: int = 0
    seconds: float = 0.0
    pretrain_loss: float = float("nan")
    history: list[dict[str, float]] = field(default_factory=list)
    evaluations: list[dict[str, float]] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)
    random_baseline: dict[str, float] = field(default_factory=dict)
    stopped: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (without the per-episode history)."""
        return {
            "episodes": self.episodes,
            "seconds": self.seconds,
            "pretrain_loss": self.pretrain_loss,
            "best": self.best,
            "random_baseline": self.random_baseline,
            "evaluations": self.evaluations,
            "stopped": self.stopped,
        }


def _score(result: dict[str, float], config: PandaConfig) -> float:
    return result["loss"] + config.violation_penalty * max(0.0, result["disparity"] - config.rho)


def meta_train(
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    n_groups: int,
    config: PandaConfig,
    seed: int,
    device: torch.device,
    verbose: bool = False,
    progress: bool | None = None,
) -> tuple[PandaPolicy, TrainingLog]:
    """Pretrain and meta-train a :class:`PandaPolicy` on labelled rows ``(X, y, groups)``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Raw (unstandardised) features of the labelled meta-train rows.
    y : ndarray of shape (n,)
        Binary labels 0/1.
    groups : ndarray of shape (n,)
        Group codes ``0 .. n_groups - 1``; at least two groups must occur.
    n_groups : int
    config : PandaConfig
    seed : int
        Seeds the task draws, the Gumbel noise, the initialisation and pretraining.
    device : torch.device
    verbose : bool, default=False
        Print one line per evaluation.
    progress : bool, optional
        Show a progress bar (episodes, elapsed time, best held-out disparity) on
        stderr. Default: when stderr is a terminal and this is the main process (not a
        bench worker, whose runner draws its own bar). Meta-training takes minutes.

    Returns
    -------
    policy : PandaPolicy
        The best policy on the held-out meta-tasks (in eval mode, on ``device``).
    log : TrainingLog
    """
    X = np.asarray(X, dtype=np.float64)
    check_binary_labels(y, who="PANDA meta-training (y)")
    y = np.asarray(y).astype(np.int64)
    groups = np.asarray(groups, dtype=np.int64)
    if np.unique(groups).size < 2:
        raise SingleGroupError("PANDA meta-training needs at least two groups in the labelled data")
    start = time.perf_counter()
    rng = np.random.default_rng([seed, 0x9A4DA])
    generator = torch.Generator(device=device)
    generator.manual_seed(int(rng.integers(2**62)))
    cpu_generator = torch.Generator()
    cpu_generator.manual_seed(int(rng.integers(2**62)))
    log = TrainingLog()

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(rng.integers(2**62)))
        policy = PandaPolicy(
            policy_input_width(X.shape[1], n_groups), n_features=X.shape[1],
            width=config.width, n_layers=config.n_layers, n_heads=config.n_heads,
            temperature=config.temperature,
        ).to(device)
    if config.pretrain_epochs:
        log.pretrain_loss = pretrain_encoder(
            policy, X, y, config=config, rng=rng, generator=cpu_generator, device=device
        )
        # §3.3: the pretrained representation is kept; the layers above it are meta-trained.
        for p in policy.encoder.parameters():
            p.requires_grad_(False)

    eval_rng = np.random.default_rng([seed, 0xE7A1])
    eval_tasks = [
        sample_meta_task(X, y, groups, n_groups=n_groups, config=config, rng=eval_rng,
                         device=device, pool_size=config.evaluation_pool_size)
        for _ in range(config.n_eval_tasks)
    ]
    log.random_baseline = _evaluate_random(eval_tasks, config, np.random.default_rng([seed, 7]))
    optimizer = torch.optim.Adam(_trainable(policy), lr=config.outer_lr)

    best_state = copy.deepcopy(policy.state_dict())
    # Common random numbers: every evaluation draws the same Gumbel noise per task.
    def evaluation_rng() -> np.random.Generator:
        return np.random.default_rng([seed, 0x6E])

    best = _evaluate_policy(policy, eval_tasks, config, rng=evaluation_rng())
    best["episode"] = 0
    log.evaluations.append(dict(best))
    best_score = _score(best, config)
    since_best = 0
    log.stopped = "max_episodes"
    bar = TerminalProgress("PANDA meta-training", config.max_episodes, unit="episodes",
                           show=progress)
    for episode in range(1, config.max_episodes + 1):
        bar.advance()
        tasks = [
            sample_meta_task(X, y, groups, n_groups=n_groups, config=config, rng=rng,
                             device=device)
            for _ in range(config.tasks_per_step)
        ]
        policy.train()
        log.history.append(forward_backward_step(policy, optimizer, tasks, config,
                                                 generator=generator))
        log.episodes = episode
        if episode % config.eval_every == 0 or episode == config.max_episodes:
            policy.eval()
            result = _evaluate_policy(policy, eval_tasks, config, rng=evaluation_rng())
            result["episode"] = episode
            result["seconds"] = time.perf_counter() - start
            log.evaluations.append(result)
            if verbose:
                print(
                    f"episode {episode:4d}  loss {result['loss']:.4f}  "
                    f"disparity {result['disparity']:.4f}  f1 {result['f1']:.3f}  "
                    f"T {policy.temperature.item():.3f}  {result['seconds']:.0f}s",
                    flush=True,
                )
            score = _score(result, config)
            bar.advance(0, note=f"held-out disparity {result['disparity']:.3f}, "
                                f"F1 {result['f1']:.3f}")
            if score < best_score - 1e-4:
                best_score, best, since_best = score, result, 0
                best_state = copy.deepcopy(policy.state_dict())
            else:
                since_best += 1
                if since_best >= config.patience:
                    log.stopped = "converged"
                    break
        if time.perf_counter() - start > config.max_seconds:
            log.stopped = "max_seconds"
            break
    bar.close()
    policy.load_state_dict(best_state)
    policy.eval()
    log.best = best
    log.seconds = time.perf_counter() - start
    return policy, log
