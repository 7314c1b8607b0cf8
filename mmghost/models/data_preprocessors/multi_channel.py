"""mmdet's data preprocessor for images with any number of channels (grayscale, RGBA,
multispectral), for backbones built with ``in_channels`` other than 3."""
import torch
from mmdet.models.data_preprocessors import DetDataPreprocessor

from ...registry import MODELS


@MODELS.register_module()
class MultiChannelDetDataPreprocessor(DetDataPreprocessor):
    """:class:`mmdet.models.DetDataPreprocessor` whose ``mean`` and ``std`` take one value per
    channel, for any number of channels (mmengine's ``ImgDataPreprocessor`` accepts 1 or 3).

    ``bgr_to_rgb`` / ``rgb_to_bgr`` reverse the first three channels and keep the others in
    place: cv2 loads a 4-channel PNG (``LoadImageFromFile(color_type='unchanged')``) as BGRA,
    and a backbone whose RGB weights were adapted to 4 channels expects RGBA.

    Args:
        mean (Sequence[float], optional): Per-channel mean, in the channel order the backbone
            sees (after any conversion). None: no normalisation.
        std (Sequence[float], optional): Per-channel standard deviation, as ``mean``.
        bgr_to_rgb (bool): Reverse the first three channels. Defaults to False.
        rgb_to_bgr (bool): The same conversion. Defaults to False.
        **kwargs: The other arguments of ``DetDataPreprocessor`` (padding, batch augments).
    """

    def __init__(self, mean=None, std=None, bgr_to_rgb=False, rgb_to_bgr=False, **kwargs):
        if (mean is None) != (std is None):
            raise ValueError('mean and std must be given together (or neither)')
        if mean is not None and len(mean) != len(std):
            raise ValueError(f'mean and std need one value per channel each, got {len(mean)} '
                             f'and {len(std)} values')
        if bgr_to_rgb and rgb_to_bgr:
            raise ValueError('set bgr_to_rgb or rgb_to_bgr, not both (they are the same swap)')
        super().__init__(**kwargs)
        self.reverse_first_three = bgr_to_rgb or rgb_to_bgr
        if mean is not None:
            self._enable_normalize = True
            self.register_buffer('mean', torch.tensor(mean).view(-1, 1, 1), False)
            self.register_buffer('std', torch.tensor(std).view(-1, 1, 1), False)

    def _reverse_first_three(self, image):
        if image.shape[-3] < 3:
            raise ValueError(f'bgr_to_rgb needs at least 3 channels, got an image of shape '
                             f'{tuple(image.shape)}')
        order = torch.arange(image.shape[-3], device=image.device)
        order[:3] = torch.tensor([2, 1, 0])
        return image.index_select(-3, order)

    def forward(self, data, training=False):
        if self.reverse_first_three:
            inputs = data['inputs']
            inputs = ([self._reverse_first_three(image) for image in inputs]
                      if isinstance(inputs, (list, tuple)) else self._reverse_first_three(inputs))
            data = {**data, 'inputs': inputs}
        return super().forward(data, training)
