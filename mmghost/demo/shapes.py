"""A small synthetic "coloured shapes" dataset for detection and semantic segmentation demos.

Each image is an RGB JPEG with a smooth textured background (low-frequency noise, a gradient or
soft stripes, all low in saturation) and 1-4 filled shapes on top. A shape's class sets both its
outline (circle, square, triangle) and its typical hue (red, green, blue, jittered per instance),
so a detector or segmenter trained from scratch on a CPU learns it within minutes. Later shapes
paint over earlier ones; a placement that would hide more than ~30% of a shape is rejected.

The same images are written in two layouts under ``root``::

    coco/train/000000.jpg ...            COCO instances (boxes, polygons, areas of visible masks)
    coco/val/000000.jpg ...
    coco/annotations/instances_train.json
    coco/annotations/instances_val.json
    ade/images/training/000000.jpg ...   ADE20K-style semantic segmentation
    ade/images/validation/000000.jpg ...
    ade/annotations/training/000000.png  mode 'L': 0 = background, i = DEMO_CLASSES[i - 1]
    ade/annotations/validation/000000.png
    ade/classes.txt                      background, then DEMO_CLASSES: the class of each value
    meta.json                            the generation parameters (cache key)

Generation is deterministic: every image draws from its own ``numpy`` Generator seeded with
``(seed, split, index)``, so the same parameters give byte-identical files, and growing
``num_train`` keeps the existing images unchanged.
"""
import colorsys
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

DEMO_CLASSES = ('circle', 'square', 'triangle')
# Visualisation colours, one RGB tuple per class; they match each class's base hue.
DEMO_PALETTE = ((220, 40, 40), (40, 180, 60), (50, 90, 220))
# Base hue of each class in degrees, jittered by up to HUE_JITTER per instance.
CLASS_HUES = (0.0, 125.0, 225.0)
HUE_JITTER = 15.0

# Bump whenever the generator's output changes, so cached datasets are regenerated.
GENERATOR_VERSION = 2  # 2: ade/classes.txt

# (height, width) choices; multiples of 32 so every backbone stride divides them.
IMAGE_SIZES = ((192, 192), (160, 224), (224, 160))
MIN_OBJECTS, MAX_OBJECTS = 1, 4
MIN_SHAPE_SIZE, MAX_SHAPE_SIZE = 24, 96
# A placement is rejected if it covers more than this fraction of itself or of a visible shape.
MAX_OVERLAP = 0.3
# ... nor leaves a thin sliver of a shape stretching its box by more than this many pixels.
MAX_SLIVER_STRETCH = 2
PLACEMENT_ATTEMPTS = 20
MIN_VISIBLE_AREA = 64
JPEG_QUALITY = 95

SPLITS = (('train', 'training'), ('val', 'validation'))  # (COCO name, ADE name)


def make_demo_dataset(root='data/demo', num_train=320, num_val=64, seed=0, overwrite=False):
    """Writes the demo dataset under ``root`` (or reuses an identical earlier one).

    If ``root/meta.json`` records a finished run with the same parameters (and its outputs are
    still there), nothing is written.
    Otherwise the ``coco`` and ``ade`` folders are regenerated from scratch; they are only
    removed when ``meta.json`` shows this function wrote them, or when ``overwrite`` is set.

    Args:
        root (str | PathLike): Output folder.
        num_train (int): Number of training images (at least 1).
        num_val (int): Number of validation images (at least 1).
        seed (int): Non-negative seed; the same parameters give byte-identical files.
        overwrite (bool): Regenerate even if an identical dataset exists, and replace ``coco`` /
            ``ade`` folders this function did not write.

    Returns:
        dict: ``root``, ``coco_root``, ``ade_root``, ``ade_classes_file``, ``train_ann_file``
        and ``val_ann_file``, all as strings.

    Raises:
        ValueError: If a count or the seed is out of range.
        FileExistsError: If ``root`` holds ``coco`` or ``ade`` folders of unknown origin and
            ``overwrite`` is False.
    """
    _check_count('num_train', num_train)
    _check_count('num_val', num_val)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f'seed must be a non-negative integer, got {seed!r}')

    root = Path(root)
    paths = _dataset_paths(root)
    meta_path = root / 'meta.json'
    params = dict(generator_version=GENERATOR_VERSION, num_train=int(num_train),
                  num_val=int(num_val), seed=int(seed))
    previous_meta = _read_meta(meta_path)
    outputs_present = all(Path(paths[key]).exists() for key in (
        'ade_root', 'ade_classes_file', 'train_ann_file', 'val_ann_file'))
    if not overwrite and previous_meta == dict(params, complete=True) and outputs_present:
        return paths

    coco_root, ade_root = Path(paths['coco_root']), Path(paths['ade_root'])
    if previous_meta is None and not overwrite:
        for folder in (coco_root, ade_root):
            if folder.exists():
                raise FileExistsError(f'{folder} exists but was not written by '
                                      'make_demo_dataset; pass overwrite=True to replace it')
    for folder in (coco_root, ade_root):
        if folder.exists():
            shutil.rmtree(folder)
    # Written first so an interrupted run is recognised as ours and regenerated next time.
    _write_meta(meta_path, dict(params, complete=False))

    counts = dict(train=num_train, val=num_val)
    for split_index, (coco_split, ade_split) in enumerate(SPLITS):
        _write_split(coco_root, ade_root, coco_split, ade_split, counts[coco_split],
                     int(seed), split_index)
    # the label maps' classes, by value (--classes-from-data reads it)
    Path(paths['ade_classes_file']).write_text(
        ''.join(f'{name}\n' for name in ('background', *DEMO_CLASSES)), encoding='utf-8')
    _write_meta(meta_path, dict(params, complete=True))
    return paths


def demo_images(count, height, width, seed=0):
    """``count`` demo images (shapes on textured backgrounds, as the dataset's) resized to
    ``height`` x ``width`` and normalised with ImageNet's mean and std: natural-like input for
    measurements, where random noise would give unnaturally uniform features.

    Returns:
        torch.Tensor: float32, ``(count, 3, height, width)``.
    """
    import torch
    mean, std = np.array([123.675, 116.28, 103.53]), np.array([58.395, 57.12, 57.375])
    images = []
    for index in range(count):
        image = _render_image(np.random.default_rng((seed, 2, index)))[0]
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
        images.append((image - mean) / std)
    return torch.from_numpy(np.stack(images).transpose(0, 3, 1, 2).astype(np.float32))


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f'{name} must be an integer >= 1, got {value!r}')


def _dataset_paths(root):
    coco_root = root / 'coco'
    return dict(root=str(root), coco_root=str(coco_root), ade_root=str(root / 'ade'),
                ade_classes_file=str(root / 'ade' / 'classes.txt'),
                train_ann_file=str(coco_root / 'annotations' / 'instances_train.json'),
                val_ann_file=str(coco_root / 'annotations' / 'instances_val.json'))


def _read_meta(meta_path):
    try:
        return json.loads(meta_path.read_text(encoding='utf-8'))
    except (OSError, ValueError):
        return None


def _write_meta(meta_path, meta):
    meta_path.parent.mkdir(parents=True, exist_ok=True)
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + '\n', encoding='utf-8')


def _write_split(coco_root, ade_root, coco_split, ade_split, num_images, seed, split_index):
    """Generates one split and writes its images, label maps and COCO json."""
    coco_image_dir = coco_root / coco_split
    ade_image_dir = ade_root / 'images' / ade_split
    ade_label_dir = ade_root / 'annotations' / ade_split
    for folder in (coco_image_dir, ade_image_dir, ade_label_dir, coco_root / 'annotations'):
        folder.mkdir(parents=True, exist_ok=True)

    images, annotations = [], []
    for index in range(num_images):
        rng = np.random.default_rng((seed, split_index, index))
        image, label_map, instances = _render_image(rng)
        stem = f'{index:06d}'
        jpeg_bytes = _encode_jpeg(image)
        (coco_image_dir / f'{stem}.jpg').write_bytes(jpeg_bytes)
        (ade_image_dir / f'{stem}.jpg').write_bytes(jpeg_bytes)
        Image.fromarray(label_map).save(ade_label_dir / f'{stem}.png')  # uint8 2-D: mode 'L'

        image_id = index + 1
        height, width = label_map.shape
        images.append(dict(id=image_id, file_name=f'{stem}.jpg', height=height, width=width))
        for class_index, visible_mask in instances:
            annotation = _coco_annotation(visible_mask)
            if annotation is None:
                continue
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id,
                                    category_id=class_index + 1, **annotation))

    coco = dict(
        info=dict(description='mmghost synthetic shapes demo dataset',
                  version=str(GENERATOR_VERSION)),
        images=images,
        annotations=annotations,
        categories=[dict(id=i + 1, name=name, supercategory='shape')
                    for i, name in enumerate(DEMO_CLASSES)])
    ann_path = coco_root / 'annotations' / f'instances_{coco_split}.json'
    ann_path.write_text(json.dumps(coco, separators=(',', ':')), encoding='utf-8')


def _encode_jpeg(image):
    # cv2 expects BGR; its encoder output is deterministic for identical pixels.
    ok, buffer = cv2.imencode('.jpg', image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError('cv2.imencode failed to encode a demo image')
    return buffer.tobytes()


def _render_image(rng):
    """Draws one image.

    Args:
        rng (numpy.random.Generator): The image's own random generator.

    Returns:
        tuple: The RGB uint8 image, the uint8 label map (0 = background, i = DEMO_CLASSES[i-1])
        and a list of ``(class_index, visible_mask)`` for every placed shape, in paint order.
    """
    height, width = IMAGE_SIZES[rng.integers(len(IMAGE_SIZES))]
    image = _background(rng, height, width)
    instance_map = np.zeros((height, width), np.uint8)  # 0 = none, k = k-th placed shape
    label_map = np.zeros((height, width), np.uint8)
    placed = []  # (full area, naturally thin pixels) of each shape, in paint order
    classes = []

    for _ in range(rng.integers(MIN_OBJECTS, MAX_OBJECTS + 1)):
        class_index = int(rng.integers(len(DEMO_CLASSES)))
        mask = _place_shape(rng, class_index, instance_map, placed)
        if mask is None:
            continue
        image[mask] = _shape_pixels(rng, class_index, mask)
        classes.append(class_index)
        placed.append((int(mask.sum()), _thin_parts(mask)))
        instance_map[mask] = len(classes)
        label_map[mask] = class_index + 1

    instances = [(class_index, instance_map == k + 1) for k, class_index in enumerate(classes)]
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), label_map, instances


def _background(rng, height, width):
    """A smooth, low-saturation float32 background: noise, a gradient or soft stripes."""
    base = rng.uniform(90, 170) + rng.uniform(-15, 15, size=3)  # greyish with a faint tint
    kind = rng.integers(3)
    if kind == 0:
        # Low-frequency noise: a coarse random grid upsampled smoothly; mostly brightness, with a
        # little colour so it stays greyish.
        grid_shape = (rng.integers(3, 7), rng.integers(3, 7))
        grid = (rng.uniform(-1, 1, size=(*grid_shape, 1)) * rng.uniform(25, 40)
                + rng.uniform(-1, 1, size=(*grid_shape, 3)) * 10)
        texture = cv2.resize(grid.astype(np.float32), (width, height),
                             interpolation=cv2.INTER_CUBIC)
    else:
        angle = rng.uniform(0, np.pi)
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        along = xs * np.cos(angle) + ys * np.sin(angle)
        if kind == 1:
            profile = (along - along.min()) / np.ptp(along) * 2 - 1  # linear ramp over [-1, 1]
            amplitude = rng.uniform(25, 45)
        else:
            profile = np.sin(along * (2 * np.pi / rng.uniform(16, 48)) + rng.uniform(0, 2 * np.pi))
            amplitude = rng.uniform(12, 22)
        # The same profile scaled per channel keeps the texture grey rather than colourful.
        texture = profile[:, :, None] * (amplitude * rng.uniform(0.8, 1.2, size=3))
    grain = rng.standard_normal((height, width, 3), dtype=np.float32) * 4
    return (base + texture + grain).astype(np.float32)


def _place_shape(rng, class_index, instance_map, placed):
    """Finds a spot for a new shape that overlaps the visible shapes only slightly.

    Returns:
        numpy.ndarray | None: The shape's boolean mask, or None if every attempt overlapped
        too much.
    """
    height, width = instance_map.shape
    for _ in range(PLACEMENT_ATTEMPTS):
        # Log-uniform sizes give as many small shapes as large ones.
        size = float(np.exp(rng.uniform(np.log(MIN_SHAPE_SIZE), np.log(MAX_SHAPE_SIZE))))
        outline = _shape_outline(rng, class_index, size)
        low, high = outline.min(axis=0), outline.max(axis=0)
        # Keep the whole shape inside the image; shrink the range if the shape barely fits.
        center_x = rng.uniform(-low[0] + 1, max(width - 2 - high[0], -low[0] + 1))
        center_y = rng.uniform(-low[1] + 1, max(height - 2 - high[1], -low[1] + 1))
        mask = _rasterize(outline + (center_x, center_y), height, width)
        area = int(mask.sum())
        if area == 0 or not _overlap_ok(mask, area, instance_map, placed):
            continue
        return mask
    return None


def _overlap_ok(mask, area, instance_map, placed):
    """Whether a new shape may go on top of the already placed ones.

    It may cover at most ``MAX_OVERLAP`` of itself; every earlier shape must keep at least
    ``1 - MAX_OVERLAP`` of its full area visible, and must not be left with a thin sliver (say
    along a nearly parallel edge) that would stretch its box beyond the visible bulk of it.
    """
    if np.count_nonzero(instance_map[mask]) > MAX_OVERLAP * area:
        return False
    for shape_id, (full_area, natural_thin) in enumerate(placed, start=1):
        visible = instance_map == shape_id
        if not np.any(visible & mask):
            continue
        remaining = visible & ~mask
        if np.count_nonzero(remaining) < (1 - MAX_OVERLAP) * full_area:
            return False
        bulk = remaining & ~(_thin_parts(remaining) & ~natural_thin)
        stretch = np.abs(np.subtract(_box(remaining), _box(bulk))).max()
        if stretch > MAX_SLIVER_STRETCH:
            return False
    return True


def _thin_parts(mask):
    """Pixels of ``mask`` in parts less than 3 pixels thick (what a 3x3 opening removes)."""
    opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return mask & ~opened.astype(bool)


def _box(mask):
    """Inclusive pixel box ``(x0, y0, x1, y1)`` of a non-empty mask."""
    ys, xs = np.nonzero(mask)
    return xs.min(), ys.min(), xs.max(), ys.max()


def _shape_outline(rng, class_index, size):
    """Vertices (N, 2) of the class's shape, centred on the origin, ``size`` pixels across."""
    name = DEMO_CLASSES[class_index]
    if name == 'circle':
        angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        radius = size / 2
    elif name == 'square':
        # Mild rotations keep squares recognisable as squares rather than diamonds.
        angles = np.deg2rad(rng.uniform(-20, 20)) + np.pi / 4 + np.arange(4) * np.pi / 2
        radius = size / 2 * np.sqrt(2)
    else:
        angles = np.deg2rad(-90 + rng.uniform(-30, 30)) + np.arange(3) * 2 * np.pi / 3
        radius = size / np.sqrt(3)  # an equilateral triangle with sides ``size`` long
    return np.stack([np.cos(angles), np.sin(angles)], axis=1) * radius


def _rasterize(vertices, height, width):
    mask = np.zeros((height, width), np.uint8)
    # 4 fractional bits: sub-pixel vertex positions without anti-aliasing, so masks are exact.
    cv2.fillPoly(mask, [np.rint(vertices * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    return mask.astype(bool)


def _shape_pixels(rng, class_index, mask):
    """Fill colours for the masked pixels: the class hue, jittered, with slight noise."""
    hue = (CLASS_HUES[class_index] + rng.uniform(-HUE_JITTER, HUE_JITTER)) % 360 / 360
    color = np.array(colorsys.hsv_to_rgb(hue, rng.uniform(0.65, 0.95), rng.uniform(0.7, 0.95)))
    pixels = color * 255 + rng.normal(0, 6, size=(int(mask.sum()), 3))
    if rng.random() < 0.5:
        # A thin darker outline, as drawn shapes often have.
        eroded = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        border = ~eroded[mask]
        pixels[border] *= 0.55
    return pixels.astype(np.float32)


def _coco_annotation(visible_mask):
    """The COCO fields of one shape from its visible mask, or None if too little is visible."""
    area = int(visible_mask.sum())
    if area < MIN_VISIBLE_AREA:
        return None
    contours, _ = cv2.findContours(visible_mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    # Contours run through pixel indices; +0.5 puts them on pixel centres in COCO coordinates.
    polygons = [[round(float(v) + 0.5, 2) for v in contour.reshape(-1)]
                for contour in contours if len(contour) >= 3]
    if not polygons:
        return None
    x0, y0, x1, y1 = (int(v) for v in _box(visible_mask))
    bbox = [float(x0), float(y0), float(x1 + 1 - x0), float(y1 + 1 - y0)]
    return dict(bbox=bbox, area=float(area), iscrowd=0, segmentation=polygons)
