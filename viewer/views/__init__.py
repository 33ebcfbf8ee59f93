"""Everything that paints: VTK panels, slice views, the 3-D view, the view grid, screenshots."""
