"""Energy and carbon of a synthesis run: measured where counters exist, estimated otherwise."""
