"""The code behind the tools: the task runtime (building runners and models in the right
registry, distributed start-up), the data preflight and the dataset checks (COCO, mmseg),
profiling, training curves, config text, and where configs and tools are."""
