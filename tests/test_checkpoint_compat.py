"""mmengine checkpoints on torch >= 2.6 (safe ``weights_only`` loading): save with the Runner,
resume, ``load_from`` and ``init_cfg=Pretrained``; arbitrary pickles stay refused, on every path
(local files, URLs through the torch hub cache), and bad files are named."""
import os
import pickle
import shutil

import pytest
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

import mmghost  # noqa: F401  (installs the safe-load allow-list)
from mmghost.models.backbones import PyramidViG


class TinyClassifier(BaseModel):

    def __init__(self, backbone_init_cfg=None):
        super().__init__()
        self.backbone = PyramidViG(arch='ti', out_indices=(3, ), init_cfg=backbone_init_cfg)
        self.head = nn.Linear(384, 2)

    def forward(self, inputs, labels, mode='tensor'):
        logits = self.head(self.backbone(inputs)[0].mean((2, 3)))
        if mode == 'loss':
            return {'loss': F.cross_entropy(logits, labels)}
        return logits


class RandomImages(torch.utils.data.Dataset):
    metainfo = {'classes': ('a', 'b')}

    def __len__(self):
        return 4

    def __getitem__(self, index):
        generator = torch.Generator().manual_seed(index)
        return {'inputs': torch.randn(3, 64, 64, generator=generator), 'labels': index % 2}


def make_runner(work_dir, max_iters, **kwargs):
    return Runner(
        model=kwargs.pop('model', None) or TinyClassifier(),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=RandomImages(), batch_size=2, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        default_scope='mmengine',
        **kwargs)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('run')
    runner = make_runner(work_dir, max_iters=2, experiment_name='first')
    runner.train()
    return work_dir / 'iter_2.pth', runner.model.state_dict()


def test_runner_checkpoint_loads_safely(trained):
    checkpoint, _ = trained
    content = torch.load(checkpoint, map_location='cpu')  # torch's default: weights_only=True
    assert {'meta', 'state_dict', 'message_hub', 'optimizer'} <= set(content)
    assert content['meta']['iter'] == 2


def test_resume_continues_from_the_checkpoint(trained, tmp_path):
    checkpoint, _ = trained
    runner = make_runner(tmp_path, max_iters=4, resume=True, load_from=str(checkpoint),
                         experiment_name='resumed')
    runner.train()
    assert runner.iter == 4
    assert (tmp_path / 'iter_4.pth').exists()
    history = runner.message_hub.get_scalar('train/loss')
    assert len(history.data[0]) == 4  # two iterations restored + two new ones


def test_load_from_restores_the_weights(trained, tmp_path):
    checkpoint, saved = trained
    runner = make_runner(tmp_path, max_iters=2, load_from=str(checkpoint),
                         experiment_name='loaded')
    runner.load_or_resume()
    for name, value in runner.model.state_dict().items():
        assert torch.equal(value, saved[name]), name


def test_pretrained_init_cfg_reads_a_runner_checkpoint(trained):
    checkpoint, saved = trained
    model = TinyClassifier(backbone_init_cfg=dict(
        type='Pretrained', checkpoint=str(checkpoint), prefix='backbone.'))
    model.backbone.init_weights()
    assert torch.equal(model.backbone.pos_embed, saved['backbone.pos_embed'])


class NotAllowed:
    pass


def test_arbitrary_objects_are_still_refused(tmp_path):
    torch.save({'payload': NotAllowed()}, tmp_path / 'unsafe.pth')
    with pytest.raises(pickle.UnpicklingError, match='NotAllowed'):
        torch.load(tmp_path / 'unsafe.pth')


def test_getattr_resolves_nothing_but_history_buffer_statistics(tmp_path):
    import numpy as np
    torch.save({'method': np.ndarray.tofile}, tmp_path / 'getattr.pth')  # getattr(ndarray, ..)
    with pytest.raises(pickle.UnpicklingError, match='Refusing getattr'):
        torch.load(tmp_path / 'getattr.pth')


# --- mmghost's loaders on every path: no code runs from a file, bad files are named ----------
class RunsCode:
    """Unpickling this runs code: it writes ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f'open({self.marker!r}, "w").write("ran")', )


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """A code-running pickle, as a local file and in the torch hub cache under the file name of
    the headline config's official URL."""
    from mmghost.weights.checkpoint import hub_cache_path
    from mmghost.weights.official import OFFICIAL_MODELS
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    url = OFFICIAL_MODELS['pvig_s_224_gelu'].weights.url
    marker = tmp_path / 'marker'
    local = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': RunsCode(marker)}, local)
    cached = hub_cache_path(url)
    os.makedirs(os.path.dirname(cached))
    shutil.copy(local, cached)
    return url, str(local), marker


def test_code_in_the_hub_cache_is_refused_for_init_cfg(planted):
    url, _, marker = planted
    model = TinyClassifier(backbone_init_cfg=dict(type='Pretrained', checkpoint=url))
    with pytest.raises(pickle.UnpicklingError, match='Refusing checkpoint .*pvig_s_82.1.pth.tar'):
        model.backbone.init_weights()
    assert not marker.exists()


@pytest.mark.parametrize('source', ['url', 'local'])
@pytest.mark.parametrize('resume', [False, True], ids=['load_from', 'resume'])
def test_code_is_refused_on_load_from_and_resume(planted, tmp_path, source, resume):
    url, local, marker = planted
    runner = make_runner(tmp_path / 'work', max_iters=2, resume=resume,
                         load_from=url if source == 'url' else local,
                         experiment_name=f'{source}_{resume}')
    with pytest.raises(pickle.UnpicklingError, match='Refusing checkpoint'):
        runner.load_or_resume()
    assert not marker.exists()


@pytest.mark.parametrize('content,message', [
    (b'', 'is empty'),
    (b'hello, this is a text file\n', 'is not a PyTorch checkpoint'),
])
def test_unreadable_files_are_named(tmp_path, content, message):
    from mmghost.weights.checkpoint import CheckpointFileError
    (tmp_path / 'bad.pth').write_bytes(content)
    model = TinyClassifier(backbone_init_cfg=dict(type='Pretrained',
                                                  checkpoint=str(tmp_path / 'bad.pth')))
    with pytest.raises(CheckpointFileError, match=message) as error:
        model.backbone.init_weights()
    assert str(tmp_path / 'bad.pth') in str(error.value)


def test_a_truncated_checkpoint_is_named(trained, tmp_path):
    from mmghost.weights.checkpoint import CheckpointFileError
    checkpoint, _ = trained
    data = checkpoint.read_bytes()
    (tmp_path / 'cut.pth').write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointFileError, match='truncated or corrupt zip archive'):
        make_runner(tmp_path, max_iters=2, load_from=str(tmp_path / 'cut.pth'),
                    experiment_name='cut').load_or_resume()


def test_nan_weights_are_refused_before_anything_loads(trained, tmp_path):
    checkpoint, saved = trained
    state = {k[len('backbone.'):]: v.clone() for k, v in saved.items()
             if k.startswith('backbone.')}
    state['pos_embed'][0, 0, 0, 0] = float('nan')
    torch.save({'state_dict': state}, tmp_path / 'nan.pth')
    model = TinyClassifier(backbone_init_cfg=dict(type='Pretrained',
                                                  checkpoint=str(tmp_path / 'nan.pth')))
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    with pytest.raises(RuntimeError, match='NaN or Inf in 1 tensors \\(pos_embed\\)'):
        model.backbone.init_weights()
    assert all(torch.equal(v, before[k]) for k, v in model.backbone.state_dict().items())


def test_a_wrong_shape_is_refused_before_anything_is_copied(trained, tmp_path):
    """torch's load_state_dict copies every tensor that fits before it raises; here nothing is
    copied: the shapes are checked first."""
    _, saved = trained
    state = {k[len('backbone.'):]: v.clone() for k, v in saved.items()
             if k.startswith('backbone.')}
    state['pos_embed'] = state['pos_embed'][:, :, :-1]
    torch.save({'state_dict': state}, tmp_path / 'shape.pth')
    model = TinyClassifier(backbone_init_cfg=dict(type='Pretrained',
                                                  checkpoint=str(tmp_path / 'shape.pth')))
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    with pytest.raises(RuntimeError, match=r'shapes differ \(1\): pos_embed'):
        model.backbone.init_weights()
    assert all(torch.equal(v, before[k]) for k, v in model.backbone.state_dict().items())
