"""What is known of the released checkpoints: :class:`Weights` (URL, reported top-1, hash, what
the file holds beyond the state dict) and :class:`OfficialModel` (an upstream model name's
backbone, classifier and converters), declared by each family's record
(:class:`~mmghost.models.family.Family`).
"""
from dataclasses import dataclass
from typing import Callable, Optional

#: Download root of the upstream GitHub releases (one tag per model family).
RELEASES = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/'
#: The same repository under its old name, which older release URLs use (GitHub redirects).
OLD_RELEASES = 'https://github.com/huawei-noah/CV-Backbones/releases/download/'


#: What a released file may hold beyond its model's official state dict -> how it is read.
#: Every loading path handles these (:func:`~mmghost.weights.fitting.unwrap_state_dict`,
#: ``torch.load``).
RELEASE_QUIRKS = {
    'thop': "thop's total_ops / total_params buffers (float64, shape [1]) at the root and on "
            'modules, left by profiling before saving: dropped',
    'module_prefix': "DataParallel's 'module.' before every key: stripped",
    'legacy_format': "torch's legacy (pre-1.6, non-zip) serialization: torch.load reads it "
                     '(weights_only too)',
}


@dataclass(frozen=True)
class Weights:
    """A released ImageNet-1k checkpoint of an upstream model.

    Attributes:
        url (str): The official download URL; ``init_cfg=dict(type='Pretrained', checkpoint=url)``
            loads it (through the torch hub cache) and converts it on the fly.
        top1 (float): ImageNet-1k top-1 accuracy (%) as upstream reports it (not reproduced here).
        note (str): Where the URL or the accuracy comes from, when it is not plain.
        sha256 (str, optional): The file's hash, recorded by ``tools/misc/check_weights.py``
            (``mmghost/weights/weights_sha256.json``); loading verifies it when present.
        quirks (tuple[str]): What the file holds beyond the official state dict, keys of
            :data:`RELEASE_QUIRKS`.
        evidence (str): Where the file's content is known from (upstream issues, the loaders
            that read this URL), since the files cannot be downloaded in tests.
    """
    url: str
    top1: float
    note: str = ''
    sha256: Optional[str] = None
    quirks: tuple = ()
    evidence: str = ''

    def __post_init__(self):
        unknown = [quirk for quirk in self.quirks if quirk not in RELEASE_QUIRKS]
        if unknown:
            raise ValueError(f'{self.url}: unknown release quirks {unknown}; choose from '
                             f'{sorted(RELEASE_QUIRKS)}')
        if not self.evidence:
            raise ValueError(f'{self.url}: say where its content is known from (evidence)')


@dataclass(frozen=True)
class OfficialModel:
    """An upstream model name's entry in its family's ``official_models`` (``FAMILY`` of the
    family's module, :class:`~mmghost.models.family.Family`).

    Attributes:
        backbone (dict): The backbone config (``type='mmghost.X'``, ``arch=...``) that
            ``convert(official_state_dict)`` fits strictly.
        convert (Callable): Official state dict -> backbone state dict; the upstream
            classifier keys are dropped. Filled in by the family from its backbone's converters.
        weights (Weights, optional): The released checkpoint; ``None`` when there is none, and
            then ``no_weights`` says why.
        no_weights (str, optional): Why upstream has no downloadable checkpoint of this model.
        classifier (dict, optional): The upstream head as mmpretrain ``ImageClassifier`` parts:
            ``neck`` and ``head`` configs, and ``backbone`` overrides (e.g. ``out_indices``).
        convert_head (Callable, optional): Official state dict -> ``{'neck.*' / 'head.*':
            tensor}`` fitting ``classifier`` from the upstream classifier keys; also
            ``'backbone.*'`` keys of layers only the classifier's backbone has (e.g. a final
            norm).
        timm_to_official (Callable, optional): timm state dict of the same network -> official
            state dict, for models timm also ships (``official2mmghost.py --timm``); by default
            the family's timm converter of the backbone.
        image_size (int): The square image size upstream trains and evaluates it at (its
            classification config's centre crop; position terms are stored for that grid).
    """
    backbone: dict
    convert: Optional[Callable] = None
    weights: Optional[Weights] = None
    no_weights: Optional[str] = None
    classifier: Optional[dict] = None
    convert_head: Optional[Callable] = None
    timm_to_official: Optional[Callable] = None
    image_size: int = 224

    def __post_init__(self):
        if (self.weights is None) == (self.no_weights is None):
            raise ValueError(f'{self.backbone}: give either weights (a release) or no_weights '
                             f'(why there is none), not both or neither')
