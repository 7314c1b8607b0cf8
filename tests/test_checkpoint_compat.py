"""mmengine checkpoints on torch >= 2.6 (safe ``weights_only`` loading): save with the Runner,
resume, ``load_from`` and ``init_cfg=Pretrained``; arbitrary pickles stay refused."""
import pickle

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
