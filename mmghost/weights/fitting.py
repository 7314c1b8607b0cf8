"""Fitting a checkpoint's state dict to a model: unwrapping what releases wrap it in, renaming
upstream keys, and the strict fit that either loads every key or refuses with the keys listed.

The backbones (:meth:`~mmghost.models.backbones.base.MultiScaleBackbone.load_pretrained`), the
classifier loader (:mod:`mmghost.weights.official`) and the converter tools share these.
"""
#: The buffers thop's ``profile()`` adds to every module (float64, shape [1]); it removes them
#: only from module types it has a rule for, so released files that were profiled before saving
#: keep them at the root, on custom blocks, on Sigmoid and the like.
PROFILER_BUFFERS = ('total_ops', 'total_params')


def unwrap_state_dict(checkpoint, prefix=''):
    """The state dict of a checkpoint file's content.

    Unwraps ``state_dict`` / ``state_dict_ema`` / ``model`` containers, strips DataParallel's
    ``module.``, drops thop's profiler buffers (:data:`PROFILER_BUFFERS`, at any depth) and,
    when given, keeps only the keys under ``prefix`` (e.g. ``'backbone.'`` for a detector
    checkpoint), stripped. These are the release quirks every loading path shares
    (:data:`RELEASE_QUIRKS`); anything else that does not fit is the layouts' business.
    """
    state = checkpoint
    for container in ('state_dict', 'state_dict_ema', 'model'):
        if isinstance(state, dict) and isinstance(state.get(container), dict):
            state = state[container]
            break
    if not isinstance(state, dict):
        raise TypeError(f'Checkpoint holds a {type(state).__name__}, not a state dict')
    state = {(k[len('module.'):] if k.startswith('module.') else k): v for k, v in state.items()
             if k.rsplit('.', 1)[-1] not in PROFILER_BUFFERS}
    if prefix:
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        if not state:
            raise KeyError(f'No key of the checkpoint starts with prefix {prefix!r}')
    return state


def rename_prefix(rest, table, key, family):
    """``rest`` with its ``table`` prefix replaced (the first that matches), for converters.

    Raises:
        KeyError: no prefix matches: ``key`` is not part of the official ``family`` layout.
    """
    for old, new in table.items():
        if rest.startswith(old):
            return new + rest[len(old):]
    raise KeyError(f'Unknown official {family} key {key!r}')


def linear_cls_head(state_dict, prefix):
    """An upstream Linear classifier (keys under ``prefix``, e.g. ``'head.'``) as mmpretrain's
    ``LinearClsHead`` keys ``head.fc.*``; every other key is ignored."""
    return {'head.fc.' + key[len(prefix):]: value for key, value in state_dict.items()
            if key.startswith(prefix)}


def describe_mismatch(missing, unexpected, limit=20):
    """'missing keys (N): a, b, ...; unexpected keys (M): ...' (at most ``limit`` of each)."""
    def fmt(keys):
        keys = sorted(keys)
        more = f' ... (+{len(keys) - limit} more)' if len(keys) > limit else ''
        return ', '.join(keys[:limit]) + more
    parts = []
    if missing:
        parts.append(f'missing keys ({len(missing)}): {fmt(missing)}')
    if unexpected:
        parts.append(f'unexpected keys ({len(unexpected)}): {fmt(unexpected)}')
    return '; '.join(parts)


def fit_checkpoint(state, own, layouts, refusal, required=None, adapt=None):
    """Finds the layout in which a checkpoint's state dict fits a model, strictly.

    Args:
        state (dict): The checkpoint's (unwrapped) state dict.
        own (dict): The model's ``state_dict()``.
        layouts (list[tuple[str, Callable]]): ``(name, converter)`` pairs tried in order, e.g.
            mmghost's own keys, then the official upstream layout, then timm's.
        refusal (str): The start of the error message (names the file and the model).
        required (Callable, optional): Converted keys -> the model keys they must cover
            (default: all of ``own``).
        adapt (Callable, optional): Applied to each converted state dict before it is checked
            (e.g. the input conv adapted to another number of input channels).

    Returns:
        tuple: The layout's name, the converted state dict and its required keys.

    Raises:
        RuntimeError: it fits in no layout, or holds NaN / Inf; the message gives each layout's
            reason (missing and unexpected keys, wrong shapes, a converter's error). Nothing
            has been loaded.
    """
    reasons, converter_error = [], None
    for layout, convert in layouts:
        try:
            converted = convert(state)
        except (KeyError, ValueError) as error:
            reasons.append(f'as {layout} keys: {error}')
            converter_error = converter_error or error
            continue
        if adapt is not None:
            converted = adapt(converted)
        needed = required(converted) if required is not None else set(own)
        missing, unexpected = needed - set(converted), set(converted) - set(own)
        wrong = [f'{k} {tuple(v.shape)} (model: {tuple(own[k].shape)})'
                 for k, v in converted.items() if k in own and v.shape != own[k].shape]
        if missing or unexpected:
            reasons.append(f'as {layout} keys: ' + describe_mismatch(missing, unexpected))
        elif wrong:
            reasons.append(f'as {layout} keys, shapes differ ({len(wrong)}): '
                           + ', '.join(wrong[:10]))
        else:
            non_finite = sorted(k for k, v in converted.items()
                                if v.is_floating_point() and not bool(v.isfinite().all()))
            if non_finite:
                raise RuntimeError(f'{refusal}: it holds NaN or Inf in {len(non_finite)} '
                                   f'tensors ({", ".join(non_finite[:10])}); nothing was loaded')
            return layout, converted, needed
    raise RuntimeError(f'{refusal}; nothing was loaded. Tried\n  '
                       + '\n  '.join(reasons)) from converter_error
