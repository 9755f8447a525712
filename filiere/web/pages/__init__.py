"""The workspace pages: each module holds a ``router`` (see :mod:`filiere.web`)."""
