# The headline config: RetinaNet + FPN on Pyramid ViG-S, COCO 1x (configs/vig/ holds it, with the
# family's other configs).
_base_ = './vig/retinanet_pvig-s_fpn_1x_coco.py'
