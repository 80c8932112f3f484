"""PANDA's selection policy: a Transformer over the pool as an unordered set.

The policy reads one feature vector per pool example (see :func:`policy_features`),
embeds each row, lets every row attend to every other row (self-attention without
any positional encoding, so the pool is a *set*: permuting the rows permutes the
logits and nothing else), and gives one selection logit per row. A batch of ``B``
examples is drawn in one step by Gumbel-top-``B`` on those logits; during
meta-training the hard top-``B`` is replaced by its continuous relaxation
:func:`relaxed_top_b`, so the validation loss of the classifier trained on the
selection can be differentiated with respect to the policy.

Attention is computed with :func:`torch.nn.functional.scaled_dot_product_attention`
on 4-D ``(1, heads, n, head_dim)`` tensors, which lets torch use its fused
(flash) kernel on CPU and CUDA: the ``n x n`` score matrix is never materialised,
so a whole Adult pool (about 12k rows) fits in one forward pass.

Attention over ``n`` rows still costs ``O(n^2)`` time. Every row's attention output
is a softmax-weighted *mean* over the pool, so it can be estimated from a uniform
random subsample of ``m`` rows used as keys and values (every row still gets its
own query and its own logit): the estimate is the self-normalised importance-sampling
estimate of that mean, consistent as ``m`` grows, and it costs ``O(n m)``.
:func:`attention_context` draws the subsample; with ``m`` equal to the training
episodes' pool size the policy sees at test time the context size it was trained on.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fairpool.errors import BudgetError, InvalidInputError

__all__ = [
    "PandaPolicy",
    "attention_context",
    "RowEncoder",
    "SetAttentionBlock",
    "policy_features",
    "policy_input_width",
    "sample_gumbel",
    "relaxed_top_b",
    "gumbel_top_b",
    "hard_top_b",
]

#: Per-row inputs added to the features: group one-hot, then h0's P(y=1) and entropy.
_EXTRA_COLUMNS = 2


def policy_features(
    X: np.ndarray | torch.Tensor,
    groups: np.ndarray | torch.Tensor,
    proba: np.ndarray | torch.Tensor,
    *,
    n_groups: int,
    clip: float = 5.0,
) -> torch.Tensor:
    """Build the policy's per-row input: features, group one-hot, h0's probability and entropy.

    Standardised features are clipped to ``[-clip, clip]``: standardising on a
    100-row D0 gives a one-hot category seen once a value near 10, and the policy
    should not depend on which rare categories one D0 happened to contain.

    Parameters
    ----------
    X : array of shape (n, d)
        Standardised features of the pool.
    groups : array of int, shape (n,)
        Group code of every row, ``0 .. n_groups - 1``.
    proba : array of shape (n,)
        The initial classifier h0's ``P(y = 1 | x)`` for every row.
    n_groups : int
        Number of group codes (the width of the one-hot block).
    clip : float, default=5.0
        Bound on the absolute value of the standardised features.

    Returns
    -------
    torch.Tensor of shape (n, d + n_groups + 2), float32
        On the device of ``X`` when ``X`` is a tensor, else on the CPU.
    """
    X = torch.as_tensor(X, dtype=torch.float32).clamp(-clip, clip)
    device = X.device
    groups = torch.as_tensor(groups, dtype=torch.long, device=device)
    p = torch.as_tensor(proba, dtype=torch.float32, device=device).clamp(1e-6, 1 - 1e-6)
    entropy = -(p * p.log() + (1 - p) * (1 - p).log()) / math.log(2.0)
    one_hot = F.one_hot(groups, num_classes=n_groups).to(torch.float32)
    return torch.cat([X, one_hot, p[:, None], entropy[:, None]], dim=1)


def policy_input_width(n_features: int, n_groups: int) -> int:
    """Width of :func:`policy_features`' output for ``n_features`` columns and ``n_groups``."""
    return n_features + n_groups + _EXTRA_COLUMNS


class RowEncoder(nn.Module):
    """Row-wise embedding (the Transformer's token embedding): Linear -> GELU -> Linear.

    It sees one row at a time, so its output is a per-example *representation* that
    does not depend on who else is in the pool; §3.3 pretraining fits it (with a
    linear head) to predict labels, and
    :meth:`fairpool.active.strategies.PandaStrategy.representation` exposes it to baselines.
    """

    def __init__(self, n_inputs: int, width: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_inputs, width), nn.GELU(), nn.Linear(width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Embed rows ``x`` of shape (n, n_inputs) into shape (n, width)."""
        return self.net(x)


class SetAttentionBlock(nn.Module):
    """Pre-norm Transformer encoder block over a set of rows, no positional encoding.

    Parameters
    ----------
    width : int
        Model width; must be divisible by ``n_heads``.
    n_heads : int
        Number of attention heads.
    ff_multiplier : int, default=2
        Width of the feed-forward layer relative to ``width``.
    """

    def __init__(self, width: int, n_heads: int, *, ff_multiplier: int = 2) -> None:
        super().__init__()
        if width % n_heads:
            raise InvalidInputError(f"width={width} must be divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.norm_attention = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.norm_ff = nn.LayerNorm(width)
        hidden = ff_multiplier * width
        self.ff = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """Update every row of ``x`` (shape (n, width)) by attending to the pool.

        ``context`` (row indices, see :func:`attention_context`) restricts the keys
        and values to those rows; None attends to all rows.
        """
        n, width = x.shape
        head_dim = width // self.n_heads
        qkv = self.qkv(self.norm_attention(x)).view(n, 3, self.n_heads, head_dim)
        # (3, 1, heads, n, head_dim), contiguous: the 4-D layout selects the fused kernel.
        q, k, v = qkv.permute(1, 2, 0, 3).unsqueeze(1).contiguous()
        if context is not None:
            k, v = k[:, :, context], v[:, :, context]
        attended = F.scaled_dot_product_attention(q, k, v)
        x = x + self.out(attended.squeeze(0).transpose(0, 1).reshape(n, width))
        return x + self.ff(self.norm_ff(x))


class PandaPolicy(nn.Module):
    """Set-Transformer selection policy: one logit per pool row, and a learned temperature.

    Parameters
    ----------
    n_inputs : int
        Width of the per-row input (:func:`policy_input_width`).
    n_features : int
        How many leading input columns are the example's features: they go through
        the row encoder (the representation); the rest (group one-hot, h0's
        probability and entropy) join after it.
    width : int, default=32
        Model width (the paper searched 16, 32 and 64).
    n_layers : int, default=1
        Number of attention blocks (the paper searched 1, 3 and 5).
    n_heads : int, default=4
        Attention heads per block.
    temperature : float, default=1.0
        Initial temperature of the relaxed Gumbel-top-B (learned; kept in
        ``[min_temperature, max_temperature]`` by a scaled ``tanh`` of the raw parameter).

    Notes
    -----
    No positional encoding is used anywhere, and every operation is either row-wise
    or symmetric attention, so ``policy(x[perm]) == policy(x)[perm]``.
    """

    min_temperature: float = 0.02
    max_temperature: float = 5.0

    def __init__(
        self,
        n_inputs: int,
        *,
        n_features: int,
        width: int = 32,
        n_layers: int = 1,
        n_heads: int = 4,
        temperature: float = 1.0,
    ) -> None:
        super().__init__()
        if not 1 <= n_features <= n_inputs or width < 1 or n_layers < 0 or n_heads < 1:
            raise InvalidInputError(
                "PandaPolicy needs 1 <= n_features <= n_inputs, width >= 1, n_layers >= 0 and "
                f"n_heads >= 1, got n_inputs={n_inputs}, n_features={n_features}, "
                f"width={width}, n_layers={n_layers}, n_heads={n_heads}"
            )
        if not self.min_temperature < temperature < self.max_temperature:
            raise InvalidInputError(
                f"temperature must lie in ({self.min_temperature}, {self.max_temperature}), "
                f"got {temperature}"
            )
        self.n_features = n_features
        self.encoder = RowEncoder(n_features, width)
        self.mix = nn.Linear(width + n_inputs - n_features, width)
        self.blocks = nn.ModuleList(SetAttentionBlock(width, n_heads) for _ in range(n_layers))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, 1)
        # Temperature = lo + (hi - lo) * sigmoid(raw): bounded, smooth, learnable.
        fraction = (temperature - self.min_temperature) / (
            self.max_temperature - self.min_temperature
        )
        self.raw_temperature = nn.Parameter(torch.tensor(math.log(fraction / (1 - fraction))))

    @property
    def temperature(self) -> torch.Tensor:
        """The current (learned) temperature of the relaxed selection, a 0-d tensor."""
        span = self.max_temperature - self.min_temperature
        return self.min_temperature + span * torch.sigmoid(self.raw_temperature)

    def forward(self, features: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """Selection logits, shape (n,), for the pool rows ``features`` of shape (n, n_inputs).

        ``context``: indices of the rows every block attends to (keys and values),
        from :func:`attention_context`; None (default) attends to the whole pool.
        """
        representation = self.encoder(features[:, : self.n_features])
        h = self.mix(torch.cat([representation, features[:, self.n_features :]], dim=1))
        for block in self.blocks:
            h = block(h, context)
        return self.head(self.norm(h)).squeeze(-1)


def attention_context(
    n: int, size: int | None, rng: np.random.Generator, *, device: torch.device | str = "cpu"
) -> torch.Tensor | None:
    """Indices of ``size`` pool rows drawn uniformly without replacement, as attention context.

    Parameters
    ----------
    n : int
        Pool size.
    size : int or None
        Context size ``m``; None, or ``m >= n``, means full attention.
    rng : numpy.random.Generator
        Source of the draw (the selection's generator, so a seeded run is reproducible).
    device : torch.device or str, default="cpu"

    Returns
    -------
    Tensor of int64 indices, sorted, or None for full attention.
    """
    if size is None or size >= n:
        return None
    if isinstance(size, bool) or int(size) != size or size < 1:
        raise InvalidInputError(f"attention context size must be a positive integer, got {size!r}")
    rows = np.sort(rng.choice(n, int(size), replace=False))
    return torch.as_tensor(rows, dtype=torch.long, device=device)


def sample_gumbel(
    shape: tuple[int, ...],
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Standard Gumbel noise ``-log(-log U)``, ``U ~ Uniform(0, 1)``, drawn from ``generator``."""
    u = torch.rand(shape, generator=generator, device=device)
    tiny = torch.finfo(u.dtype).tiny
    return -torch.log(-torch.log(u.clamp(tiny, 1.0 - 1e-7)))


def _check_b(b: int, n: int) -> int:
    if isinstance(b, bool) or int(b) != b or b < 1:
        raise BudgetError(f"B (number of examples to select) must be a positive integer, got {b!r}")
    if b > n:
        raise BudgetError(f"B={b} is larger than the pool ({n} examples)")
    return int(b)


def relaxed_top_b(
    scores: torch.Tensor, b: int, temperature: torch.Tensor | float, *, n_bisection: int = 64
) -> torch.Tensor:
    """Soft ``B``-hot weights: the entropy-regularised relaxation of top-``B``.

    Returns ``w_i = sigmoid((s_i - t) / T)`` with the threshold ``t`` chosen so that
    ``sum(w) = B``. This is the exact solution of
    ``max_w <w, s> + T * sum_i H(w_i)  s.t.  sum(w) = B, 0 <= w <= 1``
    (``H`` the binary entropy), so every weight lies in ``[0, 1]``, the weights sum
    to ``B``, and as ``T -> 0`` they converge to the hard top-``B`` indicator.

    The threshold is found by bisection without gradient; its gradient is then
    attached by one implicit-function (Newton) correction whose *value* is zero,
    ``t = t0 + (r - r.detach()) / r'`` with ``r = sum(sigmoid((s - t0) / T)) - B``,
    which gives exactly ``dt/ds_i = sigmoid'_i / sum_j sigmoid'_j`` (and ``dt/dT``).

    Parameters
    ----------
    scores : Tensor of shape (n,)
        Perturbed logits (logits + Gumbel noise for Gumbel-top-``B``).
    b : int
        Number of examples to select, ``1 <= b <= n``.
    temperature : float or 0-d Tensor
        Relaxation temperature ``T > 0`` (may carry a gradient).
    n_bisection : int, default=64
        Bisection steps (float64), enough to reach machine precision.

    Returns
    -------
    Tensor of shape (n,), same dtype as ``scores``.
    """
    if scores.ndim != 1:
        raise InvalidInputError(f"scores must be 1-D, got shape {tuple(scores.shape)}")
    b = _check_b(b, scores.shape[0])
    temperature = torch.as_tensor(temperature, dtype=scores.dtype, device=scores.device)
    if not bool(temperature > 0):
        raise InvalidInputError(f"temperature must be > 0, got {float(temperature)}")
    if b == scores.shape[0]:
        return torch.ones_like(scores) + 0 * scores  # keeps the graph connected
    with torch.no_grad():
        s = scores.detach().double()
        tau = float(temperature)
        lo = float(s.min()) - 40.0 * tau
        hi = float(s.max()) + 40.0 * tau
        lo_t = torch.tensor(lo, dtype=torch.float64, device=s.device)
        hi_t = torch.tensor(hi, dtype=torch.float64, device=s.device)
        for _ in range(n_bisection):  # sum(sigmoid((s - t)/T)) decreases in t
            mid = (lo_t + hi_t) / 2
            too_many = torch.sigmoid((s - mid) / tau).sum() > b
            lo_t = torch.where(too_many, mid, lo_t)
            hi_t = torch.where(too_many, hi_t, mid)
        t0 = ((lo_t + hi_t) / 2).to(scores.dtype)
    z = torch.sigmoid((scores - t0) / temperature)
    residual = z.sum() - b
    slope = (z * (1 - z)).sum().detach() / temperature.detach()
    threshold = t0 + (residual - residual.detach()) / slope.clamp_min(1e-12)
    return torch.sigmoid((scores - threshold) / temperature)


def gumbel_top_b(
    logits: torch.Tensor,
    b: int,
    temperature: torch.Tensor | float,
    *,
    generator: torch.Generator | None = None,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """Relaxed Gumbel-top-``B`` sample: :func:`relaxed_top_b` of ``logits + Gumbel noise``.

    The hard limit (``T -> 0``) is the top-``B`` of the perturbed logits, which is an
    exact sample of ``B`` rows without replacement from the Plackett-Luce
    distribution with weights ``exp(logits)``.

    Parameters
    ----------
    logits : Tensor of shape (n,)
    b : int
    temperature : float or 0-d Tensor
    generator : torch.Generator, optional
        Source of the Gumbel noise (ignored when ``noise`` is given).
    noise : Tensor of shape (n,), optional
        Pre-drawn Gumbel noise, to reuse the same sample across several evaluations.

    Returns
    -------
    Tensor of shape (n,): soft ``B``-hot weights in ``[0, 1]`` summing to ``B``.
    """
    if noise is None:
        noise = sample_gumbel(tuple(logits.shape), generator=generator, device=logits.device)
    return relaxed_top_b(logits + noise, b, temperature)


def hard_top_b(scores: torch.Tensor, b: int) -> torch.Tensor:
    """The hard ``B``-hot indicator of the ``b`` largest ``scores`` (via :func:`torch.topk`)."""
    b = _check_b(b, scores.shape[0])
    out = torch.zeros_like(scores)
    out[torch.topk(scores, b).indices] = 1.0
    return out
