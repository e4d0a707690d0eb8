"""The library through a module alias, and the seed's `Eigen_lang` spelling."""
import eigen_lang as el
from Eigen_lang import hybrid_program


@hybrid_program(seed=30)
def aliased():
    q = el.QubitRegister(2)
    el.h(q[0])
    el.cx(q[0], q[1])
    el.measure_all()
