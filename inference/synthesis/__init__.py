"""Digital-contrast synthesis: model cards, ONNX Runtime sessions, tiling, engine, run reports."""
