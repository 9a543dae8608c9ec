"""The coding runtime: exact evaluation of the models with numpy, no torch.

``model_file`` loads a model file into its architecture (``lifting``), whose nets run in
the model's numeric format (``fixed64`` for release 0.1.0's models, ``int8`` for the fast
ones) on the exact convolution in ``conv``."""
