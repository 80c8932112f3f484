"""PANDA's policy and its Gumbel-top-B relaxation, against independent references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.special import softmax
from scipy.stats import entropy

from fairpool.active.strategies.panda import (
    PandaPolicy,
    SetAttentionBlock,
    gumbel_top_b,
    hard_top_b,
    policy_features,
    policy_input_width,
    relaxed_top_b,
    sample_gumbel,
)
from fairpool.errors import BudgetError, InvalidInputError


def _scores(n: int, seed: int) -> torch.Tensor:
    return torch.as_tensor(np.random.default_rng(seed).normal(size=n), dtype=torch.float64)


@pytest.mark.parametrize("temperature", [5.0, 1.0, 0.1, 0.01])
@pytest.mark.parametrize("b", [1, 7, 49])
def test_relaxed_top_b_is_a_soft_b_hot_vector(temperature: float, b: int) -> None:
    w = relaxed_top_b(_scores(50, b), b, temperature)
    assert torch.all(w >= 0) and torch.all(w <= 1)
    assert float(w.sum()) == pytest.approx(b, abs=1e-6)


def test_relaxed_top_b_converges_to_torch_topk_as_temperature_vanishes() -> None:
    s = _scores(200, 0)
    hard = torch.zeros_like(s)
    hard[torch.topk(s, 20).indices] = 1.0
    gaps = []
    for temperature in (1.0, 0.1, 0.01, 1e-4):
        gaps.append(float((relaxed_top_b(s, 20, temperature) - hard).abs().sum()))
    assert gaps[0] > gaps[2] > gaps[3]
    assert gaps[-1] < 1e-3
    assert torch.equal(hard_top_b(s, 20), hard)


def test_relaxed_top_b_gradient_matches_finite_differences() -> None:
    # The threshold's gradient comes from the implicit-function trick; gradcheck
    # compares it with central finite differences of the whole map (bisection included).
    s = _scores(12, 3).requires_grad_(True)
    t = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, tau: relaxed_top_b(x, 4, tau), (s, t), atol=1e-6)


def test_gumbel_top_b_hard_limit_is_a_plackett_luce_sample() -> None:
    # Top-1 of logits + Gumbel noise is a softmax sample (the Gumbel-max trick):
    # compare the empirical frequencies of 20,000 draws with scipy's softmax.
    logits = torch.tensor([1.0, 0.0, -0.5, 2.0], dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    noise = sample_gumbel((20000, 4), generator=gen).double()
    wins = torch.argmax(logits + noise, dim=1).numpy()
    freq = np.bincount(wins, minlength=4) / wins.size
    np.testing.assert_allclose(freq, softmax(logits.numpy()), atol=0.012)
    one = gumbel_top_b(logits, 1, 1e-4, noise=noise[0])
    assert int(torch.argmax(one)) == int(wins[0])


def test_gumbel_noise_is_reproducible_under_a_seeded_generator() -> None:
    a = sample_gumbel((5,), generator=torch.Generator().manual_seed(3))
    b = sample_gumbel((5,), generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_relaxed_top_b_rejects_bad_sizes_and_temperatures() -> None:
    s = _scores(10, 0)
    with pytest.raises(BudgetError, match="larger than the pool"):
        relaxed_top_b(s, 11, 1.0)
    with pytest.raises(BudgetError, match="positive integer"):
        relaxed_top_b(s, 0, 1.0)
    with pytest.raises(InvalidInputError, match="temperature"):
        relaxed_top_b(s, 3, 0.0)
    with pytest.raises(BudgetError):
        hard_top_b(s, 11)


def test_policy_is_permutation_equivariant() -> None:
    torch.manual_seed(0)
    n_features, n_groups = 6, 3
    policy = PandaPolicy(policy_input_width(n_features, n_groups), n_features=n_features,
                         width=16, n_layers=2, n_heads=4)
    rng = np.random.default_rng(0)
    x = policy_features(rng.normal(size=(40, n_features)), rng.integers(0, 3, 40),
                        rng.random(40), n_groups=n_groups)
    perm = torch.as_tensor(rng.permutation(40))
    with torch.no_grad():
        out = policy(x)
        out_perm = policy(x[perm])
    torch.testing.assert_close(out_perm, out[perm], atol=1e-5, rtol=1e-5)
    # ... and the rows interact: changing one row changes the others' logits.
    x2 = x.clone()
    x2[0] += 3.0
    with torch.no_grad():
        assert not torch.allclose(policy(x2)[1:], out[1:])


def test_attention_block_matches_torch_multihead_attention() -> None:
    # Our block's attention = torch's MultiheadAttention with the same weights.
    torch.manual_seed(1)
    block = SetAttentionBlock(8, 2)
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(block.qkv.weight)
        mha.in_proj_bias.copy_(block.qkv.bias)
        mha.out_proj.weight.copy_(block.out.weight)
        mha.out_proj.bias.copy_(block.out.bias)
    x = torch.randn(30, 8)
    with torch.no_grad():
        h = block.norm_attention(x)
        ref = x + mha(h[None], h[None], h[None], need_weights=False)[0][0]
        ref = ref + block.ff(block.norm_ff(ref))
        torch.testing.assert_close(block(x), ref, atol=1e-5, rtol=1e-5)


def test_policy_features_columns() -> None:
    X = np.arange(6, dtype=float).reshape(3, 2)
    p = np.array([0.5, 0.1, 0.99])
    f = policy_features(X, np.array([1, 0, 1]), p, n_groups=2)
    assert f.shape == (3, policy_input_width(2, 2))
    np.testing.assert_allclose(f[:, :2].numpy(), X)
    np.testing.assert_allclose(f[:, 2:4].numpy(), [[0, 1], [1, 0], [0, 1]])
    np.testing.assert_allclose(f[:, 4].numpy(), p, rtol=1e-6)
    expected = [entropy([q, 1 - q], base=2) for q in p]
    np.testing.assert_allclose(f[:, 5].numpy(), expected, rtol=1e-5)


def test_policy_rejects_bad_shapes() -> None:
    with pytest.raises(InvalidInputError, match="divisible"):
        SetAttentionBlock(10, 4)
    with pytest.raises(InvalidInputError, match="n_features"):
        PandaPolicy(5, n_features=6)
    with pytest.raises(InvalidInputError, match="temperature"):
        PandaPolicy(5, n_features=2, temperature=0.0)


def test_attention_context_is_a_sorted_reproducible_subsample_or_none() -> None:
    from fairpool.active.strategies.panda import attention_context

    assert attention_context(50, None, np.random.default_rng(0)) is None
    assert attention_context(50, 50, np.random.default_rng(0)) is None
    rows = attention_context(50, 20, np.random.default_rng(3))
    again = attention_context(50, 20, np.random.default_rng(3))
    assert rows is not None and torch.equal(rows, again)
    assert rows.shape == (20,) and torch.unique(rows).numel() == 20
    assert torch.all(rows[1:] > rows[:-1]) and int(rows.min()) >= 0 and int(rows.max()) < 50
    with pytest.raises(InvalidInputError, match="attention context size"):
        attention_context(50, 0, np.random.default_rng(0))


def test_attention_with_a_context_matches_softmax_over_those_rows_by_hand() -> None:
    # Reference: every query attends, with scipy's softmax, to the context rows only.
    torch.manual_seed(0)
    block = SetAttentionBlock(8, 2).double().eval()
    x = torch.randn(30, 8, dtype=torch.float64)
    context = torch.tensor([1, 4, 9, 16, 25])
    with torch.no_grad():
        out = block(x, context).numpy()
        q, k, v = block.qkv(block.norm_attention(x)).split(8, dim=1)
        heads = []
        for h in range(2):
            cols = slice(4 * h, 4 * h + 4)
            scores = q[:, cols].numpy() @ k[context, cols].numpy().T / np.sqrt(4)
            heads.append(softmax(scores, axis=1) @ v[context, cols].numpy())
        y = x + block.out(torch.as_tensor(np.hstack(heads)))
        expected = (y + block.ff(block.norm_ff(y))).numpy()
    np.testing.assert_allclose(out, expected, atol=1e-10)
    # the whole pool as context is full attention
    with torch.no_grad():
        torch.testing.assert_close(block(x, torch.arange(30)), block(x))


def test_policy_with_a_large_context_approximates_full_attention() -> None:
    torch.manual_seed(1)
    policy = PandaPolicy(12, n_features=8, width=16, n_layers=1, n_heads=2).eval()
    features = torch.randn(3000, 12)
    from fairpool.active.strategies.panda import attention_context

    with torch.no_grad():
        full = policy(features).numpy()
        approx = policy(features, attention_context(3000, 1000, np.random.default_rng(0))).numpy()
    assert np.corrcoef(full, approx)[0, 1] > 0.99
