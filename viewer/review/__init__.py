"""The review window: menus and wiring, loading, synthesis, registration, comparison, exports."""
