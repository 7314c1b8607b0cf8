# Runtime shared by the mmseg (semantic segmentation) configs.
default_scope = 'mmseg'

env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo by itself when no GPU is present.
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
# epoch-based training resumes bit-exactly (mmghost.engine; docs/configs.md); the
# iteration-based schedules are not covered and the hook leaves them alone. A custom hook: the
# schedules define default_hooks, and bases must not share a key.
custom_hooks = [dict(type='BitExactResumeHook')]

log_level = 'INFO'
load_from = None
resume = False

tta_model = dict(type='SegTTAModel')
