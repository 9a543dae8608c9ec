"""Invertible blocks: one contract (``InvertibleBlock``), inverse beside forward."""

from .base import InvertibleBlock
from .coupling import LiftingCoupling
from .permute import ChannelPermutation
from .squeeze import Squeeze

__all__ = ["InvertibleBlock", "LiftingCoupling", "ChannelPermutation", "Squeeze"]
