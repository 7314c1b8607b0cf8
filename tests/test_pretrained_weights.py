"""Official ImageNet weights by default: the weights table, the configs' URLs, loading through
the torch hub cache (offline, with deterministic official-format files in a temporary
``TORCH_HOME``), downloads (from a local HTTP server), distributed downloads, ``.safetensors``
files, the maintainer tool and ``tools/test.py`` on a classification config.

No test reaches the network: official URLs are only ever served from the temporary cache, and
the tests that could try to download point ``https_proxy`` at a closed local port.
"""
import functools
import http.server
import json
import os
import os.path as osp
import socket
import subprocess
import sys
import threading
import time

import pytest
import torch
from mmengine.config import Config

import mmghost
from mmghost.weights.checkpoint import (CheckpointDownloadError, cached_download, file_sha256,
                                hub_cache_path)
from mmghost.weights.records import RELEASE_QUIRKS, Weights
from mmghost.weights.official import (OFFICIAL_MODELS, convert_official, find_official_model,
                              load_official_classifier, save_as_released)
from tests.helpers import (DEMO_CONFIGS, DET_SEG_CONFIGS, REFERENCE_DIR, REPO_ROOT,
                            build_classifier, build_model, config_path, load_config, load_tool,
                            make_imagenet, randomised_timm)

RELEASED = {
    'pvig_ti_224_gelu', 'pvig_s_224_gelu', 'pvig_m_224_gelu', 'pvig_b_224_gelu',
    'vig_ti_224_gelu', 'vig_s_224_gelu', 'vig_b_224_gelu', 'ghostnet_1.0x', 'ghostnetv2_1.0x',
    'ghostnetv2_1.3x', 'ghostnetv2_1.6x', *(f'tinynet_{s}' for s in 'abcde'),
    *(f'g_ghost_regnetx_{s}' for s in ('032', '040', '080', '160')), 'tnt_s_patch16_224',
    'tnt_b_patch16_224', 'WaveMLP_T_dw', 'WaveMLP_T', 'WaveMLP_S', 'WaveMLP_M'}
HEADLINE_URL = OFFICIAL_MODELS['pvig_s_224_gelu'].weights.url


def url_of(name):
    return OFFICIAL_MODELS[name].weights.url


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    """An empty torch hub cache; downloads (if any were tried) go to a closed local port."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    for proxy in ('https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'):
        monkeypatch.setenv(proxy, f'http://127.0.0.1:{closed_port()}')
    for variable in ('no_proxy', 'NO_PROXY'):
        monkeypatch.delenv(variable, raising=False)
    assert torch.hub.get_dir() == str(tmp_path / 'torch' / 'hub')
    return tmp_path / 'torch'


def closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def put_in_cache(url, state):
    path = hub_cache_path(url)
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(state, path)
    return path


def put_release_in_cache(name, official):
    """The look-alike of ``name``'s release file in the hub cache: the official-format state
    dict ``official`` with the file's recorded quirks (thop buffers, ``module.``, legacy
    serialization)."""
    weights = OFFICIAL_MODELS[name].weights
    path = hub_cache_path(weights.url)
    os.makedirs(osp.dirname(path), exist_ok=True)
    save_as_released(official, weights, path)
    return weights.url


def backbone_cfg(config):
    cfg = load_config(config)
    backbone = cfg.model.backbone
    return cfg, backbone


# ------------------------------------------------------------------------------ the table
def test_every_model_has_a_url_or_says_why_not():
    assert {name for name, e in OFFICIAL_MODELS.items() if e.weights is not None} == RELEASED
    for name, entry in OFFICIAL_MODELS.items():
        if entry.weights is None:
            assert len(entry.no_weights) > 20, name
            continue
        assert entry.weights.url.startswith('https://github.com/huawei-noah/'), name
        assert 50 < entry.weights.top1 < 90, name
    assert 'Baidu' in OFFICIAL_MODELS['ptnt_s_patch16_256'].no_weights
    assert 'safetensors' in OFFICIAL_MODELS['augvit_small'].no_weights
    # the torch hub cache keys files by name alone: two releases must not share one
    names = [osp.basename(e.weights.url) for e in OFFICIAL_MODELS.values() if e.weights]
    assert len(names) == len(set(names))


def test_an_entry_needs_weights_or_a_reason():
    entry = OFFICIAL_MODELS['pvig_s_224_gelu']
    with pytest.raises(ValueError, match='either weights'):
        type(entry)(backbone=entry.backbone, convert=entry.convert)
    with pytest.raises(ValueError, match='either weights'):
        type(entry)(backbone=entry.backbone, convert=entry.convert, weights=entry.weights,
                    no_weights='none')


# ---------------------------------------------------------------------------- the configs
@pytest.mark.parametrize('config', DET_SEG_CONFIGS)
def test_config_starts_from_its_backbones_official_weights(config):
    _, backbone = backbone_cfg(config)
    name = find_official_model(backbone)
    assert name is not None, f'{config}: backbone {backbone.type} {backbone.arch} is in no table'
    weights = OFFICIAL_MODELS[name].weights
    if weights is None:  # and the config says why
        assert backbone.init_cfg is None, config
        with open(config_path(config)) as f:
            assert 'starts from random init: ' in f.read(), config
    else:
        assert backbone.init_cfg == dict(type='Pretrained', checkpoint=weights.url), config


@pytest.mark.parametrize('config', DEMO_CONFIGS)
def test_demo_configs_train_from_scratch_without_network(config):
    _, backbone = backbone_cfg(config)
    assert backbone.init_cfg is None


# config -> reference variant and the reference tap of each backbone output
FAMILY_CONFIGS = {
    'retinanet_pvig_s_coco.py': ('pvig_s_224_gelu', ['stage2', 'stage3', 'stage4']),
    'retinanet_vig-s_simple-pyramid_fpn_1x_coco.py': ('vig_s_224_gelu', ['final_tokens']),
    'retinanet_ghostnet-1.0x_fpn_1x_coco.py': ('ghostnet_1.0x', ['stage2', 'stage3', 'blocks9']),
    'upernet_ghostnetv2-1.0x_8xb2-160k_ade20k-512x512.py':
        ('ghostnetv2_1.0x', ['stage1', 'stage2', 'stage3', 'blocks9']),
    'mask-rcnn_g-ghost-regnetx-040_fpn_1x_coco.py':
        ('g_ghost_regnetx_040', ['stage1', 'stage2', 'stage3', 'stage4']),
    'yolox_tnt-s_simple-pyramid_8xb8-300e_coco.py': ('tnt_s_patch16_224', ['final_tokens_norm']),
    # the detection out norms are new layers (fresh init): the raw stage maps are compared
    'retinanet_wavemlp-s_fpn_1x_coco.py': ('WaveMLP_S', ['stage2', 'stage3', 'stage4']),
}


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('config', sorted(FAMILY_CONFIGS))
def test_config_loads_official_weights_from_the_hub_cache(config, torch_home, reference,
                                                          official_state_dict):
    """The config's URL is served by the torch hub cache (no network) with the release file's
    look-alike (its recorded quirks): converted on the fly, the backbone reproduces the official
    network in float64."""
    variant, taps = FAMILY_CONFIGS[config]
    cfg = load_config(config)
    assert put_release_in_cache(variant, official_state_dict(variant)) == \
        cfg.model.backbone.init_cfg.checkpoint
    model = build_model(cfg)
    model.init_weights()
    backbone = model.backbone.double().eval()
    backbone.out_norms = False  # Wave-MLP: compare before the fresh detection norms
    ref = reference.load_reference(osp.join(REFERENCE_DIR, f'{variant}.npz'))
    size = 256 if variant.startswith('ptnt') else 224
    with torch.no_grad():
        outs = backbone(reference.reference_input(2, size).double())
    assert len(outs) == len(taps)
    for out, tap in zip(outs, taps):
        result = reference.compare_to_reference(ref, f'f64.{tap}', out)
        assert result['ok'], (tap, result)


def test_tinynet_config_loads_the_official_file(torch_home):
    """TinyNet's official files are timm checkpoints: timm's model (random weights) saved as
    the release file gives the same stage maps as the config's backbone."""
    timm_model = randomised_timm('tinynet_a')
    cfg = load_config('retinanet_tinynet-a_fpn_1x_coco.py')
    put_in_cache(cfg.model.backbone.init_cfg.checkpoint, timm_model.state_dict())
    model = build_model(cfg)
    model.init_weights()
    x = torch.randn(1, 3, 160, 192)
    with torch.no_grad():
        outs = model.backbone.eval()(x)
        taps, out = [], timm_model.bn1(timm_model.conv_stem(x))
        for index, block in enumerate(timm_model.blocks):
            out = block(out)
            taps.append(out)
        expected = [taps[2], taps[4], timm_model.bn2(timm_model.conv_head(out))]
    for out, value in zip(outs, expected):
        torch.testing.assert_close(out, value)


# ---------------------------------------------------------------------- the files as released
@functools.lru_cache(maxsize=None)
def det_seg_configs_by_url():
    """``zoo.configs_by_checkpoint()``, read once for the module."""
    from tests.helpers import zoo
    return zoo.configs_by_checkpoint()


def test_every_release_says_what_its_file_holds_and_where_that_is_known_from():
    for name in RELEASED:
        weights = OFFICIAL_MODELS[name].weights
        assert weights.evidence and set(weights.quirks) <= set(RELEASE_QUIRKS), name
    with pytest.raises(ValueError, match=r"unknown release quirks \['zip'\]; choose from \["):
        Weights('https://example.com/a.pth', top1=1.0, quirks=('zip', ), evidence='a test')
    with pytest.raises(ValueError, match='say where its content is known from'):
        Weights('https://example.com/a.pth', top1=1.0)


@pytest.mark.parametrize('name', sorted(RELEASED))
def test_release_file_loads_offline_through_a_config_that_names_it(name, torch_home,
                                                                   official_weights):
    """Each URL: its file's look-alike in the hub cache, loaded by the first det / seg config
    that starts from it (the backbone's ``init_weights()``), or else by the model's
    classification config (``tools/test.py``'s loader), equals the plain official state dict
    converted: every tensor, bit for bit."""
    official = official_weights(name)
    url = put_release_in_cache(name, official)
    configs = det_seg_configs_by_url().get(url)
    if configs:
        backbone_cfg = Config.fromfile(osp.join(REPO_ROOT, configs[0])).model.backbone
        model = mmghost.MODELS.build(backbone_cfg)
        model.init_weights()
        expected = convert_official(name, official)
    else:
        model = build_model(load_config(f'{name}_in1k.py'))
        load_official_classifier(model, url, name)
        expected = convert_official(name, official, classifier=True)
    loaded = model.state_dict()
    assert [k for k, v in expected.items() if not torch.equal(loaded[k], v)] == []


def test_a_release_with_a_foreign_key_is_refused_whole(torch_home, official_weights):
    """Beyond the recorded quirks, nothing is forgiven: the key is listed, nothing loaded."""
    official = official_weights('ghostnetv2_1.0x')
    put_release_in_cache('ghostnetv2_1.0x', {**official, 'ema.decay': torch.ones(1)})
    cfg = load_config('retinanet_ghostnetv2-1.0x_fpn_1x_coco.py').model.backbone
    model = mmghost.MODELS.build(cfg)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(RuntimeError, match=r"nothing was loaded(.|\n)*as official keys: "
                                           r"\"Unknown official GhostNet key 'ema.decay'"):
        model.init_weights()
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


# --------------------------------------------------------------------------- offline / errors
def test_offline_error_names_the_url_the_cache_path_and_the_manual_route(torch_home):
    cfg = load_config('retinanet_pvig_s_coco.py')
    model = build_model(cfg)
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    start = time.monotonic()
    with pytest.raises(CheckpointDownloadError) as error:
        model.init_weights()
    assert time.monotonic() - start < 10
    message = str(error.value)
    assert HEADLINE_URL in message
    assert str(torch_home / 'hub' / 'checkpoints' / 'pvig_s_82.1.pth.tar') in message
    assert 'official2mmghost.py' in message and '--model pvig_s_224_gelu' in message
    assert "checkpoint='/path/to/pvig_s_82.1.pth.tar'" in message
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, before[key]), key  # nothing half-loaded
    assert not os.listdir(torch_home / 'hub' / 'checkpoints')  # no partial file left


class Served:
    """Files served over HTTP on 127.0.0.1 (a stand-in for GitHub releases), with a count of
    the requests."""

    def __init__(self, folder):
        self.requests = 0
        served = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                served.requests += 1
                super().do_GET()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), functools.partial(Handler, directory=str(folder)))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name):
        return f'http://127.0.0.1:{self.server.server_address[1]}/{name}'

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served(tmp_path, torch_home, monkeypatch):
    for variable in ('no_proxy', 'NO_PROXY'):
        monkeypatch.setenv(variable, '127.0.0.1')  # the local server, not the closed proxy
    folder = tmp_path / 'served'
    folder.mkdir()
    torch.save({'w': torch.arange(6.)}, folder / 'tiny.pth')
    server = Served(folder)
    yield server, folder
    server.close()


def test_download_lands_in_the_hub_cache_and_is_reused(served):
    server, _ = served
    url = server.url('tiny.pth')
    path = cached_download(url)
    assert path == hub_cache_path(url) and osp.isfile(path)
    server.close()  # the second load needs no server
    assert torch.equal(mmghost.weights.checkpoint.load_from_http(url)['w'], torch.arange(6.))
    assert server.requests == 1


def test_a_recorded_sha256_is_verified(served, monkeypatch):
    server, folder = served
    url = server.url('tiny.pth')
    recorded = {url: ('tiny', Weights(url, top1=70., sha256='0' * 64, evidence='a test'))}
    monkeypatch.setattr(mmghost.weights.official, 'official_weights_by_url', recorded.get)
    with pytest.raises(CheckpointDownloadError, match='sha256'):
        cached_download(url)
    assert not os.listdir(osp.dirname(hub_cache_path(url)))  # the corrupt file is not kept
    recorded[url] = ('tiny', Weights(url, top1=70., sha256=file_sha256(folder / 'tiny.pth'),
                                       evidence='a test'))
    assert cached_download(url) == hub_cache_path(url)
    # a cache entry that changed after it was verified
    recorded[url] = ('tiny', Weights(url, top1=70., sha256='1' * 64, evidence='a test'))
    with pytest.raises(ValueError, match='Delete it to download it again'):
        cached_download(url)


def test_a_stalled_server_times_out(torch_home, monkeypatch):
    monkeypatch.setenv('MMGHOST_DOWNLOAD_TIMEOUT', '1')
    monkeypatch.setenv('no_proxy', '127.0.0.1')
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(('127.0.0.1', 0))
        listener.listen()
        url = f'http://127.0.0.1:{listener.getsockname()[1]}/stalled.pth'
        start = time.monotonic()
        with pytest.raises(CheckpointDownloadError, match='timed out'):
            cached_download(url)
        assert time.monotonic() - start < 5


def test_a_bad_timeout_setting_is_named(monkeypatch):
    monkeypatch.setenv('MMGHOST_DOWNLOAD_TIMEOUT', 'soon')
    with pytest.raises(ValueError, match='MMGHOST_DOWNLOAD_TIMEOUT'):
        mmghost.weights.checkpoint.download_timeout()


def _distributed_download(rank, init_file, url, results):
    """One rank of a 2-process gloo job: ``LOCAL_RANK`` as torchrun sets it."""
    os.environ['LOCAL_RANK'] = str(rank)
    torch.distributed.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank,
                                         world_size=2)
    try:
        from mmghost.weights.checkpoint import load_from_http
        try:
            outcome = ('loaded', load_from_http(url)['w'].tolist())
        except Exception as error:
            outcome = (type(error).__name__, str(error))
        with open(f'{results}.{rank}', 'w') as f:
            json.dump(outcome, f)
    finally:
        torch.distributed.destroy_process_group()


@pytest.mark.parametrize('reachable', [True, False], ids=['served', 'unreachable'])
def test_distributed_one_download_per_node_and_one_outcome_for_all(served, tmp_path, reachable):
    server, _ = served
    url = server.url('tiny.pth') if reachable else f'http://127.0.0.1:{closed_port()}/tiny.pth'
    results = tmp_path / 'outcome'
    torch.multiprocessing.spawn(_distributed_download, nprocs=2,
                                args=(str(tmp_path / 'init'), url, str(results)))
    outcomes = [json.loads((tmp_path / f'outcome.{rank}').read_text()) for rank in (0, 1)]
    assert outcomes[0] == outcomes[1]  # every rank: the same file or the same error
    if reachable:
        assert outcomes[0] == ['loaded', [0., 1., 2., 3., 4., 5.]]
        assert server.requests == 1  # local rank 0 only
    else:
        assert outcomes[0][0] == 'CheckpointDownloadError' and url in outcomes[0][1]


# ------------------------------------------------------------------------------ safetensors
@pytest.mark.parametrize('timm_name,name', [
    ('ghostnet_100', 'ghostnet_1.0x'), ('tinynet_a', 'tinynet_a'),
    ('vit_small_patch16_224', 'augvit_small'), ('tnt_s_patch16_224', 'tnt_s_patch16_224')])
def test_timm_safetensors_load_through_init_cfg(tmp_path, timm_name, name):
    from safetensors.torch import save_file
    state = randomised_timm(timm_name).state_dict()
    save_file({k: v.contiguous() for k, v in state.items()}, tmp_path / 'model.safetensors')
    model = mmghost.MODELS.build(mmghost.official_backbone_cfg(
        name, init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'model.safetensors'))))
    model.init_weights()
    expected = convert_official(name, state, timm=True)
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected[key]), key


def test_converter_reads_timm_safetensors(tmp_path):
    from safetensors.torch import save_file
    state = randomised_timm('ghostnet_100').state_dict()
    save_file(state, tmp_path / 'model.safetensors')
    result = subprocess.run(
        [sys.executable, 'tools/model_converters/official2mmghost.py',
         str(tmp_path / 'model.safetensors'), str(tmp_path / 'out.pth'), '--model',
         'ghostnet_1.0x', '--timm'], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    saved = torch.load(tmp_path / 'out.pth', weights_only=True)['state_dict']
    expected = convert_official('ghostnet_1.0x', state, timm=True)
    assert saved.keys() == expected.keys()
    assert all(torch.equal(saved[k], v) for k, v in expected.items())


def test_a_truncated_safetensors_file_is_named(tmp_path):
    from safetensors.torch import save_file
    save_file({'w': torch.zeros(1000)}, tmp_path / 'model.safetensors')
    data = (tmp_path / 'model.safetensors').read_bytes()
    (tmp_path / 'model.safetensors').write_bytes(data[:len(data) // 2])
    with pytest.raises(mmghost.weights.checkpoint.CheckpointFileError, match='model.safetensors'):
        mmghost.weights.checkpoint.read_checkpoint_file(str(tmp_path / 'model.safetensors'))


# ---------------------------------------------------------------------------- classification
def test_official_classifier_loads_official_and_timm_files(tmp_path, official_state_dict):
    official = official_state_dict('ghostnet_1.0x')
    torch.save(official, tmp_path / 'official.pth')
    from_official = build_classifier('ghostnet_1.0x')
    load_official_classifier(from_official, str(tmp_path / 'official.pth'), 'ghostnet_1.0x')
    expected = convert_official('ghostnet_1.0x', official, classifier=True)
    assert all(torch.equal(v, expected[k]) for k, v in from_official.state_dict().items())
    timm_state = randomised_timm('ghostnet_100').state_dict()
    torch.save(timm_state, tmp_path / 'timm.pth')
    from_timm = build_classifier('ghostnet_1.0x')
    load_official_classifier(from_timm, str(tmp_path / 'timm.pth'), 'ghostnet_1.0x')
    expected = convert_official('ghostnet_1.0x', timm_state, classifier=True, timm=True)
    assert all(torch.equal(v, expected[k]) for k, v in from_timm.state_dict().items())
    with pytest.raises(RuntimeError, match='does not fit the ghostnetv2_1.0x classifier'):
        load_official_classifier(build_classifier('ghostnetv2_1.0x'),
                                 str(tmp_path / 'official.pth'), 'ghostnetv2_1.0x')


# one release per kind of quirk: none, thop buffers, 'module.', legacy serialization
QUIRK_SAMPLES = ['pvig_s_224_gelu', 'ghostnetv2_1.0x', 'g_ghost_regnetx_040', 'tinynet_e']


def test_quirk_samples_cover_every_kind():
    kinds = {quirk for name in QUIRK_SAMPLES for quirk in OFFICIAL_MODELS[name].weights.quirks}
    assert kinds == set(RELEASE_QUIRKS)
    assert not OFFICIAL_MODELS[QUIRK_SAMPLES[0]].weights.quirks


@pytest.mark.parametrize('name', QUIRK_SAMPLES)
def test_tools_test_evaluates_an_official_url_offline(name, tmp_path, torch_home,
                                                      official_weights):
    """``tools/test.py configs/<family>/<model>_in1k.py <official URL>``, the release file's
    look-alike in the hub cache: converted on the fly, top-1 printed."""
    url = put_release_in_cache(name, official_weights(name))
    imagenet_root = make_imagenet(tmp_path / 'imagenet')
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    test = subprocess.run(
        [sys.executable, 'tools/test.py', config_path(f'{name}_in1k.py'), url,
         '--work-dir', str(tmp_path / 'work'), '--cfg-options',
         f'test_dataloader.dataset.data_root={imagenet_root}', 'test_dataloader.batch_size=2',
         'test_dataloader.num_workers=0'],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    output = test.stdout + test.stderr
    assert test.returncode == 0, output[-4000:]
    assert f'{name} classifier: loaded official checkpoint' in output
    assert 'accuracy/top1' in output


@pytest.mark.parametrize('name', QUIRK_SAMPLES)
def test_converter_reads_the_release_file(name, tmp_path, torch_home, official_weights):
    """``official2mmghost.py URL dst --model name`` on the release file's look-alike."""
    official = official_weights(name)
    url = put_release_in_cache(name, official)
    dst = tmp_path / 'converted.pth'
    load_tool('tools/model_converters/official2mmghost.py').main([url, str(dst), '--model', name])
    saved = torch.load(dst, weights_only=True)['state_dict']
    expected = convert_official(name, official)
    assert saved.keys() == expected.keys()
    assert all(torch.equal(saved[k], v) for k, v in expected.items())


# ------------------------------------------------------------------------- maintainer tool
def test_check_weights_records_the_sha256_of_a_strictly_converting_file(
        tmp_path, torch_home, official_state_dict, capsys):
    path = put_in_cache(url_of('ghostnet_1.0x'), official_state_dict('ghostnet_1.0x'))
    record = tmp_path / 'sha256.json'
    record.write_text('{}')
    load_tool('tools/misc/check_weights.py').main(['ghostnet_1.0x', '--checksums', str(record)])
    assert json.loads(record.read_text()) == {url_of('ghostnet_1.0x'): file_sha256(path)}
    assert 'ok   ghostnet_1.0x' in capsys.readouterr().out
    torch.save({'conv_stem.weight': torch.zeros(1)}, path)  # a file that does not convert
    with pytest.raises(SystemExit, match='1 failed: ghostnet_1.0x'):
        load_tool('tools/misc/check_weights.py').main(
            ['ghostnet_1.0x', '--checksums', str(record)])
