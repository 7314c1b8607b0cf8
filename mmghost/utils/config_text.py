"""Writing configs that users keep: a short config that inherits another through ``_base_`` and
overrides only what changes, one comment per change (``tools/swap_backbone.py``,
``tools/misc/adapt_dataset.py``)."""
import os
import os.path as osp
from dataclasses import dataclass


@dataclass
class Change:
    """One override of a written config: ``key`` (dotted, from the config root), ``value``
    and ``why`` (the one-line comment written next to it)."""
    key: str
    value: object
    why: str


def source_text(value):
    """``value`` as config source on one line: ``dict(key=...)`` where keys are names."""
    if isinstance(value, dict):
        if all(isinstance(k, str) and k.isidentifier() for k in value):
            return 'dict(' + ', '.join(f'{k}={source_text(v)}' for k, v in value.items()) + ')'
        return '{' + ', '.join(f'{k!r}: {source_text(v)}' for k, v in value.items()) + '}'
    if isinstance(value, list):
        return '[' + ', '.join(source_text(v) for v in value) + ']'
    if isinstance(value, tuple):
        return '(' + ', '.join(source_text(v) for v in value) + (',)' if len(value) == 1 else ')')
    return repr(value)


def render(header, base, changes):
    """The config's text: the ``header`` comment lines, ``_base_ = base``, then each change
    with its reason (the ``model.*`` ones inside one ``model = dict(...)``; at most one change
    per key below ``model``), formatted as mmengine formats configs (yapf, pep8, 100 columns).
    """
    from yapf.yapflib.yapf_api import FormatCode
    lines = [*(f'# {line}' for line in header), f'_base_ = {base!r}', '']
    model = [c for c in changes if c.key.startswith('model.')]
    for change in changes:
        if change not in model:
            lines += [f'# {change.why}', f'{change.key} = {source_text(change.value)}', '']
    if model:
        lines.append('model = dict(')
        for change in model:
            path = change.key.split('.')[1:]
            value = change.value
            for key in reversed(path[1:]):
                value = {key: value}
            lines += [f'    # {change.why}', f'    {path[0]}={source_text(value)},']
        lines.append(')')
    style = dict(based_on_style='pep8', column_limit=100,
                 split_before_expression_after_opening_paren=True)
    text, _ = FormatCode('\n'.join(lines) + '\n', style_config=style)
    return text


def overrides(before, after):
    """The smallest dict that, merged into ``before`` as mmengine merges a child config, gives
    ``after``: changed and new keys, recursing into dicts; a changed list is given whole, and
    so is a dict that lost a key (with ``_delete_=True``: a merge cannot remove one)."""
    changed = {}
    for key, value in after.items():
        old = before.get(key) if isinstance(before, dict) else None
        if isinstance(value, dict) and isinstance(old, dict) and set(old) - set(value):
            changed[key] = dict(_delete_=True, **value)
        elif isinstance(value, dict) and isinstance(old, dict):
            nested = overrides(old, value)
            if nested:
                changed[key] = nested
        elif value != old:
            changed[key] = value
    return changed


def base_path(source, out):
    """``source`` as the ``_base_`` of a config written to ``out``: a package config
    (``mmdet::...``) as it is, a file relative to ``out``'s folder (where mmengine resolves
    ``_base_``)."""
    if '::' in source or not out:
        return source
    return osp.relpath(osp.abspath(source), osp.dirname(osp.abspath(out)))


def write_config(text, out, dry_run):
    """Prints ``text`` with ``dry_run``, else writes it to ``out`` (creating its folder).

    Returns:
        bool: Whether it was written.
    """
    if dry_run:
        print(text)
        return False
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        f.write(text)
    return True
