"""Interactive views of the analyses, as self-contained HTML pages.

- :func:`deps_view` -- a product's supply tree coloured by kind and risk;
- :func:`routes_view` -- an item and its candidate local routes, coloured by tier;
- :func:`shock_view` -- what a supply stop in some countries cuts and dents.

The supply tree and the shock are layered left-to-right graphs (Cytoscape.js + ELK,
:mod:`filiere.viz.cyto`); the routes view stays a pyvis (vis-network) page. Each returns a
:class:`View`; ``View.html()`` is a page that opens offline (every script inlined, no CDN)
and ``View.write(path)`` saves it. See ``docs/visualisations.md``.
"""

from filiere.viz.deps import deps_view
from filiere.viz.page import View
from filiere.viz.routes import routes_view
from filiere.viz.shock import shock_view
from filiere.viz.style import DEFAULT_MAX_NODES

__all__ = ["DEFAULT_MAX_NODES", "View", "deps_view", "routes_view", "shock_view"]
