"""The torch network of the mixed-effects models: FE subnetwork, Bayesian RE, adversaries.

ARMED (Nguyen, Montillo et al., IEEE TPAMI 2023, "Adversarially-regularized mixed
effects deep learning") splits a prediction into

- fixed effects (FE): an MLP of the features alone, whose hidden activations a *cluster
  adversary* reads and tries to map to the row's cluster (the FE net is trained to defeat
  it, so what it learns holds across clusters);
- random effects (RE): for cluster ``z`` a slope vector ``beta_z`` and an intercept
  ``b_z`` with a Normal variational posterior and a ``N(0, prior_scale^2)`` prior, i.e.
  a Bayesian linear layer over the one-hot cluster matrix (its row for ``z`` is what
  ``loc[z]`` indexes);
- the mixed effects (ME) ``eta = f_FE(x) + x . beta_z + b_z``, on the link scale.

Fair MEDL (Wang, Nguyen, Montillo, arXiv 2310.03146) adds, per sensitive variable, an
adversary that predicts the variable's group from ``(prediction, label)`` of the FE head
and one of the ME head (the equalized-odds form of Zhang, Lemoine & Mitchell 2018,
section 4, fed as ``(eta, y, eta * y)``).

The fairness adversaries (two per sensitive variable, eight on Adult) share one
architecture and differ in their output width, so :class:`StackedAdversaries` runs them
as one batched MLP (``torch.baddbmm`` over a leading adversary axis, outputs padded to
the widest and masked): the same functions and the same Adam updates as one module per
adversary, in a few kernel calls per step instead of a few per adversary.

Hand-written in torch: no library offers the ARMED layout; the pieces (``nn.Linear``,
Adam, the Normal KL in closed form) are torch's. The estimators
(:mod:`fairpool.learners._medl`) own the training loop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from fairpool.learners._torch_classifier import seeded_mlp

__all__ = ["MixedEffectsNetwork", "RandomEffects", "StackedAdversaries", "equalized_odds_input"]


class RandomEffects(nn.Module):
    """Per-cluster random intercepts (and slopes) with a Normal variational posterior.

    Column 0 of ``loc`` / ``raw_scale`` is the intercept, columns ``1..d`` the slopes
    (absent when ``slopes=False``). The posterior standard deviation is
    ``softplus(raw_scale)``.

    Parameters
    ----------
    n_clusters, n_features : int
    slopes : bool
        Fit a random slope per feature besides the intercept.
    prior_scale : float
        Standard deviation of the ``N(0, prior_scale^2)`` prior of every coefficient.
    """

    def __init__(self, n_clusters: int, n_features: int, slopes: bool, prior_scale: float
                 ) -> None:
        super().__init__()
        width = 1 + (n_features if slopes else 0)
        self.prior_scale = float(prior_scale)
        self.loc = nn.Parameter(torch.zeros(n_clusters, width))
        # start narrow (a tenth of the prior), so early sampling noise does not swamp the FE
        start = math.log(math.expm1(0.1 * self.prior_scale))
        self.raw_scale = nn.Parameter(torch.full((n_clusters, width), start))

    @property
    def scale(self) -> torch.Tensor:
        """Posterior standard deviations, shape (n_clusters, width)."""
        return F.softplus(self.raw_scale)

    def forward(self, x: torch.Tensor, codes: torch.Tensor,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """``b_z + x . beta_z`` per row; 0 where ``codes`` is -1 (a cluster not in fit).

        Parameters
        ----------
        x : tensor of shape (n, d)
        codes : long tensor of shape (n,)
            Cluster codes, -1 for none.
        generator : torch.Generator, optional
            Draw the coefficients from the posterior (reparameterised, training); None
            uses the posterior means (prediction).

        Returns
        -------
        tensor of shape (n,)
        """
        seen = codes >= 0
        rows = codes.clamp(min=0)
        coef = self.loc[rows]
        if generator is not None:
            noise = torch.randn(coef.shape, generator=generator, device=coef.device,
                                dtype=coef.dtype)
            coef = coef + self.scale[rows] * noise
        value = coef[:, 0]
        if coef.shape[1] > 1:
            value = value + (coef[:, 1:] * x).sum(dim=1)
        return torch.where(seen, value, torch.zeros_like(value))

    def kl(self) -> torch.Tensor:
        """``KL(q || p)`` summed over every coefficient (closed form for two Normals)."""
        scale, prior = self.scale, self.prior_scale
        return (math.log(prior) - torch.log(scale)
                + (scale**2 + self.loc**2) / (2.0 * prior**2) - 0.5).sum()


class StackedAdversaries(nn.Module):
    """Several MLP adversaries of one architecture, evaluated and trained as one.

    Adversary ``a`` is the MLP ``members[a]`` (``Linear, activation, ..., Linear``, as
    :func:`~fairpool.learners._torch_classifier.seeded_mlp` builds them) with its own
    output width ``widths[a]``; layer ``j``'s weights of every adversary are stacked
    into one tensor of shape ``(A, fan_in, fan_out)`` (the last layer's ``fan_out`` is
    the widest output, the missing columns of narrower adversaries zero and their
    logits masked to ``-inf``), so the forward pass is one ``torch.baddbmm`` per layer.
    Per adversary the function is the member's, and since Adam is elementwise the
    updates are the members' updates (padded entries get zero gradients and stay
    zero).

    Parameters
    ----------
    members : sequence of torch.nn.Sequential
        The adversaries, copied (their initial weights become the stacked ones).
    activation : str
        Between layers, as in the members.
    """

    def __init__(self, members: Sequence[nn.Module], activation: str = "relu") -> None:
        super().__init__()
        linears = [[m for m in member if isinstance(m, nn.Linear)] for member in members]
        self.widths = [int(layers[-1].out_features) for layers in linears]
        self.activation = activation
        widest = max(self.widths)
        weights, biases = [], []
        for j in range(len(linears[0])):
            last = j == len(linears[0]) - 1
            fan_out = widest if last else linears[0][j].out_features
            w = torch.zeros(len(members), linears[0][j].in_features, fan_out)
            b = torch.zeros(len(members), fan_out)
            for a, layers in enumerate(linears):
                out = layers[j].out_features
                w[a, :, :out] = layers[j].weight.detach().T
                b[a, :out] = layers[j].bias.detach()
            weights.append(nn.Parameter(w))
            biases.append(nn.Parameter(b))
        self.weights = nn.ParameterList(weights)
        self.biases = nn.ParameterList(biases)
        mask = torch.zeros(len(members), 1, widest)
        for a, k in enumerate(self.widths):
            mask[a, :, k:] = -math.inf
        self.register_buffer("mask", mask)
        self._act = {"relu": F.relu, "tanh": torch.tanh, "gelu": F.gelu}[activation]

    def forward(self, inputs: torch.Tensor, count: int | None = None) -> torch.Tensor:
        """Logits of the first ``count`` adversaries (all when None).

        Parameters
        ----------
        inputs : tensor of shape (count, n, n_inputs)
            Adversary ``a`` reads ``inputs[a]``.
        count : int, optional

        Returns
        -------
        tensor of shape (count, n, max(widths))
            ``-inf`` past an adversary's own width.
        """
        count = len(self.widths) if count is None else count
        out = inputs
        last = len(self.weights) - 1
        for j, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            out = torch.baddbmm(b[:count].unsqueeze(1), out, w[:count])
            if j < last:
                out = self._act(out)
        return out + self.mask[:count]

    def loss(self, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Sum over the adversaries of each one's mean cross-entropy.

        Parameters
        ----------
        inputs : tensor of shape (count, n, n_inputs)
            The first ``count`` adversaries' inputs.
        targets : long tensor of shape (count, n)
            Their classes (group codes).

        Returns
        -------
        scalar tensor
            ``sum_a F.cross_entropy(member_a(inputs[a]), targets[a])``.
        """
        logp = F.log_softmax(self.forward(inputs, targets.shape[0]), dim=2)
        return -logp.gather(2, targets.unsqueeze(2)).squeeze(2).mean(dim=1).sum()

    def members(self) -> list[nn.Sequential]:
        """The adversaries as separate ``nn.Sequential`` MLPs holding copies of the weights.

        Returns
        -------
        list of torch.nn.Sequential
            One per adversary, in order (the unbatched form; for checking).
        """
        act = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}[self.activation]
        out = []
        for a, k in enumerate(self.widths):
            layers: list[nn.Module] = []
            for j, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
                width = k if j == len(self.weights) - 1 else w.shape[2]
                layer = nn.Linear(w.shape[1], width).to(dtype=w.dtype, device=w.device)
                with torch.no_grad():
                    layer.weight.copy_(w[a, :, :width].T)
                    layer.bias.copy_(b[a, :width])
                layers += [layer, act()]
            out.append(nn.Sequential(*layers[:-1]))
        return out


class MixedEffectsNetwork(nn.Module):
    """FE MLP, RE layer, cluster adversary and the fairness adversaries, in one module.

    Parameters
    ----------
    n_features : int
    n_clusters : int
        Clusters seen in fit (the cluster adversary's classes and the RE rows).
    hidden : sequence of int
        Hidden widths of the FE MLP.
    adversary_hidden : sequence of int
        Hidden widths of every adversary.
    group_counts : sequence of int
        Number of groups of each sensitive variable that gets a pair of fairness
        adversaries (FE head, ME head); empty without fairness. They form
        ``fairness_adversaries`` (:class:`StackedAdversaries`): the FE head's adversaries
        of every variable, then the ME head's; None when empty.
    slopes : bool
    prior_scale : float
    activation : str
    generator : torch.Generator
        Draws every initial weight.
    """

    def __init__(self, n_features: int, n_clusters: int, hidden: Sequence[int],
                 adversary_hidden: Sequence[int], group_counts: Sequence[int], slopes: bool,
                 prior_scale: float, activation: str, generator: torch.Generator) -> None:
        super().__init__()
        self.fixed = seeded_mlp(n_features, hidden, 1, generator, activation=activation)
        self.random = RandomEffects(n_clusters, n_features, slopes, prior_scale)
        width = sum(int(h) for h in hidden) or 1
        self.cluster_adversary = (
            seeded_mlp(width, adversary_hidden, n_clusters, generator,
                       name="adversary_layer_sizes") if n_clusters > 1 else None
        )
        # FE adversaries first, then the ME ones, each in the order of the variables: the
        # seeded draws of one module per adversary, stacked into one batched module
        members = [seeded_mlp(3, adversary_hidden, k, generator, name="adversary_layer_sizes")
                   for _head in ("fixed", "mixed") for k in group_counts]
        self.fairness_adversaries = StackedAdversaries(members) if members else None

    def main_parameters(self) -> list[nn.Parameter]:
        """The FE and RE parameters (what the main step trains)."""
        return [*self.fixed.parameters(), *self.random.parameters()]

    def adversary_parameters(self) -> list[nn.Parameter]:
        """Every adversary's parameters (what the adversary step trains)."""
        modules = [m for m in (self.fairness_adversaries, self.cluster_adversary)
                   if m is not None]
        return [p for m in modules for p in m.parameters()]

    def fixed_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The FE output (n,) and the FE hidden activations, concatenated (n, sum(hidden)).

        With no hidden layer the "activations" are the output itself, shape (n, 1).
        """
        hidden: list[torch.Tensor] = []
        out = x
        layers = list(self.fixed)
        for i, layer in enumerate(layers):
            out = layer(out)
            if not isinstance(layer, nn.Linear) and i < len(layers) - 1:
                hidden.append(out)  # after each activation
        output = out.squeeze(1)
        return output, (torch.cat(hidden, dim=1) if hidden else out)


def equalized_odds_input(prediction: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    """``(prediction, label, prediction * label)``, shape (n, 3): a fairness adversary's
    input (Zhang, Lemoine & Mitchell 2018, section 4)."""
    p, y = prediction.unsqueeze(1), label.unsqueeze(1)
    return torch.cat([p, y, p * y], dim=1)
