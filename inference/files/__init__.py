"""Files and folders the product writes, reads and removes, under one set of rules.

``atomic``: a file or folder appears whole or not at all. ``owned``: the product removes only
folders it made, inside the folder it owns. ``names``: identifiers that become file names.
``confine``: files an input refers to must lie inside that input's own folder tree.
"""
