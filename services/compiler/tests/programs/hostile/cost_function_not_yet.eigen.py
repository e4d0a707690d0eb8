from eigen_lang import *
import math
import numpy as np


@cost_function
def c(params):
    return 0


from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    h(0)
