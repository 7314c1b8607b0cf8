"""Gradient checkpointing (``with_cp``), as every mmghost block runs it."""
import torch
import torch.utils.checkpoint


def maybe_checkpoint(block, function, *args):
    """``function(*args)`` (``block``'s forward), under gradient checkpointing when
    ``block.with_cp`` is set and the block trains with gradients enabled.

    Checkpointing keeps the inputs only and recomputes the activations in the backward pass
    (less memory, one more forward), with the same outputs and gradients (stochastic depth draws
    are replayed). It is the non-reentrant kind, so the block's parameters get gradients even
    when no input needs one (the first block after frozen stages). In eval mode or under
    ``torch.no_grad()`` nothing is kept for a backward pass, so the block runs plainly.
    """
    if block.with_cp and block.training and torch.is_grad_enabled():
        return torch.utils.checkpoint.checkpoint(function, *args, use_reentrant=False)
    return function(*args)
