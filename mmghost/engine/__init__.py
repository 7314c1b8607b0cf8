"""Training-engine extensions: :class:`BitExactResumeHook` (registered in mmengine's ``HOOKS``) and
its parts (see :mod:`.bit_exact_resume`)."""
from .bit_exact_resume import (BitExactResumeHook, EpochSampleIndex, EpochTaggingSampler,
                               PerSampleSeededDataset, global_rng_state, isolated_rng,
                               restore_global_rng_state, seed_global_rngs,
                               seeded_train_dataloader)

__all__ = ['BitExactResumeHook', 'EpochSampleIndex', 'EpochTaggingSampler',
           'PerSampleSeededDataset', 'global_rng_state', 'isolated_rng',
           'restore_global_rng_state', 'seed_global_rngs', 'seeded_train_dataloader']
