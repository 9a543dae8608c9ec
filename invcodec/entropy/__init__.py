"""Entropy model: parameter grids (``grid``) and the ANS coder wrapper (``ans``)."""
