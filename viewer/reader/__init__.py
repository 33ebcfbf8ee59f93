"""Reader-study screens: login, the reading window, question forms."""
