# Runtime shared by the mmpretrain (ImageNet classification) configs: the detection runtime
# with mmpretrain's scope, visualisation hook and visualizer.
_base_ = './default_runtime.py'
default_scope = 'mmpretrain'

default_hooks = dict(visualization=dict(_delete_=True, type='VisualizationHook', enable=False))
visualizer = dict(_delete_=True, type='UniversalVisualizer', vis_backends=_base_.vis_backends)
