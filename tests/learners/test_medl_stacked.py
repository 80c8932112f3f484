"""The batched fairness adversaries of Fair MEDL against one module per adversary.

``StackedAdversaries`` must be the same mathematics as the separate MLPs it replaced:
the same initial weights (the seeded draws of one ``seeded_mlp`` per adversary), the
same losses and gradients, and the same Adam trajectory. The reference is the
unbatched form: plain ``nn.Sequential`` MLPs trained by their own Adam.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from fairpool.learners._medl_network import MixedEffectsNetwork, StackedAdversaries
from fairpool.learners._torch_classifier import seeded_mlp

WIDTHS = [4, 5, 2, 7, 4, 5, 2, 7]  # Adult: age, race, sex, marital status; FE then ME


def _members(hidden, seed=0, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    return [seeded_mlp(3, hidden, k, generator).to(dtype) for k in WIDTHS]


def _batch(seed, n=64, dtype=torch.float64):
    rng = torch.Generator().manual_seed(seed)
    inputs = torch.randn(len(WIDTHS), n, 3, generator=rng, dtype=dtype)
    targets = torch.stack([torch.randint(0, k, (n,), generator=rng) for k in WIDTHS])
    return inputs, targets


@pytest.mark.parametrize("hidden", [(32,), (16, 8), ()])
def test_stacked_adversaries_follow_the_separate_ones_step_by_step(hidden) -> None:
    separate = _members(hidden)
    stacked = StackedAdversaries(_members(hidden)).to(torch.float64)
    for mine, theirs in zip(stacked.members(), separate, strict=True):  # same init
        for a, b in zip(mine.parameters(), theirs.parameters(), strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
    opt_sep = torch.optim.Adam([p for m in separate for p in m.parameters()], lr=3e-2)
    opt_stk = torch.optim.Adam(stacked.parameters(), lr=3e-2)
    for step in range(25):
        inputs, targets = _batch(step)
        opt_sep.zero_grad()
        loss_sep = sum(F.cross_entropy(m(inputs[a]), targets[a])
                       for a, m in enumerate(separate))
        loss_sep.backward()
        opt_sep.step()
        opt_stk.zero_grad()
        loss_stk = stacked.loss(inputs, targets)
        loss_stk.backward()
        opt_stk.step()
        assert abs(loss_stk.item() - loss_sep.item()) < 1e-6, step
    for mine, theirs in zip(stacked.members(), separate, strict=True):
        for a, b in zip(mine.parameters(), theirs.parameters(), strict=True):
            torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-8)


def test_stacked_loss_gradient_reaches_the_inputs_as_the_separate_ones() -> None:
    """The main step differentiates the adversaries' loss w.r.t. their inputs."""
    separate = _members((32,), seed=3)
    stacked = StackedAdversaries(_members((32,), seed=3)).to(torch.float64)
    inputs, targets = _batch(7)
    x1 = inputs.clone().requires_grad_(True)
    x2 = inputs.clone().requires_grad_(True)
    sum(F.cross_entropy(m(x1[a]), targets[a]) for a, m in enumerate(separate)).backward()
    stacked.loss(x2, targets).backward()
    torch.testing.assert_close(x2.grad, x1.grad, rtol=1e-10, atol=1e-12)
    # the first four only (the FE adversaries, as without random effects)
    assert stacked.forward(inputs[:4], 4).shape == (4, 64, 7)
    assert torch.isinf(stacked.forward(inputs)[2, :, 2:]).all()  # sex: 2 groups


def test_network_draws_the_adversaries_as_separate_seeded_modules() -> None:
    generator = torch.Generator().manual_seed(11)
    net = MixedEffectsNetwork(5, 4, (8,), (6,), [2, 3], True, 0.1, "relu", generator)
    replay = torch.Generator().manual_seed(11)
    seeded_mlp(5, (8,), 1, replay)  # the FE net, then the cluster adversary (reads 8)
    seeded_mlp(8, (6,), 4, replay)
    expected = [seeded_mlp(3, (6,), k, replay) for k in (2, 3, 2, 3)]
    for mine, theirs in zip(net.fairness_adversaries.members(), expected, strict=True):
        for a, b in zip(mine.parameters(), theirs.parameters(), strict=True):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
