"""The ``invcodec`` command (installed as the package ``invcodec_cli``)."""
