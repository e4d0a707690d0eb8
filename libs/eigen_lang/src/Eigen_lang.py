"""``Eigen_lang``: the seed's spelling of :mod:`eigen_lang` (SPEC §6); re-exports every name.

``from Eigen_lang import minimize`` and ``from eigen_lang import minimize`` give the same object.
A one-file module rather than a package, so it cannot collide with the ``eigen_lang/`` folder on
case-insensitive file systems.
"""

from eigen_lang import *  # noqa: F403
from eigen_lang import __all__ as __all__
