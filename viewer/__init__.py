"""Everything a person sees: Qt windows and VTK views. Depends on inference, never the reverse."""
