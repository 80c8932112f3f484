"""Where torch learners run: the device selection every torch model shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from fairpool.errors import InvalidInputError

if TYPE_CHECKING:  # torch loads when a device is first selected, not on import
    import torch

__all__ = ["select_device"]


def select_device(
    device: Literal["auto", "cpu", "cuda"] | str | torch.device = "auto",
) -> torch.device:
    """Resolve a device request to a :class:`torch.device`.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"}, str or torch.device, default="auto"
        ``"auto"`` picks CUDA when ``torch.cuda.is_available()`` and the CPU otherwise;
        any other value is passed to :class:`torch.device` (``"cuda:1"``, ``"mps"``, ...).

    Returns
    -------
    torch.device

    Raises
    ------
    InvalidInputError
        If ``device`` is not a device torch knows, or asks for CUDA where none is available.

    Examples
    --------
    >>> select_device("cpu")
    device(type='cpu')
    """
    import torch

    if isinstance(device, torch.device):
        resolved = device
    elif device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            resolved = torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise InvalidInputError(
                f"device must be 'auto', 'cpu', 'cuda' or a torch device string, got {device!r}"
            ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InvalidInputError(f"device={device!r} asks for CUDA, but torch sees no CUDA device")
    return resolved
