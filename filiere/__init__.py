"""filiere: a knowledge graph of industrial supply chains.

Load products, components, raw materials, suppliers, regions and countries into a
graph (an embedded networkx file, or Neo4j), then ask which single-country
dependencies hide in a bill of materials and how an item could be sourced locally.
"""

from filiere.errors import FiliereError

__version__ = "0.1.0"
__all__ = ["FiliereError", "__version__"]
