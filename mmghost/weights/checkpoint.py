"""Safe checkpoint reading for every path a user takes: local files, ``.safetensors`` and URLs.

``import mmghost`` registers these loaders with mmengine's ``CheckpointLoader``, so they serve
``init_cfg=dict(type='Pretrained')``, ``load_from``, ``--resume`` and ``tools/test.py`` alike:
* local files are read with ``torch.load(weights_only=True)`` (plus the mmengine allow-list of
  :mod:`mmghost.weights.compat`) or, for ``.safetensors``, by the ``safetensors`` package. A
  pickle that would run code is refused; an empty, truncated or foreign file gets an error
  naming it.
* ``http(s)://`` checkpoints (and mmengine's ``torchvision://``, ``open-mmlab://`` and
  ``mmcls://`` names, which resolve to URLs) use the torch hub cache,
  ``<torch.hub.get_dir()>/checkpoints/<file name>``, as torch and mmengine do. A missing file is
  downloaded there once, with a socket timeout, into a temporary file that only becomes the cache
  entry when complete (and, where :mod:`mmghost.weights.official` records one, when its sha256
  matches).
  mmengine's own loader unpickles the cached file with ``weights_only=False``, so a file planted
  in the cache could run code: that is the hole this closes.
* Under distributed training one process per node (``LOCAL_RANK`` 0) downloads; then every rank
  learns the outcome from an ``all_gather``, so all of them either load the file or raise the
  same error, and none is left waiting in a barrier.
"""
import hashlib
import os
import os.path as osp
import pickle
import tempfile
import time
import urllib.request
from urllib.parse import urlparse

import torch
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.logging import print_log
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

#: Environment variable: seconds a download may wait for the server (connect or next bytes).
TIMEOUT_ENV = 'MMGHOST_DOWNLOAD_TIMEOUT'
DEFAULT_TIMEOUT = 30.0
_CHUNK = 1 << 20
_PROGRESS_EVERY = 10.0  # seconds between download progress lines


class CheckpointFileError(RuntimeError):
    """A checkpoint file that cannot be read: empty, truncated, corrupt or not a checkpoint."""


class CheckpointDownloadError(RuntimeError):
    """A checkpoint URL that is neither in the torch hub cache nor downloadable now."""


def hub_cache_path(url):
    """Where torch (and mmengine) cache ``url``: ``<torch hub dir>/checkpoints/<file name>``."""
    return osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(urlparse(url).path))


def download_timeout():
    """The download timeout in seconds (``MMGHOST_DOWNLOAD_TIMEOUT``, default 30)."""
    value = os.environ.get(TIMEOUT_ENV, '')
    try:
        timeout = float(value) if value else DEFAULT_TIMEOUT
    except ValueError:
        timeout = -1.0
    if not timeout > 0:
        raise ValueError(f'{TIMEOUT_ENV} must be a positive number of seconds, got {value!r}')
    return timeout


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _file_kind(filename):
    """``'empty'``, ``'zip'`` (torch's format, complete or not), ``'pickle'`` (torch's legacy
    format) or ``'other'``, from the first bytes."""
    with open(filename, 'rb') as f:
        head = f.read(2)
    if not head:
        return 'empty'
    if head == b'PK':
        return 'zip'
    return 'pickle' if head[:1] == b'\x80' else 'other'  # pickle protocol >= 2


def _describe_unreadable(filename, kind, error):
    """Why ``torch.load`` could not read ``filename``, in the user's terms."""
    size = osp.getsize(filename)
    if kind == 'empty':
        return f'Checkpoint {filename} is empty (0 bytes): an interrupted download or copy?'
    if kind in ('zip', 'pickle'):
        return (f'Checkpoint {filename} ({size} bytes) is a truncated or corrupt {kind} '
                f'{"archive" if kind == "zip" else "file"} (an interrupted download or copy?): '
                f'{error}')
    with open(filename, 'rb') as f:
        head = f.read(16)
    return (f'{filename} is not a PyTorch checkpoint (.pth / .pth.tar: a zip archive or a '
            f'pickle) nor a .safetensors file; it starts with {head!r}')


def read_checkpoint_file(filename, map_location=None):
    """Reads a local checkpoint without executing code from it.

    ``.safetensors`` files are read by the ``safetensors`` package; anything else by
    ``torch.load(weights_only=True)``, which only builds tensors, plain containers and what
    :mod:`mmghost.weights.compat` allows (mmengine's training state).

    Raises:
        FileNotFoundError: no such file.
        pickle.UnpicklingError: the file holds other objects (it could run code); refused.
        CheckpointFileError: an empty, truncated, corrupt or foreign file.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint {filename} can not be found.')
    if filename.endswith('.safetensors'):
        from safetensors.torch import load_file
        device = map_location if isinstance(map_location, str) else 'cpu'
        try:
            return load_file(filename, device=device)
        except Exception as error:
            raise CheckpointFileError(
                f'Cannot read {filename} as a .safetensors file (truncated or corrupt?): '
                f'{error}') from error
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, KeyError, ValueError,
            OSError) as error:
        kind = _file_kind(filename)
        if (isinstance(error, pickle.UnpicklingError) and kind in ('zip', 'pickle')
                and 'Weights only load failed' in str(error)):
            raise pickle.UnpicklingError(
                f'Refusing checkpoint {filename}: it holds Python objects other than tensors '
                f'and plain containers, and unpickling them could run code. mmghost reads '
                f'checkpoints with weights_only=True only. If the file is yours and trusted, '
                f're-save just its state dict. torch says: {error}') from error
        raise CheckpointFileError(_describe_unreadable(filename, kind, error)) from error


def _download(url, path, sha256, timeout):
    """Downloads ``url`` to ``path`` through a temporary file renamed only when complete."""
    from .. import __version__
    folder = osp.dirname(path)
    os.makedirs(folder, exist_ok=True)
    print_log(f'Downloading {url} to {path}', logger='current')
    request = urllib.request.Request(url, headers={'User-Agent': f'mmghost/{__version__}'})
    fd, partial = tempfile.mkstemp(dir=folder, prefix=osp.basename(path) + '.', suffix='.part')
    digest, size, start = hashlib.sha256(), 0, time.monotonic()
    try:
        # a fresh opener reads the proxy environment (https_proxy, no_proxy) of this moment
        opener = urllib.request.build_opener()
        with os.fdopen(fd, 'wb') as out, opener.open(request, timeout=timeout) as response:
            total = int(response.headers.get('Content-Length') or 0)
            last_report = start
            for chunk in iter(lambda: response.read(_CHUNK), b''):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if time.monotonic() - last_report > _PROGRESS_EVERY:
                    last_report = time.monotonic()
                    of_total = f' of {total / 2**20:.1f}' if total else ''
                    print_log(f'  {size / 2**20:.1f}{of_total} MiB', logger='current')
        if total and size != total:
            raise OSError(f'the connection closed after {size} of {total} bytes')
        if sha256 and digest.hexdigest() != sha256:
            raise ValueError(f'the downloaded file has sha256 {digest.hexdigest()}, the model '
                             f'table records {sha256} (a corrupt or changed file)')
        os.replace(partial, path)
    finally:
        if osp.exists(partial):
            os.remove(partial)
    print_log(f'Downloaded {size / 2**20:.1f} MiB in {time.monotonic() - start:.1f} s',
              logger='current')


def _is_node_downloader():
    """Whether this process downloads for its node: ``LOCAL_RANK`` 0 (torchrun and mmengine's
    launchers set it), or global rank 0 where it is not set."""
    local_rank = os.environ.get('LOCAL_RANK')
    return int(local_rank) == 0 if local_rank is not None else get_dist_info()[0] == 0


def _unreachable_message(url, path, reason, timeout, official):
    file_name = osp.basename(path)
    lines = [
        f'Cannot download checkpoint {url}',
        f'  reason: {reason}',
        f'  It is not in the torch hub cache either: {path}',
        '  Without network, either',
        f'  * download {file_name} elsewhere and put it at that path (it is used from there), '
        'or',
        f"  * point the config at a local copy: init_cfg=dict(type='Pretrained', "
        f"checkpoint='/path/to/{file_name}')",
    ]
    if official is not None:
        name = official[0]
        lines[-1] += ' (converted on the fly), or'
        lines.append(f'  * convert it once: python tools/model_converters/official2mmghost.py '
                     f'/path/to/{file_name} checkpoints/{name}_mmghost.pth --model {name}')
    lines.append(f'  ({TIMEOUT_ENV} sets the download timeout, now {timeout:g} s; '
                 'TORCH_HOME moves the cache)')
    return '\n'.join(lines)


def cached_download(url):
    """The local path of ``url`` in the torch hub cache, downloading it first when absent.

    Every rank of a distributed job must call this together (as mmengine's loader does): one
    process per node downloads, then all ranks share the outcome.

    Raises:
        CheckpointDownloadError: the file is not cached and cannot be downloaded; the message
            names the URL, the cache path and the manual routes. Every rank raises it.
        ValueError: the cached file's sha256 differs from the one recorded for the URL.
    """
    from .official import official_weights_by_url
    official = official_weights_by_url(url)
    sha256 = official[1].sha256 if official is not None else None
    path, timeout = hub_cache_path(url), download_timeout()
    error, downloaded = None, False
    if _is_node_downloader() and not osp.isfile(path):
        try:
            _download(url, path, sha256, timeout)  # verifies the recorded hash as it streams
            downloaded = True
        except (OSError, ValueError) as exc:  # URLError, timeouts and HTTP errors are OSErrors
            error = f'{type(exc).__name__}: {exc}'
    if get_dist_info()[1] > 1:
        error = next((e for e in all_gather_object(error) if e is not None), None)
    if error is None and not osp.isfile(path):
        error = 'the process of local rank 0 did not leave the file in the cache'
    if error is not None:
        raise CheckpointDownloadError(_unreachable_message(url, path, error, timeout, official))
    actual = file_sha256(path) if sha256 and not downloaded else sha256
    if actual != sha256:
        raise ValueError(f'The cached {path} has sha256 {actual}, but the model table records '
                         f'{sha256} for {url}: a corrupt or foreign file. Delete it to download '
                         f'it again.')
    return path


# Loaders for mmengine's CheckpointLoader; their names start with 'load_from_' because mmengine
# logs "Loads checkpoint by <name[10:]> backend".
def load_from_local(filename, map_location=None):
    return read_checkpoint_file(filename, map_location)


def load_from_http(url, map_location=None):
    return read_checkpoint_file(cached_download(url), map_location)


def _model_url(table, name, filename):
    """The URL mmengine's table gives the model ``name`` of the scheme path ``filename``."""
    if name not in table:
        raise KeyError(f'Unknown checkpoint name in {filename!r}; known: {sorted(table)}')
    return table[name]


def load_from_torchvision(filename, map_location=None):
    url = _model_url(mmengine_checkpoint.get_torchvision_models(), filename.split('://')[1],
                     filename)
    return load_from_http(url, map_location)


def load_from_openmmlab(filename, map_location=None):
    name = filename.split('://', 1)[1]
    name = mmengine_checkpoint.get_deprecated_model_names().get(name, name)
    url = _model_url(mmengine_checkpoint.get_external_models(), name, filename)
    if url.startswith(('http://', 'https://')):
        return load_from_http(url, map_location)
    return load_from_local(osp.join(mmengine_checkpoint._get_mmengine_home(), url), map_location)


def load_from_mmcls(filename, map_location=None):
    url = _model_url(mmengine_checkpoint.get_mmcls_models(), filename.split('://')[1], filename)
    return mmengine_checkpoint._process_mmcls_checkpoint(load_from_http(url, map_location))


#: mmengine scheme prefixes -> the safe loader that replaces mmengine's for them. pavi:// and
#: s3:// / petrel:// stay mmengine's: they call torch.load with its safe default.
SAFE_LOADERS = {
    '': load_from_local,
    'http://': load_from_http,
    'https://': load_from_http,
    'modelzoo://': load_from_torchvision,
    'torchvision://': load_from_torchvision,
    'open-mmlab://': load_from_openmmlab,
    'openmmlab://': load_from_openmmlab,
    'mmcls://': load_from_mmcls,
}


def register_safe_loaders():
    """Makes mmengine's ``CheckpointLoader`` read local files and URLs through this module."""
    for prefix, loader in SAFE_LOADERS.items():
        CheckpointLoader.register_scheme(prefix, loader, force=True)
