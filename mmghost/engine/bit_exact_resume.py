"""Bit-exact resume of epoch-based training: randomness as a function of checkpointed counters.

A run resumed from an epoch checkpoint ends bit-identical to an uninterrupted one (on CPU) when
every random draw that shapes training depends only on what the checkpoint restores. mmengine
leaves two kinds of draws outside it:

* data augmentation, which runs in dataloader workers seeded once per worker from
  ``(seed, rank, worker id)``: with ``persistent_workers`` their streams carry on across epochs in
  a straight run but restart at a resume, and which worker gets which sample depends on timing
  and on ``num_workers``;
* the main process's draws (stochastic depth, dropout, proposal sampling, ...), whose state is
  not in the checkpoint and is also moved by what runs between epochs (validation, the
  dataloader's base-seed draw).

:class:`BitExactResumeHook` removes both. Each training sample is transformed under RNGs seeded
from ``(seed, epoch, sample index)`` (:class:`EpochTaggingSampler` tags the indices,
:class:`PerSampleSeededDataset` seeds around the pipeline), and every training iteration starts
from RNGs seeded from ``(seed, iteration)``. The epoch and iteration counters are in every mmengine
checkpoint, so no RNG state needs to be stored.
"""
import contextlib
import inspect
import numbers
import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import DataLoader, Dataset, Sampler

# Distinct first spawn-key words keep the per-iteration and per-sample streams apart.
ITERATION_STREAM = 0
SAMPLE_STREAM = 1

# DataLoader arguments that the rebuilt training loader takes from the hook, not the old loader.
_REPLACED_LOADER_ARGS = ('self', 'dataset', 'batch_size', 'shuffle', 'sampler', 'batch_sampler',
                         'drop_last')


def _check_non_negative_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f'{name} must be a non-negative integer, got {value!r}')


def seed_words(seed, key, count):
    """``count`` 32-bit words derived from ``seed`` and ``key`` by numpy's ``SeedSequence``.

    Args:
        seed (int): The base seed (non-negative).
        key (tuple[int]): Non-negative integers naming the stream, e.g.
            ``(SAMPLE_STREAM, epoch, index)``.
        count (int): How many words.

    Returns:
        np.ndarray: Shape ``(count,)``, dtype uint32; equal arguments give equal words.

    Raises:
        ValueError: ``seed`` or an element of ``key`` is not a non-negative integer.
    """
    _check_non_negative_int(seed, 'seed')
    for part in key:
        _check_non_negative_int(part, f'every element of the seed key {key!r}')
    spawn_key = tuple(int(part) for part in key)
    return np.random.SeedSequence(int(seed), spawn_key=spawn_key).generate_state(count, np.uint32)


def seed_global_rngs(seed, key, all_torch_devices=True):
    """Seeds python's ``random``, numpy's global RNG and torch's from ``(seed, key)``.

    Each library gets its own words: python and numpy both seed their Mersenne Twister from a
    word array the same way, so shared words would make their streams identical.

    Args:
        seed (int): The base seed (non-negative).
        key (tuple[int]): The stream's key (see :func:`seed_words`).
        all_torch_devices (bool): Seed every torch device (``torch.manual_seed``); False seeds
            the CPU generator only, for code that restores just the CPU state afterwards.
    """
    words = seed_words(seed, key, 10)
    random.seed(int.from_bytes(words[:4].tobytes(), 'little'))
    np.random.seed(words[4:8])
    torch_seed = int(words[8]) | int(words[9]) << 32
    if all_torch_devices:
        torch.manual_seed(torch_seed)
    else:
        torch.default_generator.manual_seed(torch_seed)


def global_rng_state():
    """The states of python's ``random``, numpy's global RNG and torch's CPU generator.

    Returns:
        dict: ``random``, ``numpy`` and ``torch`` states, for :func:`restore_global_rng_state`.
    """
    return dict(random=random.getstate(), numpy=np.random.get_state(),
                torch=torch.get_rng_state())


def restore_global_rng_state(state):
    """Puts back the RNG states returned by :func:`global_rng_state`.

    Raises:
        KeyError: ``state`` lacks the ``random``, ``numpy`` or ``torch`` entry.
    """
    missing = {'random', 'numpy', 'torch'} - set(state)
    if missing:
        raise KeyError(f'RNG state lacks {sorted(missing)}; expected the dict returned by '
                       'global_rng_state()')
    random.setstate(state['random'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])


@contextlib.contextmanager
def isolated_rng(seed, key):
    """Runs the ``with`` block under CPU RNGs seeded from ``(seed, key)``, then restores the
    caller's states: the block's draws depend on the key alone and leave the caller's streams
    where they were."""
    saved = global_rng_state()
    try:
        seed_global_rngs(seed, key, all_torch_devices=False)
        yield
    finally:
        restore_global_rng_state(saved)


class EpochSampleIndex(int):
    """A dataset index that carries the epoch it was sampled in.

    A plain ``int`` to batch samplers (mmdet's ``AspectRatioBatchSampler`` looks the index up
    in the dataset), and it survives the trip to dataloader workers, so a worker knows the epoch
    without any state of its own.
    """

    def __new__(cls, index, epoch):
        _check_non_negative_int(index, 'index')
        _check_non_negative_int(epoch, 'epoch')
        tagged = super().__new__(cls, index)
        tagged.epoch = int(epoch)
        return tagged

    def __reduce__(self):
        return EpochSampleIndex, (int(self), self.epoch)


class EpochTaggingSampler(Sampler):
    """Wraps a sampler and yields its indices as :class:`EpochSampleIndex` of :attr:`epoch`.

    Everything else (``set_epoch``, ``dataset``, ``seed``, ...) is the wrapped sampler's, so
    ``DistSamplerSeedHook`` and batch samplers see the sampler they were written for.

    Args:
        sampler (Sampler): The sampler to wrap (e.g. mmengine's ``DefaultSampler``).
    """

    def __init__(self, sampler):
        if not isinstance(sampler, Sampler):
            raise TypeError(f'sampler must be a torch Sampler, got {type(sampler).__name__}')
        self.sampler = sampler
        self.epoch = 0  # set by BitExactResumeHook before each epoch

    def __iter__(self):
        epoch = self.epoch  # read now: the epoch whose iteration is starting
        return (EpochSampleIndex(index, epoch) for index in self.sampler)

    def __len__(self):
        return len(self.sampler)

    def __getattr__(self, name):
        # dunders and `sampler` itself (absent while unpickling) are never forwarded
        if name.startswith('__') or name == 'sampler':
            raise AttributeError(name)
        return getattr(self.sampler, name)


class PerSampleSeededDataset(Dataset):
    """Wraps a dataset so that each sample is prepared under RNGs seeded from
    ``(seed, epoch, index)``, independent of the worker, of ``num_workers`` and of what that
    worker prepared before.

    Indexing needs the :class:`EpochSampleIndex` that :class:`EpochTaggingSampler` yields. The
    caller's RNG states are restored after each sample, so loading in the main process
    (``num_workers=0``) does not move the training's random streams. Other attributes
    (``metainfo``, ``get_data_info``, ``pipeline``, ...) are the wrapped dataset's.

    Args:
        dataset (Dataset): The dataset to wrap.
        seed (int): The base seed (non-negative), e.g. the runner's seed.
    """

    def __init__(self, dataset, seed):
        _check_non_negative_int(seed, 'seed')
        self.dataset = dataset
        self.seed = int(seed)

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        if not isinstance(index, EpochSampleIndex):
            raise TypeError(
                f'PerSampleSeededDataset is indexed by the EpochSampleIndex that '
                f'EpochTaggingSampler yields, got {type(index).__name__} {index!r}; index the '
                f'wrapped dataset (.dataset) directly for unseeded access')
        with isolated_rng(self.seed, (SAMPLE_STREAM, index.epoch, int(index))):
            return self.dataset[int(index)]

    def __getattr__(self, name):
        # dunders (e.g. torch's optional __getitems__, which would bypass the seeding) and
        # `dataset` itself (absent while unpickling) are never forwarded
        if name.startswith('__') or name == 'dataset':
            raise AttributeError(name)
        return getattr(self.dataset, name)


def seeded_train_dataloader(dataloader, seed):
    """A copy of an epoch-based training ``dataloader`` whose samples are seeded from
    ``(seed, epoch, index)``.

    The dataset is wrapped in :class:`PerSampleSeededDataset` and the sampler in
    :class:`EpochTaggingSampler`; the batch sampler (mmdet's ``AspectRatioBatchSampler`` or the
    loader's own ``BatchSampler``), workers, collate function and every other loader setting
    are kept. The batch sampler object is taken over (its ``sampler`` replaced): the old loader
    must not be iterated afterwards.

    Args:
        dataloader (DataLoader): The training loader, not iterated yet.
        seed (int): The base seed of the per-sample streams.

    Returns:
        tuple[DataLoader, EpochTaggingSampler]: The new loader and its tagging sampler, whose
        ``epoch`` the caller sets before each epoch.

    Raises:
        TypeError: ``dataloader`` is not a torch ``DataLoader``.
        ValueError: it does not batch through a batch sampler (``batch_size=None``).
    """
    if not isinstance(dataloader, DataLoader):
        raise TypeError(f'dataloader must be a torch DataLoader, got {type(dataloader).__name__}')
    batch_sampler = dataloader.batch_sampler
    if batch_sampler is None:
        raise ValueError('seeded_train_dataloader needs a batching loader (a batch_size or a '
                         'batch_sampler); this one has batch_size=None')
    kwargs = {name: getattr(dataloader, name)
              for name in inspect.signature(DataLoader.__init__).parameters
              if name not in _REPLACED_LOADER_ARGS}
    dataset = PerSampleSeededDataset(dataloader.dataset, seed)
    sampler = EpochTaggingSampler(batch_sampler.sampler)
    if dataloader.batch_size is None:  # built with a batch sampler (e.g. AspectRatioBatchSampler)
        batch_sampler.sampler = sampler
        loader = DataLoader(dataset, batch_sampler=batch_sampler, **kwargs)
    else:  # built with sampler + batch_size: torch made the BatchSampler
        loader = DataLoader(dataset, batch_size=dataloader.batch_size, sampler=sampler,
                            drop_last=dataloader.drop_last, **kwargs)
    return loader, sampler


@HOOKS.register_module()
class BitExactResumeHook(Hook):
    """Makes epoch-based training resume bit-exactly (on CPU, in deterministic mode).

    Before training it replaces the training loader by :func:`seeded_train_dataloader` (data
    augmentation seeded from ``(runner.seed, epoch, sample index)``), tells the loader the epoch
    before each epoch, and seeds python's ``random``, numpy and torch (all devices) from
    ``(runner.seed, iteration)`` before each training iteration. ``runner.seed`` is mmengine's
    (per rank with ``randomness.diff_rank_seed=True``), so ranks keep mmengine's seeding scheme.

    Other training loops (``IterBasedTrainLoop``) are left untouched: mmengine resumes them by
    replaying the loader up to the checkpoint's iteration, which this hook does not cover.

    Args:
        enable (bool): False turns the hook off (mmengine's seeding only), e.g.
            ``--cfg-options default_hooks.bit_exact_resume.enable=False``. Defaults to True.
    """

    priority = 'VERY_HIGH'  # before other hooks use the loader or draw random numbers

    def __init__(self, enable=True):
        if not isinstance(enable, bool):
            raise TypeError(f'enable must be True or False, got {enable!r}')
        self.enable = enable
        self.sampler = None  # the EpochTaggingSampler once training runs epoch-based

    def before_train(self, runner):
        if not self.enable:
            return
        loop = runner.train_loop
        if not isinstance(loop, EpochBasedTrainLoop):
            runner.logger.info(f'BitExactResumeHook: {type(loop).__name__} is not epoch-based, '
                               'training randomness is left as mmengine seeds it')
            return
        loop.dataloader, self.sampler = seeded_train_dataloader(loop.dataloader, runner.seed)
        runner.logger.info(f'BitExactResumeHook: augmentation seeded from (seed={runner.seed}, '
                           'epoch, sample index), RNGs from (seed, iteration)')

    def before_train_epoch(self, runner):
        if self.sampler is not None:
            self.sampler.epoch = runner.epoch

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self.sampler is not None:
            seed_global_rngs(runner.seed, (ITERATION_STREAM, runner.iter))
