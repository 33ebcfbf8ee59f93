"""What each series is: its kind, contrast phase and body region, from headers and pixels."""
