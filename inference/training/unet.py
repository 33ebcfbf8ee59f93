"""A small 2.5-D U-Net: neighbouring non-contrast slices in, the arterial-phase slice out."""

from __future__ import annotations

import torch
from torch import nn


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class UNet25D(nn.Module):
    """Three resolution levels; predicts the iodine enhancement of the centre slice.

    Input (N, C, H, W) normalised HU with C neighbouring slices; H and W multiples of 8. With
    ``residual`` the centre slice is added (an image model); without, the output is the
    enhancement alone, which the engine adds to the acquired slice so its noise stays.
    """

    def __init__(self, channels: int = 3, width: int = 16, residual: bool = False) -> None:
        super().__init__()
        w = width
        self.centre = channels // 2
        self.residual = residual
        self.enc1 = _block(channels, w)
        self.enc2 = _block(w, 2 * w)
        self.enc3 = _block(2 * w, 4 * w)
        self.bottom = _block(4 * w, 4 * w)
        self.pool = nn.MaxPool2d(2)
        self.up3 = nn.ConvTranspose2d(4 * w, 4 * w, 2, stride=2)
        self.dec3 = _block(8 * w, 2 * w)
        self.up2 = nn.ConvTranspose2d(2 * w, 2 * w, 2, stride=2)
        self.dec2 = _block(4 * w, w)
        self.up1 = nn.ConvTranspose2d(w, w, 2, stride=2)
        self.dec1 = _block(2 * w, w)
        self.head = nn.Conv2d(w, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Enhancement (or, residual, the enhanced image) of the centre slice."""
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        e3 = self.enc3(self.pool(e2))
        b = self.bottom(self.pool(e3))
        d3 = self.dec3(torch.cat([self.up3(b), e3], dim=1))
        d2 = self.dec2(torch.cat([self.up2(d3), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        out = self.head(d1)
        return x[:, self.centre:self.centre + 1] + out if self.residual else out
