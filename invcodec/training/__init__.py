"""The training side: torch modules for the models (``model``), their objectives, the
training loop (``train``), export to model files (``weights``) and the generative uses of
the flow (``latent_space``). Coding never imports this package (see ``invcodec.runtime``)."""
