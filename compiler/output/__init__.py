"""Everything kfroster writes to disk: atomic files, the out/ tree, deploy/, the scaffold."""
