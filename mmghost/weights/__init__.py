"""Checkpoints: the safe-load allow-list (:mod:`.compat`), loading files and URLs without
unpickling code (:mod:`.checkpoint`), the released files (:mod:`.records`,
``weights_sha256.json``), fitting a state dict to a model (:mod:`.fitting`), and the official
model tables merged from the family records (:mod:`.official`)."""
